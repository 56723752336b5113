package vm

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// fakeResolver answers ASSOC, OUTPUT and REF reads from maps and counts them.
type fakeResolver struct {
	assoc, output, ref map[int]value.Value
	reads              int
}

func (r *fakeResolver) Assoc(p int) value.Value  { r.reads++; return r.assoc[p] }
func (r *fakeResolver) Output(o int) value.Value { r.reads++; return r.output[o] }
func (r *fakeResolver) Ref(i int) value.Value    { r.reads++; return r.ref[i] }

var (
	now  = time.Date(2026, 1, 5, 23, 30, 0, 0, time.UTC) // a Monday; already Tuesday in Amsterdam
	ams  = mustLoad("Europe/Amsterdam")
	day  = 24 * time.Hour
	dNL  = value.Str("NL")
	none = value.Value{}
)

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// date returns the date value of y-m-d.
func date(y int, m time.Month, d int) value.Value {
	return value.DateOf(time.Date(y, m, d, 0, 0, 0, 0, time.UTC))
}

// record returns flight properties with the given slots set.
func record(kv ...any) []value.Value {
	props := make([]value.Value, numSlots)
	for i := 0; i < len(kv); i += 2 {
		props[kv[i].(int)] = kv[i+1].(value.Value)
	}
	return props
}

type opCase struct {
	name  string
	code  func(a *asm) int // assembles the expression, returns its index
	props []value.Value
	env   func(e *Env)
	want  value.Value
}

// f64 makes Go compute in float64 rather than with exact constants.
func f64(x float64) float64 { return x }

// bin assembles x op y over two constants.
func bin(x value.Value, o bytecode.Op, y value.Value) func(a *asm) int {
	return func(a *asm) int { return a.expr(a.c(x), a.c(y), op(o)) }
}

// un assembles op over one constant.
func un(x value.Value, o bytecode.Op) func(a *asm) int {
	return func(a *asm) int { return a.expr(a.c(x), op(o)) }
}

