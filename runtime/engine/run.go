package engine

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// membership returns workflow w's state for rec, creating it.
func (e *Engine) membership(w int, rec *record) *membership {
	m := e.members[w][rec.id]
	if m == nil {
		m = &membership{}
		e.members[w][rec.id] = m
	}
	e.touch(rec)
	return m
}

// offer shows workflow w that rec changed (slots: which of its own
// properties). A current enrollment is checked for goal, unenroll and
// suppress first; then the filter triggers decide whether to enroll.
func (e *Engine) offer(w int, rec *record, slots []int, depth int) {
	if e.disabled[w] {
		return
	}
	wf := e.prog.Workflows[w]
	m := e.members[w][rec.id]
	if m != nil && m.active != nil {
		e.checkExit(w, m.active)
	}
	if e.hasDate[w] {
		e.armDates(w, rec)
	}
	if !e.hasFilter[w] {
		return
	}
	matched := e.matching(w, rec)
	if m == nil {
		if matched < 0 {
			return // nothing to remember: not matching, never enrolled
		}
		m = e.membership(w, rec)
	}
	prev := m.matched
	m.matched = matched >= 0
	if prev != m.matched {
		e.touch(rec)
	}
	if matched < 0 {
		return
	}
	if m.active != nil {
		if !prev {
			e.note(w, rec, "matched again while enrolled already; a record is never enrolled twice at once")
		}
		return
	}
	first := !prev && !m.ever
	var again []string
	for _, s := range wf.Reenroll {
		if containsInt(slots, s) {
			again = append(again, e.prog.Types[rec.typ].Props[s].Name)
		}
	}
	if !first && len(again) == 0 {
		if !prev {
			why := "matched again, but the record was enrolled before and "
			if len(wf.Reenroll) == 0 {
				why += "the workflow has no `reenroll on change`"
			} else {
				why += "none of the properties under `reenroll on change` changed"
			}
			e.note(w, rec, why+": "+e.because("enroll when", wf.Triggers[matched].Expr, w, rec, -1, nil))
		}
		return
	}
	if e.blocked(w, rec) {
		e.note(w, rec, e.because("enroll when", wf.Triggers[matched].Expr, w, rec, -1, nil)+" matched, but "+e.blocker(w, rec))
		return
	}
	reason := e.because("enroll when", wf.Triggers[matched].Expr, w, rec, -1, nil)
	if !first {
		reason = "re-enrolled on change of " + strings.Join(again, ", ") + ": " + reason
	}
	e.start(w, rec, reason, depth)
}

// offerEvent offers an event occurrence to the workflows with a trigger on
// its type, then to the enrollments waiting for it. A workflow on another
// object type than the event's is offered the records associated with the
// one the event happened on.
func (e *Engine) offerEvent(it item) {
	if it.rec.deleted {
		return
	}
	for _, w := range e.eventDeps[it.event] {
		obj := e.prog.Workflows[w].Object
		if obj == it.rec.typ {
			e.offerOccurrence(w, it.rec, it)
			continue
		}
		for _, id := range it.rec.links[obj] {
			if r := e.records[obj][id]; r != nil {
				e.offerOccurrence(w, r, it)
			}
		}
	}
	e.wakeOnEvent(it)
}

// offerOccurrence enrolls rec in w if an event trigger of w matches the
// occurrence it: first time only, or every time with `reenroll on event`.
func (e *Engine) offerOccurrence(w int, rec *record, it item) {
	if e.disabled[w] {
		return
	}
	wf := e.prog.Workflows[w]
	m := e.members[w][rec.id]
	if m != nil && m.active != nil {
		return
	}
	trig := -1
	for i, tr := range wf.Triggers {
		if tr.Kind == bytecode.TriggerEvent && tr.Event == it.event &&
			(tr.Expr == bytecode.NoExpr || e.test(tr.Expr, w, rec, it.eventProps)) {
			trig = i
			break
		}
	}
	if trig < 0 || m != nil && m.ever && !containsInt(wf.ReenrollEvents, it.event) || e.blocked(w, rec) {
		return
	}
	reason := "enroll when event " + e.prog.Events[it.event].Name
	if it.rec != rec {
		reason += " on " + it.rec.key(e.prog)
	}
	if x := wf.Triggers[trig].Expr; x != bytecode.NoExpr {
		reason = e.because(reason+" where", x, w, rec, it.event, it.eventProps)
	}
	e.start(w, rec, reason, it.depth)
}

