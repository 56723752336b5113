package bytecode

import "fmt"

// Validate checks that p holds together, so that a VM or engine running it
// cannot index out of range: every expression's code is well formed (known
// opcodes, operands within their tables, jumps forward and inside the
// expression, a stack that never underflows, never exceeds MaxStack or the
// expression's recorded MaxStack, and ends holding exactly one value), and
// every type, event, hook, expression and step index that a workflow, hook
// or test names exists. Decode validates what it reads; the VM validates
// the programs it is given.
func (p *Program) Validate() error {
	v := validator{p: p}
	for i := range p.Exprs {
		if err := v.expr(i); err != nil {
			return err
		}
	}
	for i, t := range p.Types {
		if t == nil {
			return fmt.Errorf("bytecode: type %d is missing", i)
		}
		for j, a := range t.Assocs {
			if !v.in(a.Target, len(p.Types)) {
				return fmt.Errorf("bytecode: type %s: association %d targets type %d of %d", t.Name, j, a.Target, len(p.Types))
			}
		}
	}
	for i, e := range p.Events {
		if e == nil {
			return fmt.Errorf("bytecode: event type %d is missing", i)
		}
		if !v.in(e.Object, len(p.Types)) {
			return fmt.Errorf("bytecode: event %s: object type %d of %d", e.Name, e.Object, len(p.Types))
		}
	}
	for i, h := range p.Hooks {
		if err := v.hook(i, h); err != nil {
			return err
		}
	}
	for i, a := range p.Paths {
		if !v.in(a.Type, len(p.Types)) || !v.in(a.Slot, len(p.Types[a.Type].Props)) {
			return fmt.Errorf("bytecode: association path %d reads slot %d of type %d", i, a.Slot, a.Type)
		}
	}
	for i, w := range p.Workflows {
		if err := v.workflow(i, w); err != nil {
			return err
		}
	}
	for i, t := range p.Tests {
		if t == nil {
			return fmt.Errorf("bytecode: test %d is missing", i)
		}
		for j, s := range t.Stmts {
			if !v.optExpr(s.Expr) && (s.Kind == TestExpect || s.Kind == TestExpectCreated) {
				return fmt.Errorf("bytecode: test %q statement %d: expression %d of %d", t.Name, j, s.Expr, len(p.Exprs))
			}
		}
	}
	return nil
}

type validator struct{ p *Program }

// in reports whether 0 <= i < n.
func (validator) in(i, n int) bool { return i >= 0 && i < n }

// optExpr reports whether x is NoExpr or an expression index.
func (v validator) optExpr(x int) bool { return x == NoExpr || v.in(x, len(v.p.Exprs)) }

// optStep reports whether s is -1 (the enrollment ends) or a step index.
func (v validator) optStep(s, n int) bool { return s == -1 || v.in(s, n) }

func (v validator) hook(i int, h *HookType) error {
	if h == nil {
		return fmt.Errorf("bytecode: hook %d is missing", i)
	}
	if !v.in(h.Object, len(v.p.Types)) {
		return fmt.Errorf("bytecode: hook %s: object type %d of %d", h.Name, h.Object, len(v.p.Types))
	}
	if !v.optExpr(h.MatchVal) {
		return fmt.Errorf("bytecode: hook %s: match expression %d of %d", h.Name, h.MatchVal, len(v.p.Exprs))
	}
	for _, hp := range h.Props {
		if !v.optExpr(hp.Expr) {
			return fmt.Errorf("bytecode: hook %s: property %s: expression %d of %d", h.Name, hp.Name, hp.Expr, len(v.p.Exprs))
		}
	}
	return nil
}

