// Package storetest is the contract of store.Store as tests: every Store
// (the embedded bbolt one in package store, the PostgreSQL one in package
// pgstore) runs the same suite with Run, so they answer every query alike.
// It also gives the PostgreSQL tests their database (PostgresURL).
package storetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wflang/wf/runtime/store"
)

// Opener opens the database named db for test t. Opening the same name
// again in the same test, after the store got from it was closed, gives
// the same data; different names, and different tests, are different
// databases, empty at first. The suite closes the stores it opens.
type Opener func(t *testing.T, db string) store.Store

// Run runs the contract suite, each test a subtest of t.
func Run(t *testing.T, open Opener) {
	for _, c := range []struct {
		name string
		test func(*testing.T, Opener)
	}{
		{"CommitAndQueries", testCommitAndQueries},
		{"Reopen", testReopen},
		{"Empty", testEmpty},
		{"Order", testOrder},
		{"BatchOrder", testBatchOrder},
		{"Sequences", testSequences},
		{"Events", testEvents},
		{"Compact", testCompact},
		{"Meta", testMeta},
		{"Model", testModel},
	} {
		t.Run(c.name, func(t *testing.T) { c.test(t, open) })
	}
}

func openStore(t *testing.T, open Opener, db string) store.Store {
	t.Helper()
	s := open(t, db)
	t.Cleanup(func() { s.Close() })
	return s
}

func commit(t *testing.T, s store.Store, b *store.Batch) {
	t.Helper()
	if err := s.Commit(b); err != nil {
		t.Fatal(err)
	}
}

var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

