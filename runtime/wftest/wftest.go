// Package wftest runs the test blocks of a compiled Program (SPEC 2.5), the
// way `wf test` does: each test on a fresh in-memory engine and a virtual
// clock, its statements in order, every failed expectation reported with
// its position and the values it saw. Nothing waits on the wall clock and
// nothing goes over the network (outgoing webhooks get a fake answer), so
// a run is deterministic.
//
// `hook NAME { … }` calls an incoming webhook with the statement's body
// (nested object literals are nested JSON objects); a body that names no
// record triggers nothing and is not a failure. `enable WORKFLOW` enables a
// workflow: the workflows a test enables start that test disabled, so
// records can exist before `enroll existing` runs.
//
// With Options.Store a run is durable (the conformance suite runs so over
// the embedded store and PostgreSQL): each test block's engine runs in
// durable mode over a store of its own, and after every statement that
// can change state (at, advance, upsert, delete, event, associate, hook,
// enable, enroll) the engine's delta is committed to the store, as
// `wf serve` commits a group, and the engine is rebuilt from the store
// alone, as `wf serve` rebuilds it at start: a new engine restored from
// what the store holds. The statements after it run on the rebuilt
// engine, so every expectation reads state that went through the store;
// emails, webhooks and created records are read from the store's outbox.
// A rebuilt engine whose state (engine.Export) differs from the one it
// replaces fails the statement, naming the first record that differs.
// `wf test` runs in memory.
package wftest

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/code"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/value"
)

// Start is where a test's clock starts unless its first statement is `at`.
var Start = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Options configure a run.
type Options struct {
	// Seed is passed to each test's engine (split steps).
	Seed int64
	// Trace, if set, receives the engine trace of each test, with its name.
	Trace func(test string, ev engine.TraceEvent)
	// Webhook answers the tests' outgoing webhooks; nil means FakeHTTP.
	// Nothing goes over the network.
	Webhook func(engine.WebhookCall) engine.WebhookResult
	// Code runs the tests' code steps; nil means a code.Runner with no
	// secrets and no registered Go functions (so `code js` runs, and
	// `code go` fails naming the missing function).
	Code func(engine.CodeCall) engine.CodeResult
	// Store, if set, makes the run durable (see the package comment): it
	// is called once per test block for an empty store, which the run
	// closes when the block ends. Nil runs every block in memory.
	Store func() (store.Store, error)
}

// FakeHTTP answers every outgoing webhook with status 200 and an empty
// JSON object.
func FakeHTTP(engine.WebhookCall) engine.WebhookResult {
	return engine.WebhookResult{Status: 200, Body: map[string]any{}}
}

// Result is the outcome of one test block.
type Result struct {
	Name     string
	File     string
	Line     int
	Passed   bool
	Failures []Failure
}

// Failure is one failed statement of a test.
type Failure struct {
	Line, Col int
	Message   string
}

// Run runs every test of p, in program order.
func Run(p *bytecode.Program, opts Options) []Result {
	results := make([]Result, 0, len(p.Tests))
	for _, t := range p.Tests {
		results = append(results, runTest(p, t, opts))
	}
	return results
}

// run is the state of one running test.
type run struct {
	p      *bytecode.Program
	clock  *clock.Virtual
	eng    *engine.Engine
	result *Result

	// Durable runs (Options.Store).
	st     store.Store
	eo     engine.Options // what every engine of the test is made with, but Disabled
	muted  bool           // rebuilding: what the new engine traces was traced already
	broken bool           // the store failed: the test stops
}

