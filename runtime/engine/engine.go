// Package engine runs a compiled Program in memory: it keeps records and
// their associations, decides which workflows a change enrolls, unenrolls or
// converts, runs enrollments step by step, and wakes delays from a timer
// queue on a clock (real, or virtual in tests).
//
// It keeps everything in memory and has no worker pool and no outgoing
// HTTP of its own (see "Webhooks and code" below). `wf test` and `wf run` use it as is; `wf serve` (runtime/server)
// runs it with Options.Durable, persisting what each call changed
// (TakeDelta) and rebuilding it from the store (Restore): see state.go.
//
// # Order and determinism
//
// A change is applied to its record, then offered to the affected workflows
// in Program.Workflows order (files in sorted path order, declarations in
// file order). Only workflows whose inputs the change touched are offered
// it: a dependency index maps each property slot to the workflows whose
// filter triggers, reenroll list, unenroll, goal or suppress clauses read
// it, and association changes go to the workflows that read through
// associations. A new record is offered to every workflow on its type.
//
// Steps run from a FIFO work queue. A step that changes a record applies
// the change at once (later steps of the same enrollment see it), queues
// the change for every workflow to see, and queues its own continuation
// behind it: so each step's effects reach the triggers, unenroll criteria
// and goals of every workflow, in the fixed order, before the enrollment
// makes its next change. Nothing depends on timing or goroutines; given
// the same input, program and seed, the trace is the same.
//
// Changes made by steps may enroll records in other workflows whose steps
// make changes in turn. That cascade is capped (Options.MaxCascade); a
// workflow pair that keeps re-triggering each other stops with an error in
// the trace instead of looping forever.
//
// # Enrollment rules
//
//   - Filter triggers (`enroll when`, ORed) enroll a record when it goes
//     from not matching to matching; only the first time, unless a property
//     listed in `reenroll on change` changed in this change and a trigger
//     matches after it. The engine remembers, per workflow and record,
//     whether the triggers matched after the previous change.
//   - Event triggers enroll on an occurrence whose `where` holds (an event
//     on another object type enrolls the associated records); again only
//     the first time unless the event is listed in `reenroll on event`.
//   - Webhook triggers enroll the record an incoming webhook call names
//     (see hooks.go), like event triggers: the first time, or on every
//     call with `reenroll on webhook`. A call that names no record
//     triggers nothing and says so (CallHook, HookCalls, the trace).
//   - Schedule and date triggers fire from timers (see triggers.go): a
//     schedule offers every record of the type at each occurrence; a date
//     trigger enrolls a record when the moment its date names comes. Times
//     of day are wall-clock times in the workflow's zone, with one answer
//     on DST days (wallclock.go): a skipped time is shifted by the jump, a
//     repeated one is its first occurrence.
//   - Workflows named in Options.Disabled enroll nothing until Enable,
//     which runs `enroll existing` (see enable.go).
//   - A record is never enrolled twice at once in one workflow, and is not
//     enrolled while its suppress, goal or unenroll clause holds.
//   - After every change an enrolled record sees, goal (converted), then
//     unenroll (unenrolled), then suppress (unenrolled) are checked; the
//     history records the clause and the values it read.
//   - When a trigger matches but does not enroll (enrolled already,
//     enrolled before without reenroll, blocked), the engine remembers why;
//     Why reports it with the state of every clause, for `wf explain`.
//
// # The action log
//
// Each workflow keeps an action log (actionlog.go): one entry per step
// executed, with its time, record, inputs, outcome and why. Entries older
// than Options.LogRetention are compacted into a per-step summary.
//
// # Steps
//
// set, increment/decrement, clear, copy and assign change properties of the
// record or of its first associated record. delay and delay until suspend
// on a timer (delay until in the workflow's time zone; a moment already
// past continues at once). wait until resumes when a change makes its
// condition true, wait for event when a matching occurrence arrives; both
// take their else branch when the time limit passes. if, branch and split
// choose a branch (split by a hash of Options.Seed, the workflow, the record
// and the step). send email, notify and create task append an Effect to the
// outbox; create makes a record (associated with the enrolled one) that is
// offered to the workflows like any new record; enroll in enrolls the
// record in another workflow; stop ends the enrollment. A step that acts
// (anything but control flow and waiting) outside the workflow's `run on`
// window waits for the window to open.
//
// # Webhooks and code
//
// The engine itself makes no HTTP call and runs no code: webhook steps call
// Options.Webhook once per attempt (runtime/webhook signs, limits and
// delivers), code steps call Options.Code (runtime/code: `code js` on goja,
// `code go` from a registry). Without them those steps are not supported
// and end the enrollment with "step <id> (<kind>) is not supported by this
// runtime yet". An attempt whose answer asks for a retry suspends the
// enrollment at the step on a timer (the engine's clock, so virtual in
// tests) and the next attempt runs when it fires, with the same idempotency
// key. When the delivery ends — success, a final 4xx, a refused target or
// retries exhausted — the enrollment goes on to the next step with the
// answer as the output (`hook.status` is 0 when no HTTP answer came): as
// in HubSpot, a failed webhook does not stop the workflow, and later steps
// can branch on the status. A code step's error (exception, time limit,
// an output not of its declared type) fails the enrollment. Both are
// called synchronously with the engine's lock held, unless
// Options.AsyncWebhooks / Options.AsyncCode is set (wf serve): then a
// webhook or code step suspends the enrollment in a delivering state
// (persisted) and queues the attempt or run for TakeDeliveries; the caller
// runs it outside the engine and hands the result to CompleteWebhook or
// CompleteCode, so a slow endpoint or slow code stalls nothing else. After
// a restart, Restore runs such a step again: at-least-once. Outputs of webhook,
// code and create steps (`hook.status`, `enrich.tier`, `d.id`)
// are readable by later steps of the same enrollment. The mapped
// properties of an incoming webhook call are shown in the enrollment's
// reason but are not readable by steps. Association labels are not
// told apart: a record's associations are kept per other object type. The
// clock does not re-evaluate filters or wait conditions that read `now`,
// and a wait until condition is re-checked on changes of the record
// itself, not of its associated records.
package engine

