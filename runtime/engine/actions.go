package engine

import (
	"fmt"
	"strconv"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// EffectKind says what an Effect is.
type EffectKind string

// The effect kinds.
const (
	EffectEmail   EffectKind = "email"   // send email: Name is the template, To the address
	EffectNotify  EffectKind = "notify"  // notify: To the recipient, Text the message
	EffectTask    EffectKind = "task"    // create task: Name is the title, To the owner, Due when it is due
	EffectCreated EffectKind = "created" // create: Name is the new record, "type/id"
	EffectWebhook EffectKind = "webhook" // webhook: Name is the URL, Text the body sent
)

// Effect is one thing a step did outside the enrolled record. The engine
// only records effects, in its outbox, in the order steps ran: it sends no
// email and calls no one. Tests read the outbox; a server delivers from it.
type Effect struct {
	At       time.Time
	Kind     EffectKind
	Workflow string
	Record   string // the enrolled record, "type/id"
	Step     string
	To       string
	Name     string
	Text     string
	Due      time.Time
}

// Outbox returns a copy of every effect so far, oldest first.
func (e *Engine) Outbox() []Effect {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Effect(nil), e.outbox...)
}

// EvalRecord evaluates a program expression over a record's properties (as
// the where clause of `expect created deal where …` is read); ok is false
// when there is no such record.
func (e *Engine) EvalRecord(expr int, typ, id string) (v value.Value, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.typeIndex[typ]
	if !ok || e.records[t][id] == nil {
		return value.Value{}, false
	}
	return e.eval(expr, -1, e.records[t][id], nil), true
}

// wait suspends an enrollment at a wait until (unless its condition holds
// already) or a wait for event step, with a timer for its time limit.
func (e *Engine) wait(a *enrollment, st *bytecode.Step) (int, []write, bool) {
	rec := a.rec
	var why string
	if st.Kind == bytecode.StepWaitUntil {
		if e.test(st.Expr, a.wf, rec, nil) {
			e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: e.because("wait until", st.Expr, a.wf, rec, -1, nil) + ": holds already"})
			return st.Next, nil, false
		}
		why = "wait until " + e.prog.Exprs[st.Expr].Text
	} else {
		why = "wait for event " + e.prog.Events[st.Event].Name
		if st.Expr != bytecode.NoExpr {
			why += " where " + e.prog.Exprs[st.Expr].Text
		}
	}
	a.wait = st
	rec.waiting = append(rec.waiting, a)
	if st.Timeout != bytecode.NoExpr {
		if v := e.eval(st.Timeout, a.wf, rec, nil); v.K == value.Duration {
			pc := st.Else
			if pc < 0 {
				pc = st.Next
			}
			e.suspend(a, st, e.clock.Now().Add(v.Duration()), pc, why+" up to "+v.String())
			return 0, nil, true
		}
	}
	a.Status = Waiting
	e.emit(a, TraceEvent{Kind: KindWaiting, Step: st.ID, Reason: why + " (no time limit)"})
	return 0, nil, true
}

// unwait takes an enrollment off its record's list of waiters.
func (e *Engine) unwait(a *enrollment) {
	if a.wait == nil {
		return
	}
	a.wait = nil
	w := a.rec.waiting[:0]
	for _, x := range a.rec.waiting {
		if x != a {
			w = append(w, x)
		}
	}
	a.rec.waiting = w
}

// resume continues a waiting enrollment at step pc.
func (e *Engine) resume(a *enrollment, pc, depth int, reason string) {
	e.unwait(a)
	a.Status, a.timer = Active, 0
	e.emit(a, TraceEvent{Kind: KindResumed, Step: a.Step, Reason: reason})
	e.push(item{kind: itemRun, a: a, pc: pc, depth: depth})
}

// wakeOnChange resumes the record's enrollments waiting until a condition
// that now holds, in the order they started waiting.
func (e *Engine) wakeOnChange(rec *record, depth int) {
	if len(rec.waiting) == 0 {
		return
	}
	for _, a := range append([]*enrollment(nil), rec.waiting...) {
		st := a.wait
		if a.Status == Waiting && st != nil && st.Kind == bytecode.StepWaitUntil && e.test(st.Expr, a.wf, rec, nil) {
			e.resume(a, st.Next, depth, e.because("wait until", st.Expr, a.wf, rec, -1, nil))
		}
	}
}

// wakeOnEvent resumes the record's enrollments waiting for this event.
func (e *Engine) wakeOnEvent(it item) {
	rec := it.rec
	if len(rec.waiting) == 0 {
		return
	}
	for _, a := range append([]*enrollment(nil), rec.waiting...) {
		st := a.wait
		if a.Status != Waiting || st == nil || st.Kind != bytecode.StepWaitEvent || st.Event != it.event {
			continue
		}
		reason := "event " + e.prog.Events[it.event].Name
		if st.Expr != bytecode.NoExpr {
			if !e.test(st.Expr, a.wf, rec, it.eventProps) {
				continue
			}
			reason = e.because(reason+" where", st.Expr, a.wf, rec, it.event, it.eventProps)
		}
		e.resume(a, st.Next, it.depth, reason)
	}
}

