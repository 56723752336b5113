// Package vm is wf's expression machine: it evaluates the compiled
// expressions of a bytecode.Program (trigger filters, goals, step values,
// test expectations) against one record, one event and the current time.
//
// It is not the engine: it does not know about enrollments, steps or
// stores. What an expression reads beyond the record's own properties and
// the event (associated records, action outputs, records named in tests)
// it asks an Env's Resolver for.
//
// A VM is reusable and evaluates without allocating, except for string
// building (templates, and builtins that make strings). It is not safe for
// concurrent use: give each goroutine its own, from New or Clone.
package vm

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/stdlib"
	"github.com/wflang/wf/value"
)

// Resolver answers the reads an expression makes outside the current
// record and event. The engine implements it.
type Resolver interface {
	// Assoc returns the value of Program.Paths[path] on the first record
	// associated with the current one, or empty if there is none.
	Assoc(path int) value.Value
	// Output returns Program.Outputs[o], read from the outputs of the
	// enrollment's earlier action steps, or empty.
	Output(o int) value.Value
	// Ref returns Program.Refs[r], the property of a record named in a test,
	// or empty.
	Ref(r int) value.Value
}

// Env is what one evaluation reads.
type Env struct {
	Props    []value.Value  // the current record's properties, by slot
	Event    []value.Value  // the current event's properties, by slot (event filters)
	Now      time.Time      // the time of `now`; the zero time makes `now` and `today` empty
	Loc      *time.Location // the workflow's time zone for `today` and builtins; nil: UTC
	Resolver Resolver       // reads through associations, outputs and refs; nil: they are empty
}

// VM evaluates the expressions of one program.
type VM struct {
	prog    *bytecode.Program
	regexps []*regexp.Regexp
	funcs   []*stdlib.Func
	ctx     stdlib.Context
	buf     []byte // CONCAT's scratch space
	stack   [bytecode.MaxStack]value.Value
}

// New returns a VM for p. It validates p, compiles its regular expressions
// and resolves its builtin functions, and fails if any of that fails.
func New(p *bytecode.Program) (*VM, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	vm := &VM{prog: p, regexps: make([]*regexp.Regexp, len(p.Regexps)), funcs: make([]*stdlib.Func, len(p.Funcs))}
	for i, src := range p.Regexps {
		re, err := regexp.Compile(src)
		if err != nil {
			return nil, fmt.Errorf("vm: regexp %d: %w", i, err)
		}
		vm.regexps[i] = re
	}
	for i, name := range p.Funcs {
		f := stdlib.Lookup(name)
		if f == nil || f.Call == nil {
			return nil, fmt.Errorf("vm: unknown function %q", name)
		}
		vm.funcs[i] = f
	}
	return vm, nil
}

// Clone returns a new VM for the same program that shares vm's compiled
// regular expressions and resolved functions, for use on another goroutine.
func (vm *VM) Clone() *VM {
	return &VM{prog: vm.prog, regexps: vm.regexps, funcs: vm.funcs}
}

// Program returns the program the VM runs.
func (vm *VM) Program() *bytecode.Program { return vm.prog }

// Test evaluates Program.Exprs[expr] and reports whether the result is the
// boolean true, as a filter, goal or condition is read.
func (vm *VM) Test(expr int, env *Env) bool { return vm.Eval(expr, env).Truthy() }