import (
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/vm"
	"github.com/wflang/wf/value"
)

// DefaultMaxCascade is the cascade depth Options.MaxCascade defaults to.
const DefaultMaxCascade = 32

// Options configure an Engine.
type Options struct {
	// Clock tells the time; nil means clock.Real{}. If it also has a
	// `Set(time.Time) error` method (as *clock.Virtual has), RunUntil moves
	// it to each timer's due time before running what the timer wakes.
	Clock clock.Clock
	// Seed makes split steps deterministic: the arm a record takes is a
	// hash of the seed, the workflow, the record and the step.
	Seed int64
	// Trace, if set, receives every trace event as it happens (with the
	// engine's lock held: it must not call back into the engine). JSONL
	// makes one that writes JSON Lines.
	Trace func(TraceEvent)
	// MaxCascade bounds how many times, within one applied change, effects
	// of steps may trigger further steps; 0 means DefaultMaxCascade.
	MaxCascade int
	// Webhook, if set, makes the outgoing calls of webhook steps (and must
	// not call back into the engine); without it they are not supported.
	Webhook func(WebhookCall) WebhookResult
	// AsyncWebhooks makes webhook steps asynchronous: instead of calling
	// Webhook, a step suspends the enrollment (waiting, delivering) and
	// queues the attempt, which TakeDeliveries hands out; CompleteWebhook
	// takes the answer and resumes the enrollment. In durable mode the
	// delivering state is kept with the attempt count and the first
	// attempt's time, and Restore re-issues the attempt (same idempotency
	// key): at-least-once. Without it, webhook steps call Webhook
	// synchronously (wf test, wf run: deterministic on a virtual clock).
	AsyncWebhooks bool
	// Code, if set, runs code steps (`code js`, `code go`); without it they
	// are not supported. Like Webhook it is called synchronously and must
	// not call back into the engine. runtime/code makes one.
	Code func(CodeCall) CodeResult
	// AsyncCode makes code steps asynchronous, as AsyncWebhooks does
	// webhook steps: the step leaves the enrollment waiting (delivering)
	// and queues the run for TakeDeliveries; CompleteCode takes the result.
	// In durable mode Restore runs a step that had no result again: code
	// runs at least once, so its side effects must tolerate a repeat.
	AsyncCode bool
	// Secrets, if set, looks up secret("NAME") for expressions (webhook
	// signing secrets). Secret values are never traced or logged.
	Secrets func(name string) (string, bool)
	// Retention, if positive, is how long an ended enrollment and its
	// history are kept after it ended; older ones are dropped when the
	// record next enrolls. 0 keeps everything.
	Retention time.Duration
	// LogRetention is how long each workflow's action log keeps its
	// entries (Retain90Days, Retain6Months, Retain2Years or RetainFor any
	// duration); older entries are compacted into the log's summary. The
	// zero value keeps every entry.
	LogRetention Retention
	// Disabled names workflows that start disabled: nothing enrolls in
	// them until Enable (which runs `enroll existing`).
	Disabled []string
	// Durable makes the engine keep, for a store, what each call changed:
	// TakeDelta returns it (see state.go). The action log and the outbox
	// then go only into the delta, not into memory.
	Durable bool
	// OwnsID, if set, restricts the ids a create step gives new records
	// to those it accepts: an engine that holds one partition of a
	// cluster's records (runtime/cluster) numbers created records so that
	// they fall in its own partition, and no two engines pick the same id.
	OwnsID func(typ, id string) bool
}

