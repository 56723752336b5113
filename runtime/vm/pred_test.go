package vm

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// predSources are conditions whose predicates are checked against the
// stack machine. Between them they take every fused test, both operand
// orders, and leaves the lowering must leave to the stack machine.
var predSources = []string{
	classicSrc,
	`country == "RU"`, `country != "RU"`, `"RU" == country`, `"RU" != country`, `country == ""`,
	`value > 60 and value <= 150`, `100 <= value`, `100 > value or adults < 2`, `value == 100`, `1 == adults`,
	`value >= 100`, `150 >= value`, `value < 100`,
	`value > 60 or empty`, `email is empty`, `email is known`,
	`country in ["NL", "DE"]`, `country not in ["NL", "DE"]`, `value in [100, 150]`, `value not in [100, 150]`,
	`"vip" in tags`, `"vip" not in tags`, `tags contains "vip"`, `email contains "acme"`, `"acme" in email`,
	`email in "ann@acme.com bob"`, `email not in "ann@acme.com bob"`, `"ann@acme.com" contains email`,
	`email starts_with "ann"`, `email ends_with "@acme.com"`, `email starts_with ""`, `"ann@acme.com" starts_with email`,
	`"x" ends_with email`, `email == "Bob@Example.org"`, `email == "a-rather-long-address@example.org"`,
	`email == "eve@acme.com.evil"`, `email != "eve@acme.com.evil"`, `departs != 2026-01-03T23:30:00Z`,
	`email matches "^[a-z]+@acme\\.com$"`,
	`departs < now - 1d`, `departs >= now`, `now > departs`, `now + 1d <= departs`, `now - 2d < departs`,
	`departs <= now + 30d and departs >= now`, `departs == now`, `departs != now`,
	`departs < 2026-01-01T00:00:00Z`, `2026-01-01T00:00:00Z > departs`, `departs == 2026-01-03T23:30:00Z`,
	`booked < 2026-01-01`, `booked >= 2025-12-30T12:00:00Z`, `booked <= 2025-12-30T00:00:00Z`, `departs > 2026-01-05`,
	`booked + 7d >= today`, `value / adults > 40`, `lower(email) ends_with "example.org"`,
	`not (country == "RU")`, `not (value > 1 and adults > 1)`, `not (country == "RU" or not (value > 60))`,
	`plan == "pro"`, `plan is known and plan == "pro"`, `plan != "pro"`,
	`origin < "M"`, `"M" <= origin`, `origin > "AMS" and origin <= "MOW"`,
	`(origin == "MOW" or country == "RU") and not (value >= 100 or adults == 1) or email is empty`,
	`(value > 1 or adults > 1) and (country == "RU" or (email is known and not (plan == "pro")))`,
}

// predRecords are the records the predicates run on: the source tests'
// records, and some with values no declared type produces, as a decoded
// program or a bug elsewhere might hand the VM.
func predRecords(t *bytecode.ObjectType) [][]value.Value {
	var out [][]value.Value
	for _, r := range recs {
		out = append(out, r.props(t))
	}
	odd := recs[0].props(t)
	odd[sValue] = value.Num(math.NaN())
	odd[sDeparts] = value.Value{K: value.DateTime, N: math.NaN()}
	odd[sBooked] = value.Value{K: value.Date, N: math.NaN()}
	odd[sCountry] = value.Num(7)
	odd[sOrigin] = value.Value{K: value.Bool, N: 2}
	out = append(out, odd)
	mixed := recs[1].props(t)
	mixed[sDeparts] = date(2025, 12, 30)
	mixed[sBooked] = value.Time(now)
	mixed[sAdults] = value.Str("1")
	mixed[sEmail] = value.ListOf([]string{"acme", "x"})
	out = append(out, mixed)
	out = append(out, recs[0].props(t)[:2], nil)
	return out
}

// checkAgainstStack evaluates expression x with the VM's predicate and
// with the stack machine on env, and reports any difference.
func checkAgainstStack(t *testing.T, m *VM, x int, env *Env, what string) {
	t.Helper()
	e := &m.prog.Exprs[x]
	want := m.run(e.Start, e.End, env)
	if diff := cmp.Diff(want, m.Eval(x, env)); diff != "" {
		t.Errorf("%s: Eval differs from the stack machine (-stack +Eval):\n%s", what, diff)
	}
	if got := m.Test(x, env); got != want.Truthy() {
		t.Errorf("%s: Test = %v, the stack machine %v", what, got, want)
	}
}

