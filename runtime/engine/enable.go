package engine

import (
	"fmt"
	"sort"

	"github.com/wflang/wf/compiler/bytecode"
)

// Enabling. An engine's workflows are enabled from the start, unless
// Options.Disabled names them: a disabled workflow is offered nothing (no
// change, event, webhook call, schedule or date enrolls a record in it,
// and it cannot be enrolled in by hand) until Enable enables it.
//
// Enabling is when `enroll existing` acts (SPEC 2.4): the records of the
// workflow's type that match a filter trigger at that moment, and are not
// suppressed or past the goal or unenroll criteria, enroll, in id order.
// Without `enroll existing`, a record that matches already when the
// workflow is enabled is remembered as matching: only a change after
// enabling that makes it go from not matching to matching enrolls it.

// Enable enables a workflow that Options.Disabled named, and runs what
// `enroll existing` causes. Enabling an enabled workflow does nothing.
func (e *Engine) Enable(workflow string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.wfIndex[workflow]
	if !ok {
		return fmt.Errorf("engine: no workflow %s", workflow)
	}
	if !e.disabled[w] {
		return nil
	}
	wf := e.prog.Workflows[w]
	if wf.Placeholders > 0 {
		return fmt.Errorf("engine: workflow %s has %d placeholder step(s) and cannot be enabled", workflow, wf.Placeholders)
	}
	e.disabled[w] = false
	e.globalsDirty = e.opts.Durable
	ids := make([]string, 0, len(e.records[wf.Object]))
	for id := range e.records[wf.Object] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		rec := e.records[wf.Object][id]
		if e.hasDate[w] {
			e.armDates(w, rec)
		}
		matched := e.matching(w, rec)
		if matched < 0 {
			continue
		}
		m := e.membership(w, rec)
		m.matched = true
		if !wf.EnrollExisting {
			e.note(w, rec, "matched already when the workflow was enabled, and the workflow has no `enroll existing`: only a change after enabling that makes the record match enrolls it")
			continue
		}
		if e.blocked(w, rec) {
			e.note(w, rec, "enroll existing: "+e.blocker(w, rec))
			continue
		}
		e.start(w, rec, "enroll existing: "+e.because("enroll when", wf.Triggers[matched].Expr, w, rec, -1, nil), 0)
	}
	return e.drain()
}

// Enabled reports whether a workflow exists and is enabled.
func (e *Engine) Enabled(workflow string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.wfIndex[workflow]
	return ok && !e.disabled[w]
}

// matching returns the index of the first filter trigger of w that rec
// matches now, or -1.
func (e *Engine) matching(w int, rec *record) int {
	for i, tr := range e.prog.Workflows[w].Triggers {
		if tr.Kind == bytecode.TriggerFilter && e.test(tr.Expr, w, rec, nil) {
			return i
		}
	}
	return -1
}

// note remembers, for explain, why rec was last not enrolled in w although
// a trigger matched it.
func (e *Engine) note(w int, rec *record, why string) {
	m := e.membership(w, rec) // touches rec
	m.note, m.noteAt = why, e.clock.Now()
}

// blocker names the clause that keeps rec out of w, with its values.
func (e *Engine) blocker(w int, rec *record) string {
	wf := e.prog.Workflows[w]
	for i, x := range []int{wf.Suppress, wf.Goal, wf.Unenroll} {
		if x != bytecode.NoExpr && e.test(x, w, rec, nil) {
			return e.because([]string{"suppress when", "goal", "unenroll when"}[i], x, w, rec, -1, nil) + " holds"
		}
	}
	return "nothing blocks it"
}
