package store

import (
	"fmt"
	"testing"
	"time"
)

// TestCompact records action log entries and client ids at injected times
// over two years and compacts with a 90-day window: exactly the older ones
// go, from the workflow log, the record log and the dedupe set alike; the
// rest stay readable.
func TestCompact(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	const days = 730
	for d := range days {
		var b Batch
		b.SetTime(t0.AddDate(0, 0, d))
		b.AppendLog(LogEntry{Workflow: "w", Record: "contact/c1", Data: []byte(fmt.Sprintf(`{"day":%d}`, d))})
		b.AddClientID(fmt.Sprintf("k%03d", d))
		if err := s.Commit(&b); err != nil {
			t.Fatal(err)
		}
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
	if got, _ := s.Compact(cut, cut); got != (Compacted{}) {
		t.Fatalf("second compaction deleted %+v", got)
	}
}

func TestMeta(t *testing.T) {
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if m, _ := s.Meta("program"); m != nil {
		t.Fatalf("meta of a fresh store: %s", m)
	}
	var b Batch
	b.PutMeta("program", []byte(`{"a":1}`))
	if err := s.Commit(&b); err != nil {
		t.Fatal(err)
	}
	if m, _ := s.Meta("program"); string(m) != `{"a":1}` {
		t.Fatalf("meta: %s", m)
	}
}