// Engine runs one Program in memory. It is safe for concurrent use; changes
// are applied one at a time.
type Engine struct {
	mu    sync.Mutex
	prog  *bytecode.Program
	vm    *vm.VM
	clock clock.Clock
	opts  Options

	typeIndex map[string]int
	wfIndex   map[string]int
	locs      []*time.Location // per workflow

	// The dependency index.
	byType     [][]int   // type → workflows on it
	deps       [][][]int // type → slot → workflows reading it (own properties, reenroll list)
	assocDeps  [][][]int // type → slot → workflows on other types reading it through an association
	assocWFs   [][]int   // type → workflows on it that read through associations
	eventDeps  [][]int   // event type → workflows with a trigger on it
	hookDeps   [][]int   // incoming webhook → workflows with a trigger on it
	disabled   []bool    // per workflow: not enabled yet
	hasFilter  []bool    // per workflow: has filter triggers
	hasDate    []bool    // per workflow: has date triggers
	mark       []uint64  // per workflow: the offer round it was last picked in
	round      uint64
	picked     []int
	warnings   []string
	records    []map[string]*record       // type → id → record
	unique     [][]map[value.Value]string // type → slot → value → id, for unique properties
	members    []map[string]*membership   // workflow → record id → state
	queue      []item
	head       int
	timers     timerHeap
	timerSeq   uint64
	errs       []error
	pending    []item         // effects of the running step other than property changes
	deliveries []AsyncCall    // async work not handed out yet (AsyncWebhooks, AsyncCode)
	outbox     []Effect       // what steps sent or created, in order
	created    []int          // per type: records created by steps so far (for their ids)
	rotation   map[string]int // workflow and step id → the next round-robin candidate
	hookLog    []*HookCall    // every incoming webhook call, in order
	logs       []actionLog    // per workflow: its action log
	env        vm.Env
	ctx        resolver

	// Durable mode (Options.Durable, state.go): what changed since the
	// last TakeDelta.
	enrollSeq    uint64               // the last enrollment's sequence number
	dirty        map[*record]struct{} // records whose state changed
	newLogs      []LoggedEntry        // action log entries not taken yet
	globalsDirty bool                 // rotation, created, schedules or enabling changed
}

// record is one stored record.
type record struct {
	typ         int
	id          string
	props       []value.Value
	links       map[int][]string // other type → associated ids, oldest first
	enrollments []*enrollment    // every enrollment, in start order
	waiting     []*enrollment    // enrollments suspended at a wait for a condition or an event
	deleted     bool
}

func (r *record) key(p *bytecode.Program) string { return p.Types[r.typ].Name + "/" + r.id }

// membership is what one workflow remembers about one record.
type membership struct {
	matched bool              // the filter triggers matched after the previous change
	ever    bool              // the record has been enrolled before
	active  *enrollment       // the running or waiting enrollment, if any
	dates   map[int]dateTimer // date trigger index → its armed timer
	note    string            // why a trigger that matched last did not enroll the record (for explain)
	noteAt  time.Time
}

// dateTimer is a date trigger's pending timer for one record.
type dateTimer struct {
	due time.Time
	seq uint64
}

// Status is the state of an enrollment.
type Status uint8

// Enrollment states. Active and Waiting enrollments are current; the others
// have ended.
const (
	Active     Status = iota // running steps
	Waiting                  // suspended at a delay
	Completed                // ran off its last step, or hit stop
	Converted                // the goal was met
	Unenrolled               // unenroll or suppress criteria met, or the record was deleted
	Failed                   // a step failed or is not supported
)