// checkExit ends a current enrollment whose goal, unenroll or suppress
// clause holds now.
func (e *Engine) checkExit(w int, a *enrollment) {
	wf := e.prog.Workflows[w]
	switch {
	case wf.Goal != bytecode.NoExpr && e.test(wf.Goal, w, a.rec, nil):
		e.end(a, Converted, KindConverted, e.because("goal", wf.Goal, w, a.rec, -1, nil))
	case wf.Unenroll != bytecode.NoExpr && e.test(wf.Unenroll, w, a.rec, nil):
		e.end(a, Unenrolled, KindUnenrolled, e.because("unenroll when", wf.Unenroll, w, a.rec, -1, nil))
	case wf.Suppress != bytecode.NoExpr && e.test(wf.Suppress, w, a.rec, nil):
		e.end(a, Unenrolled, KindUnenrolled, e.because("suppress when", wf.Suppress, w, a.rec, -1, nil))
	}
}

// blocked reports whether rec may not enroll in w now: its suppress, goal
// or unenroll clause holds.
func (e *Engine) blocked(w int, rec *record) bool {
	wf := e.prog.Workflows[w]
	for _, x := range []int{wf.Suppress, wf.Goal, wf.Unenroll} {
		if x != bytecode.NoExpr && e.test(x, w, rec, nil) {
			return true
		}
	}
	return false
}

// start enrolls rec in w and queues the enrollment's first step.
func (e *Engine) start(w int, rec *record, reason string, depth int) {
	e.push(e.enroll(w, rec, reason, depth))
}

// enroll enrolls rec in w and returns the work item that runs its first step.
func (e *Engine) enroll(w int, rec *record, reason string, depth int) item {
	wf := e.prog.Workflows[w]
	a := &enrollment{
		Enrollment: Enrollment{Workflow: wf.Name, Type: e.prog.Types[rec.typ].Name, ID: rec.id, Status: Active, Started: e.clock.Now(),
			History: make([]TraceEvent, 0, 8)},
		wf: w, rec: rec, key: rec.key(e.prog),
	}
	e.enrollSeq++
	a.seq = e.enrollSeq
	e.globalsDirty = e.opts.Durable
	m := e.membership(w, rec)
	m.active, m.ever = a, true
	m.note, m.noteAt = "", time.Time{}
	if e.opts.Retention > 0 {
		cutoff := a.Started.Add(-e.opts.Retention)
		kept := rec.enrollments[:0]
		for _, old := range rec.enrollments {
			if old.Status.Current() || !old.Ended.Before(cutoff) {
				kept = append(kept, old)
			}
		}
		clear(rec.enrollments[len(kept):])
		rec.enrollments = kept
	}
	rec.enrollments = append(rec.enrollments, a)
	e.emit(a, TraceEvent{Kind: KindEnrolled, Reason: reason})
	return item{kind: itemRun, a: a, pc: wf.Entry, depth: depth}
}

// end ends a current enrollment.
func (e *Engine) end(a *enrollment, s Status, kind TraceKind, reason string) {
	if !a.Status.Current() {
		return
	}
	a.Status, a.Ended, a.timer = s, e.clock.Now(), 0
	e.unwait(a)
	if m := e.members[a.wf][a.rec.id]; m != nil && m.active == a {
		m.active = nil
	}
	e.emit(a, TraceEvent{Kind: kind, Step: a.Step, Reason: reason})
}

// fail ends an enrollment with an error.
func (e *Engine) fail(a *enrollment, format string, args ...any) {
	e.end(a, Failed, KindError, fmt.Sprintf(format, args...))
}

// write is one property change a step made.
type write struct {
	rec  *record
	slot int
}

