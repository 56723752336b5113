package compiler

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"math"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// hashWorkflow returns the hex SHA-256 of a canonical serialization of w:
// its settings, triggers and steps with every pool index replaced by what
// it stands for (a constant's value, a property's name, a function's name,
// a jump's offset within its expression). Positions and source text are
// left out, so the hash changes when the workflow's behaviour may change,
// not when an unrelated declaration moves it or shifts the shared pools.
func hashWorkflow(p *bytecode.Program, w *bytecode.Workflow) string {
	h := &hasher{p: p, h: sha256.New()}
	var obj *bytecode.ObjectType
	if w.Object >= 0 {
		obj = p.Types[w.Object]
	}
	h.obj = obj
	h.str(w.Name)
	h.typeName(w.Object)
	h.int(len(w.Triggers))
	for _, t := range w.Triggers {
		h.int(int(t.Kind))
		h.ev = nil
		if t.Kind == bytecode.TriggerEvent && t.Event >= 0 {
			h.ev = p.Events[t.Event]
			h.str(h.ev.Name)
		}
		if t.Kind == bytecode.TriggerWebhook && t.Hook >= 0 {
			h.str(p.Hooks[t.Hook].Name)
		}
		h.expr(t.Expr)
		h.assoc(t.Assoc)
		h.ints(t.Days)
		h.int(t.MonthDay)
		h.int(t.At)
	}
	h.ev = nil
	h.bool(w.EnrollExisting)
	h.int(len(w.Reenroll))
	for _, s := range w.Reenroll {
		h.prop(obj, s)
	}
	h.int(len(w.ReenrollEvents))
	for _, e := range w.ReenrollEvents {
		h.str(p.Events[e].Name)
	}
	h.int(len(w.ReenrollHooks))
	for _, k := range w.ReenrollHooks {
		h.str(p.Hooks[k].Name)
	}
	h.expr(w.Unenroll)
	h.expr(w.Goal)
	h.expr(w.Suppress)
	h.str(w.Timezone)
	h.bool(w.Window != nil)
	if w.Window != nil {
		h.ints(w.Window.Days)
		h.int(w.Window.From)
		h.int(w.Window.To)
	}
	h.int(w.Entry)
	h.int(w.Placeholders)
	h.int(len(w.Steps))
	for i := range w.Steps {
		h.step(&w.Steps[i])
	}
	return hex.EncodeToString(h.h.Sum(nil))
}

// hasher writes a length-prefixed canonical form to a hash.
type hasher struct {
	p   *bytecode.Program
	h   hash.Hash
	obj *bytecode.ObjectType // the workflow's type: PROP reads
	ev  *bytecode.EventType  // the event of the expression being written: EVENT reads
	buf [binary.MaxVarintLen64]byte
}

func (h *hasher) int(i int) { h.h.Write(binary.AppendVarint(h.buf[:0], int64(i))) }

func (h *hasher) bool(b bool) {
	if b {
		h.int(1)
	} else {
		h.int(0)
	}
}

func (h *hasher) str(s string) {
	h.int(len(s))
	h.h.Write([]byte(s))
}

func (h *hasher) ints(is []int) {
	h.int(len(is))
	for _, i := range is {
		h.int(i)
	}
}

func (h *hasher) value(v value.Value) {
	h.int(int(v.K))
	h.h.Write(binary.LittleEndian.AppendUint64(h.buf[:0], math.Float64bits(v.N)))
	h.str(v.S)
}

func (h *hasher) values(vs []value.Value) {
	h.int(len(vs))
	for _, v := range vs {
		h.value(v)
	}
}

func (h *hasher) typeName(t int) {
	if t < 0 {
		h.str("")
		return
	}
	h.str(h.p.Types[t].Name)
}

func (h *hasher) prop(t *bytecode.ObjectType, slot int) {
	if t == nil || slot < 0 || slot >= len(t.Props) {
		h.int(slot)
		return
	}
	h.str(t.Props[slot].Name)
}