func testCommitAndQueries(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	var b store.Batch
	b.PutRecord(store.Record{Type: "contact", ID: "c1", State: []byte(`{"a":1}`)})
	b.PutRecord(store.Record{Type: "contact", ID: "c2", State: []byte(`{}`)})
	b.PutEnrollment(store.Enrollment{Type: "contact", ID: "c1", Seq: 1, Workflow: "welcome", Version: "v1", Step: "wait", Current: true, State: []byte("x")})
	b.PutEnrollment(store.Enrollment{Type: "contact", ID: "c2", Seq: 2, Workflow: "welcome", Version: "v1", Step: "1", Current: true})
	b.PutTimer(store.Timer{Key: "contact/c1/enr/1", Due: t0.Add(2 * time.Hour)})
	b.PutTimer(store.Timer{Key: "contact/c2/enr/2", Due: t0.Add(time.Hour)})
	b.AppendLog(store.LogEntry{Workflow: "welcome", Record: "contact/c1", Data: []byte("one")})
	b.AppendLog(store.LogEntry{Workflow: "other", Record: "contact/c1", Data: []byte("two")})
	b.AppendOutbox([]byte("email"))
	b.AddClientID("k1")
	b.PutGlobals([]byte(`{"g":1}`))
	commit(t, s, &b)

	if r, ok, err := s.Record("contact", "c1"); err != nil || !ok || string(r.State) != `{"a":1}` || r.Type != "contact" || r.ID != "c1" {
		t.Errorf("Record(c1) = %+v, %v, %v", r, ok, err)
	}
	if es, _ := s.EnrollmentsAt("welcome", "wait"); len(es) != 1 || es[0].ID != "c1" || string(es[0].State) != "x" || es[0].Seq != 1 || !es[0].Current || es[0].Version != "v1" {
		t.Errorf("EnrollmentsAt(welcome, wait) = %+v", es)
	}

	// Moving c1's enrollment to another step re-indexes it; the timer moves.
	var b2 store.Batch
	b2.PutEnrollment(store.Enrollment{Type: "contact", ID: "c1", Seq: 1, Workflow: "welcome", Version: "v2", Step: "done", Current: false})
	b2.PutTimer(store.Timer{Key: "contact/c1/enr/1", Due: t0.Add(3 * time.Hour)})
	commit(t, s, &b2)
	if at, _ := s.EnrollmentsAt("welcome", "wait"); len(at) != 0 {
		t.Errorf("EnrollmentsAt(welcome, wait) = %v, want none: the enrollment ended", at)
	}
	if at, _ := s.EnrollmentsAt("welcome", ""); len(at) != 1 || at[0].ID != "c2" || at[0].Step != "1" {
		t.Errorf("EnrollmentsAt(welcome) = %+v, want c2 at 1", at)
	}
	if es, _ := s.RecordEnrollments("contact", "c1"); len(es) != 1 || es[0].Version != "v2" || es[0].Current {
		t.Errorf("RecordEnrollments(c1) = %+v", es)
	}
	due, _ := s.DueTimers(t0.Add(3*time.Hour), 10)
	if len(due) != 2 || due[0].Key != "contact/c2/enr/2" || !due[1].Due.Equal(t0.Add(3*time.Hour)) {
		t.Errorf("DueTimers = %+v, want c2's then c1's moved timer", due)
	}
	if due, _ := s.DueTimers(t0.Add(90*time.Minute), 10); len(due) != 1 {
		t.Errorf("DueTimers(+90m) = %+v, want one", due)
	}
	if log, _ := s.Log("welcome", 0, 10); len(log) != 1 || string(log[0].Data) != "one" || log[0].Record != "contact/c1" || log[0].Workflow != "welcome" {
		t.Errorf("Log(welcome) = %+v", log)
	}
	if log, _ := s.RecordLog("contact", "c1", 10); len(log) != 2 || log[0].Workflow != "welcome" || log[1].Workflow != "other" || string(log[1].Data) != "two" {
		t.Errorf("RecordLog(c1) = %+v", log)
	}
	if out, _ := s.Outbox(0, 10); len(out) != 1 || string(out[0].Data) != "email" {
		t.Errorf("Outbox = %+v", out)
	}
	if seen, _ := s.SeenClientIDs([]string{"k1", "k2"}); !seen["k1"] || seen["k2"] || len(seen) != 1 {
		t.Errorf("SeenClientIDs = %v", seen)
	}

	// Deleting a record takes its enrollments, their index and its timers.
	var b3 store.Batch
	b3.DeleteRecord("contact", "c2")
	commit(t, s, &b3)
	if _, ok, _ := s.Record("contact", "c2"); ok {
		t.Error("c2 still there after DeleteRecord")
	}
	if at, _ := s.EnrollmentsAt("welcome", ""); len(at) != 0 {
		t.Errorf("EnrollmentsAt after delete = %+v", at)
	}
	if es, _ := s.RecordEnrollments("contact", "c2"); len(es) != 0 {
		t.Errorf("RecordEnrollments(c2) after delete = %+v", es)
	}
	if due, _ := s.DueTimers(t0.Add(10*time.Hour), 10); len(due) != 1 || due[0].Key != "contact/c1/enr/1" {
		t.Errorf("DueTimers after delete = %+v", due)
	}

	// Everything survives a reopen.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, open, "db")
	if g, _ := s.Globals(); string(g) != `{"g":1}` {
		t.Errorf("globals = %s", g)
	}
	n := 0
	s.Records(func(r store.Record) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d records after reopen, want 1", n)
	}
	if seen, _ := s.SeenClientIDs([]string{"k1"}); !seen["k1"] {
		t.Errorf("SeenClientIDs after reopen = %v", seen)
	}
	if log, _ := s.RecordLog("contact", "c1", 10); len(log) != 2 {
		t.Errorf("RecordLog(c1) after reopen = %+v", log)
	}
}

// testReopen: a database opened a second time keeps its data and goes on
// numbering the log and the outbox after what it has; other databases are
// apart.
func testReopen(t *testing.T, open Opener) {
	s := openStore(t, open, "a")
	var b store.Batch
	b.PutRecord(store.Record{Type: "contact", ID: "c1", State: []byte("1")})
	b.AppendLog(store.LogEntry{Workflow: "w", Record: "contact/c1", Data: []byte("1")})
	b.AppendOutbox([]byte("1"))
	b.PutMeta("program", []byte("p"))
	commit(t, s, &b)
	other := openStore(t, open, "b")
	if _, ok, _ := other.Record("contact", "c1"); ok {
		t.Fatal("database b sees database a's record")
	}
	other.Close()
	s.Close()

	s = openStore(t, open, "a")
	var b2 store.Batch
	b2.AppendLog(store.LogEntry{Workflow: "w", Record: "contact/c1", Data: []byte("2")})
	b2.AppendOutbox([]byte("2"))
	commit(t, s, &b2)
	log, _ := s.Log("w", 0, 10)
	if len(log) != 2 || log[1].Seq <= log[0].Seq || string(log[1].Data) != "2" {
		t.Errorf("log after reopen = %+v", log)
	}
	out, _ := s.Outbox(0, 10)
	if len(out) != 2 || out[1].Seq <= out[0].Seq || string(out[1].Data) != "2" {
		t.Errorf("outbox after reopen = %+v", out)
	}
	if m, _ := s.Meta("program"); string(m) != "p" {
		t.Errorf("meta after reopen = %q", m)
	}
}

