package server

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/store"
)

// TestRetention runs a node on the virtual clock with a 90-day log
// retention and a 30-day dedupe window: after 100 days the first day's
// log entries and client id are compacted away, the recent ones stay.
func TestRetention(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "leads.wf"), leads)
	prog, _, _ := compiler.CompileFiles(dir + "/...")
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	n, err := New(prog, Options{Store: st, Clock: clk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		LogRetention: 90 * 24 * time.Hour, DedupeWindow: 30 * 24 * time.Hour, CompactEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	send := func(cid string) string {
		t.Helper()
		items, err := n.Ingest([]byte(`{"op":"upsert","type":"contact","id":"c1","client_id":"` + cid + `","props":{"hits":1}}
{"op":"event","event":"ping","type":"contact","id":"c1"}`))
		if err != nil {
			t.Fatal(err)
		}
		return items[0].Status
	}
	send("old")
	clk.Advance(100 * 24 * time.Hour)
	send("new")
	before, _ := st.Log("counter", 0, 100)
	c, err := n.Compact()
	if err != nil {
		t.Fatal(err)
	}
	after, _ := st.Log("counter", 0, 100)
	if c.Log == 0 || c.ClientIDs != 1 || len(after) == 0 || len(after) >= len(before) {
		t.Fatalf("compacted %+v: log %d → %d entries", c, len(before), len(after))
	}
	for _, e := range after {
		if e.Seq <= before[len(before)-len(after)-1].Seq {
			t.Errorf("an old entry survived: %+v", e)
		}
	}
	if got := send("new"); got != "duplicate" {
		t.Errorf("a client id within the window: %s, want duplicate", got)
	}
	if got := send("old"); got != "applied" {
		t.Errorf("a client id beyond the window is forgotten: %s, want applied", got)
	}
}