// TestPredicatesMatchStackMachine checks every predicate source on every
// record, with and without a time, against the stack machine, and that
// each became a predicate.
func TestPredicatesMatchStackMachine(t *testing.T) {
	for _, src := range predSources {
		t.Run(src, func(t *testing.T) {
			p, x := compileCase(t, srcCase{src: src})
			m, err := New(p)
			if err != nil {
				t.Fatal(err)
			}
			if m.preds[x] == nil {
				t.Errorf("not lowered to a predicate")
			}
			for i, props := range predRecords(p.Types[p.Workflows[0].Object]) {
				for _, at := range []time.Time{now, {}} {
					checkAgainstStack(t, m, x, &Env{Props: props, Now: at}, "record "+string(rune('0'+i))+" at "+at.String())
				}
			}
		})
	}
}

// TestPredicateShapes checks what the lowering makes of some expressions:
// how many tests, and how many of them run on the stack machine.
func TestPredicateShapes(t *testing.T) {
	for _, tc := range []struct {
		src         string
		tests, eval int
	}{
		{classicSrc, 4, 0},
		{`country in ["NL", "DE"] and email ends_with "@acme.com"`, 2, 0},
		{`departs <= now + 30d and departs >= now and booked < 2026-01-01`, 3, 0},
		{`not (value > 1 and adults > 1) or email is empty`, 3, 0},
		{`value / adults > 40 and country == "RU"`, 2, 1},
		{`departs == now`, 1, 1},
	} {
		p, x := compileCase(t, srcCase{src: tc.src})
		m, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		ts := m.preds[x]
		eval := 0
		for _, tst := range ts {
			if tst.op == tEval {
				eval++
			}
		}
		if len(ts) != tc.tests || eval != tc.eval {
			t.Errorf("%s: %d tests, %d on the stack machine; want %d, %d", tc.src, len(ts), eval, tc.tests, tc.eval)
		}
	}
}

// TestPredicateLowering checks hand-assembled code: shapes the compiler
// does not emit today must either lower correctly or stay on the stack
// machine, and reads of events and associated records.
func TestPredicateLowering(t *testing.T) {
	odd := value.Value{K: value.Bool, N: 2}
	envs := []*Env{
		{Props: record(sOrigin, value.Str("MOW"), sValue, value.True, sCountry, dNL)},
		{Props: record(sOrigin, value.Str("LED"), sValue, odd, sCountry, value.Str("RU"))},
		{Props: record(sOrigin, value.Str("LED"), sValue, value.False), Event: []value.Value{none, value.Num(3)},
			Resolver: &fakeResolver{assoc: map[int]value.Value{0: dNL, 1: value.Num(51)}}},
		{Props: record(sValue, value.Num(1)), Event: []value.Value{none, value.Num(4)}, Resolver: &fakeResolver{}},
		{},
	}
	for _, tc := range []struct {
		name  string
		code  func(a *asm) int
		lower bool
	}{
		{"and threaded to the end", func(a *asm) int {
			// (origin == "MOW" and country == "NL") and value, with the
			// first ANDJ jumping straight to the end.
			return a.expr(prop(sOrigin), a.c(value.Str("MOW")), op(bytecode.EQSTR), jump(bytecode.ANDJ, 9),
				prop(sCountry), a.c(dNL), op(bytecode.EQSTR), jump(bytecode.ANDJ, 9),
				prop(sValue), op(bytecode.TOBOOL))
		}, true},
		{"raw read left of and", func(a *asm) int {
			return a.expr(prop(sValue), jump(bytecode.ANDJ, 5), prop(sCountry), a.c(dNL), op(bytecode.EQSTR))
		}, true},
		{"raw read left of or", func(a *asm) int {
			return a.expr(prop(sValue), jump(bytecode.ORJ, 5), prop(sCountry), a.c(dNL), op(bytecode.EQSTR))
		}, false},
		{"raw read alone", func(a *asm) int { return a.expr(prop(sValue)) }, false},
		{"not of a raw read", func(a *asm) int { return a.expr(prop(sValue), op(bytecode.NOT)) }, true},
		{"tobool of a raw read", func(a *asm) int { return a.expr(prop(sValue), op(bytecode.TOBOOL)) }, true},
		{"constant left of or", func(a *asm) int {
			return a.expr(a.c(value.False), jump(bytecode.ORJ, 5), prop(sCountry), a.c(dNL), op(bytecode.EQSTR))
		}, false},
		{"if-else", func(a *asm) int { return ifElse(a, prop(sValue)) }, false},
		{"event", func(a *asm) int {
			return a.expr(opArg(bytecode.EVENT, 1), a.c(value.Num(3)), op(bytecode.EQNUM))
		}, true},
		{"event beyond the event", func(a *asm) int {
			return a.expr(opArg(bytecode.EVENT, 5), op(bytecode.ISEMPTY))
		}, true},
		{"assoc", func(a *asm) int {
			a.p.Paths = []bytecode.AssocPath{{}, {}}
			return a.expr(opArg(bytecode.ASSOC, 0), a.c(dNL), op(bytecode.EQSTR), jump(bytecode.ANDJ, 7),
				a.c(value.Num(50)), opArg(bytecode.ASSOC, 1), op(bytecode.LTNUM))
		}, true},
		{"number compared with a string constant", func(a *asm) int {
			return a.expr(prop(sValue), a.c(dNL), op(bytecode.EQNUM))
		}, true},
		{"now minus a number", func(a *asm) int {
			return a.expr(prop(sDeparts), op(bytecode.NOW), a.c(value.Num(1)), op(bytecode.SUB), op(bytecode.LT))
		}, true},
		{"list of mixed kinds", func(a *asm) int {
			return a.expr(prop(sValue), opArg(bytecode.NOTINLIST, a.list(value.Num(1), dNL)))
		}, true},
		{"negated read", func(a *asm) int { return a.expr(prop(sValue), op(bytecode.NEG)) }, false},
		{"string compared with a number constant", func(a *asm) int {
			return a.expr(prop(sOrigin), a.c(value.Num(1)), op(bytecode.EQSTR))
		}, true},
		{"two reads", func(a *asm) int {
			return a.expr(prop(sOrigin), prop(sCountry), op(bytecode.EQSTR))
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAsm()
			x := tc.code(a)
			m, err := New(a.p)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.preds[x] != nil; got != tc.lower {
				t.Errorf("lowered to a predicate: %v, want %v", got, tc.lower)
			}
			for i, env := range envs {
				for _, at := range []time.Time{now, {}} {
					env.Now = at
					checkAgainstStack(t, m, x, env, "env "+string(rune('0'+i)))
				}
			}
		})
	}
}

