package stdlib_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/stdlib"
	"github.com/wflang/wf/value"
)

var (
	tStr  = value.StringType
	tURL  = value.URLType
	tNum  = value.NumberType
	tBool = value.BoolType
	tDT   = value.DateTimeType
	tDate = value.DateType
	tDur  = value.DurationType
	tList = value.ListType
	tAny  = value.AnyType
	tPlan = value.Type{Kind: value.TEnum, Options: []string{"free", "pro"}}
	tTier = value.Type{Kind: value.TEnum, Options: []string{"gold"}}
	tTags = value.Type{Kind: value.TSet, Options: []string{"vip"}}
	tDays = value.Type{Kind: value.TEnum, Options: []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}}
)

func types(ts ...value.Type) []value.Type { return ts }

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		args []value.Type
		want value.Type
		err  string
	}{
		{"lower", types(tStr), tStr, ""},
		{"lower", types(tPlan), tStr, ""},
		{"lower", types(tURL), tStr, ""},
		{"lower", types(tAny), tStr, ""},
		{"lower", types(tNum), tAny, "lower: argument 1 must be a string, not number"},
		{"lower", types(), tAny, "lower takes 1 argument, not 0"},
		{"upper", types(tStr, tStr), tAny, "upper takes 1 argument, not 2"},
		{"trim", types(tTags), tAny, "trim: argument 1 must be a string, not set"},
		{"titlecase", types(tDate), tAny, "titlecase: argument 1 must be a string, not date"},
		{"len", types(tStr), tNum, ""},
		{"len", types(tTags), tNum, ""},
		{"len", types(tList), tNum, ""},
		{"len", types(tNum), tAny, "len: argument 1 must be a string, list or set, not number"},
		{"substring", types(tStr, tNum), tStr, ""},
		{"substring", types(tStr, tNum, tNum), tStr, ""},
		{"substring", types(tStr), tAny, "substring takes 2 or 3 arguments, not 1"},
		{"substring", types(tStr, tStr), tAny, "substring: argument 2 must be a number, not string"},
		{"substring", types(tStr, tNum, tBool), tAny, "substring: argument 3 must be a number, not bool"},
		{"replace", types(tStr, tStr, tStr), tStr, ""},
		{"replace", types(tStr, tStr, tNum), tAny, "replace: argument 3 must be a string, not number"},
		{"split", types(tStr, tStr), tList, ""},
		{"split", types(tTags, tStr), tAny, "split: argument 1 must be a string, not set"},
		{"join", types(tTags, tStr), tStr, ""},
		{"join", types(tList, tStr), tStr, ""},
		{"join", types(tStr, tStr), tAny, "join: argument 1 must be a list or set, not string"},
		{"join", types(tList), tAny, "join takes 2 arguments, not 1"},
		{"round", types(tNum), tNum, ""},
		{"round", types(tNum, tNum), tNum, ""},
		{"round", types(tNum, tStr), tAny, "round: argument 2 must be a number, not string"},
		{"round", types(tNum, tNum, tNum), tAny, "round takes 1 or 2 arguments, not 3"},
		{"floor", types(tDur), tAny, "floor: argument 1 must be a number, not duration"},
		{"ceil", types(tNum), tNum, ""},
		{"abs", types(tAny), tNum, ""},
		{"min", types(tNum, tNum, tNum), tNum, ""},
		{"min", types(tNum), tAny, "min takes at least 2 arguments, not 1"},
		{"min", types(tDate, tDate), tDate, ""},
		{"max", types(tDate, tDT), tDT, ""},
		{"max", types(tDT, tDate), tDT, ""},
		{"max", types(tAny, tDur), tDur, ""},
		{"max", types(tAny, tAny), tAny, ""},
		{"max", types(tNum, tDate), tAny, "max: argument 2 has type date, but argument 1 has type number"},
		{"min", types(tAny, tDur, tNum), tAny, "min: argument 3 has type number, but argument 2 has type duration"},
		{"min", types(tNum, tStr), tAny, "min: argument 2 must be a number, date, datetime or duration, not string"},
		{"coalesce", types(tStr, tStr), tStr, ""},
		{"coalesce", types(tPlan, tPlan), tPlan, ""},
		{"coalesce", types(tPlan, tTier), tStr, ""},
		{"coalesce", types(tPlan, tStr), tStr, ""},
		{"coalesce", types(tAny, tNum, tAny), tNum, ""},
		{"coalesce", types(tTags, tList), tList, ""},
		{"coalesce", types(tDate, tDate), tDate, ""},
		{"coalesce", types(tStr, tNum), tAny, "coalesce: argument 2 has type number, but argument 1 has type string"},
		{"coalesce", types(tAny, tDate, tDT), tAny, "coalesce: argument 3 has type datetime, but argument 2 has type date"},
		{"coalesce", types(tStr), tAny, "coalesce takes at least 2 arguments, not 1"},
		{"to_number", types(tStr), tNum, ""},
		{"to_number", types(tBool), tNum, ""},
		{"to_number", types(tDate), tAny, "to_number: argument 1 must be a string, number or bool, not date"},
		{"to_string", types(tDate), tStr, ""},
		{"to_string", types(tTags), tStr, ""},
		{"to_string", types(), tAny, "to_string takes 1 argument, not 0"},
		{"date_diff", types(tDate, tDT, tStr), tNum, ""},
		{"date_diff", types(tDate, tDT), tAny, "date_diff takes 3 arguments, not 2"},
		{"date_diff", types(tDate, tNum, tStr), tAny, "date_diff: argument 2 must be a date or datetime, not number"},
		{"date_diff", types(tDate, tDate, tDur), tAny, "date_diff: argument 3 must be a string, not duration"},
		{"format_date", types(tDT, tStr), tStr, ""},
		{"format_date", types(tStr, tStr), tAny, "format_date: argument 1 must be a date or datetime, not string"},
		{"parse_date", types(tStr), tDT, ""},
		{"parse_date", types(tDate), tAny, "parse_date: argument 1 must be a string, not date"},
		{"date", types(tDT), tDate, ""},
		{"start_of_day", types(tDate), tDT, ""},
		{"day_of_week", types(tDT), tDays, ""},
		{"hour", types(tDT), tNum, ""},
		{"hour", types(tNum), tAny, "hour: argument 1 must be a date or datetime, not number"},
		{"add_days", types(tDate, tNum), tDate, ""},
		{"add_days", types(tDT, tNum), tDT, ""},
		{"add_days", types(tAny, tNum), tAny, ""},
		{"add_days", types(tDT, tDur), tAny, "add_days: argument 2 must be a number, not duration"},
		{"add_months", types(tDate, tNum), tDate, ""},
		{"email_domain", types(tStr), tStr, ""},
		{"is_email", types(tStr), tBool, ""},
		{"is_email", types(tBool), tAny, "is_email: argument 1 must be a string, not bool"},
		{"secret", types(tStr), tStr, ""},
		{"secret", types(tStr, tStr), tAny, "secret takes 1 argument, not 2"},
	}
	for _, tt := range tests {
		f := stdlib.Lookup(tt.name)
		if f == nil {
			t.Errorf("no builtin %s", tt.name)
			continue
		}
		got, err := f.Check(tt.args)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tt.err {
			t.Errorf("%s%v: error %q, want %q", tt.name, tt.args, gotErr, tt.err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s%v result type (-want +got):\n%s", tt.name, tt.args, diff)
		}
	}
}