func runTest(p *bytecode.Program, t *bytecode.Test, opts Options) (res Result) {
	res = Result{Name: t.Name, File: t.File, Line: t.Line}
	start := Start
	if len(t.Stmts) > 0 && t.Stmts[0].Kind == bytecode.TestAt {
		start = time.UnixMilli(t.Stmts[0].Time).UTC()
	}
	r := &run{p: p, clock: clock.NewVirtual(start), result: &res}
	eo := engine.Options{Clock: r.clock, Seed: opts.Seed, Webhook: opts.Webhook, Disabled: enabled(t)}
	if eo.Webhook == nil {
		eo.Webhook = FakeHTTP
	}
	if eo.Code = opts.Code; eo.Code == nil {
		eo.Code = (&code.Runner{}).Hook()
	}
	if opts.Trace != nil {
		// One trace across the engines of a durable run: the engines
		// rebuilt from the store add what happened after them.
		eo.Trace = func(ev engine.TraceEvent) {
			if !r.muted {
				opts.Trace(t.Name, ev)
			}
		}
	}
	if opts.Store != nil {
		st, err := opts.Store()
		if err != nil {
			res.Failures = append(res.Failures, Failure{Line: t.Line, Message: "cannot open the store: " + err.Error()})
			return res
		}
		defer func() {
			if err := st.Close(); err != nil {
				res.Failures = append(res.Failures, Failure{Line: t.Line, Message: "closing the store: " + err.Error()})
				res.Passed = false
			}
		}()
		r.st, eo.Durable = st, true
	}
	r.eo = eo
	eng, err := engine.New(p, eo)
	if err != nil {
		res.Failures = append(res.Failures, Failure{Line: t.Line, Message: "cannot start the engine: " + err.Error()})
		return res
	}
	r.eng = eng
	if r.st != nil {
		// Load the empty store and commit, as a node starting on it
		// does, then rebuild from the store.
		if err := r.start(); err != nil {
			res.Failures = append(res.Failures, Failure{Line: t.Line, Message: "durable start: " + err.Error()})
			return res
		}
	}
	for i := range t.Stmts {
		st := &t.Stmts[i]
		r.stmt(st)
		if r.st != nil && changesState(st.Kind) {
			r.persist(st)
		}
		if r.broken {
			break
		}
	}
	res.Passed = len(res.Failures) == 0
	if !res.Passed {
		// What the runtime cannot do may be why the test failed: say so.
		for _, w := range r.eng.Warnings() {
			res.Failures = append(res.Failures, Failure{Line: t.Line, Col: 1, Message: "note: " + w})
		}
	}
	return res
}

func (r *run) failf(st *bytecode.TestStmt, format string, args ...any) {
	r.result.Failures = append(r.result.Failures, Failure{Line: st.Line, Col: st.Col, Message: fmt.Sprintf(format, args...)})
}

func (r *run) stmt(st *bytecode.TestStmt) {
	switch st.Kind {
	case bytecode.TestAt:
		to := time.UnixMilli(st.Time).UTC()
		if now := r.clock.Now(); to.Before(now) {
			r.failf(st, "%s: would move the clock back from %s", st.Text, now.Format(time.RFC3339))
			return
		}
		r.runUntil(st, to)
	case bytecode.TestAdvance:
		r.runUntil(st, r.clock.Now().Add(time.Duration(st.Time)*time.Millisecond))
	case bytecode.TestUpsert:
		ch := ingest.Change{Op: ingest.Upsert, Type: st.Type, ID: st.Record, Line: st.Line}
		for _, f := range st.Fields {
			ch.Props = append(ch.Props, ingest.Prop{Slot: f.Slot, Value: f.Value})
		}
		r.apply(st, ch)
	case bytecode.TestDelete:
		r.apply(st, ingest.Change{Op: ingest.Delete, Type: st.Type, ID: st.Record, Line: st.Line})
	case bytecode.TestEvent:
		ch := ingest.Change{Op: ingest.Event, Type: st.Type, ID: st.Record, Event: st.Event, At: r.clock.Now(), Line: st.Line}
		if st.Event >= 0 {
			ch.EventProps = make([]value.Value, len(r.p.Events[st.Event].Props))
			for _, f := range st.Fields {
				ch.EventProps[f.Slot] = f.Value
			}
		}
		r.apply(st, ch)
	case bytecode.TestAssociate:
		r.apply(st, ingest.Change{Op: ingest.Associate, Type: st.Type, ID: st.Record, ToType: st.ToType, ToID: st.To, Label: st.Label, Line: st.Line})
	case bytecode.TestHook:
		r.hook(st)
	case bytecode.TestEnable:
		if err := r.eng.Enable(st.Workflow); err != nil {
			r.failf(st, "%s: %v", st.Text, err)
		}
	case bytecode.TestEnroll:
		if err := r.eng.Enroll(st.Workflow, st.Record); err != nil {
			r.failf(st, "%s: %v", st.Text, err)
		}
	case bytecode.TestExpect:
		if !r.eng.Eval(st.Expr).Truthy() {
			got := r.eng.Explain(st.Expr)
			if got == "" {
				got = "false"
			}
			r.failf(st, "%s: got %s", st.Text, got)
		}
	case bytecode.TestExpectEnrollment:
		r.expectEnrollment(st)
	case bytecode.TestExpectEmail:
		r.expectEmail(st)
	case bytecode.TestExpectCreated:
		r.expectCreated(st)
	case bytecode.TestExpectWebhook:
		r.expectWebhook(st)
	default:
		r.failf(st, "%s: unknown test statement kind %d", st.Text, st.Kind)
	}
}