func opCases() []opCase {
	dep := value.Time(now)
	return []opCase{
		// Reads.
		{name: "PROP", code: func(a *asm) int { return a.expr(prop(sOrigin)) }, props: record(sOrigin, value.Str("MOW")), want: value.Str("MOW")},
		{name: "PROP beyond the record", code: func(a *asm) int { return a.expr(prop(sEmail)) }, props: record()[:2], want: none},
		{name: "EVENT", code: func(a *asm) int { return a.expr(opArg(bytecode.EVENT, 1)) }, env: func(e *Env) { e.Event = []value.Value{none, value.Num(3)} }, want: value.Num(3)},
		{name: "EVENT without event", code: func(a *asm) int { return a.expr(opArg(bytecode.EVENT, 1)) }, want: none},
		{name: "ASSOC", code: func(a *asm) int {
			a.p.Paths = []bytecode.AssocPath{{}, {}}
			return a.expr(opArg(bytecode.ASSOC, 1))
		}, env: func(e *Env) { e.Resolver = &fakeResolver{assoc: map[int]value.Value{1: dNL}} }, want: dNL},
		{name: "OUTPUT", code: func(a *asm) int {
			a.p.Outputs = []bytecode.OutputPath{{Name: "hook"}}
			return a.expr(opArg(bytecode.OUTPUT, 0))
		}, env: func(e *Env) { e.Resolver = &fakeResolver{output: map[int]value.Value{0: value.Num(200)}} }, want: value.Num(200)},
		{name: "REF", code: func(a *asm) int {
			a.p.Refs = []bytecode.RecordRef{{Record: "c1"}}
			return a.expr(opArg(bytecode.REF, 0))
		}, env: func(e *Env) { e.Resolver = &fakeResolver{ref: map[int]value.Value{0: value.True}} }, want: value.True},
		{name: "ASSOC without resolver", code: func(a *asm) int {
			a.p.Paths = []bytecode.AssocPath{{}}
			return a.expr(opArg(bytecode.ASSOC, 0))
		}, env: func(e *Env) { e.Resolver = nil }, want: none},
		{name: "NOW", code: func(a *asm) int { return a.expr(op(bytecode.NOW)) }, want: value.Time(now)},
		{name: "NOW unset", code: func(a *asm) int { return a.expr(op(bytecode.NOW)) }, env: func(e *Env) { e.Now = time.Time{} }, want: none},
		{name: "TODAY in UTC", code: func(a *asm) int { return a.expr(op(bytecode.TODAY)) }, want: date(2026, 1, 5)},
		{name: "TODAY in the workflow's zone", code: func(a *asm) int { return a.expr(op(bytecode.TODAY)) }, env: func(e *Env) { e.Loc = ams }, want: date(2026, 1, 6)},

		// Control.
		{name: "NOP POP", code: func(a *asm) int {
			return a.expr(op(bytecode.NOP), a.c(value.Num(1)), a.c(value.Num(2)), op(bytecode.POP))
		}, want: value.Num(1)},
		{name: "JMP", code: func(a *asm) int {
			return a.expr(jump(bytecode.JMP, 2), a.c(value.Num(1)), a.c(value.Num(2)))
		}, want: value.Num(2)},
		{name: "JMPF taken on empty", code: func(a *asm) int { return ifElse(a, prop(sValue)) }, want: value.Str("else")},
		{name: "JMPF not taken on true", code: func(a *asm) int { return ifElse(a, a.c(value.True)) }, want: value.Str("then")},
		{name: "ANDJ false short-circuits", code: func(a *asm) int { return andOr(a, bytecode.ANDJ, value.False) }, want: value.False},
		{name: "ANDJ empty is false", code: func(a *asm) int { return andOr(a, bytecode.ANDJ, none) }, want: value.False},
		{name: "ANDJ number is false", code: func(a *asm) int { return andOr(a, bytecode.ANDJ, value.Num(1)) }, want: value.False},
		{name: "ANDJ true gives the right side", code: func(a *asm) int { return andOr(a, bytecode.ANDJ, value.True) }, want: dNL},
		{name: "ORJ true short-circuits", code: func(a *asm) int { return andOr(a, bytecode.ORJ, value.True) }, want: value.True},
		{name: "ORJ false gives the right side", code: func(a *asm) int { return andOr(a, bytecode.ORJ, value.False) }, want: dNL},
		{name: "ORJ empty gives the right side", code: func(a *asm) int { return andOr(a, bytecode.ORJ, none) }, want: dNL},
		{name: "TOBOOL true", code: un(value.True, bytecode.TOBOOL), want: value.True},
		{name: "TOBOOL number", code: un(value.Num(1), bytecode.TOBOOL), want: value.False},
		{name: "TOBOOL empty", code: un(none, bytecode.TOBOOL), want: value.False},

		// Unary.
		{name: "NOT true", code: un(value.True, bytecode.NOT), want: value.False},
		{name: "NOT empty", code: un(none, bytecode.NOT), want: value.True},
		{name: "NOT string", code: un(dNL, bytecode.NOT), want: value.True},
		{name: "NEG number", code: un(value.Num(2.5), bytecode.NEG), want: value.Num(-2.5)},
		{name: "NEG duration", code: un(value.Dur(time.Hour), bytecode.NEG), want: value.Dur(-time.Hour)},
		{name: "NEG string", code: un(dNL, bytecode.NEG), want: none},
		{name: "NEG empty", code: un(none, bytecode.NEG), want: none},

		// Generic comparisons.
		{name: "EQ strings", code: bin(dNL, bytecode.EQ, value.Str("NL")), want: value.True},
		{name: "EQ empty empty", code: bin(none, bytecode.EQ, none), want: value.False},
		{name: "EQ number string", code: bin(value.Num(1), bytecode.EQ, value.Str("1")), want: value.False},
		{name: "EQ date datetime at midnight", code: bin(date(2026, 1, 5), bytecode.EQ, value.Time(time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC))), want: value.True},
		{name: "EQ sets", code: bin(value.SetOf([]string{"vip", "beta"}), bytecode.EQ, value.SetOf([]string{"beta", "vip"})), want: value.True},
		{name: "NE strings", code: bin(dNL, bytecode.NE, value.Str("DE")), want: value.True},
		{name: "NE same", code: bin(dNL, bytecode.NE, dNL), want: value.False},
		{name: "NE empty", code: bin(none, bytecode.NE, dNL), want: value.False},
		{name: "NE number string", code: bin(value.Num(1), bytecode.NE, dNL), want: value.False},
		{name: "NE date datetime", code: bin(date(2026, 1, 5), bytecode.NE, dep), want: value.True},
		{name: "LT numbers", code: bin(value.Num(1), bytecode.LT, value.Num(2)), want: value.BoolOf(1 < 2)},
		{name: "LT strings", code: bin(value.Str("b"), bytecode.LT, value.Str("a")), want: value.BoolOf("b" < "a")},
		{name: "LT date datetime", code: bin(date(2026, 1, 5), bytecode.LT, dep), want: value.True},
		{name: "LT empty", code: bin(none, bytecode.LT, value.Num(2)), want: value.False},
		{name: "LT mixed kinds", code: bin(value.Num(1), bytecode.LT, value.Str("2")), want: value.False},
		{name: "LE equal", code: bin(value.Num(2), bytecode.LE, value.Num(2)), want: value.True},
		{name: "GT datetimes", code: bin(dep, bytecode.GT, value.Time(now.Add(-time.Second))), want: value.True},
		{name: "GE empty", code: bin(value.Num(2), bytecode.GE, none), want: value.False},
		{name: "GE NaN", code: bin(value.Num(math.NaN()), bytecode.GE, value.Num(1)), want: value.False},

		// Typed comparisons.
		{name: "EQNUM", code: bin(value.Num(3), bytecode.EQNUM, value.Num(3)), want: value.True},
		{name: "EQNUM string", code: bin(value.Str("3"), bytecode.EQNUM, value.Num(3)), want: value.False},
		{name: "LTNUM", code: bin(value.Num(2), bytecode.LTNUM, value.Num(3)), want: value.BoolOf(2 < 3)},
		{name: "LTNUM empty", code: bin(none, bytecode.LTNUM, value.Num(3)), want: value.False},
		{name: "LENUM", code: bin(value.Num(3), bytecode.LENUM, value.Num(3)), want: value.True},
		{name: "GTNUM", code: bin(value.Num(3), bytecode.GTNUM, value.Num(3)), want: value.False},
		{name: "GENUM", code: bin(value.Num(3), bytecode.GENUM, value.Num(3)), want: value.True},
		{name: "GENUM empty", code: bin(value.Num(3), bytecode.GENUM, none), want: value.False},
		{name: "EQSTR", code: bin(dNL, bytecode.EQSTR, dNL), want: value.True},
		{name: "EQSTR empty", code: bin(none, bytecode.EQSTR, value.Str("")), want: value.False},
		{name: "NESTR", code: bin(dNL, bytecode.NESTR, value.Str("DE")), want: value.True},
		{name: "NESTR empty", code: bin(none, bytecode.NESTR, value.Str("DE")), want: value.False},

		// Membership.
		{name: "INLIST member", code: listOp(bytecode.INLIST, dNL), want: value.True},
		{name: "INLIST other", code: listOp(bytecode.INLIST, value.Str("FR")), want: value.False},
		{name: "INLIST empty", code: listOp(bytecode.INLIST, none), want: value.False},
		{name: "NOTINLIST other", code: listOp(bytecode.NOTINLIST, value.Str("FR")), want: value.True},
		{name: "NOTINLIST member", code: listOp(bytecode.NOTINLIST, dNL), want: value.False},
		{name: "NOTINLIST empty", code: listOp(bytecode.NOTINLIST, none), want: value.False},
		{name: "IN list", code: bin(value.Str("vip"), bytecode.IN, value.SetOf([]string{"beta", "vip"})), want: value.True},
		{name: "IN list other", code: bin(value.Str("vi"), bytecode.IN, value.SetOf([]string{"beta", "vip"})), want: value.False},
		{name: "IN string", code: bin(value.Str("acme"), bytecode.IN, value.Str("a@acme.com")), want: value.BoolOf(strings.Contains("a@acme.com", "acme"))},
		{name: "IN empty list", code: bin(value.Str("vip"), bytecode.IN, none), want: value.False},
		{name: "NOTIN list", code: bin(value.Str("x"), bytecode.NOTIN, value.SetOf([]string{"beta", "vip"})), want: value.True},
		{name: "NOTIN member", code: bin(value.Str("vip"), bytecode.NOTIN, value.SetOf([]string{"beta", "vip"})), want: value.False},
		{name: "NOTIN empty", code: bin(value.Str("vip"), bytecode.NOTIN, none), want: value.False},
		{name: "CONTAINS list", code: bin(value.SetOf([]string{"beta", "vip"}), bytecode.CONTAINS, value.Str("beta")), want: value.True},
		{name: "CONTAINS string", code: bin(value.Str("a@acme.com"), bytecode.CONTAINS, value.Str("@")), want: value.True},
		{name: "CONTAINS number", code: bin(value.Num(12), bytecode.CONTAINS, value.Str("1")), want: value.False},
		{name: "CONTAINS empty", code: bin(none, bytecode.CONTAINS, value.Str("")), want: value.False},
		{name: "STARTS", code: bin(value.Str("MOW-LED"), bytecode.STARTS, value.Str("MOW")), want: value.BoolOf(strings.HasPrefix("MOW-LED", "MOW"))},
		{name: "STARTS empty", code: bin(none, bytecode.STARTS, value.Str("")), want: value.False},
		{name: "ENDS", code: bin(value.Str("a@acme.com"), bytecode.ENDS, value.Str("@acme.com")), want: value.True},
		{name: "ENDS no", code: bin(value.Str("a@acme.org"), bytecode.ENDS, value.Str("@acme.com")), want: value.False},
		{name: "MATCHES", code: matches(value.Str("ann@acme.com")), want: value.True},
		{name: "MATCHES no", code: matches(value.Str("Ann@acme.com")), want: value.False},
		{name: "MATCHES empty", code: matches(none), want: value.False},
		{name: "ISEMPTY empty", code: un(none, bytecode.ISEMPTY), want: value.True},
		{name: "ISEMPTY string", code: un(value.Str(""), bytecode.ISEMPTY), want: value.False},
		{name: "ISKNOWN", code: un(value.False, bytecode.ISKNOWN), want: value.True},
		{name: "ISKNOWN empty", code: un(none, bytecode.ISKNOWN), want: value.False},

		// Arithmetic.
		{name: "ADD numbers", code: bin(value.Num(0.1), bytecode.ADD, value.Num(0.2)), want: value.Num(f64(0.1) + f64(0.2))},
		{name: "ADD datetime duration", code: bin(dep, bytecode.ADD, value.Dur(90*time.Minute)), want: value.Time(now.Add(90 * time.Minute))},
		{name: "ADD duration datetime", code: bin(value.Dur(day), bytecode.ADD, dep), want: value.Time(now.Add(day))},
		{name: "ADD date days", code: bin(date(2026, 1, 5), bytecode.ADD, value.Dur(7*day)), want: date(2026, 1, 12)},
		{name: "ADD date hours stays on the day", code: bin(date(2026, 1, 5), bytecode.ADD, value.Dur(23*time.Hour)), want: date(2026, 1, 5)},
		{name: "ADD durations", code: bin(value.Dur(time.Hour), bytecode.ADD, value.Dur(time.Minute)), want: value.Dur(time.Hour + time.Minute)},
		{name: "ADD number string", code: bin(value.Num(1), bytecode.ADD, value.Str("1")), want: none},
		{name: "ADD empty", code: bin(none, bytecode.ADD, value.Num(1)), want: none},
		{name: "SUB numbers", code: bin(value.Num(10), bytecode.SUB, value.Num(2.5)), want: value.Num(10 - 2.5)},
		{name: "SUB date days", code: bin(date(2026, 3, 1), bytecode.SUB, value.Dur(7*day)), want: date(2026, 2, 22)},
		{name: "SUB date an hour is the day before", code: bin(date(2026, 1, 5), bytecode.SUB, value.Dur(time.Hour)), want: date(2026, 1, 4)},
		{name: "SUB datetime duration", code: bin(dep, bytecode.SUB, value.Dur(time.Hour)), want: value.Time(now.Add(-time.Hour))},
		{name: "SUB datetimes", code: bin(dep, bytecode.SUB, value.Time(now.Add(-36*time.Hour))), want: value.Dur(36 * time.Hour)},
		{name: "SUB dates", code: bin(date(2026, 1, 5), bytecode.SUB, date(2025, 12, 25)), want: value.Dur(11 * day)},
		{name: "SUB datetime date", code: bin(dep, bytecode.SUB, date(2026, 1, 5)), want: value.Dur(23*time.Hour + 30*time.Minute)},
		{name: "SUB durations", code: bin(value.Dur(time.Hour), bytecode.SUB, value.Dur(time.Minute)), want: value.Dur(59 * time.Minute)},
		{name: "SUB duration datetime", code: bin(value.Dur(time.Hour), bytecode.SUB, dep), want: none},
		{name: "MUL numbers", code: bin(value.Num(1.5), bytecode.MUL, value.Num(4)), want: value.Num(1.5 * 4)},
		{name: "MUL duration number", code: bin(value.Dur(day), bytecode.MUL, value.Num(3)), want: value.Dur(3 * day)},
		{name: "MUL number duration", code: bin(value.Num(0.5), bytecode.MUL, value.Dur(time.Hour)), want: value.Dur(30 * time.Minute)},
		{name: "MUL empty", code: bin(value.Num(0.5), bytecode.MUL, none), want: none},
		{name: "DIV", code: bin(value.Num(7.5), bytecode.DIV, value.Num(2.5)), want: value.Num(7.5 / 2.5)},
		{name: "DIV by zero", code: bin(value.Num(1), bytecode.DIV, value.Num(0)), want: none},
		{name: "DIV string", code: bin(value.Str("1"), bytecode.DIV, value.Num(1)), want: none},
		{name: "MOD", code: bin(value.Num(7), bytecode.MOD, value.Num(3)), want: value.Num(math.Mod(7, 3))},
		{name: "MOD negative", code: bin(value.Num(-7), bytecode.MOD, value.Num(3)), want: value.Num(math.Mod(-7, 3))},
		{name: "MOD zero", code: bin(value.Num(7), bytecode.MOD, value.Num(0)), want: none},

		// Strings and functions.
		{name: "CONCAT", code: func(a *asm) int {
			return a.expr(a.c(value.Str("a")), a.c(value.Num(1.5)), a.c(value.True), a.c(date(2026, 1, 5)), a.c(none),
				a.c(value.SetOf([]string{"vip", "beta"})), opArg(bytecode.CONCAT, 6))
		}, want: value.Str("a1.5true2026-01-05beta, vip")},
		{name: "CONCAT nothing", code: func(a *asm) int { return a.expr(opArg(bytecode.CONCAT, 0)) }, want: value.Str("")},
		{name: "CALL lower", code: func(a *asm) int {
			return a.expr(a.c(value.Str("ÀBC")), call(a.fn("lower"), 1))
		}, want: value.Str(strings.ToLower("ÀBC"))},
		{name: "CALL below other operands", code: func(a *asm) int {
			return a.expr(a.c(value.Str("x")), a.c(value.Str("AB")), call(a.fn("lower"), 1), op(bytecode.POP))
		}, want: value.Str("x")},
	}
}

