package engine

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const hookSrc = `
extend deal { order_id: string unique }
webhook order_paid {
  match deal by order_id = body.order.id
  props {
    amount: number = body.order.total
    paid_at: datetime = body.paid_at
  }
}
workflow paid {
  on deal
  enroll when webhook order_paid
  set dealstage = "closedwon"
}
workflow paid_contacts {
  on contact
  enroll when webhook order_paid
  reenroll on webhook order_paid
  increment score by 1
}`

func TestCallHookEnrollsTheRecordItNames(t *testing.T) {
	h := setup(t, hookSrc)
	h.apply(`{"op":"upsert","type":"deal","id":"d1","props":{"order_id":"o-1"}}
{"op":"upsert","type":"contact","id":"c1","props":{}}
{"op":"associate","type":"contact","id":"c1","to":"deal","to_id":"d1"}`)
	body := map[string]any{"order": map[string]any{"id": "o-1", "total": "120"}, "paid_at": "2026-01-05T08:00:00Z"}
	call, err := h.e.CallHook("order_paid", body)
	if err != nil {
		t.Fatal(err)
	}
	want := HookCall{At: t0, Hook: "order_paid", Record: "deal/d1",
		Values:   "amount = 120, paid_at = 2026-01-05T08:00:00Z",
		Enrolled: []string{"paid", "paid_contacts"}, Reason: `matched deal/d1 by order_id = "o-1"`}
	if diff := cmp.Diff(want, call); diff != "" {
		t.Errorf("CallHook (-want +got):\n%s", diff)
	}
	if got := h.prop("deal", "d1", "dealstage").String(); got != "closedwon" {
		t.Errorf("dealstage = %q", got)
	}
	en, _ := h.e.Enrollment("paid_contacts", "c1")
	if want := "enroll when webhook order_paid on deal/d1 (amount = 120, paid_at = 2026-01-05T08:00:00Z)"; en.History[0].Reason != want {
		t.Errorf("enrolled reason = %q, want %q", en.History[0].Reason, want)
	}
	// Once more: paid has no reenroll on webhook, paid_contacts has.
	call, err = h.e.CallHook("order_paid", body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"paid_contacts"}, call.Enrolled); diff != "" {
		t.Errorf("second call enrolled (-want +got):\n%s", diff)
	}
	if got := h.prop("contact", "c1", "score"); got.N != 2 {
		t.Errorf("score = %v, want 2", got)
	}
	x, _ := h.e.Why("paid", "d1")
	if !strings.Contains(x.Note, "no `reenroll on webhook order_paid`") {
		t.Errorf("note = %q", x.Note)
	}
}

func TestCallHookWithoutMatchTriggersNothing(t *testing.T) {
	h := setup(t, hookSrc)
	h.apply(`{"op":"upsert","type":"deal","id":"d1","props":{"order_id":"o-1"}}`)
	call, err := h.e.CallHook("order_paid", map[string]any{"order": map[string]any{"id": "o-9"}})
	if err != nil {
		t.Fatal(err)
	}
	if call.Matched() || len(call.Enrolled) != 0 || call.Reason != `no deal has order_id = "o-9"; nothing was triggered` {
		t.Errorf("call = %+v", call)
	}
	if got := h.e.HookCalls(); len(got) != 1 || got[0].Reason != call.Reason {
		t.Errorf("HookCalls() = %+v", got)
	}
	if n := len(h.trace); n != 1 || h.trace[0].Kind != KindHook || !strings.Contains(h.trace[0].Reason, "nothing was triggered") {
		t.Errorf("trace = %+v", h.trace)
	}
	if runs := h.runs("paid", "deal", "d1"); len(runs) != 0 {
		t.Errorf("runs = %v", runs)
	}
}

func TestCallHookErrors(t *testing.T) {
	h := setup(t, hookSrc)
	if _, err := h.e.CallHook("nope", nil); err == nil {
		t.Error("unknown hook: no error")
	}
	_, err := h.e.CallHook("order_paid", map[string]any{"order": map[string]any{"id": "o-1", "total": "lots"}})
	if err == nil || !strings.Contains(err.Error(), "amount") {
		t.Errorf("bad total: err = %v", err)
	}
	if len(h.e.HookCalls()) != 0 {
		t.Error("a rejected call was logged")
	}
}

func TestHookChangeFromIngest(t *testing.T) {
	h := setup(t, hookSrc)
	h.apply(`{"op":"upsert","type":"deal","id":"d1","props":{"order_id":"o-1"}}
{"op":"hook","hook":"order_paid","body":{"order":{"id":"o-1","total":5}}}
{"op":"hook","hook":"order_paid","body":{"order":{"id":"o-2"}}}`)
	if runs := h.runs("paid", "deal", "d1"); len(runs) != 1 {
		t.Errorf("runs = %v", runs)
	}
	calls := h.e.HookCalls()
	if len(calls) != 2 || !calls[0].Matched() || calls[1].Matched() {
		t.Errorf("HookCalls() = %+v", calls)
	}
}

// HookKey tells which record a call is for without running it.
func TestHookKey(t *testing.T) {
	h := setup(t, hookSrc)
	typ, slot, key, err := h.e.HookKey("order_paid", map[string]any{"order": map[string]any{"id": "o-7"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := h.p.Types[typ].Name + "." + h.p.Types[typ].Props[slot].Name + " = " + key.String(); got != "deal.order_id = o-7" {
		t.Errorf("HookKey = %s", got)
	}
	if _, _, key, err := h.e.HookKey("order_paid", map[string]any{}); err != nil || !key.IsEmpty() {
		t.Errorf("HookKey of a body without the id = %v, %v; want an empty key", key, err)
	}
	if _, _, _, err := h.e.HookKey("nope", nil); err == nil {
		t.Errorf("HookKey of an unknown webhook: no error")
	}
	if calls := h.e.HookCalls(); len(calls) != 0 {
		t.Errorf("HookKey logged calls: %+v", calls)
	}
}