func TestCheckConst(t *testing.T) {
	tests := []struct {
		name string
		i    int
		v    value.Value
		err  string
	}{
		{"round", 1, num(2), ""},
		{"round", 1, num(-15), ""},
		{"round", 1, num(16), "round: digits must be a whole number from -15 to 15, not 16"},
		{"round", 1, num(1.5), "round: digits must be a whole number from -15 to 15, not 1.5"},
		{"round", 0, num(1.5), ""},
		{"date_diff", 2, str("days"), ""},
		{"date_diff", 2, str("months"), ""},
		{"date_diff", 2, str("day"), `date_diff: unknown unit "day"; did you mean "days"?`},
		{"date_diff", 2, str("dayz"), `date_diff: unknown unit "dayz"; did you mean "days"?`},
		{"date_diff", 2, str("fortnights"), `date_diff: unknown unit "fortnights"; use one of ["seconds" "minutes" "hours" "days" "weeks" "months" "years"]`},
		{"format_date", 1, str("YYYY-MM-DD HH:mm"), ""},
		{"format_date", 1, str("dddd [at] h A"), ""},
		{"format_date", 1, str("YYYY-MM-DD at HH"), `format_date: "t" at 13 is not part of the layout language; put literal text in [brackets]`},
		{"format_date", 1, str("yyyy-MM-dd"), `format_date: "yyyy" at 1 is not part of the layout language; put literal text in [brackets]`},
		{"format_date", 1, str("YYYY [Q"), `format_date: layout has an unclosed [ at 6`},
		{"split", 1, str(""), "split: the separator must not be empty"},
		{"split", 1, str(","), ""},
		{"split", 0, str(""), ""},
		{"secret", 0, str("HOOK_SECRET"), ""},
		{"secret", 0, str("hook-secret"), `secret: "hook-secret" is not a secret name (letters, digits and _, like "HOOK_SECRET")`},
		{"secret", 0, str(""), `secret: "" is not a secret name (letters, digits and _, like "HOOK_SECRET")`},
		{"secret", 0, str("1KEY"), `secret: "1KEY" is not a secret name (letters, digits and _, like "HOOK_SECRET")`},
	}
	for _, tt := range tests {
		f := stdlib.Lookup(tt.name)
		if f.CheckConst == nil {
			t.Errorf("%s has no CheckConst", tt.name)
			continue
		}
		err := f.CheckConst(tt.i, tt.v)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tt.err {
			t.Errorf("%s.CheckConst(%d, %v) = %q, want %q", tt.name, tt.i, tt.v, gotErr, tt.err)
		}
	}
}