// ifElse assembles `if cond then "then" else "else"` with JMPF and JMP.
func ifElse(a *asm, cond bytecode.Instr) int {
	return a.expr(cond, jump(bytecode.JMPF, 4), a.c(value.Str("then")), jump(bytecode.JMP, 5), a.c(value.Str("else")))
}

// andOr assembles `left op company.country`, whose right side reads
// through the resolver, so that a test can count whether it ran.
func andOr(a *asm, o bytecode.Op, left value.Value) int {
	a.p.Paths = []bytecode.AssocPath{{}}
	return a.expr(a.c(left), jump(o, 3), opArg(bytecode.ASSOC, 0))
}

func listOp(o bytecode.Op, x value.Value) func(a *asm) int {
	return func(a *asm) int {
		return a.expr(a.c(x), opArg(o, a.list(dNL, value.Str("DE"))))
	}
}

func matches(x value.Value) func(a *asm) int {
	return func(a *asm) int {
		return a.expr(a.c(x), opArg(bytecode.MATCHES, a.re(`^[a-z]+@acme\.com$`)))
	}
}

func TestOpcodes(t *testing.T) {
	for _, tc := range opCases() {
		t.Run(tc.name, func(t *testing.T) {
			a := newAsm()
			x := tc.code(a)
			m, err := New(a.p)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			res := &fakeResolver{assoc: map[int]value.Value{0: dNL}}
			env := &Env{Props: tc.props, Now: now, Resolver: res}
			if tc.env != nil {
				tc.env(env)
			}
			got := m.Eval(x, env)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Eval (-want +got):\n%s", diff)
			}
			if m.Test(x, env) != tc.want.Truthy() {
				t.Errorf("Test = %v, want %v", !tc.want.Truthy(), tc.want.Truthy())
			}
		})
	}
}

