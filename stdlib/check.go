package stdlib

import (
	"fmt"
	"math"

	"github.com/wflang/wf/value"
)

// class is a set of argument types a parameter accepts.
type class struct {
	want string // "a string", for messages
	ok   func(value.Type) bool
}

var (
	strArg  = class{"a string", value.Type.IsStringLike}
	numArg  = class{"a number", func(t value.Type) bool { return t.Kind == value.TNumber }}
	timeArg = class{"a date or datetime", value.Type.IsTime}
	listArg = class{"a list or set", func(t value.Type) bool { return t.Kind == value.TList || t.Kind == value.TSet }}
	anyArg  = class{"a value", func(value.Type) bool { return true }}
	// orderedArg is what min and max take.
	orderedArg = class{"a number, date, datetime or duration", func(t value.Type) bool {
		return t.Kind == value.TNumber || t.Kind == value.TDuration || t.IsTime()
	}}
	// scalarArg is what to_number takes.
	scalarArg = class{"a string, number or bool", func(t value.Type) bool {
		return t.IsStringLike() || t.Kind == value.TNumber || t.Kind == value.TBool
	}}
)

// variadic as maxArgs means "no upper bound".
const variadic = -1

// checkArgs checks the number of arguments (minArgs to maxArgs) and each
// argument's type against params; arguments past the last param use the
// last. An argument of unknown type (any) is accepted.
func checkArgs(name string, args []value.Type, minArgs, maxArgs int, params ...class) error {
	n := len(args)
	switch {
	case minArgs == maxArgs && n != minArgs:
		s := "s"
		if minArgs == 1 {
			s = ""
		}
		return fmt.Errorf("%s takes %d argument%s, not %d", name, minArgs, s, n)
	case maxArgs == variadic && n < minArgs:
		return fmt.Errorf("%s takes at least %d arguments, not %d", name, minArgs, n)
	case maxArgs != variadic && (n < minArgs || n > maxArgs):
		return fmt.Errorf("%s takes %d or %d arguments, not %d", name, minArgs, maxArgs, n)
	}
	for i, t := range args {
		p := params[min(i, len(params)-1)]
		if t.Kind != value.TAny && !p.ok(t) {
			return fmt.Errorf("%s: argument %d must be %s, not %s", name, i+1, p.want, t.Kind)
		}
	}
	return nil
}

// fixed returns a Check for a function whose result type does not depend on
// its arguments.
func fixed(name string, result value.Type, minArgs, maxArgs int, params ...class) func([]value.Type) (value.Type, error) {
	return func(args []value.Type) (value.Type, error) {
		if err := checkArgs(name, args, minArgs, maxArgs, params...); err != nil {
			return value.AnyType, err
		}
		return result, nil
	}
}

// sameAsFirst returns a Check whose result has the type of argument 1.
func sameAsFirst(name string, minArgs, maxArgs int, params ...class) func([]value.Type) (value.Type, error) {
	return func(args []value.Type) (value.Type, error) {
		if err := checkArgs(name, args, minArgs, maxArgs, params...); err != nil {
			return value.AnyType, err
		}
		return args[0], nil
	}
}

// integer reports whether v is a number with no fraction, and returns it.
func integer(v value.Value) (int, bool) {
	if v.K != value.Number || !(v.N >= -1e15 && v.N <= 1e15) || v.N != math.Trunc(v.N) {
		return 0, false
	}
	return int(v.N), true
}
