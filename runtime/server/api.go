package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"time"

	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/value"
)

// Item is the outcome of one change of an ingest.
type Item struct {
	Line     int    `json:"line"`
	Status   string `json:"status"` // "applied", "duplicate" (its client id was applied before) or "error"
	ClientID string `json:"client_id,omitempty"`
	Field    string `json:"field,omitempty"`
	Error    string `json:"error,omitempty"`
	// Retry, on an error, says the change may apply if sent again later
	// (a cluster has no applied record with the unique value it names yet).
	Retry bool `json:"retry,omitempty"`
}

// Ingest decodes data (one change, a JSON array, or JSON Lines), applies
// every change that decodes, skipping those whose client id was applied
// before, and returns once they are committed, with one Item per change
// in input order. Changes are applied at the node's clock time; their
// "at" is not used.
func (n *Node) Ingest(data []byte) ([]Item, error) { return n.IngestThen(data, nil) }

// IngestThen is Ingest that also calls then on the node's loop right
// after the changes are applied, with their items, before the group they
// are in is committed: what then adds to the node's store
// (runtime/cluster marks the inbox rows the changes came from as
// consumed, and keeps those that failed) commits in the same transaction
// as the changes' effects.
func (n *Node) IngestThen(data []byte, then func([]Item)) ([]Item, error) {
	out, err := n.do(bytes.Count(data, []byte("\n"))+1, func(v *version) any {
		items := n.ingest(v, data)
		if then != nil {
			then(items)
		}
		return items
	})
	if err != nil {
		return nil, err
	}
	return out.([]Item), nil
}

func (n *Node) ingest(v *version, data []byte) []Item {
	changes, err := v.dec.Decode(data)
	var items []Item
	var errs ingest.Errors
	if err != nil {
		errs = err.(ingest.Errors)
	}
	for _, e := range errs {
		items = append(items, Item{Line: e.Line, Status: "error", Field: e.Field, Error: e.Msg})
	}
	var ids []string
	for _, ch := range changes {
		if ch.ClientID != "" {
			ids = append(ids, ch.ClientID)
		}
	}
	seen := map[string]bool{}
	if len(ids) > 0 && !n.opts.ClientIDsChecked {
		var err error
		if seen, err = n.opts.Store.SeenClientIDs(ids); err != nil {
			for _, ch := range changes {
				items = append(items, Item{Line: ch.Line, Status: "error", ClientID: ch.ClientID, Error: err.Error()})
			}
			return sortItems(items)
		}
	}
	applied, touched := map[int]bool{}, map[string]bool{}
	for _, ch := range changes {
		it := Item{Line: ch.Line, Status: "applied", ClientID: ch.ClientID}
		switch {
		case ch.ClientID != "" && !n.opts.ClientIDsChecked && (seen[ch.ClientID] || n.pending[ch.ClientID]):
			it.Status = "duplicate"
		default:
			if err := v.eng.Apply(ch); err != nil {
				it.Status, it.Error = "error", err.Error()
			} else {
				applied[ch.Line] = true
				touched[v.prog.Types[ch.Type].Name+"/"+ch.ID] = true
				if ch.ClientID != "" && !n.opts.ClientIDsChecked {
					n.pending[ch.ClientID] = true
				}
			}
		}
		n.metrics.ingested.WithLabelValues(it.Status).Inc()
		items = append(items, it)
	}
	for range errs {
		n.metrics.ingested.WithLabelValues("error").Inc()
	}
	if len(v.olds) > 0 && len(applied) > 0 {
		n.routeChanges(v, data, applied, touched)
	}
	return sortItems(items)
}

func sortItems(items []Item) []Item {
	sort.SliceStable(items, func(i, j int) bool { return items[i].Line < items[j].Line })
	return items
}

// HookResult is the outcome of an incoming webhook call.
type HookResult struct {
	Matched  bool     `json:"matched"`
	Record   string   `json:"record,omitempty"`
	Enrolled []string `json:"enrolled,omitempty"`
	Reason   string   `json:"reason"`
}