// enabled lists the workflows a test enables with `enable`: they start the
// test disabled.
func enabled(t *bytecode.Test) []string {
	var names []string
	for _, st := range t.Stmts {
		if st.Kind == bytecode.TestEnable && !slices.Contains(names, st.Workflow) {
			names = append(names, st.Workflow)
		}
	}
	return names
}

// hook calls an incoming webhook with the statement's body, rebuilt from
// its dotted field names. A body that names no record is not a failure:
// nothing is triggered, as in production, and the engine's hook log says
// why.
func (r *run) hook(st *bytecode.TestStmt) {
	if st.Hook < 0 {
		r.failf(st, "%s: unknown incoming webhook", st.Text)
		return
	}
	body := map[string]any{}
	for _, f := range st.Fields {
		m := body
		parts := strings.Split(f.Name, ".")
		for _, p := range parts[:len(parts)-1] {
			sub, ok := m[p].(map[string]any)
			if !ok {
				sub = map[string]any{}
				m[p] = sub
			}
			m = sub
		}
		m[parts[len(parts)-1]] = f.Value.JSON()
	}
	if _, err := r.eng.CallHook(r.p.Hooks[st.Hook].Name, body); err != nil {
		r.failf(st, "%s: %v", st.Text, err)
	}
}

func (r *run) runUntil(st *bytecode.TestStmt, t time.Time) {
	if err := r.eng.RunUntil(t); err != nil {
		r.failf(st, "%s: %v", st.Text, err)
	}
}

func (r *run) apply(st *bytecode.TestStmt, ch ingest.Change) {
	if err := r.eng.Apply(ch); err != nil {
		r.failf(st, "%s: %v", st.Text, err)
	}
}

// expectEnrollment checks `expect [not] <state> rec in wf [at "step"]`
// against the record's latest enrollment in the workflow: enrolled means it
// is current; converted, unenrolled and completed mean it ended so.
func (r *run) expectEnrollment(st *bytecode.TestStmt) {
	enr, ok := r.eng.Enrollment(st.Workflow, st.Record)
	holds := false
	if ok {
		switch st.State {
		case "enrolled":
			holds = enr.Status.Current()
		case "converted":
			holds = enr.Status == engine.Converted
		case "unenrolled":
			holds = enr.Status == engine.Unenrolled
		case "completed":
			holds = enr.Status == engine.Completed
		}
		if holds && st.Step != "" {
			holds = enr.Step == st.Step
		}
	}
	if holds != st.Not {
		return
	}
	r.failf(st, "%s: got %s", st.Text, describe(enr, ok))
}