// testEmpty: a fresh store answers every query with nothing, and an empty
// batch commits.
func testEmpty(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	commit(t, s, &store.Batch{})
	if g, err := s.Globals(); g != nil || err != nil {
		t.Errorf("Globals = %q, %v", g, err)
	}
	if m, err := s.Meta("x"); m != nil || err != nil {
		t.Errorf("Meta = %q, %v", m, err)
	}
	if _, ok, err := s.Record("contact", "c1"); ok || err != nil {
		t.Errorf("Record = %v, %v", ok, err)
	}
	n := 0
	if err := s.Records(func(store.Record) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("Records: %d, %v", n, err)
	}
	if err := s.Enrollments(func(store.Enrollment) error { n++; return nil }); err != nil || n != 0 {
		t.Errorf("Enrollments: %d, %v", n, err)
	}
	for name, f := range map[string]func() (int, error){
		"RecordEnrollments": func() (int, error) { x, err := s.RecordEnrollments("contact", "c1"); return len(x), err },
		"EnrollmentsAt":     func() (int, error) { x, err := s.EnrollmentsAt("w", ""); return len(x), err },
		"DueTimers":         func() (int, error) { x, err := s.DueTimers(t0.AddDate(100, 0, 0), 10); return len(x), err },
		"Log":               func() (int, error) { x, err := s.Log("w", 0, 10); return len(x), err },
		"RecordLog":         func() (int, error) { x, err := s.RecordLog("contact", "c1", 10); return len(x), err },
		"Outbox":            func() (int, error) { x, err := s.Outbox(0, 10); return len(x), err },
		"SeenClientIDs":     func() (int, error) { x, err := s.SeenClientIDs([]string{"k"}); return len(x), err },
		"RecordEvents":      func() (int, error) { x, err := s.RecordEvents("contact", "c1", 10); return len(x), err },
	} {
		if n, err := f(); n != 0 || err != nil {
			t.Errorf("%s: %d, %v", name, n, err)
		}
	}
	if c, err := s.Compact(t0, t0); c != (store.Compacted{}) || err != nil {
		t.Errorf("Compact = %+v, %v", c, err)
	}
}

