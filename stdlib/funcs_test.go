package stdlib_test

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/stdlib"
	"github.com/wflang/wf/value"
)

var (
	empty = value.Value{}
	str   = value.Str
	num   = value.Num
	list  = func(m ...string) value.Value { return value.ListOf(m) }
)

// amsterdam is the zone of the test Context.
func amsterdam(t testing.TB) *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	return loc
}

// at returns a datetime value for a wall-clock time in loc.
func at(loc *time.Location, y int, m time.Month, d, h, min int) value.Value {
	return value.Time(time.Date(y, m, d, h, min, 0, 0, loc))
}

// date returns a date value.
func date(y int, m time.Month, d int) value.Value {
	return value.DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

type callTest struct {
	name string
	args []value.Value
	want value.Value
}

func runCalls(t *testing.T, ctx *stdlib.Context, tests []callTest) {
	t.Helper()
	for _, tt := range tests {
		f := stdlib.Lookup(tt.name)
		if f == nil {
			t.Errorf("no builtin %s", tt.name)
			continue
		}
		args := append([]value.Value(nil), tt.args...)
		got := f.Call(ctx, args)
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s(%s) (-want +got):\n%s", tt.name, show(tt.args), diff)
		}
		if diff := cmp.Diff(tt.args, args); diff != "" {
			t.Errorf("%s modified its arguments:\n%s", tt.name, diff)
		}
	}
}

func show(args []value.Value) string {
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = a.K.String() + " " + a.String()
	}
	return strings.Join(s, ", ")
}