func (v validator) workflow(i int, w *Workflow) error {
	if w == nil {
		return fmt.Errorf("bytecode: workflow %d is missing", i)
	}
	errorf := func(format string, args ...any) error {
		return fmt.Errorf("bytecode: workflow %s: %s", w.Name, fmt.Sprintf(format, args...))
	}
	p := v.p
	if !v.in(w.Object, len(p.Types)) {
		return errorf("object type %d of %d", w.Object, len(p.Types))
	}
	for j, t := range w.Triggers {
		if !v.optExpr(t.Expr) {
			return errorf("trigger %d: expression %d of %d", j, t.Expr, len(p.Exprs))
		}
		if t.Kind == TriggerEvent && !v.in(t.Event, len(p.Events)) {
			return errorf("trigger %d: event type %d of %d", j, t.Event, len(p.Events))
		}
		if t.Kind == TriggerWebhook && !v.in(t.Hook, len(p.Hooks)) {
			return errorf("trigger %d: hook %d of %d", j, t.Hook, len(p.Hooks))
		}
		if (t.Kind == TriggerEvent || t.Kind == TriggerWebhook) && t.Assoc != -1 && !v.in(t.Assoc, len(p.Types[w.Object].Assocs)) {
			return errorf("trigger %d: association %d of %d", j, t.Assoc, len(p.Types[w.Object].Assocs))
		}
	}
	for _, x := range []struct {
		name string
		expr int
	}{{"unenroll", w.Unenroll}, {"goal", w.Goal}, {"suppress", w.Suppress}} {
		if !v.optExpr(x.expr) {
			return errorf("%s expression %d of %d", x.name, x.expr, len(p.Exprs))
		}
	}
	n := len(w.Steps)
	if !v.optStep(w.Entry, n) {
		return errorf("entry step %d of %d", w.Entry, n)
	}
	for j := range w.Steps {
		s := &w.Steps[j]
		if !v.optStep(s.Next, n) || !v.optStep(s.Else, n) {
			return errorf("step %q: next %d, else %d of %d steps", s.ID, s.Next, s.Else, n)
		}
		if stepHasExpr(s.Kind) && !v.optExpr(s.Expr) {
			return errorf("step %q: expression %d of %d", s.ID, s.Expr, len(p.Exprs))
		}
		if !v.optExpr(s.Timeout) {
			return errorf("step %q: timeout expression %d of %d", s.ID, s.Timeout, len(p.Exprs))
		}
		if s.Kind == StepWaitEvent && !v.in(s.Event, len(p.Events)) {
			return errorf("step %q: event type %d of %d", s.ID, s.Event, len(p.Events))
		}
		for k, a := range s.Arms {
			if !v.optStep(a.Next, n) {
				return errorf("step %q: arm %d continues at step %d of %d", s.ID, k, a.Next, n)
			}
			if s.Kind == StepIf && !v.optExpr(a.Expr) {
				return errorf("step %q: arm %d: expression %d of %d", s.ID, k, a.Expr, len(p.Exprs))
			}
			for _, c := range a.Values {
				if !v.in(c, len(p.Consts)) {
					return errorf("step %q: arm %d: constant %d of %d", s.ID, k, c, len(p.Consts))
				}
			}
		}
		for _, x := range s.Args {
			if !v.optExpr(x) {
				return errorf("step %q: argument expression %d of %d", s.ID, x, len(p.Exprs))
			}
		}
	}
	return nil
}

// stepHasExpr reports whether a step of kind k uses its Expr field.
func stepHasExpr(k StepKind) bool {
	switch k {
	case StepSet, StepIncrement, StepCopy, StepDelay, StepDelayUntil, StepWaitEvent, StepWaitUntil, StepBranch:
		return true
	}
	return false
}