// run runs enrollment a from step index pc until it suspends, makes a
// change (then its continuation is queued behind the change), or ends.
func (e *Engine) run(a *enrollment, pc, depth int) {
	if a.Status != Active {
		return
	}
	wf := e.prog.Workflows[a.wf]
	for pc >= 0 {
		st := &wf.Steps[pc]
		a.Step = st.ID
		if wf.Window != nil && isAction(st.Kind) {
			now := e.clock.Now()
			if open := nextOpen(wf.Window, now, e.locs[a.wf]); open.After(now) {
				e.suspend(a, st, open, pc, "outside the run window")
				return
			}
		}
		e.pending = e.pending[:0]
		e.ctx.outputs = a.outputs
		inputs, logged := e.stepInputs(a, st), len(a.History)
		next, writes, done := e.step(a, st, depth)
		e.logStep(a, st, inputs, a.History[logged:])
		e.ctx.outputs = nil
		if done {
			return
		}
		if len(writes) > 0 || len(e.pending) > 0 {
			if depth+1 > e.opts.MaxCascade {
				err := fmt.Errorf("cascade limit: step %s of workflow %s on %s reached cascade depth %d (limit %d); workflows keep re-triggering each other, so the enrollment stops",
					st.ID, wf.Name, a.rec.key(e.prog), depth+1, e.opts.MaxCascade)
				e.errs = append(e.errs, err)
				e.fail(a, "%v", err)
				for _, it := range e.pending {
					if it.kind == itemRun { // an enrollment in another workflow that will not run
						e.fail(it.a, "%v", err)
					}
				}
				return
			}
			e.queueWrites(writes, depth+1)
			for _, it := range e.pending {
				e.push(it)
			}
			e.push(item{kind: itemRun, a: a, pc: next, depth: depth})
			return
		}
		pc = next
	}
	e.end(a, Completed, KindCompleted, "")
}

// isAction reports whether a step of kind k acts (changes or sends
// something), and so waits for the workflow's run window.
func isAction(k bytecode.StepKind) bool {
	switch k {
	case bytecode.StepIf, bytecode.StepBranch, bytecode.StepSplit, bytecode.StepDelay,
		bytecode.StepDelayUntil, bytecode.StepWaitUntil, bytecode.StepWaitEvent, bytecode.StepStop:
		return false
	}
	return true
}

// nextOpen returns now if now is inside the run window, else when the
// window next opens; the window's days and hours are in loc.
func nextOpen(w *bytecode.Window, now time.Time, loc *time.Location) time.Time {
	local := now.In(loc)
	y, m, d := local.Date()
	for i := range 8 {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		if !containsInt(w.Days, int(day.Weekday())) {
			continue
		}
		open := wallClock(loc, y, m, d+i, w.From)
		shut := wallClock(loc, y, m, d+i, w.To)
		if now.Before(open) {
			return open
		}
		if now.Before(shut) {
			return now
		}
	}
	return now // a window with no days: do not hold the enrollment forever
}

// queueWrites queues one change per record written, with the slots written.
func (e *Engine) queueWrites(ws []write, depth int) {
	for i, w := range ws {
		if w.rec == nil {
			continue
		}
		slots := []int{w.slot}
		for j := i + 1; j < len(ws); j++ {
			if ws[j].rec == w.rec {
				slots = append(slots, ws[j].slot)
				ws[j].rec = nil
			}
		}
		e.push(item{kind: itemChange, rec: w.rec, slots: slots, depth: depth})
	}
}

