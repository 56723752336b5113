package vm

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// schema is the object type the source-driven tests compile against.
const schema = `
object flight {
  origin: string
  country: string
  value: number
  adults: number
  departs: datetime
  booked: date
  tags: set("beta", "vip")
  email: string
  plan: enum("free", "pro")
  note: string
}
`

// rec is a flight as plain Go values, from which both the record's
// properties and the expected results are computed. Properties named in
// unset are empty.
type rec struct {
	Origin, Country string
	Value, Adults   float64
	Departs         time.Time
	Booked          time.Time // a date: midnight UTC
	Tags            []string
	Email, Plan     string
	unset           []string
}

// known reports whether property name has a value.
func (r rec) known(name string) bool { return !slices.Contains(r.unset, name) }

// props returns the record's properties in the slots of type t.
func (r rec) props(t *bytecode.ObjectType) []value.Value {
	vals := map[string]value.Value{
		"origin": value.Str(r.Origin), "country": value.Str(r.Country),
		"value": value.Num(r.Value), "adults": value.Num(r.Adults),
		"departs": value.Time(r.Departs), "booked": value.DateOf(r.Booked),
		"tags": value.SetOf(r.Tags), "email": value.Str(r.Email), "plan": value.Str(r.Plan),
	}
	props := make([]value.Value, len(t.Props))
	for i, p := range t.Props {
		if r.known(p.Name) {
			props[i] = vals[p.Name]
		}
	}
	return props
}