func TestStringFuncs(t *testing.T) {
	s := "  Ada LOVELACE-byron, o'neil  "
	runCalls(t, nil, []callTest{
		{"lower", []value.Value{str(s)}, str(strings.ToLower(s))},
		{"lower", []value.Value{str("ÀÉ")}, str("àé")},
		{"lower", []value.Value{empty}, empty},
		{"lower", []value.Value{num(1)}, empty},
		{"upper", []value.Value{str(s)}, str(strings.ToUpper(s))},
		{"upper", []value.Value{empty}, empty},
		{"trim", []value.Value{str(s)}, str(strings.TrimSpace(s))},
		{"trim", []value.Value{str("\t\n")}, str("")},
		{"trim", []value.Value{empty}, empty},
		{"titlecase", []value.Value{str(s)}, str("  Ada Lovelace-Byron, O'neil  ")},
		{"titlecase", []value.Value{str("élodie DE LA tour 2nd")}, str("Élodie De La Tour 2nd")},
		{"titlecase", []value.Value{str("")}, str("")},
		{"titlecase", []value.Value{empty}, empty},

		{"len", []value.Value{str("héllo")}, num(5)},
		{"len", []value.Value{str("")}, num(0)},
		{"len", []value.Value{list("a", "b", "c")}, num(3)},
		{"len", []value.Value{value.SetOf(nil)}, num(0)},
		{"len", []value.Value{num(12)}, empty},
		{"len", []value.Value{empty}, empty},

		{"substring", []value.Value{str("héllo world"), num(1), num(4)}, str("éllo")},
		{"substring", []value.Value{str("héllo world"), num(6)}, str("world")},
		{"substring", []value.Value{str("héllo world"), num(-5)}, str("world")},
		{"substring", []value.Value{str("héllo world"), num(-50), num(2)}, str("hé")},
		{"substring", []value.Value{str("héllo"), num(3), num(100)}, str("lo")},
		{"substring", []value.Value{str("héllo"), num(9)}, str("")},
		{"substring", []value.Value{str("héllo"), num(0), num(0)}, str("")},
		{"substring", []value.Value{str("héllo"), num(1.5)}, empty},
		{"substring", []value.Value{str("héllo"), num(0), num(-1)}, empty},
		{"substring", []value.Value{str("héllo"), empty}, empty},
		{"substring", []value.Value{empty, num(0)}, empty},

		{"replace", []value.Value{str("a-b-c"), str("-"), str(" + ")}, str("a + b + c")},
		{"replace", []value.Value{str("abc"), str(""), str("x")}, str("abc")},
		{"replace", []value.Value{str("abc"), str("z"), str("x")}, str("abc")},
		{"replace", []value.Value{str("abc"), str("b"), empty}, empty},

		{"split", []value.Value{str("a, b,,c ,"), str(",")}, list("a", "b", "c")},
		{"split", []value.Value{str("x::y"), str("::")}, list("x", "y")},
		{"split", []value.Value{str("solo"), str(";")}, list("solo")},
		{"split", []value.Value{str(" , "), str(",")}, list()},
		{"split", []value.Value{str(""), str(",")}, list()},
		{"split", []value.Value{str("a,b"), str("")}, empty},
		{"split", []value.Value{empty, str(",")}, empty},

		{"join", []value.Value{list("a", "b", "c"), str(", ")}, str("a, b, c")},
		{"join", []value.Value{value.SetOf([]string{"vip", "beta"}), str(";")}, str("beta;vip")},
		{"join", []value.Value{list(), str(",")}, str("")},
		{"join", []value.Value{str("a"), str(",")}, empty},
		{"join", []value.Value{list("a"), empty}, empty},

		{"coalesce", []value.Value{empty, str(""), str("x")}, str("")},
		{"coalesce", []value.Value{empty, empty, num(3)}, num(3)},
		{"coalesce", []value.Value{empty, empty}, empty},

		{"to_number", []value.Value{str(" 42 ")}, num(42)},
		{"to_number", []value.Value{str("-1.5e3")}, num(-1500)},
		{"to_number", []value.Value{str("1,5")}, empty},
		{"to_number", []value.Value{str("NaN")}, empty},
		{"to_number", []value.Value{value.True}, num(1)},
		{"to_number", []value.Value{value.False}, num(0)},
		{"to_number", []value.Value{num(7)}, num(7)},
		{"to_number", []value.Value{empty}, empty},

		{"to_string", []value.Value{num(1.5)}, str("1.5")},
		{"to_string", []value.Value{num(1000000)}, str("1000000")},
		{"to_string", []value.Value{value.True}, str("true")},
		{"to_string", []value.Value{date(2026, 1, 5)}, str("2026-01-05")},
		{"to_string", []value.Value{value.Time(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC))}, str("2026-01-05T08:00:00Z")},
		{"to_string", []value.Value{list("a", "b")}, str("a, b")},
		{"to_string", []value.Value{value.Dur(2 * time.Hour)}, str("2h0m0s")},
		{"to_string", []value.Value{str("x")}, str("x")},
		{"to_string", []value.Value{empty}, empty},

		{"email_domain", []value.Value{str("Ann.Lee@Mail.ACME.com")}, str("mail.acme.com")},
		{"email_domain", []value.Value{str(" bob@acme.io ")}, str("acme.io")},
		{"email_domain", []value.Value{str("\"a@b\"@acme.io")}, str("acme.io")},
		{"email_domain", []value.Value{str("no-at-sign")}, empty},
		{"email_domain", []value.Value{str("@acme.io")}, empty},
		{"email_domain", []value.Value{str("ann@")}, empty},
		{"email_domain", []value.Value{empty}, empty},
	})
}

func TestIsEmail(t *testing.T) {
	valid := []string{"ann@acme.com", "ann.lee+crm@mail.acme.co.uk", "o'neil@acme.io", "x@a-b.de", "élodie@exemple.fr", "a_b@sub.domain.museum"}
	invalid := []string{"", "ann", "ann@", "@acme.com", "ann@acme", "ann@@acme.com", "a@b@acme.com", "ann lee@acme.com",
		"ann@acme..com", "ann@.acme.com", "ann@acme.com.", "ann@-acme.com", "ann@acme-.com", ".ann@acme.com", "ann.@acme.com",
		"ann..lee@acme.com", "ann@acme.c", "ann@acme.c0m", "ann@acme_corp.com", "<ann@acme.com>", strings.Repeat("a", 65) + "@acme.com"}
	var tests []callTest
	for _, s := range valid {
		tests = append(tests, callTest{"is_email", []value.Value{str(s)}, value.True})
	}
	for _, s := range invalid {
		tests = append(tests, callTest{"is_email", []value.Value{str(s)}, value.False})
	}
	tests = append(tests, callTest{"is_email", []value.Value{empty}, empty})
	runCalls(t, nil, tests)
}