// step runs one step. It returns the index of the step to run next, the
// property changes it made, and done when the enrollment must not go on
// now (it suspended or ended).
//
// Effects other than property changes (a created record, an enrollment in
// another workflow) are appended to e.pending, at depth+1.
func (e *Engine) step(a *enrollment, st *bytecode.Step, depth int) (next int, writes []write, done bool) {
	w, rec := a.wf, a.rec
	next = st.Next
	switch st.Kind {
	case bytecode.StepSet, bytecode.StepCopy:
		writes = e.write(a, st, st.Target, e.eval(st.Expr, w, rec, nil), writes)
	case bytecode.StepIncrement:
		by := value.Num(1)
		if st.Expr != bytecode.NoExpr {
			by = e.eval(st.Expr, w, rec, nil)
		}
		target, name := e.target(rec, st.Target)
		if target == nil {
			e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Prop: name, Reason: "no associated record: nothing to increment"})
			break
		}
		cur := target.props[st.Target.Slot]
		if cur.K == value.Empty {
			cur = value.Num(0)
		}
		if cur.K != value.Number || by.K != value.Number {
			e.fail(a, "step %s (increment): %s is %s and the amount %s; both must be numbers", st.ID, name, show(cur), show(by))
			return 0, nil, true
		}
		writes = e.write(a, st, st.Target, value.Num(cur.N+by.N), writes)
	case bytecode.StepClear:
		targets := st.Targets
		if len(targets) == 0 {
			targets = []bytecode.Target{st.Target}
		}
		for _, t := range targets {
			writes = e.write(a, st, t, value.Value{}, writes)
		}
	case bytecode.StepDelay:
		v := e.eval(st.Expr, w, rec, nil)
		if v.K != value.Duration {
			e.fail(a, "step %s (delay): %s is %s, not a duration", st.ID, e.prog.Exprs[st.Expr].Text, show(v))
			return 0, nil, true
		}
		if d := v.Duration(); d > 0 {
			e.suspend(a, st, e.clock.Now().Add(d), st.Next, fmt.Sprintf("delay %s", d))
			return 0, nil, true
		}
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: "delay of " + v.String() + ": nothing to wait for"})
	case bytecode.StepDelayUntil:
		v := e.eval(st.Expr, w, rec, nil)
		due, ok := e.moment(v, st.At, e.locs[w])
		if !ok {
			e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: fmt.Sprintf("delay until %s: %s is %s; continuing", e.prog.Exprs[st.Expr].Text, e.prog.Exprs[st.Expr].Text, show(v))})
			break
		}
		if !due.After(e.clock.Now()) {
			e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: "delay until " + due.UTC().Format(time.RFC3339) + ": already past; continuing"})
			break
		}
		e.suspend(a, st, due, st.Next, "delay until "+e.prog.Exprs[st.Expr].Text)
		return 0, nil, true
	case bytecode.StepIf:
		next = st.Else
		reason := "no condition held"
		for i, arm := range st.Arms {
			if e.test(arm.Expr, w, rec, nil) {
				next = arm.Next
				reason = e.because(fmt.Sprintf("arm %d:", i+1), arm.Expr, w, rec, -1, nil)
				break
			}
		}
		if next == st.Else {
			if next < 0 {
				next = st.Next
			}
			reason = "else: " + reason
		}
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: reason})
	case bytecode.StepBranch:
		v := e.eval(st.Expr, w, rec, nil)
		next, reason := st.Else, "else"
		for i, arm := range st.Arms {
			if e.armMatches(v, arm.Values) {
				next, reason = arm.Next, fmt.Sprintf("arm %d", i+1)
				break
			}
		}
		if reason == "else" && next < 0 {
			next = st.Next
		}
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: fmt.Sprintf("branch on %s = %s: %s", e.prog.Exprs[st.Expr].Text, show(v), reason)})
		return next, nil, false
	case bytecode.StepSplit:
		u := e.bucket(a, st)
		next = st.Else
		if next < 0 {
			next = st.Next
		}
		reason := "no arm"
		acc := 0.0
		for i, arm := range st.Arms {
			acc += arm.Percent
			if u < acc {
				next, reason = arm.Next, fmt.Sprintf("arm %d (%s%%)", i+1, value.FormatNumber(arm.Percent))
				break
			}
		}
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: fmt.Sprintf("split: bucket %.2f: %s", u, reason)})
	case bytecode.StepStop:
		e.end(a, Completed, KindCompleted, "stop")
		return 0, nil, true
	case bytecode.StepWaitUntil, bytecode.StepWaitEvent:
		return e.wait(a, st)
	case bytecode.StepAssign:
		writes = e.assign(a, st, writes)
	case bytecode.StepSendEmail, bytecode.StepNotify, bytecode.StepCreateTask:
		e.send(a, st)
	case bytecode.StepCreate:
		e.create(a, st, depth)
	case bytecode.StepEnrollIn:
		e.enrollIn(a, st, depth)
	case bytecode.StepWebhook:
		if !e.webhook(a, st) {
			return 0, nil, true
		}
	case bytecode.StepCode:
		if !e.code(a, st) {
			return 0, nil, true
		}
	default:
		e.fail(a, "step %s (%s) is not supported by this runtime yet", st.ID, st.Kind)
		return 0, nil, true
	}
	return next, writes, false
}

func (e *Engine) armMatches(v value.Value, consts []int) bool {
	for _, k := range consts {
		if value.Equal(v, e.prog.Consts[k]) {
			return true
		}
	}
	return false
}

// bucket places an enrollment in [0, 100) for a split step: a hash of the
// seed, the workflow, the record and the step, so the same record takes the
// same arm every run and records spread by the percentages.
func (e *Engine) bucket(a *enrollment, st *bytecode.Step) float64 {
	h := fnv.New64a()
	var seed [8]byte
	binary.LittleEndian.PutUint64(seed[:], uint64(e.opts.Seed))
	h.Write(seed[:])
	for _, s := range []string{a.Workflow, a.Type, a.ID, st.ID} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return float64(h.Sum64()>>11) / (1 << 53) * 100
}

