package vm

import (
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// asm assembles programs by hand for the opcode tests, over one object
// type "flight" whose slots are named by the constants below.
type asm struct{ p *bytecode.Program }

// Slots of the flight type.
const (
	sOrigin = iota
	sCountry
	sValue
	sAdults
	sDeparts // datetime
	sBooked  // date
	sTags    // set
	sEmail
	numSlots
)

func newAsm() *asm {
	set := value.Type{Kind: value.TSet, Options: []string{"beta", "vip"}}
	return &asm{p: &bytecode.Program{
		Version: bytecode.Version,
		Types: []*bytecode.ObjectType{{Name: "flight", Props: []bytecode.Prop{
			{Name: "origin", Type: value.StringType}, {Name: "country", Type: value.StringType},
			{Name: "value", Type: value.NumberType}, {Name: "adults", Type: value.NumberType},
			{Name: "departs", Type: value.DateTimeType}, {Name: "booked", Type: value.DateType},
			{Name: "tags", Type: set}, {Name: "email", Type: value.StringType},
		}}},
	}}
}

// k adds a constant and returns its index.
func (a *asm) k(v value.Value) int {
	a.p.Consts = append(a.p.Consts, v)
	return len(a.p.Consts) - 1
}

// c is the instruction CONST k(v).
func (a *asm) c(v value.Value) bytecode.Instr { return bytecode.Make(bytecode.CONST, a.k(v)) }

// list adds a constant list and returns its index.
func (a *asm) list(vs ...value.Value) int {
	a.p.Lists = append(a.p.Lists, vs)
	return len(a.p.Lists) - 1
}

// re adds a regular expression and returns its index.
func (a *asm) re(src string) int {
	a.p.Regexps = append(a.p.Regexps, src)
	return len(a.p.Regexps) - 1
}

// fn adds a function name and returns its index.
func (a *asm) fn(name string) int {
	a.p.Funcs = append(a.p.Funcs, name)
	return len(a.p.Funcs) - 1
}

// expr appends an expression whose jump operands are relative to its first
// instruction, and returns its index. MaxStack is the deepest point on the
// fall-through path, which for the code the tests write is the maximum.
func (a *asm) expr(code ...bytecode.Instr) int {
	p := a.p
	start := len(p.Code)
	depth, maxDepth := 0, 0
	for _, in := range code {
		switch in.Op() {
		case bytecode.JMP, bytecode.JMPF, bytecode.ANDJ, bytecode.ORJ:
			in = bytecode.Make(in.Op(), in.Arg()+start)
		}
		p.Code = append(p.Code, in)
		depth += bytecode.StackEffect(in)
		maxDepth = max(maxDepth, depth)
	}
	p.Exprs = append(p.Exprs, bytecode.Expr{Start: start, End: len(p.Code), MaxStack: maxDepth})
	return len(p.Exprs) - 1
}

func op(o bytecode.Op) bytecode.Instr            { return bytecode.Make(o, 0) }
func opArg(o bytecode.Op, n int) bytecode.Instr  { return bytecode.Make(o, n) }
func prop(slot int) bytecode.Instr               { return bytecode.Make(bytecode.PROP, slot) }
func call(fn, argc int) bytecode.Instr           { return bytecode.MakeCall(fn, argc) }
func jump(o bytecode.Op, rel int) bytecode.Instr { return bytecode.Make(o, rel) }

// classic assembles (origin == "MOW" or country == "RU") and (value >= 100 or adults == 1).
func (a *asm) classic() int {
	return a.expr(
		prop(sOrigin), a.c(value.Str("MOW")), op(bytecode.EQSTR), jump(bytecode.ORJ, 7),
		prop(sCountry), a.c(value.Str("RU")), op(bytecode.EQSTR),
		jump(bytecode.ANDJ, 15),
		prop(sValue), a.c(value.Num(100)), op(bytecode.GENUM), jump(bytecode.ORJ, 15),
		prop(sAdults), a.c(value.Num(1)), op(bytecode.EQNUM),
	)
}