// testOrder checks the order every query documents, with keys whose byte
// order differs from a dictionary's (upper case before lower case, a
// prefix before what extends it).
func testOrder(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	recs := [][2]string{{"deal", "d1"}, {"contact", "b"}, {"contact", "B"}, {"contact", "a"}, {"Contact", "z"}, {"contact", "a1"}, {"contact", "a/b"}, {"contacts", "a"}}
	var b store.Batch
	for i, r := range recs {
		b.PutRecord(store.Record{Type: r[0], ID: r[1], State: []byte(fmt.Sprint(i))})
	}
	// Enrollments with seqs out of record order.
	seq := uint64(100)
	for _, r := range slices.Backward(recs) {
		for k := range 2 {
			seq--
			b.PutEnrollment(store.Enrollment{Type: r[0], ID: r[1], Seq: seq, Workflow: "w", Version: "v", Step: fmt.Sprint("s", k), Current: true})
		}
	}
	commit(t, s, &b)
	want := slices.Clone(recs)
	slices.SortFunc(want, func(x, y [2]string) int {
		if c := strings.Compare(x[0], y[0]); c != 0 {
			return c
		}
		return strings.Compare(x[1], y[1])
	})
	var got [][2]string
	s.Records(func(r store.Record) error { got = append(got, [2]string{r.Type, r.ID}); return nil })
	if !slices.Equal(got, want) {
		t.Errorf("Records in order %q, want %q", got, want)
	}
	var gotE []string
	s.Enrollments(func(e store.Enrollment) error {
		gotE = append(gotE, fmt.Sprintf("%s/%s#%d", e.Type, e.ID, e.Seq))
		return nil
	})
	var wantE []string
	for _, r := range want {
		es, _ := s.RecordEnrollments(r[0], r[1])
		if len(es) != 2 || es[0].Seq >= es[1].Seq {
			t.Errorf("RecordEnrollments(%s/%s) = %+v, want two, oldest first", r[0], r[1], es)
		}
		for _, e := range es {
			wantE = append(wantE, fmt.Sprintf("%s/%s#%d", e.Type, e.ID, e.Seq))
		}
	}
	if !slices.Equal(gotE, wantE) {
		t.Errorf("Enrollments in order %q, want %q (by record then seq)", gotE, wantE)
	}
	at, _ := s.EnrollmentsAt("w", "s1")
	var gotAt [][2]string
	for _, e := range at {
		gotAt = append(gotAt, [2]string{e.Type, e.ID})
	}
	if !slices.Equal(gotAt, want) {
		t.Errorf("EnrollmentsAt(w, s1) in order %q, want %q (by record)", gotAt, want)
	}

	// Timers: by due time, then key; at or before t; up to limit.
	var tb store.Batch
	for i, k := range []string{"x/3/", "x/1/", "x/2/", "X/0/", "sched/a/1/"} {
		tb.PutTimer(store.Timer{Key: k, Due: t0.Add(time.Duration(i%3) * time.Minute)})
	}
	commit(t, s, &tb)
	var keys []string
	due, _ := s.DueTimers(t0.Add(time.Minute), 10)
	for _, d := range due {
		keys = append(keys, d.Key)
	}
	if want := []string{"X/0/", "x/3/", "sched/a/1/", "x/1/"}; !slices.Equal(keys, want) {
		t.Errorf("DueTimers(+1m) = %q, want %q", keys, want)
	}
	if due, _ := s.DueTimers(t0.Add(time.Hour), 2); len(due) != 2 || due[0].Key != "X/0/" || !due[0].Due.Equal(t0) {
		t.Errorf("DueTimers(+1h, 2) = %+v", due)
	}
	if due, _ := s.DueTimers(t0.Add(-time.Second), 10); len(due) != 0 {
		t.Errorf("DueTimers(-1s) = %+v, want none", due)
	}
}