// moment is when `delay until v [at]` ends: a date at the time of day (or
// midnight) in loc; a datetime as is, or on its day in loc at the time of
// day. ok is false when v is neither.
func (e *Engine) moment(v value.Value, at int, loc *time.Location) (time.Time, bool) {
	var y int
	var m time.Month
	var d int
	switch v.K {
	case value.Date:
		y, m, d = v.Time().Date()
		if at < 0 {
			at = 0
		}
	case value.DateTime:
		if at < 0 {
			return v.Time(), true
		}
		y, m, d = v.Time().In(loc).Date()
	default:
		return time.Time{}, false
	}
	return wallClock(loc, y, m, d, at), true
}

// suspend parks an enrollment at st until due, when it goes on at step pc.
func (e *Engine) suspend(a *enrollment, st *bytecode.Step, due time.Time, pc int, why string) {
	e.timerSeq++
	a.Status, a.timer, a.due, a.resume = Waiting, e.timerSeq, due, pc
	e.timers.push(timer{due: due, seq: e.timerSeq, a: a, pc: pc})
	e.emit(a, TraceEvent{Kind: KindWaiting, Step: st.ID, Reason: why + " until " + due.UTC().Format(time.RFC3339)})
}

// target resolves a step's destination property: the enrolled record's
// own, or the first associated record's. It returns nil when there is no
// associated record; name is the property as written ("company.name").
func (e *Engine) target(rec *record, t bytecode.Target) (*record, string) {
	if t.Assoc < 0 {
		return rec, e.prog.Types[rec.typ].Props[t.Slot].Name
	}
	as := e.prog.Types[rec.typ].Assocs[t.Assoc]
	name := as.Name + "." + e.prog.Types[t.Type].Props[t.Slot].Name
	for _, id := range rec.links[t.Type] {
		if r := e.records[t.Type][id]; r != nil {
			return r, name
		}
	}
	return nil, name
}

// write sets a step's target to v, traces it, and appends the change to
// writes when the value changed.
func (e *Engine) write(a *enrollment, st *bytecode.Step, t bytecode.Target, v value.Value, writes []write) []write {
	rec, name := e.target(a.rec, t)
	if rec == nil {
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Prop: name, Reason: "no associated record: nothing to " + st.Kind.String()})
		return writes
	}
	old := rec.props[t.Slot]
	if old == v {
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Prop: name, Reason: "unchanged: already " + show(v)})
		return writes
	}
	e.setProp(rec, t.Slot, v)
	kind := KindSet
	if v.K == value.Empty {
		kind = KindCleared
	}
	e.emit(a, TraceEvent{Kind: kind, Step: st.ID, Prop: name, Old: old, New: v})
	return append(writes, write{rec: rec, slot: t.Slot})
}

// ---- evaluation ----

// resolver answers the VM's reads outside the current record.
type resolver struct {
	e       *Engine
	rec     *record
	outputs map[string]output // the outputs of the enrollment whose step runs; nil otherwise
}

// Assoc reads a path on the first associated record that exists.
func (r *resolver) Assoc(p int) value.Value {
	if r.rec == nil {
		return value.Value{}
	}
	path := r.e.prog.Paths[p]
	for _, id := range r.rec.links[path.Type] {
		if o := r.e.records[path.Type][id]; o != nil {
			return o.props[path.Slot]
		}
	}
	return value.Value{}
}

// Ref reads a property of a record named in a test.
func (r *resolver) Ref(i int) value.Value {
	ref := r.e.prog.Refs[i]
	if o := r.e.records[ref.Type][ref.Record]; o != nil {
		return o.props[ref.Slot]
	}
	return value.Value{}
}

// eval evaluates expression x for rec (nil: no record) in workflow w's time
// zone (w < 0: UTC), with the event properties ev.
func (e *Engine) eval(x, w int, rec *record, ev []value.Value) value.Value {
	e.env.Now = e.clock.Now()
	e.env.Loc = time.UTC
	if w >= 0 {
		e.env.Loc = e.locs[w]
	}
	e.env.Props = nil
	if rec != nil {
		e.env.Props = rec.props
	}
	e.env.Event = ev
	e.ctx.rec = rec
	return e.vm.Eval(x, &e.env)
}

func (e *Engine) test(x, w int, rec *record, ev []value.Value) bool {
	return e.eval(x, w, rec, ev).Truthy()
}

// because renders the clause that decided something, with the values its
// expression read: `goal lifecyclestage == "customer" (lifecyclestage = "customer")`.
func (e *Engine) because(clause string, x, w int, rec *record, ev int, props []value.Value) string {
	s := clause + " " + e.prog.Exprs[x].Text
	if r := e.reads(x, w, rec, ev, props); r != "" {
		s += " (" + r + ")"
	}
	return s
}

