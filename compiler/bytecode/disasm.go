package bytecode

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wflang/wf/value"
)

// Disasm writes a readable listing of p, as `wf disasm` prints it: the
// version, the tables (types with their slots, events, hooks, constants,
// lists, regexps, functions, association paths, outputs, record
// references), then each workflow with its triggers, criteria and step
// table followed by the code of every expression it uses, each hook and
// test with theirs, and last any expression nothing refers to. Operands are
// resolved to names and values in comments. Disasm prints a program that
// does not validate as best it can, marking unresolvable indexes with "?".
func Disasm(w io.Writer, p *Program) error {
	bw := bufio.NewWriter(w)
	d := &disasm{w: bw, p: p, printed: make([]bool, len(p.Exprs))}
	d.program()
	return bw.Flush()
}

// exprCtx is what an expression's PROP and EVENT operands refer to.
type exprCtx struct {
	typ   int // record type, or -1
	event int // event type, or -1
}

var noCtx = exprCtx{typ: -1, event: -1}

type disasm struct {
	w       *bufio.Writer
	p       *Program
	printed []bool // expressions already listed
}

func (d *disasm) printf(format string, args ...any) { fmt.Fprintf(d.w, format, args...) }

func (d *disasm) program() {
	p := d.p
	d.printf("wf bytecode version %d\n", p.Version)
	if len(p.Types) > 0 {
		d.printf("\ntypes\n")
		for i, t := range p.Types {
			if t == nil {
				d.printf("  %d: ?\n", i)
				continue
			}
			d.printf("  %s: %s\n", t.Name, d.propList(t.Props))
			if len(t.Assocs) > 0 {
				as := make([]string, len(t.Assocs))
				for j, a := range t.Assocs {
					card := "one"
					if a.Many {
						card = "many"
					}
					as[j] = fmt.Sprintf("%d %s -> %s %s", j, a.Name, d.typeName(a.Target), card)
				}
				d.printf("    assoc %s\n", strings.Join(as, ", "))
			}
		}
	}
	if len(p.Events) > 0 {
		d.printf("\nevents\n")
		for _, e := range p.Events {
			if e == nil {
				d.printf("  ?\n")
				continue
			}
			d.printf("  %s on %s: %s\n", e.Name, d.typeName(e.Object), d.propList(e.Props))
		}
	}
	if len(p.Hooks) > 0 {
		d.printf("\nhooks\n")
		for _, h := range p.Hooks {
			if h == nil {
				d.printf("  ?\n")
				continue
			}
			d.printf("  %s: match %s by %s = %s\n", h.Name, d.typeName(h.Object), d.propName(h.Object, h.MatchKey), exprRef(h.MatchVal))
			for j, hp := range h.Props {
				d.printf("    %d %s %s = %s\n", j, hp.Name, hp.Type, exprRef(hp.Expr))
			}
		}
	}
	d.table("consts", "k", len(p.Consts), func(i int) string { return formatValue(p.Consts[i]) })
	d.table("lists", "l", len(p.Lists), func(i int) string { return formatList(p.Lists[i]) })
	d.table("regexps", "r", len(p.Regexps), func(i int) string { return strconv.Quote(p.Regexps[i]) })
	d.table("funcs", "f", len(p.Funcs), func(i int) string { return p.Funcs[i] })
	d.table("paths", "p", len(p.Paths), func(i int) string {
		a := p.Paths[i]
		return fmt.Sprintf("assoc %d -> %s.%s", a.Assoc, d.typeName(a.Type), d.propName(a.Type, a.Slot))
	})
	d.table("outputs", "o", len(p.Outputs), func(i int) string { return outputName(p.Outputs[i]) })
	d.table("refs", "ref", len(p.Refs), func(i int) string {
		r := p.Refs[i]
		return fmt.Sprintf("%s.%s (%s)", r.Record, d.propName(r.Type, r.Slot), d.typeName(r.Type))
	})
	for _, w := range p.Workflows {
		if w != nil {
			d.workflow(w)
		}
	}
	for _, h := range p.Hooks {
		if h == nil {
			continue
		}
		ctx := exprCtx{typ: h.Object, event: -1}
		var uses []exprUse
		uses = appendUse(uses, h.MatchVal, ctx)
		for _, hp := range h.Props {
			uses = appendUse(uses, hp.Expr, ctx)
		}
		if len(uses) > 0 {
			d.printf("\nhook %s\n", h.Name)
			d.exprs(uses)
		}
	}
	for _, t := range p.Tests {
		if t != nil {
			d.test(t)
		}
	}
	var rest []exprUse
	for i, done := range d.printed {
		if !done {
			rest = append(rest, exprUse{i, noCtx})
		}
	}
	if len(rest) > 0 {
		d.printf("\nother expressions\n")
		d.exprs(rest)
	}
}

