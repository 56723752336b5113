package engine

import (
	"strings"
	"testing"
)

const existingSrc = `
workflow with_existing {
  on contact
  enroll when lifecyclestage == "lead"
  enroll existing
  suppress when email_opt_out
  increment score by 1
}
workflow without_existing {
  on contact
  enroll when lifecyclestage == "lead"
  set hs_lead_status = "new"
}`

func TestEnableRunsEnrollExisting(t *testing.T) {
	h := setup(t, existingSrc, func(o *Options) { o.Disabled = []string{"with_existing", "without_existing"} })
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}
{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"subscriber"}}
{"op":"upsert","type":"contact","id":"c3","props":{"lifecyclestage":"lead","email_opt_out":true}}`)
	if h.e.Enabled("with_existing") || len(h.trace) != 0 {
		t.Fatalf("a disabled workflow acted: %v", h.kinds())
	}
	if err := h.e.Enroll("with_existing", "c1"); err == nil || !strings.Contains(err.Error(), "not enabled") {
		t.Errorf("Enroll in a disabled workflow: %v", err)
	}
	for _, w := range []string{"with_existing", "without_existing"} {
		if err := h.e.Enable(w); err != nil {
			t.Fatal(err)
		}
	}
	h.wantRuns("with_existing", "c1", "completed")
	h.wantRuns("with_existing", "c2")
	h.wantRuns("with_existing", "c3")
	h.wantRuns("without_existing", "c1")
	en, _ := h.e.Enrollment("with_existing", "c1")
	if want := `enroll existing: enroll when lifecyclestage == "lead" (lifecyclestage = "lead")`; en.History[0].Reason != want {
		t.Errorf("reason = %q, want %q", en.History[0].Reason, want)
	}
	if x, _ := h.e.Why("without_existing", "c1"); !strings.Contains(x.Note, "no `enroll existing`") {
		t.Errorf("note = %q", x.Note)
	}
	if x, _ := h.e.Why("with_existing", "c3"); !strings.Contains(x.Note, "suppress when email_opt_out (email_opt_out = true) holds") {
		t.Errorf("note = %q", x.Note)
	}
	// Still matching: no enrollment; a new match after enabling enrolls.
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":5}}
{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("without_existing", "c1")
	h.wantRuns("without_existing", "c2", "completed")
	if err := h.e.Enable("with_existing"); err != nil {
		t.Errorf("enabling twice: %v", err)
	}
	h.wantRuns("with_existing", "c1", "completed")
}

func TestDisabledUnknownWorkflow(t *testing.T) {
	p := compile(t, existingSrc)
	if _, err := New(p, Options{Disabled: []string{"nope"}}); err == nil {
		t.Error("New with an unknown disabled workflow succeeded")
	}
}