// reads lists the values expression x reads, in the order it reads them.
func (e *Engine) reads(x, w int, rec *record, ev int, props []value.Value) string {
	ex := &e.prog.Exprs[x]
	var parts []string
	seen := map[bytecode.Instr]bool{}
	for _, in := range e.prog.Code[ex.Start:ex.End] {
		if seen[in] {
			continue
		}
		var name string
		var v value.Value
		switch in.Op() {
		case bytecode.PROP:
			if rec == nil {
				continue
			}
			name, v = e.prog.Types[rec.typ].Props[in.Arg()].Name, rec.props[in.Arg()]
		case bytecode.EVENT:
			if ev < 0 {
				continue
			}
			name, v = e.prog.Events[ev].Name+"."+e.prog.Events[ev].Props[in.Arg()].Name, props[in.Arg()]
		case bytecode.ASSOC:
			if rec == nil {
				continue
			}
			path := e.prog.Paths[in.Arg()]
			e.ctx.rec = rec
			name = e.prog.Types[rec.typ].Assocs[path.Assoc].Name + "." + e.prog.Types[path.Type].Props[path.Slot].Name
			v = e.ctx.Assoc(in.Arg())
		case bytecode.REF:
			ref := e.prog.Refs[in.Arg()]
			name, v = ref.Record+"."+e.prog.Types[ref.Type].Props[ref.Slot].Name, e.ctx.Ref(in.Arg())
		default:
			continue
		}
		seen[in] = true
		parts = append(parts, name+" = "+show(v))
	}
	return strings.Join(parts, ", ")
}

// show renders a value for messages: strings quoted, empty as "empty".
func show(v value.Value) string {
	switch v.K {
	case value.Empty:
		return "empty"
	case value.String:
		return strconv.Quote(v.S)
	case value.List:
		return "[" + v.String() + "]"
	}
	return v.String()
}

// emit stamps a trace event for enrollment a, adds it to a's history and
// passes it to the trace function.
func (e *Engine) emit(a *enrollment, ev TraceEvent) {
	ev.At = e.clock.Now()
	ev.Workflow = a.Workflow
	ev.Record = a.key
	a.History = append(a.History, ev)
	if e.opts.Durable {
		a.dirty = true
		e.touch(a.rec)
	}
	e.trace(ev)
}

func (e *Engine) trace(ev TraceEvent) {
	if e.opts.Trace != nil {
		e.opts.Trace(ev)
	}
}

func containsInt(list []int, x int) bool {
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// ---- timers ----

// timer is a moment the engine must act at: wake enrollment a and continue
// it at step index pc, or, when a is nil, fire trigger trig of workflow w
// (a date trigger for rec, or a schedule trigger when rec is nil).
type timer struct {
	due  time.Time
	seq  uint64
	a    *enrollment
	pc   int
	w    int
	trig int
	rec  *record
}

// live reports whether a timer still stands: its enrollment still waits
// for it, or its date trigger was not re-armed or dropped since.
func (e *Engine) live(tm timer) bool {
	switch {
	case tm.a != nil:
		return tm.a.Status == Waiting && tm.a.timer == tm.seq
	case tm.rec != nil:
		m := e.members[tm.w][tm.rec.id]
		return !tm.rec.deleted && m != nil && m.dates[tm.trig].seq == tm.seq
	}
	return true
}

// timerHeap is a binary min-heap of timers, ordered by due time, then by
// the order they were set. It is typed, not container/heap, so pushing and
// popping a timer does not allocate.
type timerHeap []timer

func (h timerHeap) less(i, j int) bool {
	if !h[i].due.Equal(h[j].due) {
		return h[i].due.Before(h[j].due)
	}
	return h[i].seq < h[j].seq
}

func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	q := *h
	for i := len(q) - 1; i > 0; {
		parent := (i - 1) / 2
		if !q.less(i, parent) {
			break
		}
		q[i], q[parent] = q[parent], q[i]
		i = parent
	}
}

func (h *timerHeap) pop() timer {
	q := *h
	top := q[0]
	last := len(q) - 1
	q[0] = q[last]
	q[last] = timer{}
	q = q[:last]
	for i := 0; ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < len(q) && q.less(l, small) {
			small = l
		}
		if r < len(q) && q.less(r, small) {
			small = r
		}
		if small == i {
			break
		}
		q[i], q[small] = q[small], q[i]
		i = small
	}
	*h = q
	return top
}
