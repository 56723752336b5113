package engine

import (
	"fmt"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
)

// Explanation answers, for one record and one workflow, "why was this
// record enrolled, or not": what its enrollments were and how each
// started and ended, how each trigger and exit clause reads the record
// now, and why a trigger that matched last did not enroll it.
type Explanation struct {
	Workflow string
	Record   string // "type/id"
	Enabled  bool
	// Enrollments are the record's enrollments in the workflow, oldest
	// first: why each started (its enrolled event's reason) and how it
	// ended (its last event's kind and reason).
	Enrollments []ExplainedEnrollment
	// Clauses are the workflow's triggers, then its goal, unenroll and
	// suppress clauses, each evaluated for the record now.
	Clauses []Clause
	// Note says why a trigger that matched the record last did not enroll
	// it ("" when that did not happen), and NoteAt when.
	Note   string
	NoteAt time.Time
}

// ExplainedEnrollment is one enrollment, as explain tells it.
type ExplainedEnrollment struct {
	Started time.Time
	Why     string // the trigger that enrolled it and the values it saw
	Status  Status
	Step    string
	Ended   time.Time
	How     string // why it ended: the clause and values, the error, "stop"
}

// Clause is one trigger or exit clause evaluated for a record.
type Clause struct {
	Kind  string // "trigger", "goal", "unenroll", "suppress"
	Text  string // as written: `enroll when score > 5`, `goal lifecyclestage == "customer"`
	Holds bool   // for filter triggers and exit clauses: whether it holds now
	// Evaluated is false for clauses that hold at a moment rather than for
	// a state (event, webhook, schedule and date triggers); Values then
	// says what they wait for.
	Evaluated bool
	Values    string // the values it read, as "score = 5, email = empty"
}

// Why explains workflow's dealings with the record of its type with
// the given id. ok is false when there is no such workflow, or the record
// never existed as far as the engine knows (it is neither stored nor has
// enrollments in the workflow).
func (e *Engine) Why(workflow, id string) (Explanation, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	w, ok := e.wfIndex[workflow]
	if !ok {
		return Explanation{}, false
	}
	wf := e.prog.Workflows[w]
	rec := e.records[wf.Object][id]
	if rec == nil {
		return Explanation{}, false
	}
	x := Explanation{Workflow: workflow, Record: rec.key(e.prog), Enabled: !e.disabled[w]}
	for _, a := range rec.enrollments {
		if a.wf != w {
			continue
		}
		en := ExplainedEnrollment{Started: a.Started, Status: a.Status, Step: a.Step, Ended: a.Ended}
		for _, ev := range a.History {
			if ev.Kind == KindEnrolled {
				en.Why = ev.Reason
				break
			}
		}
		if !a.Status.Current() && len(a.History) > 0 {
			last := a.History[len(a.History)-1]
			en.How = last.Reason
		}
		x.Enrollments = append(x.Enrollments, en)
	}
	for _, tr := range wf.Triggers {
		c := Clause{Kind: "trigger", Text: tr.Text}
		switch tr.Kind {
		case bytecode.TriggerFilter:
			c.Evaluated, c.Holds = true, e.test(tr.Expr, w, rec, nil)
			c.Values = e.reads(tr.Expr, w, rec, -1, nil)
		case bytecode.TriggerDate:
			if due, ok := e.moment(e.eval(tr.Expr, w, rec, nil), tr.At, e.locs[w]); ok {
				c.Values = "due " + due.UTC().Format(time.RFC3339)
			} else {
				c.Values = e.reads(tr.Expr, w, rec, -1, nil) + ": no date, so it never fires"
			}
		case bytecode.TriggerSchedule:
			if tr.Expr != bytecode.NoExpr {
				c.Values = fmt.Sprintf("where clause holds now: %t (%s)", e.test(tr.Expr, w, rec, nil), e.reads(tr.Expr, w, rec, -1, nil))
			}
		case bytecode.TriggerEvent:
			c.Values = "enrolls on an occurrence"
		case bytecode.TriggerWebhook:
			c.Values = "enrolls on a call that names the record"
		}
		x.Clauses = append(x.Clauses, c)
	}
	for i, clause := range []int{wf.Goal, wf.Unenroll, wf.Suppress} {
		if clause == bytecode.NoExpr {
			continue
		}
		kind := []string{"goal", "unenroll", "suppress"}[i]
		x.Clauses = append(x.Clauses, Clause{
			Kind: kind, Text: []string{"goal ", "unenroll when ", "suppress when "}[i] + e.prog.Exprs[clause].Text,
			Evaluated: true, Holds: e.test(clause, w, rec, nil), Values: e.reads(clause, w, rec, -1, nil),
		})
	}
	if m := e.members[w][id]; m != nil {
		x.Note, x.NoteAt = m.note, m.noteAt
	}
	return x, true
}