func (h *hasher) assoc(a int) {
	if h.obj == nil || a < 0 {
		h.int(a)
		return
	}
	h.str(h.obj.Assocs[a].Name)
}

func (h *hasher) target(t bytecode.Target) {
	h.assoc(t.Assoc)
	h.typeName(t.Type)
	if t.Type >= 0 {
		h.prop(h.p.Types[t.Type], t.Slot)
	} else {
		h.int(t.Slot)
	}
}

// expr writes an expression's code with its operands resolved.
func (h *hasher) expr(x int) {
	if x == bytecode.NoExpr {
		h.int(-1)
		return
	}
	p := h.p
	e := &p.Exprs[x]
	h.int(e.End - e.Start)
	for _, in := range p.Code[e.Start:e.End] {
		o, arg := in.Op(), in.Arg()
		h.int(int(o))
		switch o {
		case bytecode.CONST:
			h.value(p.Consts[arg])
		case bytecode.PROP:
			h.prop(h.obj, arg)
		case bytecode.EVENT:
			if h.ev != nil && arg < len(h.ev.Props) {
				h.str(h.ev.Props[arg].Name)
			} else {
				h.int(arg)
			}
		case bytecode.ASSOC:
			a := p.Paths[arg]
			h.assoc(a.Assoc)
			h.prop(p.Types[a.Type], a.Slot)
		case bytecode.OUTPUT:
			out := p.Outputs[arg]
			h.str(out.Name)
			h.int(len(out.Path))
			for _, s := range out.Path {
				h.str(s)
			}
		case bytecode.INLIST, bytecode.NOTINLIST:
			h.values(p.Lists[arg])
		case bytecode.MATCHES:
			h.str(p.Regexps[arg])
		case bytecode.CALL:
			fn, n := in.CallArgs()
			h.str(p.Funcs[fn])
			h.int(n)
		case bytecode.JMP, bytecode.JMPF, bytecode.ANDJ, bytecode.ORJ:
			h.int(arg - e.Start)
		default:
			h.int(arg)
		}
	}
}

func (h *hasher) step(s *bytecode.Step) {
	p := h.p
	h.str(s.ID)
	h.int(int(s.Kind))
	h.int(s.Next)
	h.bool(s.Suspends)
	h.target(s.Target)
	h.int(len(s.Targets))
	for _, t := range s.Targets {
		h.target(t)
	}
	h.ev = nil
	if s.Kind == bytecode.StepWaitEvent && s.Event >= 0 {
		h.ev = p.Events[s.Event]
		h.str(h.ev.Name)
	}
	h.expr(s.Expr)
	h.ev = nil
	h.int(s.At)
	h.expr(s.Timeout)
	h.int(len(s.Arms))
	for _, a := range s.Arms {
		h.expr(a.Expr)
		h.int(len(a.Values))
		for _, v := range a.Values {
			h.value(p.Consts[v])
		}
		h.h.Write(binary.LittleEndian.AppendUint64(h.buf[:0], math.Float64bits(a.Percent)))
		h.int(a.Next)
	}
	h.int(s.Else)
	h.str(s.Name)
	h.int(len(s.Args))
	for _, x := range s.Args {
		h.expr(x)
	}
	h.int(len(s.Slots))
	for _, slot := range s.Slots {
		if s.Target.Type >= 0 {
			h.prop(p.Types[s.Target.Type], slot)
		} else {
			h.int(slot)
		}
	}
	h.int(len(s.Strs))
	for _, str := range s.Strs {
		h.str(str)
	}
	if s.List >= 0 {
		h.values(p.Lists[s.List])
	} else {
		h.int(-1)
	}
	h.str(s.As)
	h.int(len(s.Outputs))
	for _, o := range s.Outputs {
		h.str(o.Name)
		h.str(o.Type.String())
	}
}
