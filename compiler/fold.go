package compiler

import (
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

const dayMillis = 86400000

// evalBinary computes a binary instruction on constants with the same
// value operators the VM runs (package value), so folding can never
// disagree with evaluation. ok is false for an instruction it does not fold.
func evalBinary(o bytecode.Op, x, y value.Value) (v value.Value, ok bool) {
	switch o {
	case bytecode.EQ:
		return value.BoolOf(value.Equal(x, y)), true
	case bytecode.EQNUM:
		return value.BoolOf(x.K == value.Number && y.K == value.Number && x.N == y.N), true
	case bytecode.EQSTR:
		return value.BoolOf(x.K == value.String && y.K == value.String && x.S == y.S), true
	case bytecode.NE:
		return value.BoolOf(value.NotEqual(x, y)), true
	case bytecode.NESTR:
		return value.BoolOf(x.K == value.String && y.K == value.String && x.S != y.S), true
	case bytecode.LT, bytecode.LE, bytecode.GT, bytecode.GE,
		bytecode.LTNUM, bytecode.LENUM, bytecode.GTNUM, bytecode.GENUM:
		if (o == bytecode.LTNUM || o == bytecode.LENUM || o == bytecode.GTNUM || o == bytecode.GENUM) &&
			(x.K != value.Number || y.K != value.Number) {
			return value.False, true
		}
		cmp, ordered := value.Compare(x, y)
		if !ordered {
			return value.False, true
		}
		switch o {
		case bytecode.LT, bytecode.LTNUM:
			return value.BoolOf(cmp < 0), true
		case bytecode.LE, bytecode.LENUM:
			return value.BoolOf(cmp <= 0), true
		case bytecode.GT, bytecode.GTNUM:
			return value.BoolOf(cmp > 0), true
		}
		return value.BoolOf(cmp >= 0), true
	case bytecode.CONTAINS:
		return value.BoolOf(value.Contains(x, y)), true
	case bytecode.STARTS:
		return value.BoolOf(value.StartsWith(x, y)), true
	case bytecode.ENDS:
		return value.BoolOf(value.EndsWith(x, y)), true
	case bytecode.IN:
		return value.BoolOf(value.Contains(y, x)), true
	case bytecode.NOTIN:
		return value.BoolOf(value.NotContains(y, x)), true
	case bytecode.ADD:
		return value.Add(x, y), true
	case bytecode.SUB:
		return value.Sub(x, y), true
	case bytecode.MUL:
		return value.Mul(x, y), true
	case bytecode.DIV:
		return value.Div(x, y), true
	case bytecode.MOD:
		return value.Mod(x, y), true
	}
	return value.Value{}, false
}