// testBatchOrder: a batch's writes apply in the order they were added,
// whatever a store does to apply them at once.
func testBatchOrder(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	rec := func(id, state string) store.Record {
		return store.Record{Type: "contact", ID: id, State: []byte(state)}
	}
	enr := func(id string, seq uint64, step string) store.Enrollment {
		return store.Enrollment{Type: "contact", ID: id, Seq: seq, Workflow: "w", Version: "v", Step: step, Current: true, State: []byte(step)}
	}
	var b store.Batch
	for _, id := range []string{"a", "b", "c", "d"} {
		b.PutRecord(rec(id, "old"))
		b.PutEnrollment(enr(id, uint64(id[0]), "s1"))
		b.PutTimer(store.Timer{Key: "contact/" + id + "/enr/1/", Due: t0})
		b.PutTimer(store.Timer{Key: "contact/" + id + "/date/w/0/", Due: t0})
	}
	b.PutTimer(store.Timer{Key: "sched/w/0/", Due: t0})
	commit(t, s, &b)

	var b2 store.Batch
	// a: deleted, then written again with an enrollment and a timer.
	b2.DeleteRecord("contact", "a")
	b2.PutRecord(rec("a", "new"))
	b2.PutEnrollment(enr("a", 200, "s2"))
	b2.PutTimer(store.Timer{Key: "contact/a/date/w/1/", Due: t0})
	// b: written, then deleted.
	b2.PutRecord(rec("b", "new"))
	b2.PutEnrollment(enr("b", 201, "s2"))
	b2.PutTimer(store.Timer{Key: "contact/b/enr/201/", Due: t0})
	b2.DeleteRecord("contact", "b")
	// c: its date timers replaced (delete by prefix, then put), its
	// enrollment timer put twice, its record written twice.
	b2.PutRecord(rec("c", "first"))
	b2.DeleteTimers("contact/c/date/")
	b2.PutTimer(store.Timer{Key: "contact/c/date/w/5/", Due: t0.Add(time.Hour)})
	b2.PutTimer(store.Timer{Key: "contact/c/enr/1/", Due: t0.Add(time.Hour)})
	b2.PutTimer(store.Timer{Key: "contact/c/enr/1/", Due: t0.Add(2 * time.Hour)})
	b2.PutEnrollment(enr("c", 'c', "s2"))
	b2.PutEnrollment(enr("c", 'c', "s3"))
	b2.PutRecord(rec("c", "second"))
	// d: a timer put, then deleted by prefix, then another put.
	b2.PutTimer(store.Timer{Key: "contact/d/enr/9/", Due: t0})
	b2.DeleteTimers("contact/d/")
	b2.PutTimer(store.Timer{Key: "contact/d/enr/10/", Due: t0})
	// the schedules: replaced.
	b2.DeleteTimers("sched/")
	b2.PutTimer(store.Timer{Key: "sched/w/1/", Due: t0})
	b2.PutGlobals([]byte("g1"))
	b2.PutGlobals([]byte("g2"))
	b2.PutMeta("m", []byte("1"))
	b2.PutMeta("m", []byte("2"))
	b2.AddClientID("k")
	b2.AddClientID("k")
	commit(t, s, &b2)

	states := map[string]string{}
	s.Records(func(r store.Record) error { states[r.ID] = string(r.State); return nil })
	if want := map[string]string{"a": "new", "c": "second", "d": "old"}; fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("records = %v, want %v", states, want)
	}
	var enrs []string
	s.Enrollments(func(e store.Enrollment) error {
		enrs = append(enrs, fmt.Sprintf("%s#%d@%s", e.ID, e.Seq, e.Step))
		return nil
	})
	if want := []string{"a#200@s2", "c#99@s3", "d#100@s1"}; !slices.Equal(enrs, want) {
		t.Errorf("enrollments = %q, want %q", enrs, want)
	}
	if at, _ := s.EnrollmentsAt("w", "s2"); len(at) != 1 || at[0].ID != "a" {
		t.Errorf("EnrollmentsAt(w, s2) = %+v, want a's", at)
	}
	due, _ := s.DueTimers(t0.AddDate(1, 0, 0), 100)
	var timers []string
	for _, d := range due {
		timers = append(timers, fmt.Sprintf("%s+%v", d.Key, d.Due.Sub(t0)))
	}
	slices.Sort(timers)
	want := []string{"contact/a/date/w/1/+0s", "contact/c/date/w/5/+1h0m0s", "contact/c/enr/1/+2h0m0s", "contact/d/enr/10/+0s", "sched/w/1/+0s"}
	if !slices.Equal(timers, want) {
		t.Errorf("timers = %q,\nwant %q", timers, want)
	}
	if g, _ := s.Globals(); string(g) != "g2" {
		t.Errorf("globals = %q, want the later", g)
	}
	if m, _ := s.Meta("m"); string(m) != "2" {
		t.Errorf("meta = %q, want the later", m)
	}

	// Deleting every timer.
	var b3 store.Batch
	b3.PutTimer(store.Timer{Key: "z/z/enr/1/", Due: t0})
	b3.DeleteTimers("")
	b3.PutTimer(store.Timer{Key: "y/y/enr/1/", Due: t0})
	commit(t, s, &b3)
	if due, _ := s.DueTimers(t0.AddDate(1, 0, 0), 100); len(due) != 1 || due[0].Key != "y/y/enr/1/" {
		t.Errorf("timers after DeleteTimers(\"\") = %+v", due)
	}
}