// Eval evaluates Program.Exprs[expr] in env and returns its value, with the
// semantics documented in package bytecode: comparisons with empty are
// false, arithmetic on mismatched or empty operands and division by zero
// give empty, date ± duration stays a date (the day holding the instant
// reached from its midnight). expr must index Program.Exprs.
func (vm *VM) Eval(expr int, env *Env) value.Value {
	p := vm.prog
	e := &p.Exprs[expr]
	code, consts, props := p.Code[:e.End], p.Consts, env.Props
	s := &vm.stack
	sp := 0 // s[:sp] is the stack
	for pc := e.Start; pc < len(code); {
		in := code[pc]
		pc++
		switch in.Op() {
		case bytecode.NOP:
		case bytecode.CONST:
			s[sp] = consts[in.Arg()]
			sp++
		case bytecode.PROP:
			s[sp] = slot(props, in.Arg())
			sp++
		case bytecode.EVENT:
			s[sp] = slot(env.Event, in.Arg())
			sp++
		case bytecode.ASSOC:
			s[sp] = value.Value{}
			if env.Resolver != nil {
				s[sp] = env.Resolver.Assoc(in.Arg())
			}
			sp++
		case bytecode.OUTPUT:
			s[sp] = value.Value{}
			if env.Resolver != nil {
				s[sp] = env.Resolver.Output(in.Arg())
			}
			sp++
		case bytecode.REF:
			s[sp] = value.Value{}
			if env.Resolver != nil {
				s[sp] = env.Resolver.Ref(in.Arg())
			}
			sp++
		case bytecode.NOW:
			s[sp] = value.Value{}
			if !env.Now.IsZero() {
				s[sp] = value.Time(env.Now)
			}
			sp++
		case bytecode.TODAY:
			s[sp] = value.Value{}
			if !env.Now.IsZero() {
				s[sp] = value.DateOf(env.Now.In(location(env.Loc)))
			}
			sp++

		case bytecode.POP:
			sp--
		case bytecode.JMP:
			pc = in.Arg()
		case bytecode.JMPF:
			sp--
			if !s[sp].Truthy() {
				pc = in.Arg()
			}
		case bytecode.ANDJ:
			if !s[sp-1].Truthy() {
				s[sp-1] = value.False
				pc = in.Arg()
			} else {
				sp--
			}
		case bytecode.ORJ:
			if s[sp-1].Truthy() {
				pc = in.Arg()
			} else {
				sp--
			}
		case bytecode.TOBOOL:
			s[sp-1] = value.BoolOf(s[sp-1].Truthy())

		case bytecode.NOT:
			s[sp-1] = value.BoolOf(!s[sp-1].Truthy())
		case bytecode.NEG:
			x := &s[sp-1]
			if x.K == value.Number || x.K == value.Duration {
				x.N = -x.N
			} else {
				*x = value.Value{}
			}

		case bytecode.EQ:
			sp--
			s[sp-1] = value.BoolOf(value.Equal(s[sp-1], s[sp]))
		case bytecode.NE:
			sp--
			s[sp-1] = value.BoolOf(comparable(s[sp-1], s[sp]) && !value.Equal(s[sp-1], s[sp]))
		case bytecode.LT:
			sp--
			c, ok := value.Compare(s[sp-1], s[sp])
			s[sp-1] = value.BoolOf(ok && c < 0)
		case bytecode.LE:
			sp--
			c, ok := value.Compare(s[sp-1], s[sp])
			s[sp-1] = value.BoolOf(ok && c <= 0)
		case bytecode.GT:
			sp--
			c, ok := value.Compare(s[sp-1], s[sp])
			s[sp-1] = value.BoolOf(ok && c > 0)
		case bytecode.GE:
			sp--
			c, ok := value.Compare(s[sp-1], s[sp])
			s[sp-1] = value.BoolOf(ok && c >= 0)

		case bytecode.EQNUM:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.Number && y.K == value.Number && x.N == y.N)
		case bytecode.LTNUM:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.Number && y.K == value.Number && x.N < y.N)
		case bytecode.LENUM:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.Number && y.K == value.Number && x.N <= y.N)
		case bytecode.GTNUM:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.Number && y.K == value.Number && x.N > y.N)
		case bytecode.GENUM:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.Number && y.K == value.Number && x.N >= y.N)
		case bytecode.EQSTR:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.String && y.K == value.String && x.S == y.S)
		case bytecode.NESTR:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.String && y.K == value.String && x.S != y.S)

		case bytecode.INLIST:
			s[sp-1] = value.BoolOf(inList(s[sp-1], p.Lists[in.Arg()]))
		case bytecode.NOTINLIST:
			x := s[sp-1]
			s[sp-1] = value.BoolOf(!x.IsEmpty() && !inList(x, p.Lists[in.Arg()]))
		case bytecode.IN:
			sp--
			s[sp-1] = value.BoolOf(contains(s[sp], s[sp-1]))
		case bytecode.NOTIN:
			sp--
			x, y := s[sp-1], s[sp]
			s[sp-1] = value.BoolOf(canContain(y, x) && !contains(y, x))
		case bytecode.CONTAINS:
			sp--
			s[sp-1] = value.BoolOf(contains(s[sp-1], s[sp]))
		case bytecode.STARTS:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.String && y.K == value.String && strings.HasPrefix(x.S, y.S))
		case bytecode.ENDS:
			sp--
			x, y := &s[sp-1], &s[sp]
			*x = value.BoolOf(x.K == value.String && y.K == value.String && strings.HasSuffix(x.S, y.S))
		case bytecode.MATCHES:
			x := &s[sp-1]
			*x = value.BoolOf(x.K == value.String && vm.regexps[in.Arg()].MatchString(x.S))
		case bytecode.ISEMPTY:
			s[sp-1] = value.BoolOf(s[sp-1].IsEmpty())
		case bytecode.ISKNOWN:
			s[sp-1] = value.BoolOf(!s[sp-1].IsEmpty())

		case bytecode.ADD:
			sp--
			s[sp-1] = add(s[sp-1], s[sp])
		case bytecode.SUB:
			sp--
			s[sp-1] = sub(s[sp-1], s[sp])
		case bytecode.MUL:
			sp--
			s[sp-1] = mul(s[sp-1], s[sp])
		case bytecode.DIV:
			sp--
			x, y := s[sp-1], s[sp]
			s[sp-1] = value.Value{}
			if x.K == value.Number && y.K == value.Number && y.N != 0 {
				s[sp-1] = value.Num(x.N / y.N)
			}
		case bytecode.MOD:
			sp--
			x, y := s[sp-1], s[sp]
			s[sp-1] = value.Value{}
			if x.K == value.Number && y.K == value.Number && y.N != 0 {
				s[sp-1] = value.Num(math.Mod(x.N, y.N))
			}

		case bytecode.CONCAT:
			n := in.Arg()
			buf := vm.buf[:0]
			for _, v := range s[sp-n : sp] {
				buf = append(buf, v.String()...)
			}
			vm.buf = buf
			sp -= n
			s[sp] = value.Str(string(buf))
			sp++
		case bytecode.CALL:
			fn, n := in.CallArgs()
			vm.ctx.Now, vm.ctx.Loc = env.Now, location(env.Loc)
			r := vm.funcs[fn].Call(&vm.ctx, s[sp-n:sp])
			sp -= n
			s[sp] = r
			sp++
		default:
			panic(fmt.Sprintf("vm: expression %d: unknown opcode %v at %d", expr, in.Op(), pc-1))
		}
	}
	return s[0]
}