// expectEmail checks `expect email "template" [to rec] [count N]` against
// the emails in the engine's outbox. Without a count, at least one must
// have been sent.
func (r *run) expectEmail(st *bytecode.TestStmt) {
	to := ""
	if st.Record != "" && st.Type >= 0 {
		to = r.p.Types[st.Type].Name + "/" + st.Record
	}
	n := 0
	var sent []string
	for _, ef := range r.outbox(st) {
		if ef.Kind != engine.EffectEmail {
			continue
		}
		sent = append(sent, fmt.Sprintf("%q to %s", ef.Name, ef.Record))
		if ef.Name == st.Str && (to == "" || ef.Record == to) {
			n++
		}
	}
	if counted(n, st.Count) {
		return
	}
	got := "no email was sent"
	if len(sent) > 0 {
		got = "sent " + strings.Join(sent, ", ")
	}
	r.failf(st, "%s: got %d (%s)", st.Text, n, got)
}

// expectWebhook checks `expect webhook "url" [count N]` against the calls
// the test's webhook steps made.
func (r *run) expectWebhook(st *bytecode.TestStmt) {
	n := 0
	var called []string
	for _, ef := range r.outbox(st) {
		if ef.Kind != engine.EffectWebhook {
			continue
		}
		called = append(called, strconv.Quote(ef.Name))
		if ef.Name == st.Str {
			n++
		}
	}
	if counted(n, st.Count) {
		return
	}
	got := "no webhook was called"
	if len(called) > 0 {
		got = "called " + strings.Join(called, ", ")
	}
	r.failf(st, "%s: got %d (%s)", st.Text, n, got)
}

// expectCreated checks `expect created type [where cond] [count N]`
// against the records steps created, as they are now.
func (r *run) expectCreated(st *bytecode.TestStmt) {
	if st.Type < 0 {
		r.failf(st, "%s: unknown object type", st.Text)
		return
	}
	tname := r.p.Types[st.Type].Name
	n := 0
	var made []string
	for _, ef := range r.outbox(st) {
		id, ok := strings.CutPrefix(ef.Name, tname+"/")
		if ef.Kind != engine.EffectCreated || !ok {
			continue
		}
		made = append(made, ef.Name)
		if st.Expr != bytecode.NoExpr {
			if v, ok := r.eng.EvalRecord(st.Expr, tname, id); !ok || !v.Truthy() {
				continue
			}
		}
		n++
	}
	if counted(n, st.Count) {
		return
	}
	got := "no " + tname + " was created"
	if len(made) > 0 {
		got = "created " + strings.Join(made, ", ")
	}
	r.failf(st, "%s: got %d (%s)", st.Text, n, got)
}

// counted reports whether n matches an expected count (-1: at least one).
func counted(n, want int) bool {
	if want < 0 {
		return n > 0
	}
	return n == want
}

// describe says where an enrollment stands, for failure messages.
func describe(enr engine.Enrollment, ok bool) string {
	if !ok {
		return "never enrolled"
	}
	s := enr.Status.String()
	if enr.Step != "" {
		s += fmt.Sprintf(" at %q", enr.Step)
	}
	if !enr.Status.Current() && len(enr.History) > 0 {
		if last := enr.History[len(enr.History)-1]; last.Reason != "" {
			s += " (" + last.Reason + ")"
		}
	}
	return s
}

// Print writes results as `go test` does: each failed test as
// `--- FAIL: "name" (file:line)` followed by its failures as
// `file:line:col: message`, passed tests too when verbose, and a last line
// `N passed, M failed`. It returns the number of failed tests.
func Print(w io.Writer, results []Result, verbose bool) int {
	failed := 0
	for _, res := range results {
		if res.Passed {
			if verbose {
				fmt.Fprintf(w, "--- PASS: %q (%s:%d)\n", res.Name, res.File, res.Line)
			}
			continue
		}
		failed++
		fmt.Fprintf(w, "--- FAIL: %q (%s:%d)\n", res.Name, res.File, res.Line)
		for _, f := range res.Failures {
			fmt.Fprintf(w, "    %s:%d:%d: %s\n", res.File, f.Line, f.Col, f.Message)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", len(results)-failed, failed)
	return failed
}