func day0(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// recs are the records every source case runs on.
var recs = []rec{
	{Origin: "MOW", Country: "RU", Value: 150, Adults: 2, Departs: now.Add(-48 * time.Hour), Booked: day0(2025, 12, 1),
		Tags: []string{"vip"}, Email: "ann@acme.com", Plan: "pro"},
	{Origin: "LED", Country: "FI", Value: 50, Adults: 1, Departs: now.Add(2 * time.Hour), Booked: day0(2026, 1, 5),
		Tags: []string{"beta", "vip"}, Email: "Bob@Example.org", Plan: "free"},
	{Origin: "AMS", Country: "NL", Value: 100, Adults: 0, Departs: now.Add(30 * 24 * time.Hour), Booked: day0(2025, 12, 30),
		Tags: nil, Email: "eve@acme.com.evil", Plan: "free"},
	{Origin: "BER", Country: "DE", Value: -7.5, Adults: 3, Departs: now, Booked: day0(2026, 1, 6),
		Tags: []string{"beta"}, Email: "x", unset: []string{"plan", "tags"}},
	{Origin: "BER", unset: []string{"country", "value", "adults", "departs", "booked", "tags", "email", "plan"}},
}

// srcCase is an expression in source and its expected value on a record,
// computed in Go. set names the property a `set` step assigns the
// expression to, for expressions that are not conditions; otherwise the
// expression is an `enroll when` filter. want returns a bool, float64,
// string, time.Duration, value.Value, or nil for empty.
type srcCase struct {
	src  string
	set  string
	want func(r rec) any
}

// ms is the Unix-millisecond instant of t, as datetimes hold it.
func ms(t time.Time) int64 { return t.UnixMilli() }

var srcCases = []srcCase{
	{src: classicSrc, want: func(r rec) any {
		return (r.Origin == "MOW" || r.known("country") && r.Country == "RU") &&
			(r.known("value") && r.Value >= 100 || r.known("adults") && r.Adults == 1)
	}},
	{src: `country in ["NL", "DE"]`, want: func(r rec) any { return r.known("country") && (r.Country == "NL" || r.Country == "DE") }},
	{src: `country not in ["NL", "DE"]`, want: func(r rec) any { return r.known("country") && r.Country != "NL" && r.Country != "DE" }},
	{src: `country != "RU"`, want: func(r rec) any { return r.known("country") && r.Country != "RU" }},
	{src: `not (country == "RU")`, want: func(r rec) any { return !(r.known("country") && r.Country == "RU") }},
	{src: `value > 60 and value <= 150`, want: func(r rec) any { return r.known("value") && r.Value > 60 && r.Value <= 150 }},
	{src: `value < 100 or adults >= 3`, want: func(r rec) any { return r.known("value") && r.Value < 100 || r.known("adults") && r.Adults >= 3 }},
	{src: `value > 60 or empty`, want: func(r rec) any { return r.known("value") && r.Value > 60 || !r.known("value") }},
	{src: `"vip" in tags`, want: func(r rec) any { return r.known("tags") && slices.Contains(r.Tags, "vip") }},
	{src: `"vip" not in tags`, want: func(r rec) any { return r.known("tags") && !slices.Contains(r.Tags, "vip") }},
	{src: `tags contains "vip"`, want: func(r rec) any { return r.known("tags") && slices.Contains(r.Tags, "vip") }},
	{src: `email ends_with "@acme.com"`, want: func(r rec) any { return r.known("email") && strings.HasSuffix(r.Email, "@acme.com") }},
	{src: `email starts_with "ann"`, want: func(r rec) any { return r.known("email") && strings.HasPrefix(r.Email, "ann") }},
	{src: `email contains "acme"`, want: func(r rec) any { return r.known("email") && strings.Contains(r.Email, "acme") }},
	{src: `email matches "^[a-z]+@acme\\.com$"`, want: func(r rec) any {
		local, ok := strings.CutSuffix(r.Email, "@acme.com")
		return r.known("email") && ok && local != "" && strings.Trim(local, "abcdefghijklmnopqrstuvwxyz") == ""
	}},
	{src: `lower(email) ends_with "example.org"`, want: func(r rec) any { return r.known("email") && strings.HasSuffix(strings.ToLower(r.Email), "example.org") }},
	{src: `email is empty`, want: func(r rec) any { return !r.known("email") }},
	{src: `plan is known and plan == "pro"`, want: func(r rec) any { return r.known("plan") && r.Plan == "pro" }},
	{src: `departs < now - 1d`, want: func(r rec) any { return r.known("departs") && r.Departs.Before(now.Add(-24*time.Hour)) }},
	{src: `departs - now > 1d`, want: func(r rec) any { return r.known("departs") && r.Departs.Sub(now) > 24*time.Hour }},
	{src: `booked + 7d >= today`, want: func(r rec) any {
		return r.known("booked") && !r.Booked.AddDate(0, 0, 7).Before(day0(now.Date()))
	}},
	{src: `value / adults > 40`, want: func(r rec) any {
		return r.known("value") && r.known("adults") && r.Adults != 0 && r.Value/r.Adults > 40
	}},
	{set: "value", src: `value * 2 + adults`, want: func(r rec) any {
		if !r.known("value") || !r.known("adults") {
			return nil
		}
		return r.Value*2 + r.Adults
	}},
	{set: "value", src: `value % 7`, want: func(r rec) any {
		if !r.known("value") {
			return nil
		}
		return math.Mod(r.Value, 7)
	}},
	{set: "value", src: `-value / (adults - 1)`, want: func(r rec) any {
		if !r.known("value") || !r.known("adults") || r.Adults == 1 {
			return nil
		}
		return -r.Value / (r.Adults - 1)
	}},
	{set: "note", src: `"{{origin}}-{{country}} x{{adults}}"`, want: func(r rec) any {
		s := func(name, v string) string {
			if r.known(name) {
				return v
			}
			return ""
		}
		return r.Origin + "-" + s("country", r.Country) + " x" + s("adults", fmt.Sprint(r.Adults))
	}},
	{set: "departs", src: `departs + 90m`, want: func(r rec) any {
		if !r.known("departs") {
			return nil
		}
		return value.Time(r.Departs.Add(90 * time.Minute))
	}},
	{set: "booked", src: `booked - 1w`, want: func(r rec) any {
		if !r.known("booked") {
			return nil
		}
		return value.DateOf(r.Booked.AddDate(0, 0, -7))
	}},
}

// compileCase compiles a source case and returns the program and the index
// of the case's expression.
func compileCase(t testing.TB, c srcCase) (*bytecode.Program, int) {
	t.Helper()
	src := schema + "workflow w {\n  on flight\n  enroll when " + c.src + "\n}\n"
	if c.set != "" {
		src = schema + "workflow w {\n  on flight\n  enroll when origin is known\n  set " + c.set + " = " + c.src + "\n}\n"
	}
	p, diags := compiler.CompileSource("case.wf", src)
	if p == nil {
		t.Fatalf("compiling %s:\n%v", c.src, diags)
	}
	w := p.Workflows[0]
	if c.set != "" {
		return p, w.Steps[0].Expr
	}
	return p, w.Triggers[0].Expr
}

// toValue converts a Go expectation to a value.
func toValue(t *testing.T, x any) value.Value {
	switch x := x.(type) {
	case nil:
		return value.Value{}
	case bool:
		return value.BoolOf(x)
	case float64:
		return value.Num(x)
	case string:
		return value.Str(x)
	case time.Duration:
		return value.Dur(x)
	case value.Value:
		return x
	}
	t.Fatalf("expectation of type %T", x)
	return value.Value{}
}

// TestSource evaluates expressions compiled from source on each record and
// compares the results with Go's.
func TestSource(t *testing.T) {
	for _, c := range srcCases {
		t.Run(c.src, func(t *testing.T) {
			p, x := compileCase(t, c)
			m, err := New(p)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			for i, r := range recs {
				env := &Env{Props: r.props(p.Types[p.Workflows[0].Object]), Now: now}
				want := toValue(t, c.want(r))
				if diff := cmp.Diff(want, m.Eval(x, env)); diff != "" {
					t.Errorf("record %d: (-want +got):\n%s", i, diff)
				}
			}
		})
	}
}

// TestSourceClassicZeroAllocs checks the compiled classic predicate, as the
// benchmark runs it, for allocations.
func TestSourceClassicZeroAllocs(t *testing.T) {
	p, x := compileCase(t, srcCases[0])
	m, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{Props: recs[0].props(p.Types[p.Workflows[0].Object]), Now: now}
	if n := testing.AllocsPerRun(100, func() { m.Eval(x, env) }); n != 0 {
		t.Errorf("%v allocations per evaluation, want 0", n)
	}
}
