package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/runtime/dashboard"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/store"
)

// The data of the dashboard (runtime/dashboard), which Handler serves at
// /. Everything is read from the store, as the API's reads are, except
// the explanations of a record, which the current engine answers on the
// node's loop, like any request. A node of a cluster (runtime/cluster)
// builds the same source (NewDashboardSource) over the whole database,
// with its partitions' engines answering for their records.
//
// Two figures need more than one query. A workflow's totals (enrolled,
// converted, unenrolled, …) count its enrollments by status, ended ones
// included, which only a scan of every stored enrollment gives: the scan
// is shared by all workflows and kept for totalsTTL, so a dashboard
// polling every 2 s costs one scan per 2 s at most. Finished webhook
// deliveries come from the action log of each workflow with a webhook
// step, read incrementally from the last sequence number seen, so each
// entry is read once; the node keeps the counts and the latest few.

// DashboardSource is the data of the dashboard over this node.
func (n *Node) DashboardSource() dashboard.Source {
	return NewDashboardSource(DashboardConfig{
		Store:     n.opts.Store,
		Now:       n.opts.Clock.Now,
		Running:   n.RunningVersion,
		Workflows: n.Workflows,
		Explain: func(typ, id string) ([]engine.Explanation, string, error) {
			xs, err := n.Explain(typ, id)
			return xs, "", err
		},
	})
}

// DashboardConfig is what NewDashboardSource reads the dashboard's data
// from: one node's store and engine (Node.DashboardSource), or a node of
// a cluster (runtime/cluster), whose store is the whole database and
// whose engines are its partitions'.
type DashboardConfig struct {
	// Store answers every read of the pages: records, enrollments, action
	// logs.
	Store store.Store
	// Now is the clock.
	Now func() time.Time
	// Running is the running version.
	Running func() Running
	// Workflows is the workflows page's data, as GET /v1/workflows
	// answers it.
	Workflows func() Workflows
	// Explain says, for each workflow on the record's type, why the
	// record was or was not enrolled; when there is no explanation to
	// give here, note says why instead (shown in its place), and an error
	// says the engine cannot answer now.
	Explain func(typ, id string) (xs []engine.Explanation, note string, err error)
}

// Running is the version a node runs, as the dashboard shows it.
type Running struct {
	Program *bytecode.Program
	Loaded  time.Time
	// Diagnostics are those of the last reload: its errors when it failed
	// and this version was kept.
	Diagnostics diag.List
	// Enabled says whether a workflow of Program is enabled.
	Enabled func(workflow string) bool
}

// RunningVersion is the node's running version.
func (n *Node) RunningVersion() Running {
	n.mu.RLock()
	v, diags := n.cur, n.diags
	n.mu.RUnlock()
	return Running{Program: v.prog, Loaded: v.loaded, Diagnostics: diags, Enabled: v.eng.Enabled}
}

// Explain says, for each workflow on the record's type, why the record
// was or was not enrolled (engine.Why, as wf explain does), answered by
// the current engine on the node's loop like any request.
func (n *Node) Explain(typ, id string) ([]engine.Explanation, error) {
	xs, err := n.do(0, func(v *version) any {
		var xs []engine.Explanation
		for _, wf := range v.prog.Workflows {
			if v.prog.Types[wf.Object].Name != typ {
				continue
			}
			if x, ok := v.eng.Why(wf.Name, id); ok {
				xs = append(xs, x)
			}
		}
		return xs
	})
	if err != nil {
		return nil, err
	}
	out, _ := xs.([]engine.Explanation)
	return out, nil
}

// NewDashboardSource returns the dashboard's data over cfg.
func NewDashboardSource(cfg DashboardConfig) dashboard.Source { return &dashSource{cfg: cfg} }

// mountDashboard serves the dashboard at / on mux when the backend has
// one (it implements DashboardSource() dashboard.Source); the API's routes
// are more specific, so they keep theirs.
func mountDashboard(mux *http.ServeMux, b Backend, token string, log *slog.Logger) {
	if d, ok := b.(interface{ DashboardSource() dashboard.Source }); ok {
		mux.Handle("/", dashboard.New(d.DashboardSource(), dashboard.Options{Token: token, Logger: log}))
	}
}

