// Package stdlib is wf's standard library: the prelude of object types
// (contact, company, deal, ticket) and the builtin functions. A builtin is
// declared once, here: the compiler checks calls against its Check function
// (and constant arguments against CheckConst) and may fold calls of Pure
// functions on constants; the VM runs its Call.
//
// Builtins never fail at run time. An empty argument gives an empty result
// (except where a function says otherwise: coalesce, min, max), and so does
// bad input: a malformed date string, a number that is not a whole number
// where one is needed, an unknown unit or layout, a missing secret. Calls do
// not allocate except to build the new string or list they return.
//
// Functions that read the time zone (date, start_of_day, day_of_week, hour,
// date_diff, format_date, parse_date, add_days, add_months) use Context.Loc,
// UTC when it is nil. A date argument stands for its midnight in that zone.
//
// The stdlib is not the place for actions (send email, webhooks): those are
// steps, run by the engine.
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

// Context is what a builtin may know about the evaluation: the current time,
// the time zone of the workflow and the secrets it may read.
type Context struct {
	Now time.Time
	Loc *time.Location // nil means UTC
	// Secrets looks up a secret by name for secret(); nil means none.
	Secrets func(name string) (string, bool)
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
	// CheckConst, when not nil, validates argument i when the compiler knows
	// its value (a constant), for rules types cannot express: date_diff's
	// unit, format_date's layout, round's digits. Call still copes with any
	// value at run time.
	CheckConst func(i int, v value.Value) error
	// Pure functions depend only on their arguments (not on the Context:
	// time zone, secrets) and may be folded on constants.
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