func TestSecret(t *testing.T) {
	ctx := &stdlib.Context{Secrets: func(name string) (string, bool) {
		if name == "HOOK_SECRET" {
			return "s3cr3t", true
		}
		return "", false
	}}
	runCalls(t, ctx, []callTest{
		{"secret", []value.Value{str("HOOK_SECRET")}, str("s3cr3t")},
		{"secret", []value.Value{str("OTHER")}, empty},
		{"secret", []value.Value{empty}, empty},
	})
	runCalls(t, &stdlib.Context{}, []callTest{
		{"secret", []value.Value{str("HOOK_SECRET")}, empty},
	})
	if stdlib.Lookup("secret").Pure {
		t.Error("secret is Pure; it reads the Context")
	}
}

func TestNumberFuncs(t *testing.T) {
	runCalls(t, nil, []callTest{
		{"round", []value.Value{num(2.5)}, num(3)},
		{"round", []value.Value{num(-2.5)}, num(-3)},
		{"round", []value.Value{num(2.4999)}, num(2)},
		{"round", []value.Value{num(1.005), num(2)}, num(1.01)},
		{"round", []value.Value{num(-1.005), num(2)}, num(-1.01)},
		{"round", []value.Value{num(1.004), num(2)}, num(1)},
		{"round", []value.Value{num(2.675), num(2)}, num(2.68)},
		{"round", []value.Value{num(1234.5678), num(1)}, num(1234.6)},
		{"round", []value.Value{num(1234.5678), num(-2)}, num(1200)},
		{"round", []value.Value{num(1250), num(-2)}, num(1300)},
		{"round", []value.Value{num(0.1), num(5)}, num(0.1)},
		{"round", []value.Value{num(4e-16), num(15)}, num(0)},
		{"round", []value.Value{num(6e-16), num(15)}, num(1e-15)},
		{"round", []value.Value{num(9.995), num(2)}, num(10)},
		{"round", []value.Value{num(123456789.123456789), num(7)}, num(123456789.1234568)},
		{"round", []value.Value{num(1e300), num(2)}, num(1e300)},
		{"round", []value.Value{num(0.5), num(0)}, num(1)},
		{"round", []value.Value{num(1.5), num(0.5)}, empty},
		{"round", []value.Value{num(1.5), num(16)}, empty},
		{"round", []value.Value{num(1.5), empty}, empty},
		{"round", []value.Value{empty}, empty},
		{"floor", []value.Value{num(-1.5)}, num(math.Floor(-1.5))},
		{"floor", []value.Value{num(1.5)}, num(1)},
		{"floor", []value.Value{empty}, empty},
		{"ceil", []value.Value{num(1.2)}, num(2)},
		{"ceil", []value.Value{num(-1.2)}, num(-1)},
		{"ceil", []value.Value{str("1")}, empty},
		{"abs", []value.Value{num(-3)}, num(3)},
		{"abs", []value.Value{num(3)}, num(3)},
		{"abs", []value.Value{empty}, empty},

		{"min", []value.Value{num(3), num(-1), num(2)}, num(-1)},
		{"max", []value.Value{num(3), num(-1), num(2)}, num(3)},
		{"min", []value.Value{empty, num(5), empty}, num(5)},
		{"max", []value.Value{empty, empty}, empty},
		{"min", []value.Value{value.Dur(time.Hour), value.Dur(time.Minute)}, value.Dur(time.Minute)},
		{"max", []value.Value{date(2026, 1, 5), date(2026, 3, 1), date(2025, 12, 31)}, date(2026, 3, 1)},
		{"max", []value.Value{date(2026, 1, 5), value.Time(time.Date(2026, 1, 4, 23, 0, 0, 0, time.UTC))},
			value.Time(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))},
		{"min", []value.Value{date(2026, 1, 5), value.Time(time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC))},
			value.Time(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))},
		{"min", []value.Value{num(1), value.Dur(time.Hour)}, empty},
		{"min", []value.Value{str("a"), str("b")}, empty},
		{"max", []value.Value{str("a")}, empty},
	})
}