var statusNames = [...]string{"active", "waiting", "completed", "converted", "unenrolled", "failed"}

func (s Status) String() string { return statusNames[s] }

// Current reports whether the enrollment has not ended.
func (s Status) Current() bool { return s == Active || s == Waiting }

// Enrollment is one record's pass through one workflow.
type Enrollment struct {
	Workflow string
	Type     string
	ID       string
	Status   Status
	Step     string    // the current step's id; once ended, the step it ended at ("" if none ran)
	Started  time.Time // when it enrolled
	Ended    time.Time // when it ended; zero while current
	History  []TraceEvent
}

type enrollment struct {
	Enrollment
	wf      int
	rec     *record
	key     string            // the record as "type/id", for trace events
	outputs map[string]output // what earlier steps left under their `as` names
	timer   uint64            // seq of the pending timer while Waiting
	// The webhook delivery in flight (retries): its step, attempt count and
	// first attempt's time (see webhook.go); delivering while an attempt
	// or code run handed out by TakeDeliveries has no result yet
	// (AsyncWebhooks, AsyncCode).
	hookStep    string
	delivering  bool
	reissue     bool // restored delivering: the next attempt repeats the last one
	hookAttempt int
	hookFirst   time.Time
	wait        *bytecode.Step // the wait until / wait for event step it is suspended at
	seq         uint64         // unique per engine and its store: the enrollment's key
	due         time.Time      // when the pending timer is due, while Waiting on one
	resume      int            // the step index the pending timer continues at
	dirty       bool           // changed since the last TakeDelta
}

// Record is a copy of a stored record.
type Record struct {
	Type  string
	ID    string
	Props []value.Value       // by slot of the type
	Assoc map[string][]string // other type name → associated ids, oldest first
}

