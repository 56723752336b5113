package pgstore

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/runtime/store/storetest"
)

// The tests that need a server take it from $WF_TEST_POSTGRES, each in a
// schema of its own (storetest.PostgresURL), and skip without it.

func openURL(t testing.TB, url string) *Store {
	t.Helper()
	s, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestContract runs the Store contract suite (package storetest), which
// the bbolt store runs too.
func TestContract(t *testing.T) {
	storetest.PostgresURL(t) // skips without a server
	var mu sync.Mutex
	urls := map[string]string{}
	storetest.Run(t, func(t *testing.T, db string) store.Store {
		mu.Lock()
		url, ok := urls[t.Name()+"\x00"+db]
		if !ok {
			url = storetest.PostgresURL(t)
			urls[t.Name()+"\x00"+db] = url
		}
		mu.Unlock()
		return openURL(t, url)
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	if len(migrations) != SchemaVersion {
		t.Fatalf("%d migrations, SchemaVersion %d", len(migrations), SchemaVersion)
	}
	url := storetest.PostgresURL(t)
	s := openURL(t, url)
	if s.migrated != SchemaVersion {
		t.Errorf("the first Open applied %d migrations, want %d", s.migrated, SchemaVersion)
	}
	s.Close()
	s = openURL(t, url)
	defer s.Close()
	if s.migrated != 0 {
		t.Errorf("the second Open applied %d migrations, want none", s.migrated)
	}
	if v, err := s.Schema(context.Background()); err != nil || v != SchemaVersion {
		t.Errorf("Schema = %d, %v; want %d", v, err, SchemaVersion)
	}
	var leases int
	if err := s.Pool().QueryRow(context.Background(), `SELECT count(*) FROM wf_leases`).Scan(&leases); err != nil || leases != store.Partitions {
		t.Errorf("wf_leases has %d rows (%v), want %d", leases, err, store.Partitions)
	}
}

// TestSynchronousCommit: a connection whose synchronous_commit is off
// (here from the URL; a server or role default alike) is set to on.
func TestSynchronousCommit(t *testing.T) {
	s := openURL(t, storetest.PostgresURL(t)+"&synchronous_commit=off")
	defer s.Close()
	var v string
	if err := s.Pool().QueryRow(context.Background(), `SELECT current_setting('synchronous_commit')`).Scan(&v); err != nil || v != "on" {
		t.Errorf("synchronous_commit = %q (%v), want on", v, err)
	}
	s2 := openURL(t, storetest.PostgresURL(t)+"&synchronous_commit=remote_apply")
	defer s2.Close()
	if err := s2.Pool().QueryRow(context.Background(), `SELECT current_setting('synchronous_commit')`).Scan(&v); err != nil || v != "remote_apply" {
		t.Errorf("synchronous_commit = %q (%v), want remote_apply kept", v, err)
	}
}

// TestConcurrentOpen: four nodes starting at once on an empty database
// migrate it once between them.
func TestConcurrentOpen(t *testing.T) {
	url := storetest.PostgresURL(t)
	stores := make([]*Store, 4)
	errs := make([]error, 4)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(context.Background(), url) })
	}
	wg.Wait()
	total := 0
	for i, s := range stores {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		defer s.Close()
		total += s.migrated
	}
	if total != SchemaVersion {
		t.Errorf("four concurrent Opens applied %d migrations between them, want %d", total, SchemaVersion)
	}
	var leases int
	if err := stores[0].Pool().QueryRow(context.Background(), `SELECT count(*) FROM wf_leases`).Scan(&leases); err != nil || leases != store.Partitions {
		t.Errorf("wf_leases has %d rows (%v), want %d", leases, err, store.Partitions)
	}
}

func TestRefusesNewerSchema(t *testing.T) {
	url := storetest.PostgresURL(t)
	s := openURL(t, url)
	if _, err := s.Pool().Exec(context.Background(), `UPDATE wf_meta SET value = $1 WHERE key = 'schema'`, []byte(fmt.Sprint(SchemaVersion+1))); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err := Open(context.Background(), url)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("schema version %d; this wf knows up to %d", SchemaVersion+1, SchemaVersion)) {
		t.Fatalf("Open of a newer schema: %v", err)
	}
}