// assign sets the target to a value, or to one of a list of candidates:
// round_robin and balanced take them in turn per step (balanced does not
// yet weigh current load); random picks by the seeded hash.
func (e *Engine) assign(a *enrollment, st *bytecode.Step, writes []write) []write {
	if st.List < 0 {
		return e.write(a, st, st.Target, e.eval(st.Expr, a.wf, a.rec, nil), writes)
	}
	cands := e.prog.Lists[st.List]
	if len(cands) == 0 {
		return writes
	}
	var i int
	if len(st.Strs) > 0 && st.Strs[0] == "random" {
		i = min(int(e.bucket(a, st)/100*float64(len(cands))), len(cands)-1)
	} else {
		key := a.Workflow + "\x00" + st.ID
		i = e.rotation[key] % len(cands)
		e.rotation[key]++
		e.globalsDirty = e.opts.Durable
	}
	return e.write(a, st, st.Target, cands[i], writes)
}

// send records an email, notification or task in the outbox.
func (e *Engine) send(a *enrollment, st *bytecode.Step) {
	now := e.clock.Now()
	text := func(x int) string {
		if x == bytecode.NoExpr {
			return ""
		}
		return e.eval(x, a.wf, a.rec, nil).String()
	}
	ef := Effect{At: now, Workflow: a.Workflow, Record: a.key, Step: st.ID}
	var reason string
	switch st.Kind {
	case bytecode.StepSendEmail:
		ef.Kind, ef.Name, ef.To = EffectEmail, text(st.Args[0]), text(st.Args[1])
		if ef.To == "" {
			for slot, p := range e.prog.Types[a.rec.typ].Props {
				if p.Name == "email" {
					ef.To = a.rec.props[slot].String()
				}
			}
		}
		reason = fmt.Sprintf("email %q to %s", ef.Name, strconv.Quote(ef.To))
	case bytecode.StepNotify:
		ef.Kind, ef.To, ef.Text = EffectNotify, text(st.Args[0]), text(st.Args[1])
		reason = fmt.Sprintf("notify %q: %q", ef.To, ef.Text)
	case bytecode.StepCreateTask:
		ef.Kind, ef.Name = EffectTask, text(st.Args[0])
		if st.Args[1] != bytecode.NoExpr {
			switch v := e.eval(st.Args[1], a.wf, a.rec, nil); v.K {
			case value.Duration:
				ef.Due = now.Add(v.Duration())
			case value.Date, value.DateTime:
				ef.Due = v.Time()
			}
		}
		if st.Target.Slot >= 0 {
			if owner, _ := e.target(a.rec, st.Target); owner != nil {
				ef.To = owner.props[st.Target.Slot].String()
			}
		}
		reason = fmt.Sprintf("task %q for %q", ef.Name, ef.To)
	}
	e.outbox = append(e.outbox, ef)
	e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: reason})
}

// create makes a record of the step's type with its field values, named
// "<type>-<n>", associated with the enrolled record when the types are
// associated; its creation is offered to the workflows like any new record.
func (e *Engine) create(a *enrollment, st *bytecode.Step, depth int) {
	t := st.Target.Type
	tname := e.prog.Types[t].Name
	var id string
	for {
		e.created[t]++
		e.globalsDirty = e.opts.Durable
		id = tname + "-" + strconv.Itoa(e.created[t])
		if e.records[t][id] == nil && (e.opts.OwnsID == nil || e.opts.OwnsID(tname, id)) {
			break
		}
	}
	rec := &record{typ: t, id: id, props: make([]value.Value, len(e.prog.Types[t].Props))}
	for i, x := range st.Args {
		e.setProp(rec, st.Slots[i], e.eval(x, a.wf, a.rec, nil))
	}
	e.records[t][id] = rec
	e.touch(rec) // a new record is state even with no field set
	e.pending = append(e.pending, item{kind: itemChange, rec: rec, created: true, depth: depth + 1})
	if e.associated(a.rec.typ, t) && e.link(a.rec, rec) {
		e.pending = append(e.pending,
			item{kind: itemChange, rec: a.rec, assoc: true, depth: depth + 1},
			item{kind: itemChange, rec: rec, assoc: true, depth: depth + 1})
	}
	if st.As != "" {
		a.setOutput(st.As, output{created: rec})
	}
	key := rec.key(e.prog)
	e.outbox = append(e.outbox, Effect{At: e.clock.Now(), Kind: EffectCreated, Workflow: a.Workflow, Record: a.key, Step: st.ID, Name: key})
	e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: "created " + key})
}

// associated reports whether either type declares an association to the other.
func (e *Engine) associated(a, b int) bool {
	for _, as := range e.prog.Types[a].Assocs {
		if as.Target == b {
			return true
		}
	}
	for _, as := range e.prog.Types[b].Assocs {
		if as.Target == a {
			return true
		}
	}
	return false
}

// enrollIn enrolls the record in another workflow, unless it is enrolled
// there already or that workflow's suppress, goal or unenroll clause holds.
func (e *Engine) enrollIn(a *enrollment, st *bytecode.Step, depth int) {
	name := st.Strs[0]
	w, ok := e.wfIndex[name]
	if !ok || e.prog.Workflows[w].Object != a.rec.typ {
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: "enroll in " + name + ": no such workflow on " + a.Type})
		return
	}
	switch m := e.members[w][a.ID]; {
	case m != nil && m.active != nil:
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: "enroll in " + name + ": already enrolled there"})
	case e.blocked(w, a.rec):
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: "enroll in " + name + ": its suppress, goal or unenroll clause holds"})
	default:
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: "enroll in " + name})
		e.pending = append(e.pending, e.enroll(w, a.rec, "enroll in "+name+" from "+a.Workflow+" step "+st.ID, depth+1))
	}
}