// TestPredicateZeroAllocs checks that predicates of every common test
// evaluate without allocating.
func TestPredicateZeroAllocs(t *testing.T) {
	for _, src := range predSources {
		p, x := compileCase(t, srcCase{src: src})
		m, err := New(p)
		if err != nil {
			t.Fatal(err)
		}
		if src == `lower(email) ends_with "example.org"` {
			continue // lower builds a string
		}
		for _, props := range predRecords(p.Types[p.Workflows[0].Object]) {
			env := &Env{Props: props, Now: now}
			if n := testing.AllocsPerRun(20, func() { m.Eval(x, env) }); n != 0 {
				t.Errorf("%s: %v allocations per evaluation, want 0", src, n)
			}
		}
	}
}

// TestPredicateRejects checks that the lowering refuses code that does not
// compute one value per part, which Validate keeps from the VM but the
// lowering does not rely on.
func TestPredicateRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		code []bytecode.Instr
	}{
		{"nothing left of and", []bytecode.Instr{jump(bytecode.ANDJ, 3), prop(sValue), op(bytecode.TOBOOL)}},
		{"a part that takes more than it pushed", []bytecode.Instr{op(bytecode.EQ), jump(bytecode.ANDJ, 3), prop(sValue), op(bytecode.NOT)}},
		{"a jump out of a part", []bytecode.Instr{prop(sValue), jump(bytecode.ORJ, 9), prop(sAdults), op(bytecode.EQ)}},
		{"a jump backwards", []bytecode.Instr{prop(sValue), prop(sAdults), jump(bytecode.ORJ, 0), op(bytecode.EQ)}},
		{"an unconditional jump", []bytecode.Instr{prop(sValue), jump(bytecode.JMP, 2), op(bytecode.NOT)}},
	} {
		p := &bytecode.Program{Code: tc.code, Exprs: []bytecode.Expr{{Start: 0, End: len(tc.code)}}}
		l := lowerer{p: p}
		if ts := l.predicate(0); ts != nil {
			t.Errorf("%s: lowered to %d tests, want no predicate", tc.name, len(ts))
		}
	}
}