// TestShortCircuit checks that and/or do not evaluate their right side
// when the left decides.
func TestShortCircuit(t *testing.T) {
	for _, tc := range []struct {
		op        bytecode.Op
		left      value.Value
		wantReads int
	}{
		{bytecode.ANDJ, value.False, 0}, {bytecode.ANDJ, value.True, 1},
		{bytecode.ORJ, value.True, 0}, {bytecode.ORJ, value.False, 1},
	} {
		a := newAsm()
		x := andOr(a, tc.op, tc.left)
		m, err := New(a.p)
		if err != nil {
			t.Fatal(err)
		}
		res := &fakeResolver{}
		m.Eval(x, &Env{Resolver: res})
		if res.reads != tc.wantReads {
			t.Errorf("%v with left %v: %d reads of the right side, want %d", tc.op, tc.left, res.reads, tc.wantReads)
		}
	}
}

// TestReuse checks that one VM evaluates expressions one after another
// without one evaluation leaking into the next.
func TestReuse(t *testing.T) {
	a := newAsm()
	classic := a.classic()
	sum := a.expr(prop(sValue), prop(sAdults), op(bytecode.ADD))
	m, err := New(a.p)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		v := float64(i)
		env := &Env{Props: record(sOrigin, value.Str("LED"), sCountry, value.Str("RU"), sValue, value.Num(v*10), sAdults, value.Num(2))}
		if got, want := m.Test(classic, env), v*10 >= 100; got != want {
			t.Fatalf("classic with value %v = %v, want %v", v*10, got, want)
		}
		if got, want := m.Eval(sum, env), value.Num(v*10+2); got != want {
			t.Fatalf("value + adults = %v, want %v", got, want)
		}
	}
}