// TestCommitAtomic: a batch that fails half-way, in the database or in
// CommitTx's extra function, leaves nothing; extra sees the batch's
// writes and commits with them.
func TestCommitAtomic(t *testing.T) {
	ctx := context.Background()
	s := openURL(t, storetest.PostgresURL(t))
	defer s.Close()
	batch := func(bad bool) *store.Batch {
		var b store.Batch
		for i := range 10 {
			id := fmt.Sprint("c", i)
			b.PutRecord(store.Record{Type: "contact", ID: id, State: []byte("{}")})
			b.PutEnrollment(store.Enrollment{Type: "contact", ID: id, Seq: uint64(i + 1), Workflow: "w", Step: "s", Current: true})
			b.PutTimer(store.Timer{Key: "contact/" + id + "/enr/1/", Due: time.Now()})
			b.AppendLog(store.LogEntry{Workflow: "w", Record: "contact/" + id, Data: []byte("{}")})
			b.AppendOutbox([]byte("{}"))
			b.AddClientID(id)
			if bad && i == 5 {
				b.DeleteRecord("contact", "c0")
				b.PutRecord(store.Record{Type: "contact", ID: "bad\x00id"}) // text cannot hold NUL: the server refuses it
			}
		}
		b.PutGlobals([]byte("{}"))
		return &b
	}
	empty := func(when string) {
		t.Helper()
		for _, table := range []string{"wf_records", "wf_enrollments", "wf_timers", "wf_log", "wf_outbox", "wf_client_ids"} {
			var n int
			if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil || n != 0 {
				t.Errorf("%s: %s has %d rows (%v), want none", when, table, n, err)
			}
		}
		if g, _ := s.Globals(); g != nil {
			t.Errorf("%s: globals written", when)
		}
	}
	if err := s.Commit(batch(true)); err == nil {
		t.Fatal("Commit of a batch with a NUL in an id succeeded")
	}
	empty("after a failed Commit")

	errFence := errors.New("lease lost")
	seen := -1
	err := s.CommitTx(ctx, batch(false), func(ctx context.Context, tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM wf_records`).Scan(&seen); err != nil {
			return err
		}
		return errFence
	})
	if !errors.Is(err, errFence) {
		t.Fatalf("CommitTx with a failing extra = %v, want its error", err)
	}
	if seen != 10 {
		t.Errorf("extra saw %d records, want the batch's 10", seen)
	}
	empty("after a CommitTx whose extra failed")

	if err := s.CommitTx(ctx, batch(true), func(context.Context, pgx.Tx) error {
		t.Error("extra ran after the batch failed")
		return nil
	}); err == nil {
		t.Fatal("CommitTx of a bad batch succeeded")
	}
	empty("after a failed CommitTx")

	err = s.CommitTx(ctx, batch(false), func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE wf_leases SET epoch = epoch + 1 WHERE part = 3`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var epoch int
	s.Pool().QueryRow(ctx, `SELECT epoch FROM wf_leases WHERE part = 3`).Scan(&epoch)
	if log, _ := s.Log("w", 0, 100); len(log) != 10 || epoch != 1 {
		t.Errorf("after CommitTx: %d log entries, lease epoch %d; want 10 and 1", len(log), epoch)
	}
	// extra alone, with an empty batch, runs in a transaction too.
	if err := s.CommitTx(ctx, &store.Batch{}, func(ctx context.Context, tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE wf_leases SET epoch = epoch + 1 WHERE part = 3`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.Pool().QueryRow(ctx, `SELECT epoch FROM wf_leases WHERE part = 3`).Scan(&epoch)
	if epoch != 2 {
		t.Errorf("lease epoch %d after an empty batch's extra, want 2", epoch)
	}
}

// TestPartitions: every per-record row carries its record's partition,
// and the partition loaders return just theirs, in the documented order.
func TestPartitions(t *testing.T) {
	ctx := context.Background()
	s := openURL(t, storetest.PostgresURL(t))
	defer s.Close()
	t0 := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	var b store.Batch
	byPart := map[int][]string{}
	for i := range 200 {
		id := fmt.Sprint("c", i)
		p := store.Partition("contact", id)
		byPart[p] = append(byPart[p], id)
		b.PutRecord(store.Record{Type: "contact", ID: id, State: []byte("{}")})
		b.PutEnrollment(store.Enrollment{Type: "contact", ID: id, Seq: uint64(1000 - i), Workflow: "w", Step: "s", Current: true})
		b.PutTimer(store.Timer{Key: fmt.Sprintf("contact/%s/enr/%d/", id, 1000-i), Due: t0.Add(time.Duration(i) * time.Second)})
		b.PutTimer(store.Timer{Key: fmt.Sprintf("contact/%s/date/w/0/", id), Due: t0.Add(time.Duration(i) * time.Second)})
		b.AppendLog(store.LogEntry{Workflow: "w", Record: "contact/" + id})
		b.PutEvent(store.Event{Type: "contact", ID: id, Name: "e", At: t0})
	}
	b.PutTimer(store.Timer{Key: "sched/w/0/", Due: t0})
	if err := s.Commit(&b); err != nil {
		t.Fatal(err)
	}
	// The stored partitions: the record's; -1 for the schedule's timer.
	for _, q := range []string{
		`SELECT type, id, part FROM wf_records`,
		`SELECT type, id, part FROM wf_enrollments`,
		`SELECT type, id, part FROM wf_events`,
		`SELECT split_part(record, '/', 1), split_part(record, '/', 2), part FROM wf_log`,
		`SELECT split_part(key, '/', 1), split_part(key, '/', 2), part FROM wf_timers`,
	} {
		rows, err := s.Pool().Query(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var typ, id string
			var part int
			if err := rows.Scan(&typ, &id, &part); err != nil {
				t.Fatal(err)
			}
			want := store.Partition(typ, id)
			if typ == "sched" {
				want = -1
			}
			if part != want {
				t.Errorf("%s: %s/%s in partition %d, want %d", q, typ, id, part, want)
			}
			n++
		}
		if rows.Err() != nil || n < 200 {
			t.Errorf("%s: %d rows, %v", q, n, rows.Err())
		}
	}

	parts := []int{3, 17, 40}
	var want []string
	for _, p := range parts {
		want = append(want, byPart[p]...)
	}
	slices.Sort(want)
	var got []string
	if err := s.RecordsIn(ctx, parts, func(r store.Record) error { got = append(got, r.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("RecordsIn(%v) = %q, want %q", parts, got, want)
	}
	got = nil
	if err := s.EnrollmentsIn(ctx, parts, func(e store.Enrollment) error { got = append(got, e.ID); return nil }); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("EnrollmentsIn(%v) = %q, want %q", parts, got, want)
	}
	due, err := s.DueTimersIn(ctx, append(parts, -1), t0.Add(time.Hour), 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(due) != 2*len(want)+1 || due[0].Key != "sched/w/0/" {
		t.Errorf("DueTimersIn(%v and -1) = %d timers, first %+v; want %d, the schedule first", parts, len(due), due[0], 2*len(want)+1)
	}
	for i, d := range due {
		if i > 0 && d.Due.Before(due[i-1].Due) {
			t.Fatalf("DueTimersIn not earliest first: %+v after %+v", d, due[i-1])
		}
		if d.Key != "sched/w/0/" && !slices.Contains(want, strings.Split(d.Key, "/")[1]) {
			t.Errorf("DueTimersIn returned %s of another partition", d.Key)
		}
	}
	if due, _ := s.DueTimersIn(ctx, parts, t0.Add(time.Hour), 3); len(due) != 3 {
		t.Errorf("DueTimersIn(limit 3) = %d timers", len(due))
	}
}

func TestTimerRecord(t *testing.T) {
	for _, c := range []struct{ key, typ, id string }{
		{"contact/c1/enr/12/", "contact", "c1"},
		{"contact/c1/date/welcome/0/", "contact", "c1"},
		{"contact/a/b/enr/3/", "contact", "a/b"},
		{"contact/a/b/date/w/1/", "contact", "a/b"},
		{"contact//enr/3/", "contact", ""},
		{"contact/c1/other/", "contact", "c1"},
		{"contact/c1/", "contact", "c1"},
		{"contact/c1/enr/x/", "contact", "c1"},
		{"sched/w/0/", "", ""},
		{"contact", "", ""},
		{"contact/c1", "", ""},
	} {
		typ, id, ok := timerRecord(c.key)
		if typ != c.typ || id != c.id || ok != (c.typ != "") {
			t.Errorf("timerRecord(%q) = %q, %q, %v; want %q, %q", c.key, typ, id, ok, c.typ, c.id)
		}
	}
	if p := timerPart("sched/w/0/"); p != -1 {
		t.Errorf("timerPart(sched) = %d", p)
	}
	if p, want := timerPart("contact/c1/enr/1/"), store.Partition("contact", "c1"); p != want {
		t.Errorf("timerPart(contact/c1/…) = %d, want %d", p, want)
	}
}

func TestPrefixEnd(t *testing.T) {
	for _, c := range []struct {
		p, end string
		ok     bool
	}{
		{"contact/c1/", "contact/c10", true},
		{"a", "b", true},
		{"a\U0010FFFF", "b", true},
		{"\uD7FF", "\uE000", true},
		{"é", "ê", true},
		{"", "", false},
		{"\U0010FFFF\U0010FFFF", "", false},
	} {
		end, ok := prefixEnd(c.p)
		if end != c.end || ok != c.ok {
			t.Errorf("prefixEnd(%q) = %q, %v; want %q, %v", c.p, end, ok, c.end, c.ok)
		}
	}
}

// TestPlan: the runtime's batches (per record: the record, its date
// timers replaced, its enrollments with their timers; then the log, the
// outbox, the globals and the schedules, the client ids) become one
// statement per kind of write, and writes that do not commute stay in
// order.
func TestPlan(t *testing.T) {
	var b store.Batch
	for i := range 100 {
		typ, id := "contact", fmt.Sprint("c", i)
		b.PutRecord(store.Record{Type: typ, ID: id})
		b.DeleteTimers(typ + "/" + id + "/date/")
		b.PutTimer(store.Timer{Key: typ + "/" + id + "/date/w/0/"})
		b.PutEnrollment(store.Enrollment{Type: typ, ID: id, Seq: uint64(i)})
		b.DeleteTimers(fmt.Sprintf("%s/%s/enr/%d/", typ, id, i))
		b.PutTimer(store.Timer{Key: fmt.Sprintf("%s/%s/enr/%d/", typ, id, i+1000)})
	}
	b.DeleteRecord("deal", "d1")
	for range 10 {
		b.AppendLog(store.LogEntry{Workflow: "w", Record: "contact/c1"})
		b.AppendOutbox(nil)
	}
	b.PutGlobals(nil)
	b.DeleteTimers("sched/")
	b.PutTimer(store.Timer{Key: "sched/w/0/"})
	b.AddClientID("k")
	var kinds []store.OpKind
	for _, g := range plan(b.Ops()) {
		kinds = append(kinds, g.kind)
	}
	want := []store.OpKind{store.OpPutRecord, store.OpDeleteTimers, store.OpPutTimer, store.OpPutEnrollment,
		store.OpDeleteRecord, store.OpAppendLog, store.OpAppendOutbox, store.OpPutGlobals, store.OpAddClientID}
	if !slices.Equal(kinds, want) {
		t.Errorf("plan = %v, want %v", kinds, want)
	}

	// Writes that do not commute keep their order.
	var b2 store.Batch
	b2.PutTimer(store.Timer{Key: "contact/c1/enr/1/"})
	b2.DeleteTimers("contact/c1/")
	b2.PutTimer(store.Timer{Key: "contact/c2/enr/1/"}) // joins the first PutTimer
	b2.PutTimer(store.Timer{Key: "contact/c1/enr/2/"}) // after the delete
	b2.PutRecord(store.Record{Type: "contact", ID: "c1"})
	b2.DeleteRecord("contact", "c1")
	b2.PutRecord(store.Record{Type: "contact", ID: "c2"}) // joins the first PutRecord
	b2.PutEnrollment(store.Enrollment{Type: "contact", ID: "c1"})
	var got []string
	for _, g := range plan(b2.Ops()) {
		var keys []string
		for _, o := range g.ops {
			keys = append(keys, o.Timer.Key+o.Record.ID+o.Key+o.Enrollment.ID)
		}
		got = append(got, fmt.Sprint(g.kind, keys))
	}
	wantS := []string{
		fmt.Sprint(store.OpPutTimer, []string{"contact/c1/enr/1/", "contact/c2/enr/1/"}),
		fmt.Sprint(store.OpDeleteTimers, []string{"contact/c1/"}),
		fmt.Sprint(store.OpPutTimer, []string{"contact/c1/enr/2/"}),
		fmt.Sprint(store.OpPutRecord, []string{"c1", "c2"}),
		fmt.Sprint(store.OpDeleteRecord, []string{"c1"}),
		fmt.Sprint(store.OpPutEnrollment, []string{"c1"}),
	}
	if !slices.Equal(got, wantS) {
		t.Errorf("plan =\n%q\nwant\n%q", got, wantS)
	}
}

// BenchmarkCommit1000 commits batches of 1,000 changes, each a
// PutRecord, a PutEnrollment, a PutTimer and an AddClientID (4,000 writes
// per commit), and reports changes committed per second.
func BenchmarkCommit1000(b *testing.B) {
	s := openURL(b, storetest.PostgresURL(b))
	defer s.Close()
	state := []byte(`{"props":{"score":{"K":2,"N":1}}}`)
	due := time.Now().Add(time.Hour)
	n := 0
	for b.Loop() {
		var batch store.Batch
		for range 1000 {
			n++
			id := fmt.Sprint("c", n)
			batch.PutRecord(store.Record{Type: "contact", ID: id, State: state})
			batch.PutEnrollment(store.Enrollment{Type: "contact", ID: id, Seq: uint64(n), Workflow: "welcome", Version: "v1", Step: "wait", Current: true, State: state})
			batch.PutTimer(store.Timer{Key: fmt.Sprintf("contact/%s/enr/%d/", id, n), Due: due})
			batch.AddClientID(fmt.Sprint("k", n))
		}
		if err := s.Commit(&batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "changes/s")
}