// CallHook calls an incoming webhook with a decoded JSON body.
func (n *Node) CallHook(name string, body map[string]any) (HookResult, error) {
	out, err := n.do(1, func(v *version) any {
		call, err := v.eng.CallHook(name, body)
		if err != nil {
			return err
		}
		return HookResult{Matched: call.Matched(), Record: call.Record, Enrolled: call.Enrolled, Reason: call.Reason}
	})
	if err != nil {
		return HookResult{}, err
	}
	return out.(HookResult), nil
}

// Enroll enrolls a record in a workflow by hand.
func (n *Node) Enroll(workflow, typ, id string) error { return n.EnrollThen(workflow, typ, id, nil) }

// EnrollThen is Enroll that also calls then on the node's loop after the
// enrollment (or its failure), before the group is committed, as
// IngestThen does.
func (n *Node) EnrollThen(workflow, typ, id string, then func()) error {
	_, err := n.do(1, func(v *version) any {
		if then != nil {
			defer then()
		}
		for _, wf := range v.prog.Workflows {
			if wf.Name == workflow && typ != "" && v.prog.Types[wf.Object].Name != typ {
				return errors.New("workflow " + workflow + " is on " + v.prog.Types[wf.Object].Name + ", not " + typ)
			}
		}
		if err := v.eng.Enroll(workflow, id); err != nil {
			return err
		}
		return nil
	})
	return err
}

// SetEnabled enables or disables a workflow.
func (n *Node) SetEnabled(workflow string, on bool) error {
	_, err := n.do(1, func(v *version) any {
		var err error
		if on {
			err = v.eng.Enable(workflow)
		} else {
			err = v.eng.Disable(workflow)
		}
		if err != nil {
			return err
		}
		return nil
	})
	return err
}

// WorkflowInfo describes one workflow of the running version.
type WorkflowInfo struct {
	Name    string `json:"name"`
	Object  string `json:"object"`
	File    string `json:"file"`
	Version string `json:"version"` // the workflow's content hash
	Status  string `json:"status"`  // "enabled" or "disabled"
	Current int    `json:"current"` // enrollments running or waiting
}

// Workflows is what GET /v1/workflows answers.
type Workflows struct {
	Loaded    time.Time      `json:"loaded"`
	Workflows []WorkflowInfo `json:"workflows"`
	// Diagnostics are those of the last reload: its errors, when it failed
	// and the running version was kept.
	Diagnostics []Diagnostic `json:"diagnostics"`
	ReloadError bool         `json:"reload_failed"`
	// Left counts in-flight enrollments whose step is not in the running
	// version; they wait in the store on their old version.
	Left int `json:"left_on_old_version"`
	// OnOld counts the records whose enrollments are finishing on an old
	// version this node keeps loaded (the others of Left wait in the
	// store: their version is in no program loaded since the start).
	OnOld int `json:"records_on_old_versions"`
}

// Diagnostic is a compiler diagnostic as the API shows it.
type Diagnostic struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
}

// Workflows lists the running version's workflows.
func (n *Node) Workflows() Workflows {
	n.mu.RLock()
	v, diags, left, onOld := n.cur, n.diags, n.left, n.onOld
	n.mu.RUnlock()
	out := Workflows{Loaded: v.loaded, Left: left, OnOld: onOld, Diagnostics: []Diagnostic{}, ReloadError: diags.HasErrors()}
	for _, d := range diags {
		out.Diagnostics = append(out.Diagnostics, Diagnostic{File: d.Pos.Filename, Line: d.Pos.Line, Col: d.Pos.Column,
			Severity: d.Severity.String(), Code: d.Code, Message: d.Message, Hint: d.Hint})
	}
	for _, wf := range v.prog.Workflows {
		info := WorkflowInfo{Name: wf.Name, Object: v.prog.Types[wf.Object].Name, File: wf.File, Version: wf.Hash, Status: "disabled"}
		if v.eng.Enabled(wf.Name) {
			info.Status = "enabled"
		}
		if at, err := n.opts.Store.EnrollmentsAt(wf.Name, ""); err == nil {
			info.Current = len(at)
		}
		out.Workflows = append(out.Workflows, info)
	}
	return out
}