// TestCallsAllocate checks that a call allocates at most the string or list
// it returns, and nothing at all when it returns no new string.
func TestCallsAllocate(t *testing.T) {
	ams := amsterdam(t)
	ctx := &stdlib.Context{Loc: ams, Secrets: func(string) (string, bool) { return "s", true }}
	when := value.Time(time.Date(2026, 1, 5, 8, 30, 0, 0, time.UTC))
	day := value.DateOf(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name string
		args []value.Value
		max  float64
	}{
		{"lower", []value.Value{str("Ada LOVELACE")}, 1},
		{"lower", []value.Value{str("already lower")}, 0},
		{"upper", []value.Value{str("ada")}, 1},
		{"trim", []value.Value{str("  ada  ")}, 0},
		{"titlecase", []value.Value{str("ada lovelace")}, 1},
		{"len", []value.Value{str("héllo wörld")}, 0},
		{"len", []value.Value{list("a", "b", "c")}, 0},
		{"substring", []value.Value{str("héllo wörld"), num(2), num(3)}, 0},
		{"replace", []value.Value{str("a-b-c"), str("-"), str("+")}, 1},
		{"split", []value.Value{str("a, b, c"), str(",")}, 1},
		{"join", []value.Value{list("a", "b", "c"), str(", ")}, 1},
		{"coalesce", []value.Value{empty, str("x")}, 0},
		{"to_number", []value.Value{str("12.5")}, 0},
		{"to_string", []value.Value{num(12.5)}, 1},
		{"email_domain", []value.Value{str("ann@acme.com")}, 0},
		{"is_email", []value.Value{str("ann.lee@mail.acme.com")}, 0},
		{"secret", []value.Value{str("K")}, 0},
		{"round", []value.Value{num(1.005), num(2)}, 0},
		{"floor", []value.Value{num(1.5)}, 0},
		{"ceil", []value.Value{num(1.5)}, 0},
		{"abs", []value.Value{num(-1.5)}, 0},
		{"min", []value.Value{num(1), num(2), num(0)}, 0},
		{"max", []value.Value{day, when}, 0},
		{"date_diff", []value.Value{day, when, str("months")}, 0},
		{"date_diff", []value.Value{day, when, str("hours")}, 0},
		{"format_date", []value.Value{when, str("dddd D MMMM YYYY [at] HH:mm z")}, 1},
		{"parse_date", []value.Value{str("2026-01-05T09:30:00+01:00")}, 0},
		{"date", []value.Value{when}, 0},
		{"start_of_day", []value.Value{when}, 0},
		{"day_of_week", []value.Value{when}, 0},
		{"hour", []value.Value{when}, 0},
		{"add_days", []value.Value{when, num(3)}, 0},
		{"add_months", []value.Value{day, num(3)}, 0},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		f := stdlib.Lookup(tt.name)
		covered[tt.name] = true
		n := testing.AllocsPerRun(50, func() { f.Call(ctx, tt.args) })
		if n > tt.max {
			t.Errorf("%s(%s) allocates %v times, want at most %v", tt.name, show(tt.args), n, tt.max)
		}
	}
	for _, name := range stdlib.Names() {
		if !covered[name] {
			t.Errorf("%s has no allocation test", name)
		}
	}
}

func BenchmarkLower(b *testing.B) {
	f := stdlib.Lookup("lower")
	args := []value.Value{str("Ada LOVELACE")}
	b.ReportAllocs()
	for b.Loop() {
		f.Call(nil, args)
	}
}

func BenchmarkLen(b *testing.B) {
	f := stdlib.Lookup("len")
	args := []value.Value{str("héllo wörld")}
	b.ReportAllocs()
	for b.Loop() {
		f.Call(nil, args)
	}
}