// expr checks the code of expression i by following the stack depth
// through it. Expressions have no loops, so every jump goes forward and
// one pass sees each instruction after all the jumps that reach it.
func (v validator) expr(i int) error {
	p := v.p
	e := &p.Exprs[i]
	errorf := func(pc int, format string, args ...any) error {
		return fmt.Errorf("bytecode: expression %d, instruction %d: %s", i, pc, fmt.Sprintf(format, args...))
	}
	if e.Start < 0 || e.End > len(p.Code) || e.Start >= e.End {
		return fmt.Errorf("bytecode: expression %d: code [%d:%d) is not within the %d instructions", i, e.Start, e.End, len(p.Code))
	}
	if e.MaxStack > MaxStack {
		return fmt.Errorf("bytecode: expression %d: stack depth %d exceeds %d", i, e.MaxStack, MaxStack)
	}
	// depthAt[pc-Start] is the depth jumps bring to pc, plus one (0: none yet).
	depthAt := make([]int, e.End-e.Start+1)
	arrive := func(from, to, depth int) error {
		if to <= from || to > e.End {
			return errorf(from, "jump to %d outside (%d, %d]", to, from, e.End)
		}
		switch d := depthAt[to-e.Start]; {
		case d == 0:
			depthAt[to-e.Start] = depth + 1
		case d != depth+1:
			return errorf(from, "jump to %d arrives with stack depth %d, not %d", to, depth, d-1)
		}
		return nil
	}
	depth, reachable, maxDepth := 0, true, 0
	for pc := e.Start; pc < e.End; pc++ {
		if d := depthAt[pc-e.Start]; d > 0 {
			if reachable && depth != d-1 {
				return errorf(pc, "stack depth %d here, but %d by jump", depth, d-1)
			}
			depth, reachable = d-1, true
		}
		if !reachable {
			continue
		}
		in := p.Code[pc]
		op, arg := in.Op(), in.Arg()
		if op >= numOps {
			return errorf(pc, "unknown opcode %d", op)
		}
		operand := arg
		if op == CALL {
			operand, _ = in.CallArgs()
		}
		if n := tableLen(p, op); n >= 0 && !v.in(operand, n) {
			return errorf(pc, "%s operand %d of %d", op, operand, n)
		}
		pops := PopCount(in)
		if depth < pops {
			return errorf(pc, "%s needs %d operands, the stack holds %d", op, pops, depth)
		}
		switch op {
		case JMP:
			if err := arrive(pc, arg, depth); err != nil {
				return err
			}
			reachable = false
			continue
		case JMPF:
			if err := arrive(pc, arg, depth-1); err != nil {
				return err
			}
		case ANDJ, ORJ:
			if err := arrive(pc, arg, depth); err != nil {
				return err
			}
		}
		depth += StackEffect(in)
		if depth > maxDepth {
			maxDepth = depth
		}
	}
	if d := depthAt[e.End-e.Start]; d > 0 {
		if reachable && depth != d-1 {
			return errorf(e.End, "stack depth %d at the end, but %d by jump", depth, d-1)
		}
		depth, reachable = d-1, true
	}
	if !reachable || depth != 1 {
		return fmt.Errorf("bytecode: expression %d ends with %d values on the stack, not 1", i, depth)
	}
	if maxDepth > e.MaxStack {
		return fmt.Errorf("bytecode: expression %d reaches stack depth %d, more than its MaxStack %d", i, maxDepth, e.MaxStack)
	}
	return nil
}

// tableLen returns the length of the table op's operand indexes, or -1 when
// the operand is not such an index. PROP and EVENT slots depend on the
// record the expression runs on; the VM reads a missing slot as empty.
func tableLen(p *Program, op Op) int {
	switch op {
	case CONST:
		return len(p.Consts)
	case ASSOC:
		return len(p.Paths)
	case OUTPUT:
		return len(p.Outputs)
	case REF:
		return len(p.Refs)
	case INLIST, NOTINLIST:
		return len(p.Lists)
	case MATCHES:
		return len(p.Regexps)
	case CALL:
		return len(p.Funcs)
	}
	return -1
}

// PopCount is the number of operands an instruction takes off the stack.
func PopCount(in Instr) int {
	switch in.Op() {
	case POP, JMPF, ANDJ, ORJ, TOBOOL, NOT, NEG, INLIST, NOTINLIST, MATCHES, ISEMPTY, ISKNOWN:
		return 1
	case EQ, NE, LT, LE, GT, GE, EQNUM, LTNUM, LENUM, GTNUM, GENUM, EQSTR, NESTR,
		IN, NOTIN, CONTAINS, STARTS, ENDS, ADD, SUB, MUL, DIV, MOD:
		return 2
	case CONCAT:
		return in.Arg()
	case CALL:
		_, n := in.CallArgs()
		return n
	}
	return 0
}
