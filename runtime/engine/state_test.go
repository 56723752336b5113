package engine

import (
	"testing"
	"time"

	"github.com/wflang/wf/value"
)

func durable(o *Options) { o.Durable = true }

// restart makes a new durable engine for src at h's time and restores
// h's whole state (Export) into it, as a node restarting on its store.
func restart(t *testing.T, h *harness, src string) *harness {
	t.Helper()
	h2 := setup(t, src, durable)
	if err := h2.clock.Set(h.clock.Now()); err != nil {
		t.Fatal(err)
	}
	g, recs := h.e.Export()
	left, err := h2.e.Restore(&g, recs)
	if err != nil || len(left) > 0 {
		t.Fatalf("Restore: left %v, %v", left, err)
	}
	return h2
}

// TestRestoreKeepsTimerOrder: timers due at the same moment fire in the
// order they were set, after a restart too (the state keeps each timer's
// place), even when that is not the order of the records' keys or of
// their enrollments, and across two restarts.
func TestRestoreKeepsTimerOrder(t *testing.T) {
	src := `
workflow rr {
  on contact
  enroll when score > 0
  delay until 2026-01-06 at 09:00
  assign owner round_robin ["a", "b", "c"]
}`
	h := setup(t, src, durable)
	h.apply(`{"op":"upsert","type":"contact","id":"c3","props":{"score":1}}`)
	h = restart(t, h, src)
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"score":1}}
{"op":"upsert","type":"contact","id":"c1","props":{"score":1}}`)
	h = restart(t, h, src)
	h.advance(2 * 24 * time.Hour)
	for id, want := range map[string]string{"c3": "a", "c2": "b", "c1": "c"} {
		if got := h.prop("contact", id, "owner"); got != value.Str(want) {
			t.Errorf("%s.owner = %v, want %q", id, got, want)
		}
	}
}

// TestRestoreKeepsWaitingOrder: a change resumes a record's enrollments
// waiting for it in the order they began to wait, after a restart too,
// not in the order they enrolled.
func TestRestoreKeepsWaitingOrder(t *testing.T) {
	src := `
workflow first_enrolled {
  on contact
  enroll when score == 7
  delay 1h
  wait until lifecyclestage == "lead"
  set jobtitle = "first_enrolled"
}
workflow first_waiting {
  on contact
  enroll when score == 7
  wait until lifecyclestage == "lead"
  set jobtitle = "first_waiting"
}`
	h := setup(t, src, durable)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":7}}`)
	h.advance(2 * time.Hour)
	h = restart(t, h, src)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	// first_waiting resumes first, first_enrolled after it: its value stays.
	if got := h.prop("contact", "c1", "jobtitle"); got != value.Str("first_enrolled") {
		t.Errorf("jobtitle = %v, want the one set last by first_enrolled", got)
	}
}

// TestDeltaHasCreatedRecordWithoutFields: a record a step creates is in
// the delta even when the step sets none of its properties (and no
// association to the enrolled record touches it).
func TestDeltaHasCreatedRecordWithoutFields(t *testing.T) {
	h := setup(t, `
object voucher {
  code: string
}
workflow mk {
  on contact
  enroll when score > 0
  create voucher { }
}`, durable)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":1}}`)
	d := h.e.TakeDelta()
	var keys []string
	for _, rs := range d.Records {
		keys = append(keys, rs.Key())
	}
	if len(keys) != 2 || keys[0] != "contact/c1" || keys[1] != "voucher/voucher-1" {
		t.Errorf("delta records = %v, want contact/c1 and voucher/voucher-1", keys)
	}
}

// TestDeltaHasDateArmedOnEnable: enabling a workflow arms the date
// triggers of records it remembers already; the delta has the new timer.
func TestDeltaHasDateArmedOnEnable(t *testing.T) {
	h := setup(t, `
extend contact {
  renews_on: date
}
workflow renew {
  on contact
  enroll on date renews_on - 1d
  set jobtitle = "renewing"
}`, durable)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"renews_on":"2026-01-10"}}`)
	if err := h.e.Disable("renew"); err != nil {
		t.Fatal(err)
	}
	// While disabled the date moves, and the old moment passes: the
	// record's date timer is gone.
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"renews_on":"2026-01-20"}}`)
	h.advance(7 * 24 * time.Hour)
	h.e.TakeDelta()
	if err := h.e.Enable("renew"); err != nil {
		t.Fatal(err)
	}
	d := h.e.TakeDelta()
	want := time.Date(2026, 1, 19, 0, 0, 0, 0, time.UTC)
	if len(d.Records) != 1 || !d.Records[0].Members["renew"].Dates[0].Equal(want) {
		t.Fatalf("delta records = %+v, want contact/c1 with its date armed for %s", d.Records, want)
	}
}
