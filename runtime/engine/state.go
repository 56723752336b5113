package engine

import (
	"fmt"
	"sort"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// Durable state. With Options.Durable the engine remembers which records
// changed — their properties, associations, memberships or enrollments —
// along with the action log entries, outbox effects and engine-wide
// counters each call made, and TakeDelta hands all of it over: a store
// adapter writes one Delta in one transaction before the calls that caused
// it are acknowledged. Without Options.Durable none of this is tracked and
// `wf run` and `wf test` pay nothing for it.
//
// The state is written by name, not by slot or index: a record's
// properties by property name, an enrollment's place by step id, with the
// hash of the workflow version it ran on. Restore reads it into an engine
// for any program — the one that wrote it (a restart) or a newer one (a
// reload): an in-flight enrollment whose step ids exist in the program
// moves to it; one whose workflow or step is gone is handed back to the
// caller, left as it is in the store.

// RecordState is one record with everything the engine keeps about it.
type RecordState struct {
	Type    string                 `json:"type"`
	ID      string                 `json:"id"`
	Deleted bool                   `json:"deleted,omitempty"` // in a Delta: the record was deleted
	Props   map[string]value.Value `json:"props,omitempty"`   // by property name; empty values left out
	Links   map[string][]string    `json:"links,omitempty"`   // other type → associated ids, oldest first
	// Members is what each workflow (by name) remembers about the record.
	Members map[string]MemberState `json:"members,omitempty"`
	// Enrollments are the record's enrollments, in start order: all of
	// them from Export, only those that changed in a Delta.
	Enrollments []EnrollmentState `json:"enrollments,omitempty"`
	// Waiting lists the seqs of the enrollments suspended at a wait step,
	// in the order they began to wait: the order a change or an event
	// resumes them in.
	Waiting []uint64 `json:"waiting,omitempty"`
}

// Key is the record as "type/id".
func (r *RecordState) Key() string { return r.Type + "/" + r.ID }

// MemberState is what one workflow remembers about one record.
type MemberState struct {
	Matched bool              `json:"matched,omitempty"` // the filter triggers matched after the last change
	Ever    bool              `json:"ever,omitempty"`    // enrolled before
	Dates   map[int]time.Time `json:"dates,omitempty"`   // date trigger index → the moment it is armed for
	// DateSeqs are the date timers' places in the order timers were set
	// (see EnrollmentState.TimerSeq), by date trigger index.
	DateSeqs map[int]uint64 `json:"date_seqs,omitempty"`
	Note     string         `json:"note,omitempty"`
	NoteAt   time.Time      `json:"note_at,omitzero"`
}

// EnrollmentState is one enrollment as a store keeps it.
type EnrollmentState struct {
	Seq      uint64    `json:"seq"` // unique within the engine's store
	Workflow string    `json:"workflow"`
	Version  string    `json:"version"` // the hash of the workflow version it runs on
	Type     string    `json:"type"`
	ID       string    `json:"id"`
	Status   Status    `json:"status"`
	Step     string    `json:"step,omitempty"`
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended,omitzero"`
	// Due is when the pending timer fires (zero: none); Resume says where
	// it continues, relative to Step, so that it means the same in a new
	// version of the workflow: "next" (after a delay), "else" (a wait's
	// time limit) or "self" (a step waiting for its run window).
	Due    time.Time `json:"due,omitzero"`
	Resume string    `json:"resume,omitempty"`
	// TimerSeq is the pending timer's place in the order the engine set
	// its timers (schedules', date triggers' and enrollments' alike):
	// timers due at the same moment fire in that order, after a Restore
	// too. 0 (state written before it was kept): after the others.
	TimerSeq uint64 `json:"timer_seq,omitempty"`
	// Wait is the id of the wait step it is suspended at, if any.
	Wait string `json:"wait,omitempty"`
	// The outgoing webhook at Step (Options.AsyncWebhooks, or retries):
	// its attempts so far and the first one's time; Delivering while an
	// attempt has no answer yet (Restore re-issues it, same key), or while
	// a code run (Options.AsyncCode) has no result (Restore runs it again).
	HookAttempt int                    `json:"hook_attempt,omitempty"`
	HookFirst   time.Time              `json:"hook_first,omitzero"`
	Delivering  bool                   `json:"delivering,omitempty"`
	Outputs     map[string]OutputState `json:"outputs,omitempty"`
	History     []HistoryEvent         `json:"history,omitempty"`
}

// OutputState is what an earlier step left under its `as` name.
type OutputState struct {
	Hook    *WebhookResult         `json:"hook,omitempty"`
	Code    map[string]value.Value `json:"code,omitempty"`    // a code step's outputs, by name
	Created string                 `json:"created,omitempty"` // "type/id"
}

// HistoryEvent is a trace event of an enrollment's history, with its old
// and new values kept exactly.
type HistoryEvent struct {
	At     time.Time   `json:"at"`
	Kind   TraceKind   `json:"kind"`
	Step   string      `json:"step,omitempty"`
	Prop   string      `json:"prop,omitempty"`
	Old    value.Value `json:"old,omitzero"`
	New    value.Value `json:"new,omitzero"`
	Reason string      `json:"reason,omitempty"`
}

// Globals is the engine-wide state: counters, schedule timers, enabling.
type Globals struct {
	EnrollSeq uint64          `json:"enroll_seq"`
	Rotation  map[string]int  `json:"rotation,omitempty"` // workflow and step id → the next round-robin candidate
	Created   map[string]int  `json:"created,omitempty"`  // type → records created by steps
	Schedules []ScheduleState `json:"schedules,omitempty"`
	Workflows []string        `json:"workflows"`          // every workflow the program had
	Disabled  []string        `json:"disabled,omitempty"` // those not enabled
}

// ScheduleState is the pending timer of a schedule trigger.
type ScheduleState struct {
	Workflow string    `json:"workflow"`
	Trigger  int       `json:"trigger"`
	Due      time.Time `json:"due"`
	Seq      uint64    `json:"seq,omitempty"` // as EnrollmentState.TimerSeq
}

// LoggedEntry is an action log entry with its workflow.
type LoggedEntry struct {
	Workflow string
	LogEntry
}

// Delta is what the engine changed since the last TakeDelta.
type Delta struct {
	Records []RecordState // by key; a deleted record before a new one of the same key
	Log     []LoggedEntry
	Outbox  []Effect
	Globals *Globals // nil when unchanged
}

// Empty reports whether nothing changed.
func (d *Delta) Empty() bool {
	return len(d.Records) == 0 && len(d.Log) == 0 && len(d.Outbox) == 0 && d.Globals == nil
}

// touch marks rec changed, in durable mode.
func (e *Engine) touch(rec *record) {
	if e.dirty != nil {
		e.dirty[rec] = struct{}{}
	}
}

// TakeDelta returns what changed since the last call and forgets it. The
// engine must have been made with Options.Durable.
func (e *Engine) TakeDelta() Delta {
	e.mu.Lock()
	defer e.mu.Unlock()
	var d Delta
	for rec := range e.dirty {
		d.Records = append(d.Records, e.recordState(rec, true))
	}
	clear(e.dirty)
	sort.Slice(d.Records, func(i, j int) bool {
		a, b := &d.Records[i], &d.Records[j]
		if a.Type != b.Type || a.ID != b.ID {
			return a.Type < b.Type || a.Type == b.Type && a.ID < b.ID
		}
		return a.Deleted && !b.Deleted
	})
	d.Log, e.newLogs = e.newLogs, nil
	if len(e.outbox) > 0 && e.opts.Durable {
		d.Outbox, e.outbox = e.outbox, nil
	}
	if e.globalsDirty {
		g := e.globals()
		d.Globals = &g
		e.globalsDirty = false
	}
	return d
}

// Export returns the whole state: every record with all its enrollments,
// and the globals.
func (e *Engine) Export() (Globals, []RecordState) {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []RecordState
	for _, recs := range e.records {
		for _, rec := range recs {
			out = append(out, e.recordState(rec, false))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key() < out[j].Key() })
	return e.globals(), out
}

// recordState renders rec; onlyDirty keeps only the enrollments changed
// since the last delta, and clears their marks.
func (e *Engine) recordState(rec *record, onlyDirty bool) RecordState {
	t := e.prog.Types[rec.typ]
	rs := RecordState{Type: t.Name, ID: rec.id, Deleted: rec.deleted}
	for slot, v := range rec.props {
		if !v.IsEmpty() {
			if rs.Props == nil {
				rs.Props = map[string]value.Value{}
			}
			rs.Props[t.Props[slot].Name] = v
		}
	}
	for ot, ids := range rec.links {
		if len(ids) > 0 {
			if rs.Links == nil {
				rs.Links = map[string][]string{}
			}
			rs.Links[e.prog.Types[ot].Name] = append([]string(nil), ids...)
		}
	}
	for _, w := range e.byType[rec.typ] {
		m := e.members[w][rec.id]
		if m == nil {
			continue
		}
		ms := MemberState{Matched: m.matched, Ever: m.ever, Note: m.note, NoteAt: m.noteAt}
		for i, dt := range m.dates {
			if ms.Dates == nil {
				ms.Dates, ms.DateSeqs = map[int]time.Time{}, map[int]uint64{}
			}
			ms.Dates[i], ms.DateSeqs[i] = dt.due, dt.seq
		}
		if rs.Members == nil {
			rs.Members = map[string]MemberState{}
		}
		rs.Members[e.prog.Workflows[w].Name] = ms
	}
	for _, a := range rec.enrollments {
		if onlyDirty && !a.dirty {
			continue
		}
		a.dirty = false
		rs.Enrollments = append(rs.Enrollments, e.enrollmentState(a))
	}
	for _, a := range rec.waiting {
		rs.Waiting = append(rs.Waiting, a.seq)
	}
	return rs
}

func (e *Engine) enrollmentState(a *enrollment) EnrollmentState {
	wf := e.prog.Workflows[a.wf]
	es := EnrollmentState{
		Seq: a.seq, Workflow: a.Workflow, Version: wf.Hash, Type: a.Type, ID: a.ID,
		Status: a.Status, Step: a.Step, Started: a.Started, Ended: a.Ended,
	}
	if a.Status == Waiting && a.timer != 0 {
		es.Due, es.TimerSeq = a.due, a.timer
		es.Resume = "next"
		for i := range wf.Steps {
			if st := &wf.Steps[i]; st.ID == a.Step {
				switch {
				case a.resume == i:
					es.Resume = "self"
				case st.Else >= 0 && a.resume == st.Else:
					es.Resume = "else"
				}
			}
		}
	}
	if a.wait != nil {
		es.Wait = a.wait.ID
	}
	if a.hookAttempt > 0 && a.hookStep == a.Step && a.Status.Current() {
		es.HookAttempt, es.HookFirst = a.hookAttempt, a.hookFirst
	}
	es.Delivering = a.delivering && a.Status == Waiting
	for name, o := range a.outputs {
		var os OutputState
		switch {
		case o.hook != nil:
			os.Hook = o.hook
		case o.code != nil:
			os.Code = o.code
		case o.created != nil:
			os.Created = o.created.key(e.prog)
		default:
			continue
		}
		if es.Outputs == nil {
			es.Outputs = map[string]OutputState{}
		}
		es.Outputs[name] = os
	}
	es.History = make([]HistoryEvent, len(a.History))
	for i, ev := range a.History {
		es.History[i] = HistoryEvent{At: ev.At, Kind: ev.Kind, Step: ev.Step, Prop: ev.Prop, Old: ev.Old, New: ev.New, Reason: ev.Reason}
	}
	return es
}

func (e *Engine) globals() Globals {
	g := Globals{EnrollSeq: e.enrollSeq}
	if len(e.rotation) > 0 {
		g.Rotation = map[string]int{}
		for k, n := range e.rotation {
			g.Rotation[k] = n
		}
	}
	for t, n := range e.created {
		if n > 0 {
			if g.Created == nil {
				g.Created = map[string]int{}
			}
			g.Created[e.prog.Types[t].Name] = n
		}
	}
	for _, tm := range e.timers {
		if tm.a == nil && tm.rec == nil {
			g.Schedules = append(g.Schedules, ScheduleState{Workflow: e.prog.Workflows[tm.w].Name, Trigger: tm.trig, Due: tm.due, Seq: tm.seq})
		}
	}
	sort.Slice(g.Schedules, func(i, j int) bool {
		a, b := g.Schedules[i], g.Schedules[j]
		return a.Workflow < b.Workflow || a.Workflow == b.Workflow && a.Trigger < b.Trigger
	})
	g.Workflows = make([]string, 0, len(e.prog.Workflows))
	for w, wf := range e.prog.Workflows {
		g.Workflows = append(g.Workflows, wf.Name)
		if e.disabled[w] {
			g.Disabled = append(g.Disabled, wf.Name)
		}
	}
	return g
}

// Restore loads state written by Export or a series of deltas into an
// engine that has applied nothing yet. g may be nil (a store with no
// globals yet). Properties the program no longer declares, or whose
// stored kind no longer fits the declared type, are dropped. Ended
// enrollments of workflows the program no longer has are not loaded.
// Current enrollments move to this program's version of their workflow
// when the steps they are at exist in it (and are marked changed, so the
// next delta records the new version); those that cannot are returned as
// left, not loaded: they stay in the store as they are. Timers that came
// due before the clock's time fire at the next RunUntil, late rather than
// never.
func (e *Engine) Restore(g *Globals, recs []RecordState) (left []EnrollmentState, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, recs := range e.records {
		if len(recs) > 0 {
			return nil, fmt.Errorf("engine: Restore into an engine that has records already")
		}
	}
	e.orderTimers(g, recs)
	type loaded struct {
		rec *record
		rs  *RecordState
	}
	var all []loaded
	byKey := map[string]*record{}
	for i := range recs {
		rs := &recs[i]
		t, ok := e.typeIndex[rs.Type]
		if !ok {
			left = append(left, currentOnly(rs.Enrollments)...)
			continue
		}
		decl := e.prog.Types[t]
		rec := &record{typ: t, id: rs.ID, props: make([]value.Value, len(decl.Props))}
		for name, v := range rs.Props {
			for slot, p := range decl.Props {
				if p.Name == name && v.K == p.Type.ValueKind() {
					e.setProp(rec, slot, v)
				}
			}
		}
		for other, ids := range rs.Links {
			if ot, ok := e.typeIndex[other]; ok && len(ids) > 0 {
				if rec.links == nil {
					rec.links = map[int][]string{}
				}
				rec.links[ot] = append([]string(nil), ids...)
			}
		}
		e.records[t][rs.ID] = rec
		byKey[rs.Key()] = rec
		all = append(all, loaded{rec, rs})
	}
	steps := map[int]map[string]int{} // workflow → step id → index
	stepIndex := func(w int, id string) (int, bool) {
		m := steps[w]
		if m == nil {
			m = map[string]int{}
			for i, st := range e.prog.Workflows[w].Steps {
				m[st.ID] = i
			}
			steps[w] = m
		}
		i, ok := m[id]
		return i, ok
	}
	var migrated []*record
	var run []item
	for _, l := range all {
		rec, rs := l.rec, l.rs
		for name, ms := range rs.Members {
			w, ok := e.wfIndex[name]
			if !ok {
				continue
			}
			m := &membership{matched: ms.Matched, ever: ms.Ever, note: ms.Note, noteAt: ms.NoteAt}
			for i, due := range ms.Dates {
				if i < len(e.prog.Workflows[w].Triggers) && e.prog.Workflows[w].Triggers[i].Kind == bytecode.TriggerDate {
					if m.dates == nil {
						m.dates = map[int]dateTimer{}
					}
					seq := e.restoredSeq(ms.DateSeqs[i])
					m.dates[i] = dateTimer{due: due, seq: seq}
					e.timers.push(timer{due: due, seq: seq, w: w, trig: i, rec: rec})
				}
			}
			e.members[w][rec.id] = m
		}
		ens := append([]EnrollmentState(nil), rs.Enrollments...)
		sort.Slice(ens, func(i, j int) bool { return ens[i].Seq < ens[j].Seq })
		for _, es := range ens {
			e.enrollSeq = max(e.enrollSeq, es.Seq)
			w, ok := e.wfIndex[es.Workflow]
			current := es.Status.Current()
			if !ok {
				if current {
					left = append(left, es)
				}
				continue
			}
			wf := e.prog.Workflows[w]
			a := &enrollment{
				Enrollment: Enrollment{Workflow: es.Workflow, Type: rs.Type, ID: rs.ID, Status: es.Status, Step: es.Step,
					Started: es.Started, Ended: es.Ended},
				wf: w, rec: rec, key: rs.Key(), seq: es.Seq, resume: -1,
			}
			if current {
				at, okAt := stepIndex(w, es.Step)
				wait, okWait := 0, true
				if es.Wait != "" {
					wait, okWait = stepIndex(w, es.Wait)
				}
				if !okAt || !okWait {
					left = append(left, es)
					continue
				}
				resume := wf.Steps[at].Next
				switch es.Resume {
				case "self":
					resume = at
				case "else":
					if wf.Steps[at].Else >= 0 {
						resume = wf.Steps[at].Else
					}
				}
				m := e.members[w][rec.id]
				if m == nil {
					m = &membership{}
					e.members[w][rec.id] = m
				}
				m.active, m.ever = a, true
				if es.Wait != "" {
					a.wait = &wf.Steps[wait]
					rec.waiting = append(rec.waiting, a)
				}
				if !es.Due.IsZero() {
					a.timer, a.due, a.resume = e.restoredSeq(es.TimerSeq), es.Due, resume
					e.timers.push(timer{due: es.Due, seq: a.timer, a: a, pc: resume})
				}
				if es.HookAttempt > 0 {
					a.hookStep, a.hookAttempt, a.hookFirst = es.Step, es.HookAttempt, es.HookFirst
				}
				if es.Delivering {
					// Re-issue the attempt that had no answer: the step
					// runs again with the same attempt number and key.
					a.Status, a.reissue = Active, true
				}
				if a.Status == Active {
					run = append(run, item{kind: itemRun, a: a, pc: at})
				}
				if es.Version != wf.Hash {
					a.dirty = true
					migrated = append(migrated, rec)
				}
			}
			for name, o := range es.Outputs {
				switch {
				case o.Hook != nil:
					a.setOutput(name, output{hook: o.Hook})
				case o.Code != nil:
					a.setOutput(name, output{code: o.Code})
				case o.Created != "":
					if r := byKey[o.Created]; r != nil {
						a.setOutput(name, output{created: r})
					}
				}
			}
			a.History = make([]TraceEvent, len(es.History), len(es.History)+8)
			for i, h := range es.History {
				a.History[i] = TraceEvent{At: h.At, Kind: h.Kind, Workflow: es.Workflow, Record: a.key, Step: h.Step,
					Prop: h.Prop, Old: h.Old, New: h.New, Reason: h.Reason}
			}
			rec.enrollments = append(rec.enrollments, a)
		}
		orderWaiting(rec, rs.Waiting)
	}
	if g != nil {
		e.enrollSeq = max(e.enrollSeq, g.EnrollSeq)
		for k, n := range g.Rotation {
			e.rotation[k] = n
		}
		for name, n := range g.Created {
			if t, ok := e.typeIndex[name]; ok {
				e.created[t] = n
			}
		}
		e.restoreSchedules(g.Schedules)
	}
	if e.dirty != nil {
		clear(e.dirty)
		for _, rec := range migrated {
			e.touch(rec)
		}
	}
	e.globalsDirty = e.opts.Durable
	for _, it := range run {
		e.push(it)
	}
	return left, e.drain()
}

// orderTimers prepares Restore to keep the order timers were set in, by
// which timers due at the same moment fire: the stored timers keep their
// seqs, so the timers New armed (schedules) are renumbered after the
// largest stored one, and e.timerSeq continues from there.
func (e *Engine) orderTimers(g *Globals, recs []RecordState) {
	var top uint64
	for i := range recs {
		for _, ms := range recs[i].Members {
			for _, seq := range ms.DateSeqs {
				top = max(top, seq)
			}
		}
		for _, es := range recs[i].Enrollments {
			top = max(top, es.TimerSeq)
		}
	}
	if g != nil {
		for _, s := range g.Schedules {
			top = max(top, s.Seq)
		}
	}
	armed := append([]timer(nil), e.timers...)
	sort.Slice(armed, func(i, j int) bool { return armed[i].seq < armed[j].seq })
	e.timers, e.timerSeq = nil, max(e.timerSeq, top)
	for _, tm := range armed {
		e.timerSeq++
		tm.seq = e.timerSeq
		e.timers.push(tm)
	}
}

// restoredSeq is the seq of a restored timer: the stored one, or, for
// state written before seqs were kept (0), the next one.
func (e *Engine) restoredSeq(stored uint64) uint64 {
	if stored != 0 {
		return stored
	}
	e.timerSeq++
	return e.timerSeq
}

// orderWaiting puts a restored record's waiting enrollments in the order
// they began to wait (RecordState.Waiting); those it does not list (state
// written before it was kept) stay in start order, after them.
func orderWaiting(rec *record, order []uint64) {
	if len(order) == 0 || len(rec.waiting) < 2 {
		return
	}
	rank := make(map[uint64]int, len(order))
	for i, seq := range order {
		rank[seq] = i + 1
	}
	at := func(a *enrollment) int {
		if r, ok := rank[a.seq]; ok {
			return r
		}
		return len(order) + 1
	}
	sort.SliceStable(rec.waiting, func(i, j int) bool { return at(rec.waiting[i]) < at(rec.waiting[j]) })
}

// restoreSchedules replaces the schedule timers New armed with the stored
// ones of the same workflow and trigger, so an occurrence that came due
// while the engine was down fires late instead of being skipped.
func (e *Engine) restoreSchedules(stored []ScheduleState) {
	type key struct{ w, trig int }
	keep := map[key]ScheduleState{}
	for _, s := range stored {
		w, ok := e.wfIndex[s.Workflow]
		if ok && s.Trigger < len(e.prog.Workflows[w].Triggers) && e.prog.Workflows[w].Triggers[s.Trigger].Kind == bytecode.TriggerSchedule {
			keep[key{w, s.Trigger}] = s
		}
	}
	if len(keep) == 0 {
		return
	}
	old := e.timers
	e.timers = nil
	for _, tm := range old {
		if tm.a == nil && tm.rec == nil {
			if _, ok := keep[key{tm.w, tm.trig}]; ok {
				continue
			}
		}
		e.timers.push(tm)
	}
	for _, s := range stored { // in stored order, not the map's: seqs given to old state are deterministic
		w, ok := e.wfIndex[s.Workflow]
		if k := (key{w, s.Trigger}); ok && keep[k] == s {
			e.timers.push(timer{due: s.Due, seq: e.restoredSeq(s.Seq), w: w, trig: s.Trigger})
			delete(keep, k)
		}
	}
}

func currentOnly(ens []EnrollmentState) []EnrollmentState {
	var out []EnrollmentState
	for _, es := range ens {
		if es.Status.Current() {
			out = append(out, es)
		}
	}
	return out
}

// Disable stops a workflow from enrolling records; its current enrollments
// run on. Enable enables it again. Disabling a disabled workflow does
// nothing.
func (e *Engine) Disable(workflow string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.wfIndex[workflow]
	if !ok {
		return fmt.Errorf("engine: no workflow %s", workflow)
	}
	if !e.disabled[w] {
		e.disabled[w] = true
		e.globalsDirty = e.opts.Durable
	}
	return nil
}