// testSequences: log and outbox sequence numbers increase in the order of
// the batch and across commits; after and limit page through them.
func testSequences(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	for c := range 3 {
		var b store.Batch
		for i := range 5 {
			b.AppendLog(store.LogEntry{Workflow: []string{"w1", "w2"}[i%2], Record: fmt.Sprintf("contact/c%d", i%3), Data: []byte(fmt.Sprint(c, i))})
			b.AppendOutbox([]byte(fmt.Sprint(c, i)))
		}
		commit(t, s, &b)
	}
	out, _ := s.Outbox(0, 100)
	if len(out) != 15 {
		t.Fatalf("outbox has %d entries, want 15", len(out))
	}
	for i, e := range out {
		if string(e.Data) != fmt.Sprint(i/5, i%5) || (i > 0 && e.Seq <= out[i-1].Seq) {
			t.Fatalf("outbox[%d] = %d %q after %+v", i, e.Seq, e.Data, out[:i])
		}
	}
	if page, _ := s.Outbox(out[6].Seq, 3); len(page) != 3 || page[0].Seq != out[7].Seq || page[2].Seq != out[9].Seq {
		t.Errorf("Outbox(after %d, 3) = %+v", out[6].Seq, page)
	}
	if page, _ := s.Outbox(out[14].Seq, 3); len(page) != 0 {
		t.Errorf("Outbox after the last = %+v", page)
	}
	w1, _ := s.Log("w1", 0, 100)
	w2, _ := s.Log("w2", 0, 100)
	if len(w1) != 9 || len(w2) != 6 {
		t.Fatalf("log: %d in w1, %d in w2, want 9 and 6", len(w1), len(w2))
	}
	for i, e := range w1 {
		if e.Workflow != "w1" || string(e.Data) != fmt.Sprint(i/3, i%3*2) || (i > 0 && e.Seq <= w1[i-1].Seq) {
			t.Fatalf("w1[%d] = %+v", i, e)
		}
	}
	if page, _ := s.Log("w1", w1[2].Seq, 2); len(page) != 2 || page[0].Seq != w1[3].Seq || page[1].Seq != w1[4].Seq {
		t.Errorf("Log(w1, after %d, 2) = %+v", w1[2].Seq, page)
	}
	rl, _ := s.RecordLog("contact", "c0", 100)
	if len(rl) != 6 {
		t.Fatalf("RecordLog(c0) has %d entries, want 6", len(rl))
	}
	for i, e := range rl {
		if e.Record != "contact/c0" || (i > 0 && e.Seq <= rl[i-1].Seq) {
			t.Fatalf("RecordLog(c0)[%d] = %+v", i, e)
		}
	}
	if rl, _ := s.RecordLog("contact", "c0", 2); len(rl) != 2 || string(rl[1].Data) != "0 3" {
		t.Errorf("RecordLog(c0, 2) = %+v", rl)
	}
}