// slot returns props[i], or empty if the record predates slot i.
func slot(props []value.Value, i int) value.Value {
	if i < len(props) {
		return props[i]
	}
	return value.Value{}
}

func location(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}

// comparable reports whether x and y may be compared for (in)equality:
// both known and of one kind, a date and a datetime counting as one.
func comparable(x, y value.Value) bool {
	if x.K == value.Empty || y.K == value.Empty {
		return false
	}
	return x.K == y.K || isTime(x.K) && isTime(y.K)
}

func isTime(k value.Kind) bool { return k == value.Date || k == value.DateTime }

func inList(x value.Value, list []value.Value) bool {
	for _, m := range list {
		if value.Equal(x, m) {
			return true
		}
	}
	return false
}

// canContain reports whether a "contains" question of container c and
// member m has an answer: a string or list holding a string.
func canContain(c, m value.Value) bool {
	return m.K == value.String && (c.K == value.String || c.K == value.List)
}

// contains reports whether string c contains string m, or list c has member m.
func contains(c, m value.Value) bool {
	if m.K != value.String {
		return false
	}
	switch c.K {
	case value.String:
		return strings.Contains(c.S, m.S)
	case value.List:
		return c.Has(m.S)
	}
	return false
}

const msPerDay = 86400000

// shift moves a date or datetime t by ms milliseconds; a date stays a date,
// the day holding the instant reached from its midnight.
func shift(t value.Value, ms float64) value.Value {
	if t.K == value.Date {
		return value.Value{K: value.Date, N: math.Floor((t.N*msPerDay + ms) / msPerDay)}
	}
	return value.Value{K: value.DateTime, N: t.N + ms}
}

// millis returns a date or datetime as Unix milliseconds.
func millis(t value.Value) float64 {
	if t.K == value.Date {
		return t.N * msPerDay
	}
	return t.N
}

func add(x, y value.Value) value.Value {
	switch {
	case x.K == value.Number && y.K == value.Number:
		return value.Num(x.N + y.N)
	case x.K == value.Duration && y.K == value.Duration:
		return value.Value{K: value.Duration, N: x.N + y.N}
	case isTime(x.K) && y.K == value.Duration:
		return shift(x, y.N)
	case x.K == value.Duration && isTime(y.K):
		return shift(y, x.N)
	}
	return value.Value{}
}

func sub(x, y value.Value) value.Value {
	switch {
	case x.K == value.Number && y.K == value.Number:
		return value.Num(x.N - y.N)
	case x.K == value.Duration && y.K == value.Duration:
		return value.Value{K: value.Duration, N: x.N - y.N}
	case isTime(x.K) && y.K == value.Duration:
		return shift(x, -y.N)
	case isTime(x.K) && isTime(y.K):
		return value.Value{K: value.Duration, N: millis(x) - millis(y)}
	}
	return value.Value{}
}

func mul(x, y value.Value) value.Value {
	switch {
	case x.K == value.Number && y.K == value.Number:
		return value.Num(x.N * y.N)
	case x.K == value.Duration && y.K == value.Number:
		return value.Value{K: value.Duration, N: math.Round(x.N * y.N)}
	case x.K == value.Number && y.K == value.Duration:
		return value.Value{K: value.Duration, N: math.Round(x.N * y.N)}
	}
	return value.Value{}
}
