package store

import (
	"fmt"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func open(t *testing.T, dir string) *Bolt {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCommitAndQueries(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	var b Batch
	b.PutRecord(Record{Type: "contact", ID: "c1", State: []byte(`{"a":1}`)})
	b.PutRecord(Record{Type: "contact", ID: "c2", State: []byte(`{}`)})
	b.PutEnrollment(Enrollment{Type: "contact", ID: "c1", Seq: 1, Workflow: "welcome", Version: "v1", Step: "wait", Current: true, State: []byte("x")})
	b.PutEnrollment(Enrollment{Type: "contact", ID: "c2", Seq: 2, Workflow: "welcome", Version: "v1", Step: "1", Current: true})
	b.PutTimer(Timer{Key: "contact/c1/enr/1", Due: t0.Add(2 * time.Hour)})
	b.PutTimer(Timer{Key: "contact/c2/enr/2", Due: t0.Add(time.Hour)})
	b.AppendLog(LogEntry{Workflow: "welcome", Record: "contact/c1", Data: []byte("one")})
	b.AppendLog(LogEntry{Workflow: "other", Record: "contact/c1", Data: []byte("two")})
	b.AppendOutbox([]byte("email"))
	b.AddClientID("k1")
	b.PutGlobals([]byte(`{"g":1}`))
	if err := s.Commit(&b); err != nil {
		t.Fatal(err)
	}

	// Moving c1's enrollment to another step re-indexes it; the timer moves.
	var b2 Batch
	b2.PutEnrollment(Enrollment{Type: "contact", ID: "c1", Seq: 1, Workflow: "welcome", Version: "v2", Step: "done", Current: false})
	b2.PutTimer(Timer{Key: "contact/c1/enr/1", Due: t0.Add(3 * time.Hour)})
	if err := s.Commit(&b2); err != nil {
		t.Fatal(err)
	}
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
	if log, _ := s.Log("welcome", 0, 10); len(log) != 1 || string(log[0].Data) != "one" || log[0].Record != "contact/c1" {
		t.Errorf("Log(welcome) = %+v", log)
	}
	if log, _ := s.RecordLog("contact", "c1", 10); len(log) != 2 || log[1].Workflow != "other" {
		t.Errorf("RecordLog(c1) = %+v", log)
	}
	if out, _ := s.Outbox(0, 10); len(out) != 1 || string(out[0].Data) != "email" {
		t.Errorf("Outbox = %+v", out)
	}
	if seen, _ := s.SeenClientIDs([]string{"k1", "k2"}); !seen["k1"] || seen["k2"] {
		t.Errorf("SeenClientIDs = %v", seen)
	}

	// Deleting a record takes its enrollments, their index and its timers.
	var b3 Batch
	b3.DeleteRecord("contact", "c2")
	if err := s.Commit(&b3); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.Record("contact", "c2"); ok {
		t.Error("c2 still there after DeleteRecord")
	}
	if at, _ := s.EnrollmentsAt("welcome", ""); len(at) != 0 {
		t.Errorf("EnrollmentsAt after delete = %+v", at)
	}
	if due, _ := s.DueTimers(t0.Add(10*time.Hour), 10); len(due) != 1 || due[0].Key != "contact/c1/enr/1" {
		t.Errorf("DueTimers after delete = %+v", due)
	}

	// Everything survives a reopen.
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	if v, _ := s.Schema(); v != SchemaVersion {
		t.Errorf("schema = %d, want %d", v, SchemaVersion)
	}
	if g, _ := s.Globals(); string(g) != `{"g":1}` {
		t.Errorf("globals = %s", g)
	}
	n := 0
	s.Records(func(r Record) error { n++; return nil })
	if n != 1 {
		t.Errorf("%d records after reopen, want 1", n)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bMeta).Put([]byte("schema"), u64(SchemaVersion+1)) }); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(dir); err == nil {
		t.Fatal("Open of a newer schema succeeded")
	}
}

// BenchmarkCommit measures committed changes per second in batches of 1
// and 1,000 small records, each commit fsync'd.
func BenchmarkCommit(b *testing.B) {
	for _, size := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s, err := Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			n := 0
			for b.Loop() {
				var batch Batch
				for range size {
					n++
					batch.PutRecord(Record{Type: "contact", ID: fmt.Sprint("c", n), State: []byte(`{"props":{"score":{"K":2,"N":1}}}`)})
				}
				if err := s.Commit(&batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "changes/s")
		})
	}
}
