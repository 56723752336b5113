// Package vm is wf's expression machine: it evaluates the compiled
// expressions of a bytecode.Program (trigger filters, goals, step values,
// test expectations) against one record, one event and the current time.
//
// It is not the engine: it does not know about enrollments, steps or
// stores. What an expression reads beyond the record's own properties and
// the event (associated records, action outputs, records named in tests)
// it asks an Env's Resolver for.
//
// Expressions run on a fixed operand stack, except filters: New lowers
// every expression that is and/or/not over comparisons to a predicate, a
// decision graph of fused tests that reads properties in place and jumps
// straight to the next test (pred.go). Both give the same results; the
// predicate takes well under half the time (BENCHMARKS.md).
//
// A VM is reusable and evaluates without allocating, except for string
// building (templates, and builtins that make strings). It is not safe for
// concurrent use: give each goroutine its own, from New or Clone.
package vm

import (
	"fmt"
	"regexp"
	"slices"
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
	preds   [][]test    // by expression: its predicate, or nil (see pred.go)
	buf     []byte      // CONCAT's scratch space
	assoc   value.Value // a predicate's ASSOC read
	stack   [bytecode.MaxStack]value.Value
}

// New returns a VM for p. It validates p, compiles its regular expressions,
// resolves its builtin functions and lowers its filters to predicates, and
// fails if any of that fails.
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
	l := lowerer{p: p, regexps: vm.regexps}
	vm.preds = make([][]test, len(p.Exprs))
	for i := range p.Exprs {
		vm.preds[i] = l.predicate(i)
	}
	return vm, nil
}

// Clone returns a new VM for the same program that shares vm's compiled
// regular expressions, resolved functions and predicates, for use on
// another goroutine.
func (vm *VM) Clone() *VM {
	return &VM{prog: vm.prog, regexps: vm.regexps, funcs: vm.funcs, preds: vm.preds}
}

// SetSecrets sets the lookup secret() calls use; nil means no secrets.
func (vm *VM) SetSecrets(f func(name string) (string, bool)) { vm.ctx.Secrets = f }

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
	ts := vm.preds[expr]
	if ts == nil {
		e := &vm.prog.Exprs[expr]
		return vm.run(e.Start, e.End, env)
	}
	// Run the predicate (pred.go). Its loop is here rather than in a
	// function of its own because filters are the VM's hot path and the
	// call would cost a tenth of a typical filter.
	props := env.Props
	i := int32(0)
	for {
		t := &ts[i]
		var x *value.Value
		if t.src == srcProp && int(t.idx) < len(props) {
			x = &props[t.idx]
		} else {
			x = vm.read(t, env)
		}
		var ok bool
		// Equality with a string and comparisons with a number are most
		// of what filters do: test for them before the switch.
		if t.op == tEQSTR {
			ok = x.K == value.String && equal(x.S, t.k.S)
		} else if t.op <= tGENUM && t.op >= tEQNUM {
			if x.K == value.Number {
				switch t.op {
				case tEQNUM:
					ok = x.N == t.k.N
				case tLTNUM:
					ok = x.N < t.k.N
				case tLENUM:
					ok = x.N <= t.k.N
				case tGTNUM:
					ok = x.N > t.k.N
				default:
					ok = x.N >= t.k.N
				}
			}
		} else {
			switch t.op {
			case tNESTR:
				ok = x.K == value.String && !equal(x.S, t.k.S)
			case tStarts:
				ok = x.K == value.String && len(x.S) >= len(t.k.S) && x.S[:len(t.k.S)] == t.k.S
			case tEnds:
				ok = x.K == value.String && len(x.S) >= len(t.k.S) && x.S[len(x.S)-len(t.k.S):] == t.k.S
			case tTimeLT, tTimeLE, tTimeGT, tTimeGE:
				ok = timeOrder(t.op-tTimeLT, x, t.k.N)
			case tInStrs:
				ok = x.K == value.String && slices.Contains(t.aux.strs, x.S)
			default:
				ok = vm.slowTest(t, x, env)
			}
		}
		n := 0
		if ok {
			n = 1
		}
		if i = t.next[n]; i < 0 {
			return value.BoolOf(i == resTrue)
		}
	}
}

// run evaluates Code[start:end] on the operand stack: a whole expression,
// or a part of one that computes one value on its own.
func (vm *VM) run(start, end int, env *Env) value.Value {
	p := vm.prog
	code, consts, props := p.Code[:end], p.Consts, env.Props
	s := &vm.stack
	sp := 0 // s[:sp] is the stack
	for pc := start; pc < len(code); {
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
			s[sp-1] = value.Neg(s[sp-1])

		case bytecode.EQ:
			sp--
			s[sp-1] = value.BoolOf(value.Equal(s[sp-1], s[sp]))
		case bytecode.NE:
			sp--
			s[sp-1] = value.BoolOf(value.NotEqual(s[sp-1], s[sp]))
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
			s[sp-1] = value.BoolOf(value.InList(s[sp-1], p.Lists[in.Arg()]))
		case bytecode.NOTINLIST:
			s[sp-1] = value.BoolOf(value.NotInList(s[sp-1], p.Lists[in.Arg()]))
		case bytecode.IN:
			sp--
			s[sp-1] = value.BoolOf(value.Contains(s[sp], s[sp-1]))
		case bytecode.NOTIN:
			sp--
			s[sp-1] = value.BoolOf(value.NotContains(s[sp], s[sp-1]))
		case bytecode.CONTAINS:
			sp--
			s[sp-1] = value.BoolOf(value.Contains(s[sp-1], s[sp]))
		case bytecode.STARTS:
			sp--
			s[sp-1] = value.BoolOf(value.StartsWith(s[sp-1], s[sp]))
		case bytecode.ENDS:
			sp--
			s[sp-1] = value.BoolOf(value.EndsWith(s[sp-1], s[sp]))
		case bytecode.MATCHES:
			x := &s[sp-1]
			*x = value.BoolOf(x.K == value.String && vm.regexps[in.Arg()].MatchString(x.S))
		case bytecode.ISEMPTY:
			s[sp-1] = value.BoolOf(s[sp-1].IsEmpty())
		case bytecode.ISKNOWN:
			s[sp-1] = value.BoolOf(!s[sp-1].IsEmpty())

		case bytecode.ADD:
			sp--
			s[sp-1] = value.Add(s[sp-1], s[sp])
		case bytecode.SUB:
			sp--
			s[sp-1] = value.Sub(s[sp-1], s[sp])
		case bytecode.MUL:
			sp--
			s[sp-1] = value.Mul(s[sp-1], s[sp])
		case bytecode.DIV:
			sp--
			s[sp-1] = value.Div(s[sp-1], s[sp])
		case bytecode.MOD:
			sp--
			s[sp-1] = value.Mod(s[sp-1], s[sp])

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
			panic(fmt.Sprintf("vm: unknown opcode %v at %d", in.Op(), pc-1))
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