// testEvents: an occurrence written twice is kept once; other properties,
// times or names are other occurrences; oldest first, up to limit.
func testEvents(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	ev := func(name string, min int, props string) store.Event {
		return store.Event{Type: "contact", ID: "c1", Name: name, At: t0.Add(time.Duration(min) * time.Minute), Props: []byte(props)}
	}
	var b store.Batch
	b.PutEvent(ev("open", 2, `{"n":1}`))
	b.PutEvent(ev("open", 2, `{"n":1}`))
	b.PutEvent(ev("click", 1, `{}`))
	b.PutEvent(store.Event{Type: "contact", ID: "c2", Name: "open", At: t0, Props: []byte(`{}`)})
	commit(t, s, &b)
	var b2 store.Batch
	b2.PutEvent(ev("open", 2, `{"n":1}`)) // again: kept once
	b2.PutEvent(ev("open", 2, `{"n":2}`)) // other props
	b2.PutEvent(ev("close", 2, `{"n":1}`))
	b2.PutEvent(ev("click", 0, `{}`))
	commit(t, s, &b2)
	evs, err := s.RecordEvents("contact", "c1", 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range evs {
		if e.Type != "contact" || e.ID != "c1" || e.At.Location() != time.UTC {
			t.Errorf("event %+v", e)
		}
		got = append(got, fmt.Sprintf("%v %s %s", e.At.Sub(t0), e.Name, e.Props))
	}
	// Same time and name: in the order of their properties' hash.
	h1, h2 := store.EventHash([]byte(`{"n":1}`)), store.EventHash([]byte(`{"n":2}`))
	first, second := `{"n":1}`, `{"n":2}`
	if bytes.Compare(h1[:], h2[:]) > 0 {
		first, second = second, first
	}
	want := []string{"0s click {}", "1m0s click {}", `2m0s close {"n":1}`, "2m0s open " + first, "2m0s open " + second}
	if !slices.Equal(got, want) {
		t.Errorf("RecordEvents = %q,\nwant %q", got, want)
	}
	if evs, _ := s.RecordEvents("contact", "c1", 2); len(evs) != 2 || evs[1].Name != "click" {
		t.Errorf("RecordEvents(limit 2) = %+v", evs)
	}
}

// testCompact records action log entries and client ids at injected times
// over two years and compacts with a 90-day window: exactly the older ones
// go, from the workflow log, the record log and the dedupe set alike; the
// rest stay readable.
func testCompact(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const days = 730
	for d := range days {
		var b store.Batch
		b.SetTime(t0.AddDate(0, 0, d))
		b.AppendLog(store.LogEntry{Workflow: "w", Record: "contact/c1", Data: []byte(fmt.Sprintf(`{"day":%d}`, d))})
		b.AddClientID(fmt.Sprintf("k%03d", d))
		commit(t, s, &b)
	}
	now := t0.AddDate(0, 0, days)
	cut := now.AddDate(0, 0, -90)
	got, err := s.Compact(cut, cut)
	if err != nil {
		t.Fatal(err)
	}
	if got.Log != days-90 || got.ClientIDs != days-90 {
		t.Fatalf("compacted %+v, want %d of each", got, days-90)
	}
	log, _ := s.Log("w", 0, 1000)
	rlog, _ := s.RecordLog("contact", "c1", 1000)
	if len(log) != 90 || len(rlog) != 90 || string(log[0].Data) != fmt.Sprintf(`{"day":%d}`, days-90) {
		t.Fatalf("after compaction: %d log entries, %d by record, first %s", len(log), len(rlog), log[0].Data)
	}
	seen, _ := s.SeenClientIDs([]string{fmt.Sprintf("k%03d", days-91), fmt.Sprintf("k%03d", days-90)})
	if seen[fmt.Sprintf("k%03d", days-91)] || !seen[fmt.Sprintf("k%03d", days-90)] {
		t.Fatalf("client ids after compaction: %v", seen)
	}
	// Again: nothing more to do.
	if got, _ := s.Compact(cut, cut); got != (store.Compacted{}) {
		t.Fatalf("second compaction deleted %+v", got)
	}
	// A zero time compacts none of its kind.
	if got, _ := s.Compact(time.Time{}, now); got.Log != 0 || got.ClientIDs != 90 {
		t.Fatalf("compaction of client ids only deleted %+v", got)
	}
	if log, _ := s.Log("w", 0, 1000); len(log) != 90 {
		t.Fatalf("%d log entries after compacting client ids only, want 90", len(log))
	}
}

func testMeta(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	if m, _ := s.Meta("program"); m != nil {
		t.Fatalf("meta of a fresh store: %s", m)
	}
	var b store.Batch
	b.PutMeta("program", []byte(`{"a":1}`))
	b.PutMeta("globals", []byte(`meta, not globals`))
	commit(t, s, &b)
	if m, _ := s.Meta("program"); string(m) != `{"a":1}` {
		t.Fatalf("meta: %s", m)
	}
	if g, _ := s.Globals(); g != nil {
		t.Fatalf("PutMeta(globals) wrote the globals: %s", g)
	}
	if m, _ := s.Meta("globals"); string(m) != "meta, not globals" {
		t.Fatalf("meta globals: %s", m)
	}
}

// testModel commits random batches of record, enrollment and timer writes
// over a few keys, so that the same keys meet in one batch in every order,
// and compares the store with a plain model after each commit.
func testModel(t *testing.T, open Opener) {
	s := openStore(t, open, "db")
	rng := rand.New(rand.NewPCG(1, 2))
	types := []string{"contact", "deal"}
	ids := []string{"a", "b", "a/b", "c"}
	m := newModel()
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	timerKey := func() string {
		typ, id := pick(types), pick(ids)
		switch rng.IntN(4) {
		case 0:
			return fmt.Sprintf("%s/%s/date/w%d/%d/", typ, id, rng.IntN(2), rng.IntN(2))
		case 1:
			return fmt.Sprintf("sched/w%d/%d/", rng.IntN(2), rng.IntN(2))
		default:
			return fmt.Sprintf("%s/%s/enr/%d/", typ, id, rng.IntN(3))
		}
	}
	prefix := func() string {
		typ, id := pick(types), pick(ids)
		return pick([]string{typ + "/" + id + "/", typ + "/" + id + "/date/", typ + "/" + id + "/enr/1/", "sched/", typ + "/", ""})
	}
	n := 0
	for range 150 {
		var b store.Batch
		for range 1 + rng.IntN(30) {
			n++
			ti, ii := rng.IntN(len(types)), rng.IntN(len(ids))
			typ, id := types[ti], ids[ii]
			switch r := rng.IntN(100); {
			case r < 25:
				b.PutRecord(store.Record{Type: typ, ID: id, State: []byte(fmt.Sprint(n))})
			case r < 35:
				b.DeleteRecord(typ, id)
			case r < 60:
				// A seq is unique across the store: each record has its own.
				seq := uint64((ti*len(ids)+ii)*4 + 1 + rng.IntN(3))
				b.PutEnrollment(store.Enrollment{Type: typ, ID: id, Seq: seq, Workflow: pick([]string{"w1", "w2"}),
					Version: fmt.Sprint(n), Step: pick([]string{"s1", "s2"}), Current: rng.IntN(3) > 0, State: []byte(fmt.Sprint(n))})
			case r < 90:
				b.PutTimer(store.Timer{Key: timerKey(), Due: t0.Add(time.Duration(rng.IntN(20)) * time.Minute)})
			default:
				b.DeleteTimers(prefix())
			}
		}
		m.apply(&b)
		commit(t, s, &b)
		m.check(t, s)
		if t.Failed() {
			t.Fatalf("after the batch %+v", b.Ops())
		}
	}
}

type model struct {
	records     map[[2]string]string
	enrollments map[uint64]store.Enrollment
	timers      map[string]time.Time
}

func newModel() *model {
	return &model{records: map[[2]string]string{}, enrollments: map[uint64]store.Enrollment{}, timers: map[string]time.Time{}}
}

func (m *model) deleteTimers(prefix string) {
	for k := range m.timers {
		if strings.HasPrefix(k, prefix) {
			delete(m.timers, k)
		}
	}
}

func (m *model) apply(b *store.Batch) {
	for _, o := range b.Ops() {
		switch o.Kind {
		case store.OpPutRecord:
			m.records[[2]string{o.Record.Type, o.Record.ID}] = string(o.Record.State)
		case store.OpDeleteRecord:
			delete(m.records, [2]string{o.Record.Type, o.Record.ID})
			for seq, e := range m.enrollments {
				if e.Type == o.Record.Type && e.ID == o.Record.ID {
					delete(m.enrollments, seq)
				}
			}
			m.deleteTimers(o.Record.Type + "/" + o.Record.ID + "/")
		case store.OpPutEnrollment:
			m.enrollments[o.Enrollment.Seq] = o.Enrollment
		case store.OpPutTimer:
			m.timers[o.Timer.Key] = o.Timer.Due
		case store.OpDeleteTimers:
			m.deleteTimers(o.Key)
		}
	}
}

func (m *model) check(t *testing.T, s store.Store) {
	t.Helper()
	var want, got []string
	for k, v := range m.records {
		want = append(want, k[0]+" "+k[1]+" "+v)
	}
	slices.Sort(want)
	s.Records(func(r store.Record) error { got = append(got, r.Type+" "+r.ID+" "+string(r.State)); return nil })
	if !slices.Equal(got, want) {
		t.Errorf("records = %q,\nwant %q", got, want)
	}

	enr := func(e store.Enrollment) string {
		return fmt.Sprintf("%s %s %03d %s %s %s %v %s", e.Type, e.ID, e.Seq, e.Workflow, e.Version, e.Step, e.Current, e.State)
	}
	want, got = nil, nil
	for _, e := range m.enrollments {
		want = append(want, enr(e))
	}
	slices.Sort(want)
	s.Enrollments(func(e store.Enrollment) error { got = append(got, enr(e)); return nil })
	if !slices.Equal(got, want) {
		t.Errorf("enrollments = %q,\nwant %q", got, want)
	}
	for _, wf := range []string{"w1", "w2"} {
		for _, step := range []string{"s1", "s2"} {
			want, got = nil, nil
			for _, e := range m.enrollments {
				if e.Current && e.Workflow == wf && e.Step == step {
					want = append(want, enr(e))
				}
			}
			slices.Sort(want)
			at, _ := s.EnrollmentsAt(wf, step)
			for _, e := range at {
				got = append(got, enr(e))
			}
			if !slices.Equal(got, want) {
				t.Errorf("EnrollmentsAt(%s, %s) = %q,\nwant %q", wf, step, got, want)
			}
		}
	}

	want, got = nil, nil
	for k, due := range m.timers {
		want = append(want, fmt.Sprintf("%02d %s", int(due.Sub(t0).Minutes()), k))
	}
	slices.Sort(want)
	due, _ := s.DueTimers(t0.Add(time.Hour), 1000)
	for _, d := range due {
		got = append(got, fmt.Sprintf("%02d %s", int(d.Due.Sub(t0).Minutes()), d.Key))
	}
	if !slices.Equal(got, want) {
		t.Errorf("timers = %q,\nwant %q", got, want)
	}
}