// RecordJSON is a stored record as the API shows it.
type RecordJSON struct {
	Type  string              `json:"type"`
	ID    string              `json:"id"`
	Props map[string]any      `json:"props"`
	Assoc map[string][]string `json:"assoc,omitempty"`
}

// Record reads a committed record.
func (n *Node) Record(typ, id string) (RecordJSON, bool, error) {
	return StoredRecord(n.opts.Store, typ, id)
}

// StoredRecord reads a record from a store as the API shows it.
func StoredRecord(st store.Store, typ, id string) (RecordJSON, bool, error) {
	r, ok, err := st.Record(typ, id)
	if err != nil || !ok {
		return RecordJSON{}, false, err
	}
	var rs engine.RecordState
	if err := json.Unmarshal(r.State, &rs); err != nil {
		return RecordJSON{}, false, err
	}
	out := RecordJSON{Type: typ, ID: id, Props: map[string]any{}, Assoc: rs.Links}
	for name, v := range rs.Props {
		out.Props[name] = jsonValue(v)
	}
	return out, true, nil
}

func jsonValue(v value.Value) any {
	switch v.K {
	case value.Number:
		return v.N
	case value.Bool:
		return v.Truthy()
	case value.List:
		return v.Members()
	}
	return v.String()
}

// EnrollmentJSON is a stored enrollment as the API shows it.
type EnrollmentJSON struct {
	Workflow string                `json:"workflow"`
	Version  string                `json:"version"`
	Status   string                `json:"status"`
	Step     string                `json:"step,omitempty"`
	Started  time.Time             `json:"started"`
	Ended    time.Time             `json:"ended,omitzero"`
	Due      time.Time             `json:"due,omitzero"`
	History  []engine.HistoryEvent `json:"history"`
}

// Enrollments reads a record's committed enrollments, oldest first.
func (n *Node) Enrollments(typ, id string) ([]EnrollmentJSON, error) {
	return StoredEnrollments(n.opts.Store, typ, id)
}

// StoredEnrollments reads a record's enrollments from a store as the API
// shows them, oldest first.
func StoredEnrollments(st store.Store, typ, id string) ([]EnrollmentJSON, error) {
	ens, err := st.RecordEnrollments(typ, id)
	if err != nil {
		return nil, err
	}
	out := []EnrollmentJSON{}
	for _, e := range ens {
		var es engine.EnrollmentState
		if err := json.Unmarshal(e.State, &es); err != nil {
			return nil, err
		}
		out = append(out, EnrollmentJSON{Workflow: es.Workflow, Version: es.Version, Status: es.Status.String(), Step: es.Step,
			Started: es.Started, Ended: es.Ended, Due: es.Due, History: es.History})
	}
	return out, nil
}

// LogJSON is an action log entry as the API shows it.
type LogJSON struct {
	Seq uint64 `json:"seq"`
	engine.LogEntry
}

// Log reads a workflow's committed action log after a sequence number.
func (n *Node) Log(workflow string, after uint64, limit int) ([]LogJSON, error) {
	return StoredLog(n.opts.Store, workflow, after, limit)
}

// StoredLog reads a workflow's action log from a store as the API shows it.
func StoredLog(st store.Store, workflow string, after uint64, limit int) ([]LogJSON, error) {
	entries, err := st.Log(workflow, after, limit)
	if err != nil {
		return nil, err
	}
	return logJSON(entries)
}

func logJSON(entries []store.LogEntry) ([]LogJSON, error) {
	out := []LogJSON{}
	for _, e := range entries {
		var le engine.LogEntry
		if err := json.Unmarshal(e.Data, &le); err != nil {
			return nil, err
		}
		out = append(out, LogJSON{Seq: e.Seq, LogEntry: le})
	}
	return out, nil
}

// HasWorkflow reports whether the running version has the workflow.
func (n *Node) HasWorkflow(name string) bool {
	for _, wf := range n.version().prog.Workflows {
		if wf.Name == name {
			return true
		}
	}
	return false
}
