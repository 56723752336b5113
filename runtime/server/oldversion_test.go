package server

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/store"
)

const slowV1 = `
workflow slow {
  on contact
  enroll when lifecyclestage == "lead"
  step a: delay 1d
  set hs_lead_status = "open"
}
`

// v2 renames the step the v1 enrollments wait at, and changes what follows.
const slowV2 = `
workflow slow {
  on contact
  enroll when lifecyclestage == "lead"
  step b: delay 2d
  set hs_lead_status = "connected"
}

workflow watcher {
  on contact
  enroll when hs_lead_status == "open"
  set firstname = "seen"
}
`

func compileSrc(t *testing.T, src string) *bytecode.Program {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, dir+"/x.wf", src)
	prog, diags, err := compiler.CompileFiles(dir + "/...")
	if err != nil || prog == nil {
		t.Fatalf("compile: %v %v", err, diags)
	}
	return prog
}

// TestOldVersionFinishes: an enrollment waiting at a step the new version
// no longer has finishes on its old version (its delay, then its old next
// step), while a record enrolled after the reload runs the new version;
// what the old step sets reaches the new version's workflows; the old
// version is dropped when its last enrollment ends.
func TestOldVersionFinishes(t *testing.T) {
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	clk := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	v1, v2 := compileSrc(t, slowV1), compileSrc(t, slowV2)
	n, err := New(v1, Options{Store: st, Clock: clk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ingest := func(line string) {
		t.Helper()
		items, err := n.Ingest([]byte(line))
		if err != nil || items[0].Status != "applied" {
			t.Fatalf("%s: %v %+v", line, err, items)
		}
	}
	enr := func(id string) EnrollmentJSON {
		t.Helper()
		ens, err := n.Enrollments("contact", id)
		if err != nil || len(ens) == 0 {
			t.Fatalf("enrollments of %s: %v %+v", id, err, ens)
		}
		return ens[0]
	}
	prop := func(id, name string) any {
		t.Helper()
		rec, _, _ := n.Record("contact", id)
		return rec.Props[name]
	}
	ingest(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h1 := enr("c1").Version
	if err := n.Reload(v2, nil); err != nil {
		t.Fatal(err)
	}
	h2 := find(n.Workflows(), "slow").Version
	if w := n.Workflows(); h1 == h2 || w.OnOld != 1 || w.Left != 1 {
		t.Fatalf("after the reload: %s %s %+v", h1, h2, w)
	}
	ingest(`{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead"}}`)
	// A change to c1 while it waits on v1 reaches both versions.
	ingest(`{"op":"upsert","type":"contact","id":"c1","props":{"lastname":"Old"}}`)
	if e := enr("c1"); e.Version != h1 || e.Step != "a" || e.Status != "waiting" {
		t.Fatalf("c1 should wait on v1 at a: %+v", e)
	}
	if e := enr("c2"); e.Version != h2 || e.Step != "b" {
		t.Fatalf("c2 should wait on v2 at b: %+v", e)
	}

	// A day later c1's delay ends: it runs v1's next step and ends on v1.
	clk.Advance(25 * time.Hour)
	ingest(`{"op":"upsert","type":"contact","id":"poke","props":{}}`)
	if e := enr("c1"); e.Version != h1 || e.Status != "completed" {
		t.Fatalf("c1 should have completed on v1: %+v", e)
	}
	if got := prop("c1", "hs_lead_status"); got != "open" {
		t.Errorf("c1 hs_lead_status = %v, want v1's open", got)
	}
	if got := prop("c1", "firstname"); got != "seen" {
		t.Errorf("v2's watcher did not see what v1's step set: firstname = %v", got)
	}
	if got := prop("c1", "lastname"); got != "Old" {
		t.Errorf("the change made while on v1 was lost: lastname = %v", got)
	}
	if w := n.Workflows(); w.OnOld != 0 {
		t.Errorf("the old version is still loaded: %+v", w)
	}
	if e := enr("c2"); e.Status != "waiting" {
		t.Errorf("c2: %+v", e)
	}
	clk.Advance(25 * time.Hour)
	ingest(`{"op":"upsert","type":"contact","id":"poke","props":{}}`)
	if e := enr("c2"); e.Version != h2 || e.Status != "completed" || prop("c2", "hs_lead_status") != "connected" {
		t.Errorf("c2 should have completed on v2: %+v %v", e, prop("c2", "hs_lead_status"))
	}
}
