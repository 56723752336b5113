// Package stdlib is wf's standard library: the prelude of object types
// (contact, company, deal, ticket) and the builtin functions. A builtin is
// declared once, here: the compiler checks calls against its Check function
// and may fold calls of Pure functions on constants; the VM runs its Call.
package stdlib

import (
	_ "embed"
	"sort"
	"time"

	"github.com/wflang/wf/value"
)

// Prelude is the .wf source of the object types every program starts with.
//
//go:embed prelude.wf
var Prelude string

// PreludeFile is the file name diagnostics use for the prelude.
const PreludeFile = "<prelude>"

// Context is what a builtin may know about the evaluation: the current time
// and the time zone of the workflow.
type Context struct {
	Now time.Time
	Loc *time.Location
}

// Func is a builtin function.
type Func struct {
	Name string
	Sig  string // as shown in hover and docs: "lower(s string) string"
	Doc  string // one or two sentences
	// Check validates the argument types and returns the result type; its
	// error message names the problem ("lower: argument 1 must be a string, not number").
	Check func(args []value.Type) (value.Type, error)
	// Call computes the result. It must not retain args. Bad input at run
	// time (a malformed date, an impossible conversion) yields Empty.
	Call func(ctx *Context, args []value.Value) value.Value
	// Pure functions depend only on their arguments and may be folded.
	Pure bool
}

var registry = map[string]*Func{}

func register(f *Func) { registry[f.Name] = f }

// Lookup returns the builtin with the given name, or nil.
func Lookup(name string) *Func { return registry[name] }

// Names returns the names of all builtins, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