func TestDateFuncs(t *testing.T) {
	ams := amsterdam(t)
	ctx := &stdlib.Context{Loc: ams, Now: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)}
	// 2026-03-29 02:00 is when Amsterdam moves to summer time.
	runCalls(t, ctx, []callTest{
		{"date_diff", []value.Value{at(ams, 2026, 1, 5, 23, 0), at(ams, 2026, 1, 6, 1, 0), str("days")}, num(1)},
		{"date_diff", []value.Value{at(ams, 2026, 1, 5, 23, 0), at(ams, 2026, 1, 6, 1, 0), str("hours")}, num(2)},
		{"date_diff", []value.Value{at(ams, 2026, 1, 6, 1, 0), at(ams, 2026, 1, 5, 23, 0), str("hours")}, num(-2)},
		{"date_diff", []value.Value{at(ams, 2026, 1, 5, 0, 0), at(ams, 2026, 1, 5, 0, 59), str("hours")}, num(0)},
		{"date_diff", []value.Value{at(ams, 2026, 1, 5, 0, 0), at(ams, 2026, 1, 5, 0, 59), str("minutes")}, num(59)},
		{"date_diff", []value.Value{at(ams, 2026, 1, 5, 0, 0), at(ams, 2026, 1, 5, 0, 1), str("seconds")}, num(60)},
		{"date_diff", []value.Value{at(ams, 2026, 3, 28, 12, 0), at(ams, 2026, 3, 29, 12, 0), str("hours")}, num(23)},
		{"date_diff", []value.Value{at(ams, 2026, 3, 28, 12, 0), at(ams, 2026, 3, 29, 12, 0), str("days")}, num(1)},
		{"date_diff", []value.Value{date(2026, 1, 5), date(2026, 1, 19), str("weeks")}, num(2)},
		{"date_diff", []value.Value{date(2026, 1, 5), date(2026, 1, 18), str("weeks")}, num(1)},
		{"date_diff", []value.Value{date(2026, 1, 19), date(2026, 1, 6), str("weeks")}, num(-1)},
		{"date_diff", []value.Value{date(2026, 1, 31), date(2026, 2, 28), str("months")}, num(0)},
		{"date_diff", []value.Value{date(2026, 1, 31), date(2026, 3, 31), str("months")}, num(2)},
		{"date_diff", []value.Value{date(2026, 3, 31), date(2026, 1, 31), str("months")}, num(-2)},
		{"date_diff", []value.Value{date(2026, 3, 15), date(2026, 1, 31), str("months")}, num(-1)},
		{"date_diff", []value.Value{date(1990, 6, 15), date(2026, 6, 14), str("years")}, num(35)},
		{"date_diff", []value.Value{date(1990, 6, 15), date(2026, 6, 15), str("years")}, num(36)},
		{"date_diff", []value.Value{date(2026, 1, 5), at(ams, 2026, 1, 5, 6, 0), str("hours")}, num(6)},
		{"date_diff", []value.Value{date(2026, 1, 5), date(2026, 1, 6), str("fortnights")}, empty},
		{"date_diff", []value.Value{date(2026, 1, 5), empty, str("days")}, empty},

		{"format_date", []value.Value{at(ams, 2026, 1, 5, 9, 7), str("YYYY-MM-DD HH:mm")}, str("2026-01-05 09:07")},
		{"format_date", []value.Value{at(ams, 2026, 1, 5, 21, 7), str("dddd D MMMM YYYY [at] h:mm A")}, str("Monday 5 January 2026 at 9:07 PM")},
		{"format_date", []value.Value{at(ams, 2026, 1, 5, 0, 30), str("ddd, DD MMM YY hh:mm a")}, str("Mon, 05 Jan 26 12:30 am")},
		{"format_date", []value.Value{at(ams, 2026, 7, 5, 12, 0), str("M/D/YYYY H:mm:ss.SSS Z ZZ z")}, str("7/5/2026 12:00:00.000 +02:00 +0200 CEST")},
		{"format_date", []value.Value{date(2026, 1, 5), str("DD.MM.YYYY HH:mm")}, str("05.01.2026 00:00")},
		{"format_date", []value.Value{at(ams, 2026, 1, 5, 9, 7), str("[Today is] dddd")}, str("Today is Monday")},
		{"format_date", []value.Value{at(ams, 2026, 1, 5, 9, 7), str("YYYY-MM-DD at HH")}, empty},
		{"format_date", []value.Value{at(ams, 2026, 1, 5, 9, 7), str("[unclosed")}, empty},
		{"format_date", []value.Value{empty, str("YYYY")}, empty},

		{"parse_date", []value.Value{str("2026-01-05")}, at(ams, 2026, 1, 5, 0, 0)},
		{"parse_date", []value.Value{str("2026-01-05 09:30")}, at(ams, 2026, 1, 5, 9, 30)},
		{"parse_date", []value.Value{str("2026-01-05T09:30:00Z")}, value.Time(time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC))},
		{"parse_date", []value.Value{str("05/01/2026")}, empty},
		{"parse_date", []value.Value{str("2026-02-30")}, empty},
		{"parse_date", []value.Value{empty}, empty},

		{"date", []value.Value{at(ams, 2026, 1, 5, 23, 30)}, date(2026, 1, 5)},
		{"date", []value.Value{at(ams, 2026, 1, 6, 0, 30)}, date(2026, 1, 6)},
		{"date", []value.Value{date(2026, 1, 5)}, date(2026, 1, 5)},
		{"date", []value.Value{empty}, empty},

		{"start_of_day", []value.Value{at(ams, 2026, 1, 5, 23, 30)}, at(ams, 2026, 1, 5, 0, 0)},
		{"start_of_day", []value.Value{date(2026, 3, 29)}, at(ams, 2026, 3, 29, 0, 0)},
		{"start_of_day", []value.Value{str("today")}, empty},

		{"day_of_week", []value.Value{date(2026, 1, 5)}, str("monday")},
		{"day_of_week", []value.Value{date(2026, 1, 11)}, str("sunday")},
		{"day_of_week", []value.Value{at(ams, 2026, 1, 10, 0, 30)}, str("saturday")},
		{"day_of_week", []value.Value{empty}, empty},

		{"hour", []value.Value{at(ams, 2026, 7, 5, 14, 59)}, num(14)},
		{"hour", []value.Value{date(2026, 7, 5)}, num(0)},
		{"hour", []value.Value{empty}, empty},

		{"add_days", []value.Value{date(2026, 1, 31), num(1)}, date(2026, 2, 1)},
		{"add_days", []value.Value{date(2026, 1, 1), num(-1)}, date(2025, 12, 31)},
		{"add_days", []value.Value{at(ams, 2026, 3, 28, 9, 0), num(1)}, at(ams, 2026, 3, 29, 9, 0)},
		{"add_days", []value.Value{date(2026, 1, 1), num(0.5)}, empty},
		{"add_days", []value.Value{date(2026, 1, 1), empty}, empty},
		{"add_days", []value.Value{date(9999, 12, 31), num(1)}, empty},

		{"add_months", []value.Value{date(2026, 1, 31), num(1)}, date(2026, 2, 28)},
		{"add_months", []value.Value{date(2024, 1, 31), num(1)}, date(2024, 2, 29)},
		{"add_months", []value.Value{date(2026, 3, 31), num(-1)}, date(2026, 2, 28)},
		{"add_months", []value.Value{date(2026, 1, 15), num(12)}, date(2027, 1, 15)},
		{"add_months", []value.Value{date(2026, 1, 15), num(-13)}, date(2024, 12, 15)},
		{"add_months", []value.Value{at(ams, 2026, 1, 31, 9, 15), num(2)}, at(ams, 2026, 3, 31, 9, 15)},
		{"add_months", []value.Value{empty, num(1)}, empty},
	})
}

// TestDatesUTC checks that a Context without a zone means UTC.
func TestDatesUTC(t *testing.T) {
	late := value.Time(time.Date(2026, 1, 5, 23, 30, 0, 0, time.UTC))
	runCalls(t, &stdlib.Context{}, []callTest{
		{"date", []value.Value{late}, date(2026, 1, 5)},
		{"hour", []value.Value{late}, num(23)},
		{"format_date", []value.Value{late, str("HH:mm Z")}, str("23:30 +00:00")},
		{"parse_date", []value.Value{str("2026-01-05 23:30")}, late},
	})
}

func TestPure(t *testing.T) {
	zoned := map[string]bool{"date": true, "start_of_day": true, "day_of_week": true, "hour": true, "date_diff": true,
		"format_date": true, "parse_date": true, "add_days": true, "add_months": true, "secret": true}
	for _, name := range stdlib.Names() {
		if got := stdlib.Lookup(name).Pure; got == zoned[name] {
			t.Errorf("%s: Pure = %v, want %v", name, got, !zoned[name])
		}
	}
}