// New returns an engine for p. It fails if p does not validate or names a
// time zone that does not exist.
func New(p *bytecode.Program, opts Options) (*Engine, error) {
	machine, err := vm.New(p)
	if err != nil {
		return nil, err
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	machine.SetSecrets(opts.Secrets)
	if opts.MaxCascade <= 0 {
		opts.MaxCascade = DefaultMaxCascade
	}
	e := &Engine{
		prog: p, vm: machine, clock: opts.Clock, opts: opts,
		typeIndex: map[string]int{}, wfIndex: map[string]int{},
		byType:    make([][]int, len(p.Types)),
		deps:      make([][][]int, len(p.Types)),
		assocDeps: make([][][]int, len(p.Types)),
		assocWFs:  make([][]int, len(p.Types)),
		eventDeps: make([][]int, len(p.Events)),
		hookDeps:  make([][]int, len(p.Hooks)),
		disabled:  make([]bool, len(p.Workflows)),
		logs:      make([]actionLog, len(p.Workflows)),
		hasFilter: make([]bool, len(p.Workflows)),
		hasDate:   make([]bool, len(p.Workflows)),
		mark:      make([]uint64, len(p.Workflows)),
		records:   make([]map[string]*record, len(p.Types)),
		members:   make([]map[string]*membership, len(p.Workflows)),
		created:   make([]int, len(p.Types)),
		rotation:  map[string]int{},
	}
	if opts.Durable {
		e.dirty = map[*record]struct{}{}
	}
	e.ctx.e = e
	e.env.Resolver = &e.ctx
	for i, t := range p.Types {
		e.typeIndex[t.Name] = i
		e.deps[i] = make([][]int, len(t.Props))
		e.assocDeps[i] = make([][]int, len(t.Props))
		e.records[i] = map[string]*record{}
		e.unique = append(e.unique, make([]map[value.Value]string, len(t.Props)))
		for s, p := range t.Props {
			if p.Unique {
				e.unique[i][s] = map[value.Value]string{}
			}
		}
	}
	for w, wf := range p.Workflows {
		e.wfIndex[wf.Name] = w
		e.members[w] = map[string]*membership{}
		loc := time.UTC
		if wf.Timezone != "" {
			if loc, err = time.LoadLocation(wf.Timezone); err != nil {
				return nil, fmt.Errorf("workflow %s: time zone %q: %v", wf.Name, wf.Timezone, err)
			}
		}
		e.locs = append(e.locs, loc)
		e.index(w, wf)
	}
	for _, name := range opts.Disabled {
		w, ok := e.wfIndex[name]
		if !ok {
			return nil, fmt.Errorf("engine: Options.Disabled names no workflow %s", name)
		}
		e.disabled[w] = true
	}
	for w, wf := range p.Workflows {
		for i, tr := range wf.Triggers {
			if tr.Kind == bytecode.TriggerSchedule {
				e.armSchedule(w, i, e.clock.Now(), true)
			}
		}
	}
	for _, msg := range e.warnings {
		e.trace(TraceEvent{At: e.clock.Now(), Kind: KindError, Reason: msg})
	}
	return e, nil
}

// index enters workflow w into the dependency index. Workflows are indexed
// in program order, so every list stays sorted and add drops duplicates by
// looking at the last entry only.
func (e *Engine) index(w int, wf *bytecode.Workflow) {
	t := wf.Object
	e.byType[t] = append(e.byType[t], w)
	add := func(list *[]int) {
		if n := len(*list); n == 0 || (*list)[n-1] != w {
			*list = append(*list, w)
		}
	}
	for _, s := range wf.Reads {
		add(&e.deps[t][s])
	}
	for _, s := range wf.Reenroll {
		add(&e.deps[t][s])
	}
	exprs := []int{wf.Unenroll, wf.Goal, wf.Suppress}
	for _, tr := range wf.Triggers {
		switch tr.Kind {
		case bytecode.TriggerFilter:
			e.hasFilter[w] = true
			exprs = append(exprs, tr.Expr)
		case bytecode.TriggerEvent:
			add(&e.eventDeps[tr.Event])
		case bytecode.TriggerDate:
			e.hasDate[w] = true
			for _, s := range e.prog.Exprs[tr.Expr].Reads {
				add(&e.deps[t][s])
			}
		case bytecode.TriggerWebhook:
			add(&e.hookDeps[tr.Hook])
		case bytecode.TriggerSchedule:
			// Armed by New once the index is built.
		default:
			e.warnings = append(e.warnings, fmt.Sprintf("workflow %s (%s:%d): %s trigger `%s` is not supported by this runtime yet; it never fires",
				wf.Name, wf.File, tr.Line, tr.Kind, tr.Text))
		}
	}
	reads := false
	for _, x := range exprs {
		if x == bytecode.NoExpr {
			continue
		}
		ex := &e.prog.Exprs[x]
		if !ex.ReadsAssoc {
			continue
		}
		reads = true
		for _, in := range e.prog.Code[ex.Start:ex.End] {
			if in.Op() == bytecode.ASSOC {
				path := e.prog.Paths[in.Arg()]
				add(&e.assocDeps[path.Type][path.Slot])
			}
		}
	}
	if reads {
		add(&e.assocWFs[t])
	}
}

// Warnings lists what the loaded program asks for that this runtime does
// not do (triggers that never fire).
func (e *Engine) Warnings() []string { return append([]string(nil), e.warnings...) }

// Apply applies one change and runs everything it causes, up to the next
// suspension of each enrollment it touches. It fails, without changing
// anything, on a change that names no such type, record or property (an
// event matched by a unique property no record has is such a change); it
// also returns the errors of a cascade that hit Options.MaxCascade (those
// are in the trace too). A hook change calls an incoming webhook as
// CallHook does: a body that names no record is not an error.
func (e *Engine) Apply(ch ingest.Change) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if ch.Type < 0 || ch.Type >= len(e.prog.Types) {
		return fmt.Errorf("engine: change names object type %d; the program has %d", ch.Type, len(e.prog.Types))
	}
	t := e.prog.Types[ch.Type]
	rec := e.records[ch.Type][ch.ID]
	switch ch.Op {
	case ingest.Hook:
		if ch.Hook < 0 || ch.Hook >= len(e.prog.Hooks) {
			return fmt.Errorf("engine: change names incoming webhook %d; the program has %d", ch.Hook, len(e.prog.Hooks))
		}
		if _, err := e.hook(ch.Hook, ch.Body); err != nil {
			return err
		}
	case ingest.Upsert:
		for _, p := range ch.Props {
			if p.Slot < 0 || p.Slot >= len(t.Props) {
				return fmt.Errorf("engine: %s has no property slot %d", t.Name, p.Slot)
			}
		}
		created := rec == nil
		if created {
			rec = &record{typ: ch.Type, id: ch.ID, props: make([]value.Value, len(t.Props))}
			e.records[ch.Type][ch.ID] = rec
			e.touch(rec)
		}
		var changed []int
		for _, p := range ch.Props {
			if rec.props[p.Slot] != p.Value {
				e.setProp(rec, p.Slot, p.Value)
				changed = append(changed, p.Slot)
			}
		}
		if created || len(changed) > 0 {
			e.push(item{kind: itemChange, rec: rec, slots: changed, created: created})
		}
	case ingest.Delete:
		if rec == nil {
			return fmt.Errorf("engine: %s %s does not exist", t.Name, ch.ID)
		}
		e.delete(rec)
	case ingest.Event:
		if ch.Event < 0 || ch.Event >= len(e.prog.Events) || e.prog.Events[ch.Event].Object != ch.Type {
			return fmt.Errorf("engine: change names event type %d, which is not an event on %s", ch.Event, t.Name)
		}
		if m := ch.Match; m != nil {
			if m.Slot < 0 || m.Slot >= len(t.Props) || e.unique[ch.Type][m.Slot] == nil {
				return fmt.Errorf("engine: event %s: %s has no unique property slot %d", e.prog.Events[ch.Event].Name, t.Name, m.Slot)
			}
			id, ok := e.unique[ch.Type][m.Slot][m.Value]
			if !ok {
				return fmt.Errorf("engine: event %s: no %s has %s = %s; nothing was triggered", e.prog.Events[ch.Event].Name, t.Name, t.Props[m.Slot].Name, show(m.Value))
			}
			rec = e.records[ch.Type][id]
		}
		if rec == nil {
			return fmt.Errorf("engine: event %s on %s %s: no such record", e.prog.Events[ch.Event].Name, t.Name, ch.ID)
		}
		props := ch.EventProps
		if n := len(e.prog.Events[ch.Event].Props); len(props) != n {
			props = make([]value.Value, n)
			copy(props, ch.EventProps)
		}
		e.push(item{kind: itemEvent, rec: rec, event: ch.Event, eventProps: props})
	case ingest.Associate:
		if ch.ToType < 0 || ch.ToType >= len(e.prog.Types) {
			return fmt.Errorf("engine: change names object type %d; the program has %d", ch.ToType, len(e.prog.Types))
		}
		other := e.records[ch.ToType][ch.ToID]
		if rec == nil || other == nil {
			missing, name := ch.ID, t.Name
			if rec != nil {
				missing, name = ch.ToID, e.prog.Types[ch.ToType].Name
			}
			return fmt.Errorf("engine: associate: %s %s does not exist", name, missing)
		}
		if e.link(rec, other) {
			e.push(item{kind: itemChange, rec: rec, assoc: true})
			e.push(item{kind: itemChange, rec: other, assoc: true})
		}
	default:
		return fmt.Errorf("engine: unknown change op %d", ch.Op)
	}
	return e.drain()
}

