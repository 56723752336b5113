package stdlib

import (
	"fmt"
	"strings"

	"github.com/wflang/wf/value"
)

func init() {
	register(&Func{
		Name: "lower", Sig: "lower(s string) string", Doc: "Returns s in lower case.", Pure: true,
		Check: unary("lower", value.StringType),
		Call: func(_ *Context, a []value.Value) value.Value {
			if a[0].K != value.String {
				return value.Value{}
			}
			return value.Str(strings.ToLower(a[0].S))
		},
	})
}

// unary checks a one-argument string function.
func unary(name string, result value.Type) func([]value.Type) (value.Type, error) {
	return func(args []value.Type) (value.Type, error) {
		if len(args) != 1 {
			return value.AnyType, fmt.Errorf("%s takes 1 argument, not %d", name, len(args))
		}
		if args[0].Kind != value.TAny && !args[0].IsStringLike() {
			return value.AnyType, fmt.Errorf("%s: argument must be a string, not %s", name, args[0])
		}
		return result, nil
	}
}