const (
	totalsTTL = 2 * time.Second
	// listLimit bounds the current enrollments a workflow page lists.
	listLimit = 200
	// A record page shows the newest recordLogShown action log entries
	// of the first recordLogRead (the store reads a record's log oldest
	// first).
	recordLogRead  = 10000
	recordLogShown = 500
	// keepDeliveries is how many finished deliveries of each kind the
	// deliveries page keeps.
	keepDeliveries = 50
)

type dashSource struct {
	cfg DashboardConfig

	mu       sync.Mutex // guards totals and hooks
	totals   map[string]dashboard.Totals
	totalsAt time.Time
	hooks    hookLog
}

// hookLog is what the action logs said about finished deliveries.
type hookLog struct {
	after     map[string]uint64 // workflow → the last log sequence number read
	failed    []dashboard.Delivery
	delivered []dashboard.Delivery
	nFailed   int
	nOK       int
}

var _ dashboard.Source = (*dashSource)(nil)

func (s *dashSource) Now() time.Time { return s.cfg.Now() }

func (s *dashSource) Types() []string {
	var out []string
	for _, t := range s.cfg.Running().Program.Types {
		if t != nil {
			out = append(out, t.Name)
		}
	}
	return out
}

func (s *dashSource) Overview() dashboard.Overview {
	ws := s.cfg.Workflows()
	out := dashboard.Overview{Loaded: ws.Loaded, ReloadFailed: ws.ReloadError, Left: ws.Left, OnOld: ws.OnOld}
	for _, d := range ws.Diagnostics {
		out.Diagnostics = append(out.Diagnostics, dashboard.Diagnostic{File: d.File, Line: d.Line, Col: d.Col,
			Severity: d.Severity, Code: d.Code, Message: d.Message, Hint: d.Hint})
	}
	for _, w := range ws.Workflows {
		out.Workflows = append(out.Workflows, dashboard.WorkflowInfo{Name: w.Name, Object: w.Object, File: w.File,
			Version: w.Version, Status: w.Status, Current: w.Current})
	}
	return out
}

func (s *dashSource) Workflow(name string) (dashboard.WorkflowView, bool, error) {
	v := s.cfg.Running()
	diags := v.Diagnostics
	var wf *bytecode.Workflow
	for _, w := range v.Program.Workflows {
		if w.Name == name {
			wf = w
		}
	}
	if wf == nil {
		return dashboard.WorkflowView{}, false, nil
	}
	out := dashboard.WorkflowView{Program: v.Program, Workflow: wf, Loaded: v.Loaded, AtStep: map[string]int{},
		Info: dashboard.WorkflowInfo{Name: wf.Name, Object: v.Program.Types[wf.Object].Name, File: wf.File, Version: wf.Hash, Status: "disabled"}}
	if v.Enabled(wf.Name) {
		out.Info.Status = "enabled"
	}
	if diags.HasErrors() {
		for _, d := range diags {
			if d.Pos.Filename == wf.File {
				out.Diagnostics = append(out.Diagnostics, dashboard.Diagnostic{File: d.Pos.Filename, Line: d.Pos.Line, Col: d.Pos.Column,
					Severity: d.Severity.String(), Code: d.Code, Message: d.Message, Hint: d.Hint})
			}
		}
	}
	steps := map[string]bool{}
	for _, st := range wf.Steps {
		steps[st.ID] = true
	}
	at, err := s.cfg.Store.EnrollmentsAt(name, "")
	if err != nil {
		return out, true, err
	}
	out.Info.Current = len(at)
	for _, e := range at {
		if steps[e.Step] {
			out.AtStep[e.Step]++
		} else {
			out.Elsewhere++
		}
		if len(out.Enrollments) >= listLimit {
			out.More++
			continue
		}
		en, err := enrollmentView(e.State)
		if err != nil {
			return out, true, err
		}
		out.Enrollments = append(out.Enrollments, en)
	}
	totals, err := s.allTotals()
	if err != nil {
		return out, true, err
	}
	out.Totals = totals[name]
	return out, true, nil
}