func TestClone(t *testing.T) {
	a := newAsm()
	x := a.expr(prop(sEmail), call(a.fn("lower"), 1), opArg(bytecode.MATCHES, a.re(`^[a-z]+@acme\.com$`)))
	m, err := New(a.p)
	if err != nil {
		t.Fatal(err)
	}
	c := m.Clone()
	env := &Env{Props: record(sEmail, value.Str("ANN@acme.com"))}
	if !m.Test(x, env) || !c.Test(x, env) {
		t.Errorf("lower(email) matches: VM %v, clone %v; want both true", m.Test(x, env), c.Test(x, env))
	}
	if c.Program() != m.Program() {
		t.Errorf("the clone runs another program")
	}
}

func TestNewErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(a *asm)
		want string
	}{
		{"unknown function", func(a *asm) { a.expr(a.c(dNL), call(a.fn("no_such_fn"), 1)) }, `unknown function "no_such_fn"`},
		{"bad regexp", func(a *asm) { a.expr(a.c(dNL), opArg(bytecode.MATCHES, a.re(`(`))) }, "regexp 0"},
		{"invalid code", func(a *asm) { a.expr(op(bytecode.ADD)) }, "needs 2 operands"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newAsm()
			tc.edit(a)
			_, err := New(a.p)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New: err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestZeroAllocs checks that evaluation allocates nothing outside string
// building, for each kind of operation on the hot path.
func TestZeroAllocs(t *testing.T) {
	a := newAsm()
	exprs := map[string]int{
		"classic":       a.classic(),
		"in list":       a.expr(prop(sCountry), opArg(bytecode.INLIST, a.list(dNL, value.Str("DE")))),
		"matches":       a.expr(prop(sEmail), opArg(bytecode.MATCHES, a.re(`^[a-z]+@acme\.com$`))),
		"set has":       a.expr(a.c(value.Str("vip")), prop(sTags), op(bytecode.IN)),
		"date math":     a.expr(prop(sBooked), a.c(value.Dur(7*day)), op(bytecode.ADD), op(bytecode.TODAY), op(bytecode.LT)),
		"datetime math": a.expr(op(bytecode.NOW), prop(sDeparts), op(bytecode.SUB), a.c(value.Dur(day)), op(bytecode.GT)),
		"assoc": func() int {
			a.p.Paths = []bytecode.AssocPath{{}}
			return a.expr(opArg(bytecode.ASSOC, 0), a.c(dNL), op(bytecode.EQ))
		}(),
		"call lower": a.expr(prop(sEmail), call(a.fn("lower"), 1), a.c(value.Str("@acme.com")), op(bytecode.ENDS)),
	}
	m, err := New(a.p)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{
		Props: record(sOrigin, value.Str("MOW"), sCountry, dNL, sValue, value.Num(120), sAdults, value.Num(2),
			sDeparts, value.Time(now.Add(-48*time.Hour)), sBooked, date(2025, 12, 1),
			sTags, value.SetOf([]string{"beta", "vip"}), sEmail, value.Str("ann@acme.com")),
		Now: now, Loc: ams, Resolver: &fakeResolver{assoc: map[int]value.Value{0: dNL}},
	}
	for name, x := range exprs {
		if !m.Test(x, env) {
			t.Errorf("%s: evaluates to %v, want true", name, m.Eval(x, env))
		}
		if n := testing.AllocsPerRun(100, func() { m.Eval(x, env) }); n != 0 {
			t.Errorf("%s: %v allocations per evaluation, want 0", name, n)
		}
	}
}
