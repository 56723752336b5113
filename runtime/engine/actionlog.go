package engine

import (
	"strconv"
	"strings"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
)

// The action log (SPEC 2.4). Each workflow keeps one entry per step it
// executed: when, for which record, the values the step read, what it did
// and why. The log is kept for a retention period; entries older than that
// are compacted — dropped from the log and counted in its summary, per
// step and outcome — each time the workflow logs a step, so a long-running
// engine's log does not grow without bound.

// LogEntry is one executed step in a workflow's action log.
type LogEntry struct {
	At     time.Time `json:"at"`
	Record string    `json:"record"` // "type/id"
	Step   string    `json:"step"`   // the step's id
	Kind   string    `json:"kind"`   // the step's kind: "set", "delay", "send email", …
	// Inputs are the values the step's expressions read, as
	// "score = 55, country = \"NL\"" ("" when it reads none).
	Inputs string `json:"inputs,omitempty"`
	// Outcome is what the step did: "set", "waiting", "step" (decided or
	// sent something), "completed", "error", …: the kinds of the trace
	// events it emitted, joined with "+".
	Outcome string `json:"outcome"`
	// Why is what the step decided and why, from its trace events: the
	// branch taken and the values that chose it, the property written, the
	// error.
	Why string `json:"why,omitempty"`
}

// Retention is how long an action log keeps its entries. The zero value
// keeps them all.
type Retention struct {
	months int
	d      time.Duration
}

// The retention presets of the seed product, and RetainFor for any other.
var (
	Retain90Days  = Retention{d: 90 * 24 * time.Hour}
	Retain6Months = Retention{months: 6}
	Retain2Years  = Retention{months: 24}
)

// RetainFor keeps entries for d (d <= 0 keeps them all).
func RetainFor(d time.Duration) Retention { return Retention{d: max(d, 0)} }

// cutoff returns the time before which entries are compacted at now, and
// false when the retention keeps everything.
func (r Retention) cutoff(now time.Time) (time.Time, bool) {
	switch {
	case r.months > 0:
		return now.AddDate(0, -r.months, 0), true
	case r.d > 0:
		return now.Add(-r.d), true
	}
	return time.Time{}, false
}

func (r Retention) String() string {
	switch {
	case r.months > 0 && r.months%12 == 0:
		return strconv.Itoa(r.months/12) + " years"
	case r.months > 0:
		return strconv.Itoa(r.months) + " months"
	case r.d > 0:
		return r.d.String()
	}
	return "forever"
}

// LogSummary counts what compaction dropped from an action log.
type LogSummary struct {
	Entries int       // entries compacted
	Oldest  time.Time // the oldest compacted entry's time
	Newest  time.Time // the newest compacted entry's time
	// ByStep counts the compacted entries per step id and outcome, as
	// "welcome: step" → 12.
	ByStep map[string]int
}

// ActionLog is a copy of a workflow's action log.
type ActionLog struct {
	Workflow  string
	Retention Retention
	Entries   []LogEntry // oldest first, all within the retention period
	Compacted LogSummary
}

// actionLog is the stored log of one workflow.
type actionLog struct {
	entries   []LogEntry
	compacted LogSummary
}

// Log returns a copy of the workflow's action log, compacting it first.
func (e *Engine) Log(workflow string) (ActionLog, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.wfIndex[workflow]
	if !ok {
		return ActionLog{}, false
	}
	l := &e.logs[w]
	e.compact(l)
	out := ActionLog{Workflow: workflow, Retention: e.opts.LogRetention,
		Entries: append([]LogEntry(nil), l.entries...), Compacted: l.compacted}
	out.Compacted.ByStep = map[string]int{}
	for k, n := range l.compacted.ByStep {
		out.Compacted.ByStep[k] = n
	}
	return out, true
}

// compact drops the entries older than the retention period into the
// summary. Entries are in time order, so the old ones are a prefix.
func (e *Engine) compact(l *actionLog) {
	cut, ok := e.opts.LogRetention.cutoff(e.clock.Now())
	if !ok || len(l.entries) == 0 || !l.entries[0].At.Before(cut) {
		return
	}
	n := 0
	for n < len(l.entries) && l.entries[n].At.Before(cut) {
		en := l.entries[n]
		s := &l.compacted
		if s.Entries == 0 {
			s.Oldest = en.At
		}
		s.Entries++
		s.Newest = en.At
		if s.ByStep == nil {
			s.ByStep = map[string]int{}
		}
		s.ByStep[en.Step+": "+en.Outcome]++
		n++
	}
	// Copy the kept entries down so the dropped ones can be collected.
	kept := copy(l.entries, l.entries[n:])
	clear(l.entries[kept:])
	l.entries = l.entries[:kept]
}

// logStep appends the entry for step st of enrollment a, which read inputs
// and emitted the trace events evs while it ran.
func (e *Engine) logStep(a *enrollment, st *bytecode.Step, inputs string, evs []TraceEvent) {
	en := LogEntry{At: e.clock.Now(), Record: a.key, Step: st.ID, Kind: st.Kind.String(), Inputs: inputs}
	var kinds, whys []string
	for _, ev := range evs {
		if len(kinds) == 0 || kinds[len(kinds)-1] != string(ev.Kind) {
			kinds = append(kinds, string(ev.Kind))
		}
		why := ev.Reason
		if ev.Kind == KindSet || ev.Kind == KindCleared {
			why = ev.Prop + ": " + show(ev.Old) + " → " + show(ev.New)
		}
		if why != "" {
			whys = append(whys, why)
		}
	}
	if len(kinds) == 0 {
		kinds = append(kinds, "step")
	}
	en.Outcome, en.Why = strings.Join(kinds, "+"), strings.Join(whys, "; ")
	if e.opts.Durable {
		e.newLogs = append(e.newLogs, LoggedEntry{Workflow: a.Workflow, LogEntry: en})
		return
	}
	l := &e.logs[a.wf]
	e.compact(l)
	l.entries = append(l.entries, en)
}

// stepInputs lists the values a step's expressions read for the record,
// before it runs.
func (e *Engine) stepInputs(a *enrollment, st *bytecode.Step) string {
	xs := []int{st.Expr, st.Timeout}
	for _, arm := range st.Arms {
		xs = append(xs, arm.Expr)
	}
	xs = append(xs, st.Args...)
	var parts []string
	seen := map[string]bool{}
	if st.Kind == bytecode.StepIncrement {
		// The value counted from is an input too.
		if target, name := e.target(a.rec, st.Target); target != nil {
			p := name + " = " + show(target.props[st.Target.Slot])
			seen[p] = true
			parts = append(parts, p)
		}
	}
	for _, x := range xs {
		if x == bytecode.NoExpr || x < 0 {
			continue
		}
		for _, p := range strings.Split(e.reads(x, a.wf, a.rec, -1, nil), ", ") {
			if p != "" && !seen[p] {
				seen[p] = true
				parts = append(parts, p)
			}
		}
	}
	return strings.Join(parts, ", ")
}