// enrollmentView decodes a stored enrollment.
func enrollmentView(state []byte) (dashboard.Enrollment, error) {
	var es engine.EnrollmentState
	if err := json.Unmarshal(state, &es); err != nil {
		return dashboard.Enrollment{}, err
	}
	return dashboard.Enrollment{Seq: es.Seq, Workflow: es.Workflow, Type: es.Type, ID: es.ID, Version: es.Version,
		Status: es.Status.String(), Step: es.Step, Started: es.Started, Ended: es.Ended, Due: es.Due,
		Delivering: es.Delivering, Attempt: es.HookAttempt, First: es.HookFirst, History: es.History}, nil
}

// allTotals counts every workflow's enrollments by status, from a scan of
// the stored enrollments at most totalsTTL old.
func (s *dashSource) allTotals() (map[string]dashboard.Totals, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.totals != nil && time.Since(s.totalsAt) < totalsTTL {
		return s.totals, nil
	}
	out := map[string]dashboard.Totals{}
	var status struct {
		Status engine.Status `json:"status"`
	}
	err := s.cfg.Store.Enrollments(func(e store.Enrollment) error {
		t := out[e.Workflow]
		t.Enrolled++
		if e.Current {
			t.Current++
		} else {
			status.Status = engine.Active
			if err := json.Unmarshal(e.State, &status); err != nil {
				return err
			}
			switch status.Status {
			case engine.Completed:
				t.Completed++
			case engine.Converted:
				t.Converted++
			case engine.Unenrolled:
				t.Unenrolled++
			case engine.Failed:
				t.Failed++
			}
		}
		out[e.Workflow] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.totals, s.totalsAt = out, time.Now()
	return out, nil
}

func (s *dashSource) Record(typ, id string) (dashboard.RecordView, bool, error) {
	r, ok, err := s.cfg.Store.Record(typ, id)
	if err != nil || !ok {
		return dashboard.RecordView{}, false, err
	}
	var rs engine.RecordState
	if err := json.Unmarshal(r.State, &rs); err != nil {
		return dashboard.RecordView{}, false, err
	}
	out := dashboard.RecordView{Type: typ, ID: id}
	for name, v := range rs.Props {
		out.Props = append(out.Props, dashboard.Prop{Name: name, Value: v.String()})
	}
	sort.Slice(out.Props, func(i, j int) bool { return out.Props[i].Name < out.Props[j].Name })
	for other, ids := range rs.Links {
		for _, oid := range ids {
			out.Links = append(out.Links, dashboard.Link{Type: other, ID: oid})
		}
	}
	sort.SliceStable(out.Links, func(i, j int) bool { return out.Links[i].Type < out.Links[j].Type })
	ens, err := s.cfg.Store.RecordEnrollments(typ, id)
	if err != nil {
		return out, true, err
	}
	for _, e := range ens {
		en, err := enrollmentView(e.State)
		if err != nil {
			return out, true, err
		}
		out.Enrollments = append(out.Enrollments, en)
	}
	entries, err := s.cfg.Store.RecordLog(typ, id, recordLogRead)
	if err != nil {
		return out, true, err
	}
	entries = entries[max(0, len(entries)-recordLogShown):]
	for _, e := range entries {
		var le engine.LogEntry
		if err := json.Unmarshal(e.Data, &le); err != nil {
			return out, true, err
		}
		out.Log = append(out.Log, dashboard.LogEntry{Seq: e.Seq, Workflow: e.Workflow, LogEntry: le})
	}
	xs, note, err := s.cfg.Explain(typ, id)
	if err != nil {
		out.ExplainError = "The engine cannot explain now: " + err.Error()
	} else {
		out.Explanations, out.ExplainNote = xs, note
	}
	return out, true, nil
}

// hookStatus finds the HTTP status in a webhook step's reason, as
// finishHook writes it ("webhook POST url (attempt 2): status 503: …").
var (
	hookStatus  = regexp.MustCompile(`\(attempt \d+\): status (\d+)`)
	hookAttempt = regexp.MustCompile(`\(attempt (\d+)\)`)
)

func statusOf(reason string) int {
	if m := hookStatus.FindStringSubmatch(reason); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

func (s *dashSource) Deliveries() (dashboard.DeliveriesView, error) {
	prog := s.cfg.Running().Program
	var out dashboard.DeliveriesView
	webhookSteps := map[string]bool{} // "workflow/step"
	var withHooks []string
	for _, wf := range prog.Workflows {
		has := false
		for _, st := range wf.Steps {
			if st.Kind == bytecode.StepWebhook {
				webhookSteps[wf.Name+"/"+st.ID], has = true, true
			}
		}
		if has {
			withHooks = append(withHooks, wf.Name)
		}
	}
	// In flight and retrying: current enrollments at a webhook step.
	for _, wf := range prog.Workflows {
		at, err := s.cfg.Store.EnrollmentsAt(wf.Name, "")
		if err != nil {
			return out, err
		}
		for _, e := range at {
			en, err := enrollmentView(e.State)
			if err != nil {
				return out, err
			}
			last := lastEvent(en.History, en.Step)
			isHook := webhookSteps[wf.Name+"/"+en.Step] || strings.Contains(last.Reason, "webhook ")
			if !isHook || !en.Delivering && en.Attempt == 0 {
				continue
			}
			d := dashboard.Delivery{Workflow: en.Workflow, Record: en.Type + "/" + en.ID, Step: en.Step, Attempt: en.Attempt,
				First: en.First, At: last.At, Reason: last.Reason}
			if en.Delivering {
				if d.First.IsZero() {
					d.First = last.At
				}
				out.InFlight = append(out.InFlight, d)
				continue
			}
			d.Next, d.Status = en.Due, statusOf(last.Reason)
			out.Retrying = append(out.Retrying, d)
		}
	}
	sort.SliceStable(out.Retrying, func(i, j int) bool { return out.Retrying[i].Next.Before(out.Retrying[j].Next) })
	// Finished: the action log entries of webhook steps.
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hooks.after == nil {
		s.hooks.after = map[string]uint64{}
	}
	for _, name := range withHooks {
		for {
			entries, err := s.cfg.Store.Log(name, s.hooks.after[name], 1000)
			if err != nil {
				return out, err
			}
			for _, e := range entries {
				s.hooks.after[name] = e.Seq
				var le engine.LogEntry
				if json.Unmarshal(e.Data, &le) != nil || le.Kind != bytecode.StepWebhook.String() {
					continue
				}
				s.hooks.add(name, le)
			}
			if len(entries) < 1000 {
				break
			}
		}
	}
	out.Failed = append(out.Failed, s.hooks.failed...)
	out.Delivered = append(out.Delivered, s.hooks.delivered...)
	out.FailedTotal, out.DeliveredTotal = s.hooks.nFailed, s.hooks.nOK
	return out, nil
}

// add takes an action log entry of a webhook step: a finished delivery
// when the step went on (its outcome has "step") or failed ("error"); an
// attempt to retry or one handed to the workers is left out (those show
// as current enrollments).
func (h *hookLog) add(workflow string, le engine.LogEntry) {
	final := strings.Contains(le.Outcome, "step") && !strings.Contains(le.Outcome, "waiting")
	if !final && !strings.Contains(le.Outcome, "error") {
		return
	}
	attempt := 0
	if m := hookAttempt.FindStringSubmatch(le.Why); m != nil {
		attempt, _ = strconv.Atoi(m[1])
	}
	d := dashboard.Delivery{Workflow: workflow, Record: le.Record, Step: le.Step, At: le.At, Attempt: attempt,
		Status: statusOf(le.Why), Reason: le.Why}
	if d.Status >= 200 && d.Status < 300 {
		h.nOK++
		h.delivered = prepend(h.delivered, d)
	} else {
		h.nFailed++
		h.failed = prepend(h.failed, d)
	}
}

// prepend puts d first, keeping at most keepDeliveries.
func prepend(ds []dashboard.Delivery, d dashboard.Delivery) []dashboard.Delivery {
	ds = append(ds, dashboard.Delivery{})
	copy(ds[1:], ds)
	ds[0] = d
	if len(ds) > keepDeliveries {
		ds = ds[:keepDeliveries]
	}
	return ds
}

// lastEvent is the last history event at step.
func lastEvent(h []engine.HistoryEvent, step string) engine.HistoryEvent {
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Step == step {
			return h[i]
		}
	}
	return engine.HistoryEvent{}
}
