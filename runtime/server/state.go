package server

import (
	"encoding/json"
	"fmt"

	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/store"
)

// The engine's durable state in a store: DeltaBatch writes what an engine
// changed (engine.TakeDelta), LoadState reads the whole state back for
// engine.Restore. A node commits every group with them; runtime/wftest
// runs test blocks through them to prove that the store round-trips the
// state.

// LoadState reads the whole state of a store, as engine.Restore takes it:
// the globals (nil when none were written) and every record with all its
// enrollments.
func LoadState(st store.Store) (*engine.Globals, []engine.RecordState, error) {
	var g *engine.Globals
	data, err := st.Globals()
	if err != nil {
		return nil, nil, err
	}
	if data != nil {
		g = &engine.Globals{}
		if err := json.Unmarshal(data, g); err != nil {
			return nil, nil, fmt.Errorf("store: globals: %v", err)
		}
	}
	var recs []engine.RecordState
	index := map[string]int{}
	err = st.Records(func(r store.Record) error {
		var rs engine.RecordState
		if err := json.Unmarshal(r.State, &rs); err != nil {
			return fmt.Errorf("store: record %s/%s: %v", r.Type, r.ID, err)
		}
		index[rs.Key()] = len(recs)
		recs = append(recs, rs)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	err = st.Enrollments(func(e store.Enrollment) error {
		i, ok := index[e.Type+"/"+e.ID]
		if !ok {
			return nil
		}
		var es engine.EnrollmentState
		if err := json.Unmarshal(e.State, &es); err != nil {
			return fmt.Errorf("store: enrollment %d: %v", e.Seq, err)
		}
		recs[i].Enrollments = append(recs[i].Enrollments, es)
		return nil
	})
	return g, recs, err
}

// Timer keys: a record's timers start with "type/id/", so deleting the
// record deletes them; each ends with "/" so one is never a prefix of
// another.
func enrollTimerKey(es *engine.EnrollmentState) string {
	return fmt.Sprintf("%s/%s/enr/%d/", es.Type, es.ID, es.Seq)
}

// DeltaBatch turns an engine delta (engine.TakeDelta) into store writes,
// appended to b: each changed record with its date timers, its changed
// enrollments with their timers, the action log entries, the outbox
// effects and the globals with the schedule timers. LoadState reads back
// what such batches wrote.
func DeltaBatch(d *engine.Delta, b *store.Batch) error {
	for i := range d.Records {
		rs := d.Records[i]
		if rs.Deleted {
			b.DeleteRecord(rs.Type, rs.ID)
			continue
		}
		ens := rs.Enrollments
		rs.Enrollments = nil
		data, err := rs.MarshalJSON() // the hand-written encoder, without json.Marshal's second pass
		if err != nil {
			return err
		}
		b.PutRecord(store.Record{Type: rs.Type, ID: rs.ID, State: data})
		b.DeleteTimers(rs.Type + "/" + rs.ID + "/date/")
		for wf, ms := range rs.Members {
			for trig, due := range ms.Dates {
				b.PutTimer(store.Timer{Key: fmt.Sprintf("%s/%s/date/%s/%d/", rs.Type, rs.ID, wf, trig), Due: due})
			}
		}
		for j := range ens {
			if err := putEnrollment(b, &ens[j]); err != nil {
				return err
			}
		}
	}
	for _, en := range d.Log {
		data, err := json.Marshal(en.LogEntry)
		if err != nil {
			return err
		}
		b.AppendLog(store.LogEntry{Workflow: en.Workflow, Record: en.Record, Data: data})
	}
	for _, ef := range d.Outbox {
		data, err := json.Marshal(ef)
		if err != nil {
			return err
		}
		b.AppendOutbox(data)
	}
	if g := d.Globals; g != nil {
		data, err := json.Marshal(g)
		if err != nil {
			return err
		}
		b.PutGlobals(data)
		b.DeleteTimers("sched/")
		for _, s := range g.Schedules {
			b.PutTimer(store.Timer{Key: fmt.Sprintf("sched/%s/%d/", s.Workflow, s.Trigger), Due: s.Due})
		}
	}
	return nil
}

// deltaBatch is DeltaBatch.
func deltaBatch(d *engine.Delta, b *store.Batch) error { return DeltaBatch(d, b) }

// putEnrollment writes an enrollment and sets or clears its timer.
func putEnrollment(b *store.Batch, es *engine.EnrollmentState) error {
	data, err := es.MarshalJSON()
	if err != nil {
		return err
	}
	b.PutEnrollment(store.Enrollment{Type: es.Type, ID: es.ID, Seq: es.Seq, Workflow: es.Workflow, Version: es.Version,
		Step: es.Step, Current: es.Status.Current(), State: data})
	if es.Due.IsZero() {
		b.DeleteTimers(enrollTimerKey(es))
	} else {
		b.PutTimer(store.Timer{Key: enrollTimerKey(es), Due: es.Due})
	}
	return nil
}