// table prints a section of numbered entries, if there are any.
func (d *disasm) table(title, prefix string, n int, entry func(int) string) {
	if n == 0 {
		return
	}
	d.printf("\n%s\n", title)
	for i := range n {
		d.printf("  %-5s %s\n", prefix+strconv.Itoa(i), entry(i))
	}
}

func (d *disasm) propList(props []Prop) string {
	var b strings.Builder
	for i, pr := range props {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d %s %s", i, pr.Name, pr.Type)
		if pr.Unique {
			b.WriteString(" unique")
		}
	}
	return b.String()
}

func (d *disasm) typeName(t int) string {
	if t >= 0 && t < len(d.p.Types) && d.p.Types[t] != nil {
		return d.p.Types[t].Name
	}
	return "?" + strconv.Itoa(t)
}

func (d *disasm) propName(t, slot int) string {
	if t >= 0 && t < len(d.p.Types) && d.p.Types[t] != nil && slot >= 0 && slot < len(d.p.Types[t].Props) {
		return d.p.Types[t].Props[slot].Name
	}
	return "slot?" + strconv.Itoa(slot)
}

func (d *disasm) eventName(e int) string {
	if e >= 0 && e < len(d.p.Events) && d.p.Events[e] != nil {
		return d.p.Events[e].Name
	}
	return "?" + strconv.Itoa(e)
}

func (d *disasm) eventProp(e, slot int) string {
	if e >= 0 && e < len(d.p.Events) && d.p.Events[e] != nil && slot >= 0 && slot < len(d.p.Events[e].Props) {
		return d.p.Events[e].Props[slot].Name
	}
	return "slot?" + strconv.Itoa(slot)
}

func (d *disasm) hookName(h int) string {
	if h >= 0 && h < len(d.p.Hooks) && d.p.Hooks[h] != nil {
		return d.p.Hooks[h].Name
	}
	return "?" + strconv.Itoa(h)
}

// assocName names association a of type t.
func (d *disasm) assocName(t, a int) string {
	if t >= 0 && t < len(d.p.Types) && d.p.Types[t] != nil && a >= 0 && a < len(d.p.Types[t].Assocs) {
		return d.p.Types[t].Assocs[a].Name
	}
	return "assoc?" + strconv.Itoa(a)
}

// propNames names the slots of type t.
func (d *disasm) propNames(t int, slots []int) string {
	names := make([]string, len(slots))
	for i, s := range slots {
		names[i] = d.propName(t, s)
	}
	return strings.Join(names, ",")
}

func exprRef(x int) string {
	if x == NoExpr {
		return "-"
	}
	return "e" + strconv.Itoa(x)
}

func stepRef(s int) string {
	if s < 0 {
		return "end"
	}
	return "#" + strconv.Itoa(s)
}

func outputName(o OutputPath) string {
	return strings.Join(append([]string{o.Name}, o.Path...), ".")
}

var dayNames = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func formatDays(days []int) string {
	names := make([]string, len(days))
	for i, day := range days {
		if day >= 0 && day < len(dayNames) {
			names[i] = dayNames[day]
		} else {
			names[i] = "?" + strconv.Itoa(day)
		}
	}
	return strings.Join(names, ",")
}

// formatClock formats seconds after midnight as 09:00 (or 09:00:30).
func formatClock(sec int) string {
	if sec%60 != 0 {
		return fmt.Sprintf("%02d:%02d:%02d", sec/3600, sec/60%60, sec%60)
	}
	return fmt.Sprintf("%02d:%02d", sec/3600, sec/60%60)
}