// link associates a and b both ways; an association declared `one` on a
// side replaces that side's previous link. It reports whether anything changed.
func (e *Engine) link(a, b *record) bool {
	for _, id := range a.links[b.typ] {
		if id == b.id {
			return false
		}
	}
	e.addLink(a, b)
	e.addLink(b, a)
	return true
}

func (e *Engine) addLink(from, to *record) {
	if from.links == nil {
		from.links = map[int][]string{}
	}
	for _, as := range e.prog.Types[from.typ].Assocs {
		if as.Target == to.typ && !as.Many {
			for _, old := range from.links[to.typ] {
				if o := e.records[to.typ][old]; o != nil {
					o.links[from.typ] = remove(o.links[from.typ], from.id)
					e.touch(o)
					e.push(item{kind: itemChange, rec: o, assoc: true})
				}
			}
			from.links[to.typ] = nil
			break
		}
	}
	from.links[to.typ] = append(from.links[to.typ], to.id)
	e.touch(from)
}

func remove(ids []string, id string) []string {
	out := ids[:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

// setProp sets a property, keeping the unique-property index current.
func (e *Engine) setProp(rec *record, slot int, v value.Value) {
	if idx := e.unique[rec.typ][slot]; idx != nil {
		if old := rec.props[slot]; idx[old] == rec.id {
			delete(idx, old)
		}
		if !v.IsEmpty() {
			idx[v] = rec.id
		}
	}
	rec.props[slot] = v
	e.touch(rec)
}

// delete removes rec: its current enrollments end as unenrolled and its
// associations are dropped on the other side.
func (e *Engine) delete(rec *record) {
	rec.deleted = true
	e.touch(rec)
	delete(e.records[rec.typ], rec.id)
	for slot, idx := range e.unique[rec.typ] {
		if v := rec.props[slot]; idx != nil && idx[v] == rec.id {
			delete(idx, v)
		}
	}
	for _, w := range e.byType[rec.typ] {
		if m := e.members[w][rec.id]; m != nil {
			if m.active != nil {
				e.end(m.active, Unenrolled, KindUnenrolled, "the record was deleted")
			}
			delete(e.members[w], rec.id)
		}
	}
	for typ, ids := range rec.links {
		for _, id := range ids {
			if o := e.records[typ][id]; o != nil {
				o.links[rec.typ] = remove(o.links[rec.typ], rec.id)
				e.touch(o)
				e.push(item{kind: itemChange, rec: o, assoc: true})
			}
		}
	}
}

// Enroll enrolls the record of the workflow's type with the given id by
// hand, whatever its triggers say. It fails if the workflow or record does
// not exist, the record is enrolled already, or its suppress clause holds.
func (e *Engine) Enroll(workflow, id string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.wfIndex[workflow]
	if !ok {
		return fmt.Errorf("engine: no workflow %s", workflow)
	}
	wf := e.prog.Workflows[w]
	if e.disabled[w] {
		return fmt.Errorf("engine: workflow %s is not enabled", workflow)
	}
	rec := e.records[wf.Object][id]
	if rec == nil {
		return fmt.Errorf("engine: enroll in %s: %s %s does not exist", workflow, e.prog.Types[wf.Object].Name, id)
	}
	m := e.membership(w, rec)
	if m.active != nil {
		return fmt.Errorf("engine: %s is already enrolled in %s", rec.key(e.prog), workflow)
	}
	if wf.Suppress != bytecode.NoExpr && e.test(wf.Suppress, w, rec, nil) {
		return fmt.Errorf("engine: %s is suppressed in %s: %s", rec.key(e.prog), workflow, e.because("suppress when", wf.Suppress, w, rec, -1, nil))
	}
	e.start(w, rec, "enrolled by hand", 0)
	return e.drain()
}

// RunUntil fires, in time order, every timer due at or before t (moving a
// settable clock to each due time first), runs what each wakes, and then
// moves a settable clock to t. Timers due at the same moment fire in the
// order they were set. It returns the cascade errors, as Apply does.
func (e *Engine) RunUntil(t time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	var errs []error
	for len(e.timers) > 0 && !e.timers[0].due.After(t) {
		tm := e.timers.pop()
		if !e.live(tm) {
			continue
		}
		e.setClock(tm.due)
		switch a := tm.a; {
		case a != nil:
			reason := ""
			if a.wait != nil {
				reason = "time limit reached"
			}
			e.unwait(a)
			a.Status, a.timer = Active, 0
			e.emit(a, TraceEvent{Kind: KindResumed, Step: a.Step, Reason: reason})
			e.push(item{kind: itemRun, a: a, pc: tm.pc})
		case tm.rec != nil:
			e.fireDate(tm)
		default:
			e.fireSchedule(tm)
		}
		if err := e.drain(); err != nil {
			errs = append(errs, err)
		}
	}
	e.setClock(t)
	return errors.Join(errs...)
}

// NextTimer returns when the earliest pending timer is due, if there is one.
func (e *Engine) NextTimer() (time.Time, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for len(e.timers) > 0 {
		if tm := e.timers[0]; e.live(tm) {
			return tm.due, true
		}
		e.timers.pop()
	}
	return time.Time{}, false
}

func (e *Engine) setClock(t time.Time) {
	if s, ok := e.clock.(interface{ Set(time.Time) error }); ok && t.After(e.clock.Now()) {
		_ = s.Set(t) // cannot fail: t is later
	}
}

// Record returns a copy of the record of the named type with the given id.
func (e *Engine) Record(typ, id string) (Record, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.typeIndex[typ]
	if !ok {
		return Record{}, false
	}
	rec := e.records[t][id]
	if rec == nil {
		return Record{}, false
	}
	out := Record{Type: typ, ID: id, Props: append([]value.Value(nil), rec.props...), Assoc: map[string][]string{}}
	for ot, ids := range rec.links {
		if len(ids) > 0 {
			out.Assoc[e.prog.Types[ot].Name] = append([]string(nil), ids...)
		}
	}
	return out, true
}

// Enrollments returns copies of every enrollment of the record, current and
// ended, in the order they started.
func (e *Engine) Enrollments(typ, id string) []Enrollment {
	e.mu.Lock()
	defer e.mu.Unlock()
	t, ok := e.typeIndex[typ]
	if !ok || e.records[t][id] == nil {
		return nil
	}
	var out []Enrollment
	for _, a := range e.records[t][id].enrollments {
		out = append(out, a.copy())
	}
	return out
}

// Enrollment returns a copy of the record's latest enrollment in the
// workflow (the current one, if any). The workflow's object type names the
// record's type.
func (e *Engine) Enrollment(workflow, id string) (Enrollment, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.wfIndex[workflow]
	if !ok {
		return Enrollment{}, false
	}
	rec := e.records[e.prog.Workflows[w].Object][id]
	if rec == nil {
		return Enrollment{}, false
	}
	for i := len(rec.enrollments) - 1; i >= 0; i-- {
		if a := rec.enrollments[i]; a.wf == w {
			return a.copy(), true
		}
	}
	return Enrollment{}, false
}

func (a *enrollment) copy() Enrollment {
	c := a.Enrollment
	c.History = append([]TraceEvent(nil), a.History...)
	return c
}

// Eval evaluates a program expression outside any record, as test
// expectations are: reads of named records (REF) see the engine's records,
// `now` is the clock's time.
func (e *Engine) Eval(expr int) value.Value {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.eval(expr, -1, nil, nil)
}

// Explain lists the values a program expression reads outside any record,
// as "c1.score = 5, c1.email = empty", for messages about a failed
// expectation.
func (e *Engine) Explain(expr int) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.reads(expr, -1, nil, -1, nil)
}

// ---- the work queue ----

type itemKind uint8

const (
	itemChange itemKind = iota // a record changed: offer it to the affected workflows
	itemEvent                  // an event occurred on a record
	itemRun                    // run an enrollment from step pc
	itemHook                   // an incoming webhook call named a record
)

// item is one unit of queued work. depth counts how many step effects led
// to it from the applied change.
type item struct {
	kind       itemKind
	depth      int
	rec        *record
	slots      []int // itemChange: the slots whose value changed
	created    bool  // itemChange: the record is new
	assoc      bool  // itemChange: its associations changed
	event      int
	eventProps []value.Value
	a          *enrollment
	pc         int
	call       *HookCall // itemHook: the call (event is the webhook, eventProps its values)
}

func (e *Engine) push(it item) { e.queue = append(e.queue, it) }

// drain runs queued work until the queue is empty and returns the errors
// collected meanwhile.
func (e *Engine) drain() error {
	for e.head < len(e.queue) {
		it := e.queue[e.head]
		e.queue[e.head] = item{}
		e.head++
		switch it.kind {
		case itemChange:
			e.offerChange(it)
		case itemEvent:
			e.offerEvent(it)
		case itemRun:
			e.run(it.a, it.pc, it.depth)
		case itemHook:
			e.offerHook(it)
		}
	}
	e.queue, e.head = e.queue[:0], 0
	err := errors.Join(e.errs...)
	e.errs = nil
	return err
}

// offerChange offers a record change to the affected workflows, in
// program order: those on the record's type whose inputs changed, and
// those on associated records that read the changed slots through the
// association.
func (e *Engine) offerChange(it item) {
	rec := it.rec
	if rec.deleted {
		return
	}
	e.round++
	e.picked = e.picked[:0]
	pick := func(ws []int) {
		for _, w := range ws {
			if e.mark[w] != e.round {
				e.mark[w] = e.round
				e.picked = append(e.picked, w)
			}
		}
	}
	if it.created {
		pick(e.byType[rec.typ])
	}
	for _, s := range it.slots {
		pick(e.deps[rec.typ][s])
		pick(e.assocDeps[rec.typ][s])
	}
	if it.assoc {
		pick(e.assocWFs[rec.typ])
	}
	sort.Ints(e.picked)
	// offer queues work but never re-enters offerChange, so e.picked is
	// stable during the loop.
	for _, w := range e.picked {
		obj := e.prog.Workflows[w].Object
		if obj == rec.typ {
			e.offer(w, rec, it.slots, it.depth)
			continue
		}
		for _, id := range rec.links[obj] {
			if other := e.records[obj][id]; other != nil {
				e.offer(w, other, nil, it.depth)
			}
		}
	}
	e.wakeOnChange(rec, it.depth)
}