// formatValue formats a constant as it would be written in source, quoting
// strings; empty prints as "empty".
func formatValue(v value.Value) string {
	switch v.K {
	case value.Empty:
		return "empty"
	case value.String:
		return strconv.Quote(v.S)
	case value.Duration:
		return formatDuration(int64(v.N))
	case value.List:
		m := v.Members()
		q := make([]string, len(m))
		for i, s := range m {
			q[i] = strconv.Quote(s)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return v.String()
}

func formatList(l []value.Value) string {
	q := make([]string, len(l))
	for i, v := range l {
		q[i] = formatValue(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// formatDuration writes milliseconds in wf's units: 1w, 2d3h, 90s, 250ms.
func formatDuration(ms int64) string {
	if ms == 0 {
		return "0s"
	}
	var b strings.Builder
	if ms < 0 {
		b.WriteByte('-')
		ms = -ms
	}
	for _, u := range []struct {
		name string
		ms   int64
	}{{"w", 7 * 86400000}, {"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}} {
		if ms >= u.ms {
			b.WriteString(strconv.FormatInt(ms/u.ms, 10))
			b.WriteString(u.name)
			ms %= u.ms
		}
	}
	return b.String()
}

// exprUse is an expression to list and what its operands refer to.
type exprUse struct {
	expr int
	ctx  exprCtx
}

// appendUse adds expression x to uses unless it is absent or already there.
func appendUse(uses []exprUse, x int, ctx exprCtx) []exprUse {
	if x < 0 {
		return uses
	}
	for _, u := range uses {
		if u.expr == x {
			return uses
		}
	}
	return append(uses, exprUse{x, ctx})
}

func (d *disasm) workflow(w *Workflow) {
	p := d.p
	obj := exprCtx{typ: w.Object, event: -1}
	var uses []exprUse
	d.printf("\nworkflow %s  (%s:%d)  on %s\n", w.Name, w.File, w.Line, d.typeName(w.Object))
	if w.Hash != "" {
		d.printf("  hash %s\n", w.Hash)
	}
	for i, t := range w.Triggers {
		var b strings.Builder
		fmt.Fprintf(&b, "  trigger %d %s", i, enumName(triggerNames[:], int(t.Kind)))
		ctx := obj
		switch t.Kind {
		case TriggerEvent:
			fmt.Fprintf(&b, " %s", d.eventName(t.Event))
			ctx.event = t.Event
		case TriggerWebhook:
			fmt.Fprintf(&b, " %s", d.hookName(t.Hook))
		}
		if (t.Kind == TriggerEvent || t.Kind == TriggerWebhook) && t.Assoc >= 0 {
			fmt.Fprintf(&b, " enrolls %s", d.assocName(w.Object, t.Assoc))
		}
		switch t.Kind {
		case TriggerSchedule:
			if t.MonthDay > 0 {
				fmt.Fprintf(&b, " day %d", t.MonthDay)
			} else {
				fmt.Fprintf(&b, " %s", formatDays(t.Days))
			}
			if t.At >= 0 {
				fmt.Fprintf(&b, " at %s", formatClock(t.At))
			}
		}
		if t.Expr >= 0 {
			fmt.Fprintf(&b, " %s", exprRef(t.Expr))
			if t.Expr < len(p.Exprs) {
				if r := p.Exprs[t.Expr].Reads; len(r) > 0 {
					fmt.Fprintf(&b, " reads=%s", d.propNames(w.Object, r))
				}
			}
		}
		uses = appendUse(uses, t.Expr, ctx)
		fmt.Fprintf(&b, "  (line %d)", t.Line)
		if t.Text != "" {
			fmt.Fprintf(&b, "  ; %s", t.Text)
		}
		d.printf("%s\n", b.String())
	}
	if w.EnrollExisting {
		d.printf("  enroll existing\n")
	}
	if len(w.Reenroll) > 0 {
		d.printf("  reenroll on change %s\n", d.propNames(w.Object, w.Reenroll))
	}
	for _, e := range w.ReenrollEvents {
		d.printf("  reenroll on event %s\n", d.eventName(e))
	}
	for _, h := range w.ReenrollHooks {
		d.printf("  reenroll on webhook %s\n", d.hookName(h))
	}
	for _, c := range []struct {
		name string
		expr int
	}{{"unenroll", w.Unenroll}, {"goal", w.Goal}, {"suppress", w.Suppress}} {
		if c.expr != NoExpr {
			d.printf("  %s %s\n", c.name, exprRef(c.expr))
			uses = appendUse(uses, c.expr, obj)
		}
	}
	if w.Timezone != "" {
		d.printf("  timezone %q\n", w.Timezone)
	}
	if win := w.Window; win != nil {
		d.printf("  run on %s %s..%s\n", formatDays(win.Days), formatClock(win.From), formatClock(win.To))
	}
	if len(w.Reads) > 0 {
		d.printf("  reads %s\n", d.propNames(w.Object, w.Reads))
	}
	if w.Placeholders > 0 {
		d.printf("  placeholders %d\n", w.Placeholders)
	}
	d.printf("  steps  entry=%s\n", stepRef(w.Entry))
	for i := range w.Steps {
		uses = d.step(w, i, uses)
	}
	if len(uses) > 0 {
		d.printf("  code\n")
	}
	d.exprs(uses)
}

// target names a property a step writes.
func (d *disasm) target(w *Workflow, t Target) string {
	s := d.typeName(t.Type) + "." + d.propName(t.Type, t.Slot)
	if t.Assoc >= 0 {
		s += " via " + d.assocName(w.Object, t.Assoc)
	}
	return s
}

func (d *disasm) step(w *Workflow, i int, uses []exprUse) []exprUse {
	s := &w.Steps[i]
	obj := exprCtx{typ: w.Object, event: -1}
	var b strings.Builder
	fmt.Fprintf(&b, "    #%d id=%q %s", i, s.ID, enumName(stepNames[:], int(s.Kind)))
	expr := stepHasExpr(s.Kind) && s.Expr != NoExpr
	switch s.Kind {
	case StepSet, StepIncrement, StepCopy:
		t := d.target(w, s.Target)
		if !expr {
			fmt.Fprintf(&b, " %s", t)
			break
		}
		uses = appendUse(uses, s.Expr, obj)
		expr = false
		switch s.Kind {
		case StepSet:
			fmt.Fprintf(&b, " %s = %s", t, exprRef(s.Expr))
		case StepIncrement:
			fmt.Fprintf(&b, " %s by %s", t, exprRef(s.Expr))
		case StepCopy:
			fmt.Fprintf(&b, " %s to %s", exprRef(s.Expr), t)
		}
	case StepAssign:
		fmt.Fprintf(&b, " %s", d.target(w, s.Target))
	case StepClear:
		ts := make([]string, len(s.Targets))
		for j, t := range s.Targets {
			ts[j] = d.target(w, t)
		}
		fmt.Fprintf(&b, " %s", strings.Join(ts, ", "))
	case StepWaitEvent:
		fmt.Fprintf(&b, " %s", d.eventName(s.Event))
	}
	if expr {
		ctx := obj
		if s.Kind == StepWaitEvent {
			ctx.event = s.Event
		}
		fmt.Fprintf(&b, " %s", exprRef(s.Expr))
		uses = appendUse(uses, s.Expr, ctx)
	}
	if s.Kind == StepDelayUntil && s.At >= 0 {
		fmt.Fprintf(&b, " at %s", formatClock(s.At))
	}
	if (s.Kind == StepWaitEvent || s.Kind == StepWaitUntil) && s.Timeout != NoExpr {
		fmt.Fprintf(&b, " up to %s", exprRef(s.Timeout))
		uses = appendUse(uses, s.Timeout, obj)
	}
	if s.Name != "" {
		fmt.Fprintf(&b, " name=%q", s.Name)
	}
	if len(s.Args) > 0 {
		refs := make([]string, len(s.Args))
		for j, x := range s.Args {
			refs[j] = exprRef(x)
			uses = appendUse(uses, x, obj)
		}
		fmt.Fprintf(&b, " args=%s", strings.Join(refs, ","))
	}
	if len(s.Slots) > 0 {
		t := -1
		for j, ot := range d.p.Types {
			if ot != nil && ot.Name == s.Name {
				t = j
			}
		}
		if t < 0 {
			t = w.Object
		}
		fmt.Fprintf(&b, " slots=%s", d.propNames(t, s.Slots))
	}
	if len(s.Strs) > 0 {
		q := make([]string, len(s.Strs))
		for j, str := range s.Strs {
			q[j] = strconv.Quote(str)
		}
		fmt.Fprintf(&b, " strs=[%s]", strings.Join(q, ", "))
	}
	if s.Kind == StepAssign && s.List >= 0 {
		fmt.Fprintf(&b, " list=l%d", s.List)
	}
	if len(s.Outputs) > 0 {
		fmt.Fprintf(&b, " outputs (%s)", d.propList(s.Outputs))
	}
	if s.As != "" {
		fmt.Fprintf(&b, " as %s", s.As)
	}
	fmt.Fprintf(&b, "  next=%s", stepRef(s.Next))
	if s.Suspends {
		b.WriteString(" suspends")
	}
	fmt.Fprintf(&b, "  (line %d)", s.Line)
	d.printf("%s\n", b.String())
	for j, a := range s.Arms {
		var arm string
		switch s.Kind {
		case StepIf:
			arm = exprRef(a.Expr)
			uses = appendUse(uses, a.Expr, obj)
		case StepBranch:
			vs := make([]string, len(a.Values))
			for k, c := range a.Values {
				if c >= 0 && c < len(d.p.Consts) {
					vs[k] = formatValue(d.p.Consts[c])
				} else {
					vs[k] = "k?" + strconv.Itoa(c)
				}
			}
			arm = strings.Join(vs, ", ")
		case StepSplit:
			arm = strconv.FormatFloat(a.Percent, 'g', -1, 64) + "%"
		}
		if arm != "" {
			arm += " "
		}
		d.printf("       arm %d %s-> %s\n", j, arm, stepRef(a.Next))
	}
	switch s.Kind {
	case StepIf, StepBranch, StepWaitEvent, StepWaitUntil:
		if s.Else >= 0 {
			d.printf("       else -> %s\n", stepRef(s.Else))
		}
	}
	return uses
}

// enumName returns names[i], or "?i" when i is out of range.
func enumName(names []string, i int) string {
	if i < len(names) {
		return names[i]
	}
	return "?" + strconv.Itoa(i)
}

var testStmtNames = [...]string{
	TestAt: "at", TestAdvance: "advance", TestUpsert: "upsert", TestDelete: "delete",
	TestEvent: "event", TestAssociate: "associate", TestHook: "hook", TestEnroll: "enroll",
	TestExpect: "expect", TestExpectEnrollment: "expect enrollment",
	TestExpectWebhook: "expect webhook", TestExpectEmail: "expect email",
	TestExpectCreated: "expect created", TestEnable: "enable",
}

func (d *disasm) test(t *Test) {
	d.printf("\ntest %q  (%s:%d)\n", t.Name, t.File, t.Line)
	var uses []exprUse
	for i, s := range t.Stmts {
		var b strings.Builder
		fmt.Fprintf(&b, "  %d %s", i, enumName(testStmtNames[:], int(s.Kind)))
		switch s.Kind {
		case TestAt:
			fmt.Fprintf(&b, " %s", time.UnixMilli(s.Time).UTC().Format(time.RFC3339Nano))
		case TestAdvance:
			fmt.Fprintf(&b, " %s", formatDuration(s.Time))
		case TestUpsert, TestDelete, TestAssociate, TestExpectCreated:
			fmt.Fprintf(&b, " %s", d.typeName(s.Type))
		case TestEvent:
			fmt.Fprintf(&b, " %s", d.eventName(s.Event))
		case TestHook:
			fmt.Fprintf(&b, " %s", d.hookName(s.Hook))
		}
		if s.Record != "" {
			fmt.Fprintf(&b, " %s", s.Record)
		}
		if len(s.Fields) > 0 {
			fs := make([]string, len(s.Fields))
			for j, f := range s.Fields {
				fs[j] = fmt.Sprintf("%s(%d): %s", f.Name, f.Slot, formatValue(f.Value))
			}
			fmt.Fprintf(&b, " {%s}", strings.Join(fs, ", "))
		}
		if s.Kind == TestAssociate {
			fmt.Fprintf(&b, " to %s %s", d.typeName(s.ToType), s.To)
			if s.Label != "" {
				fmt.Fprintf(&b, " label %q", s.Label)
			}
		}
		if s.Not {
			b.WriteString(" not")
		}
		if s.State != "" {
			fmt.Fprintf(&b, " %s", s.State)
		}
		if s.Workflow != "" {
			fmt.Fprintf(&b, " in %s", s.Workflow)
		}
		if s.Step != "" {
			fmt.Fprintf(&b, " at %q", s.Step)
		}
		if s.Str != "" {
			fmt.Fprintf(&b, " %q", s.Str)
		}
		if (s.Kind == TestExpect || s.Kind == TestExpectCreated) && s.Expr != NoExpr {
			fmt.Fprintf(&b, " %s", exprRef(s.Expr))
			ctx := noCtx
			if s.Kind == TestExpectCreated {
				ctx.typ = s.Type
			}
			uses = appendUse(uses, s.Expr, ctx)
		}
		if s.Count >= 0 && (s.Kind == TestExpectWebhook || s.Kind == TestExpectEmail || s.Kind == TestExpectCreated) {
			fmt.Fprintf(&b, " count %d", s.Count)
		}
		fmt.Fprintf(&b, "  (line %d)", s.Line)
		if s.Text != "" {
			fmt.Fprintf(&b, "  ; %s", s.Text)
		}
		d.printf("%s\n", b.String())
	}
	d.exprs(uses)
}

// exprs lists the code of the given expressions in index order, skipping
// any already listed.
func (d *disasm) exprs(uses []exprUse) {
	slices.SortStableFunc(uses, func(a, b exprUse) int { return cmp.Compare(a.expr, b.expr) })
	for _, u := range uses {
		if u.expr < 0 || u.expr >= len(d.p.Exprs) {
			d.printf("  %s: no such expression\n", exprRef(u.expr))
			continue
		}
		if d.printed[u.expr] {
			continue
		}
		d.printed[u.expr] = true
		d.expr(u.expr, u.ctx)
	}
}

func (d *disasm) expr(x int, ctx exprCtx) {
	e := &d.p.Exprs[x]
	d.printf("  %-4s", exprRef(x))
	if e.Text != "" {
		d.printf("; %s   ", e.Text)
	}
	d.printf("(line %d:%d) type=%s maxstack=%d", e.Line, e.Col, e.Type, e.MaxStack)
	if len(e.Reads) > 0 {
		d.printf(" reads=%s", d.propNames(ctx.typ, e.Reads))
	}
	if e.ReadsAssoc {
		d.printf(" assoc")
	}
	d.printf("\n")
	start, end := max(e.Start, 0), min(e.End, len(d.p.Code))
	for pc := start; pc < end; pc++ {
		in := d.p.Code[pc]
		op := in.Op()
		text := op.String()
		var comment string
		switch op {
		case JMP, JMPF, ANDJ, ORJ:
			text = fmt.Sprintf("%s %04d", op, in.Arg())
		case CALL:
			fn, argc := in.CallArgs()
			text = fmt.Sprintf("%s %d,%d", op, fn, argc)
			if fn < len(d.p.Funcs) {
				comment = fmt.Sprintf("%s/%d", d.p.Funcs[fn], argc)
			}
		case CONST, PROP, ASSOC, EVENT, OUTPUT, REF, INLIST, NOTINLIST, MATCHES, CONCAT:
			text = fmt.Sprintf("%s %d", op, in.Arg())
			comment = d.operand(op, in.Arg(), ctx)
		}
		if comment != "" {
			d.printf("    %04d  %-14s ; %s\n", pc, text, comment)
		} else {
			d.printf("    %04d  %s\n", pc, text)
		}
	}
}

// operand resolves an instruction's operand to a name or value.
func (d *disasm) operand(op Op, arg int, ctx exprCtx) string {
	p := d.p
	switch op {
	case CONST:
		if arg < len(p.Consts) {
			return formatValue(p.Consts[arg])
		}
	case PROP:
		if ctx.typ >= 0 {
			return d.propName(ctx.typ, arg)
		}
	case EVENT:
		if ctx.event >= 0 {
			return "event." + d.eventProp(ctx.event, arg)
		}
	case ASSOC:
		if arg < len(p.Paths) {
			a := p.Paths[arg]
			prefix := "assoc?" + strconv.Itoa(a.Assoc)
			if ctx.typ >= 0 {
				prefix = d.assocName(ctx.typ, a.Assoc)
			}
			return prefix + "." + d.propName(a.Type, a.Slot)
		}
	case OUTPUT:
		if arg < len(p.Outputs) {
			return outputName(p.Outputs[arg])
		}
	case REF:
		if arg < len(p.Refs) {
			r := p.Refs[arg]
			return r.Record + "." + d.propName(r.Type, r.Slot)
		}
	case INLIST, NOTINLIST:
		if arg < len(p.Lists) {
			return formatList(p.Lists[arg])
		}
	case MATCHES:
		if arg < len(p.Regexps) {
			return strconv.Quote(p.Regexps[arg])
		}
	}
	return ""
}
