package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/value"
)

func TestOutboxEffects(t *testing.T) {
	h := setup(t, `
workflow leads {
  on contact
  enroll when lifecyclestage == "lead"
  send email "welcome-1"
  send email "internal" to "sales@example.com"
  notify "sales@example.com" "New lead {{email}}"
  create task "Call {{firstname}}" for owner due 1d
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@acme.com","firstname":"Ann","owner":"bob","lifecyclestage":"lead"}}`)
	h.wantRuns("leads", "c1", "completed")
	base := Effect{At: t0, Workflow: "leads", Record: "contact/c1"}
	with := func(f func(*Effect)) Effect { ef := base; f(&ef); return ef }
	want := []Effect{
		with(func(e *Effect) { e.Kind, e.Step, e.Name, e.To = EffectEmail, "1", "welcome-1", "a@acme.com" }),
		with(func(e *Effect) { e.Kind, e.Step, e.Name, e.To = EffectEmail, "2", "internal", "sales@example.com" }),
		with(func(e *Effect) {
			e.Kind, e.Step, e.To, e.Text = EffectNotify, "3", "sales@example.com", "New lead a@acme.com"
		}),
		with(func(e *Effect) {
			e.Kind, e.Step, e.Name, e.To, e.Due = EffectTask, "4", "Call Ann", "bob", t0.Add(24*time.Hour)
		}),
	}
	if diff := cmp.Diff(want, h.e.Outbox()); diff != "" {
		t.Errorf("outbox (-want +got):\n%s", diff)
	}
}

func TestCreateOffersTheNewRecord(t *testing.T) {
	h := setup(t, `
workflow upsell {
  on contact
  enroll when lifecyclestage == "opportunity"
  create deal { dealname: "{{company.name}} upgrade", amount: 1000 }
}
workflow big_deals {
  on deal
  enroll when amount >= 1000
  set dealstage = "qualifiedtobuy"
}`)
	h.apply(`{"op":"upsert","type":"company","id":"co1","props":{"name":"Acme"}}
{"op":"upsert","type":"contact","id":"c1","props":{}}
{"op":"associate","type":"contact","id":"c1","to":"company","to_id":"co1"}
{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"opportunity"}}`)
	if got := h.prop("deal", "deal-1", "dealname"); got != value.Str("Acme upgrade") {
		t.Errorf("dealname = %v", got)
	}
	if got := h.prop("deal", "deal-1", "dealstage"); got != value.Str("qualifiedtobuy") {
		t.Errorf("dealstage = %v: the created deal was not offered to big_deals", got)
	}
	r, _ := h.e.Record("contact", "c1")
	if diff := cmp.Diff([]string{"deal-1"}, r.Assoc["deal"]); diff != "" {
		t.Errorf("contact's deals (-want +got):\n%s", diff)
	}
}

// An engine holding one partition of a cluster numbers created records
// so that their ids are ones it owns.
func TestCreateOwnsID(t *testing.T) {
	h := setup(t, `
workflow upsell {
  on contact
  enroll when lifecyclestage == "opportunity"
  create deal { dealname: "for {{email}}" }
}`, func(o *Options) {
		o.OwnsID = func(typ, id string) bool { return typ == "deal" && (id == "deal-3" || id == "deal-7") }
	})
	for _, id := range []string{"c1", "c2"} {
		h.apply(`{"op":"upsert","type":"contact","id":"` + id + `","props":{"email":"` + id + `@x.io","lifecyclestage":"opportunity"}}`)
	}
	for id, want := range map[string]string{"deal-3": "for c1@x.io", "deal-7": "for c2@x.io"} {
		if got := h.prop("deal", id, "dealname"); got != value.Str(want) {
			t.Errorf("%s dealname = %v, want %q", id, got, want)
		}
	}
	if _, ok := h.e.Record("deal", "deal-1"); ok {
		t.Errorf("deal-1 was created although OwnsID refuses it")
	}
}

func TestAssignRoundRobin(t *testing.T) {
	h := setup(t, `
workflow route {
  on contact
  enroll when lifecyclestage == "lead"
  assign owner round_robin ["ann", "bob", "eve"]
}`)
	var owners []string
	for _, id := range []string{"c1", "c2", "c3", "c4"} {
		h.apply(`{"op":"upsert","type":"contact","id":"` + id + `","props":{"lifecyclestage":"lead"}}`)
		owners = append(owners, h.prop("contact", id, "owner").S)
	}
	if diff := cmp.Diff([]string{"ann", "bob", "eve", "ann"}, owners); diff != "" {
		t.Errorf("owners (-want +got):\n%s", diff)
	}
}

func TestWaitUntil(t *testing.T) {
	h := setup(t, `
workflow hot {
  on contact
  enroll when lifecyclestage == "lead"
  step hold: wait until score > 80 up to 7d else {
    set owner = "timeout"
  }
  set city = "after"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}
{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead"}}
{"op":"upsert","type":"contact","id":"c3","props":{"lifecyclestage":"lead","score":99}}`)
	if got := h.prop("contact", "c3", "city"); got != value.Str("after") {
		t.Errorf("c3 city = %v: a condition that holds already should not wait", got)
	}
	en, _ := h.e.Enrollment("hot", "c1")
	if en.Status != Waiting || en.Step != "hold" {
		t.Fatalf("c1 is %v at %q, want waiting at hold", en.Status, en.Step)
	}
	h.advance(24 * time.Hour)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":81}}`)
	h.wantRuns("hot", "c1", "completed")
	if got, want := [2]value.Value{h.prop("contact", "c1", "owner"), h.prop("contact", "c1", "city")}, [2]value.Value{{}, value.Str("after")}; got != want {
		t.Errorf("c1 owner, city = %v, want %v", got, want)
	}
	h.advance(6 * 24 * time.Hour)
	h.wantRuns("hot", "c2", "completed")
	if got, want := [2]value.Value{h.prop("contact", "c2", "owner"), h.prop("contact", "c2", "city")}, [2]value.Value{value.Str("timeout"), value.Str("after")}; got != want {
		t.Errorf("c2 owner, city = %v, want %v", got, want)
	}
	// c1's timer was cancelled when it resumed: it never took the timeout branch.
	if got := h.prop("contact", "c1", "owner"); !got.IsEmpty() {
		t.Errorf("c1 owner = %v after its time limit passed", got)
	}
}

func TestWaitForEvent(t *testing.T) {
	h := setup(t, `
event email_opened on contact { campaign: string }
workflow nudge {
  on contact
  enroll when lifecyclestage == "lead"
  wait for event email_opened where campaign == "welcome" up to 3d else {
    set owner = "nudge"
  }
  set city = "opened or not"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}
{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead"}}
{"op":"event","event":"email_opened","id":"c1","props":{"campaign":"other"}}`)
	h.wantRuns("nudge", "c1", "waiting")
	h.apply(`{"op":"event","event":"email_opened","id":"c1","props":{"campaign":"welcome"}}`)
	h.wantRuns("nudge", "c1", "completed")
	en, _ := h.e.Enrollment("nudge", "c1")
	var resumed string
	for _, ev := range en.History {
		if ev.Kind == KindResumed {
			resumed = ev.Reason
		}
	}
	if want := `event email_opened where campaign == "welcome" (email_opened.campaign = "welcome")`; resumed != want {
		t.Errorf("resumed because %q, want %q", resumed, want)
	}
	h.advance(3 * 24 * time.Hour)
	h.wantRuns("nudge", "c2", "completed")
	if got := h.prop("contact", "c2", "owner"); got != value.Str("nudge") {
		t.Errorf("c2 owner = %v, want the timeout branch", got)
	}
	if got := h.prop("contact", "c1", "owner"); !got.IsEmpty() {
		t.Errorf("c1 owner = %v", got)
	}
}

func TestEnrollIn(t *testing.T) {
	h := setup(t, `
workflow first {
  on contact
  enroll when lifecyclestage == "lead"
  enroll in onboarding
  enroll in onboarding
}
workflow onboarding {
  on contact
  delay 1d
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("onboarding", "c1", "waiting")
	h.wantRuns("first", "c1", "completed")
	en, _ := h.e.Enrollment("first", "c1")
	var reasons []string
	for _, ev := range en.History {
		if ev.Kind == KindStep {
			reasons = append(reasons, ev.Reason)
		}
	}
	if diff := cmp.Diff([]string{"enroll in onboarding", "enroll in onboarding: already enrolled there"}, reasons); diff != "" {
		t.Errorf("steps (-want +got):\n%s", diff)
	}
	on, _ := h.e.Enrollment("onboarding", "c1")
	if !strings.HasPrefix(on.History[0].Reason, "enroll in onboarding from first step 1") {
		t.Errorf("onboarding enrolled because %q", on.History[0].Reason)
	}
}

func TestRunWindow(t *testing.T) {
	h := setup(t, `
workflow office {
  on contact
  enroll when lifecyclestage == "lead"
  timezone "Europe/Amsterdam"
  run on mon..fri 09:00..17:00
  if score > 10 {
    set owner = "ann"
  }
}`)
	// Monday 08:00 UTC is 09:00 in Amsterdam: inside the window.
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead","score":20}}`)
	if got := h.prop("contact", "c1", "owner"); got != value.Str("ann") {
		t.Errorf("c1 owner = %v inside the window", got)
	}
	// Friday 16:30 UTC is 17:30 in Amsterdam: the set waits for Monday 09:00.
	if err := h.e.RunUntil(time.Date(2026, 1, 9, 16, 30, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead","score":20}}`)
	en, _ := h.e.Enrollment("office", "c2")
	if en.Status != Waiting || en.Step != "1.then.1" {
		t.Fatalf("c2 is %v at %q, want waiting at the set", en.Status, en.Step)
	}
	monday := time.Date(2026, 1, 12, 8, 0, 0, 0, time.UTC)
	if due, _ := h.e.NextTimer(); !due.Equal(monday) {
		t.Errorf("resumes at %v, want %v", due, monday)
	}
	h.advance(monday.Sub(h.clock.Now()))
	if got := h.prop("contact", "c2", "owner"); got != value.Str("ann") {
		t.Errorf("c2 owner = %v after the window opened", got)
	}
	h.wantRuns("office", "c2", "completed")
}

func TestScheduleTrigger(t *testing.T) {
	h := setup(t, `
workflow weekly {
  on contact
  enroll every monday at 09:00 where score >= 50
  timezone "Europe/Amsterdam"
  increment num_weeks by 1
}
extend contact { num_weeks: number }`)
	// t0 is Monday 08:00 UTC = 09:00 in Amsterdam: the first occurrence is now.
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"score":60}}
{"op":"upsert","type":"contact","id":"c1","props":{"score":70}}
{"op":"upsert","type":"contact","id":"c3","props":{"score":10}}`)
	h.advance(0)
	h.advance(7*24*time.Hour - time.Second)
	for id, want := range map[string]value.Value{"c1": value.Num(1), "c2": value.Num(1), "c3": {}} {
		if got := h.prop("contact", id, "num_weeks"); got != want {
			t.Errorf("%s after one monday: num_weeks = %v, want %v", id, got, want)
		}
	}
	h.advance(time.Second)
	if got := h.prop("contact", "c1", "num_weeks"); got != value.Num(2) {
		t.Errorf("c1 after two mondays: num_weeks = %v, want 2", got)
	}
	var order []string
	for _, ev := range h.trace {
		if ev.Kind == KindEnrolled {
			order = append(order, ev.At.Format(time.DateOnly)+" "+ev.Record)
		}
	}
	want := []string{"2026-01-05 contact/c1", "2026-01-05 contact/c2", "2026-01-12 contact/c1", "2026-01-12 contact/c2"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("enrollments (-want +got):\n%s", diff)
	}
	en, _ := h.e.Enrollment("weekly", "c1")
	if want := "enroll every monday at 09:00 where score >= 50 (score = 70)"; en.History[0].Reason != want {
		t.Errorf("reason = %q, want %q", en.History[0].Reason, want)
	}
}

func TestDateTrigger(t *testing.T) {
	h := setup(t, `
extend contact { renews_on: date }
workflow renewal {
  on contact
  enroll on date renews_on - 7d at 09:00
  set owner = "renewals"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"renews_on":"2026-01-20"}}
{"op":"upsert","type":"contact","id":"c2","props":{"renews_on":"2026-01-20"}}
{"op":"upsert","type":"contact","id":"c3","props":{"renews_on":"2026-01-06"}}`)
	// c2's date moves later, then c1's is cleared: their old timers must not fire.
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"renews_on":"2026-01-25"}}
{"op":"upsert","type":"contact","id":"c1","props":{"renews_on":null}}`)
	first := time.Date(2026, 1, 13, 9, 0, 0, 0, time.UTC)
	if due, _ := h.e.NextTimer(); !due.Equal(first.AddDate(0, 0, 5)) {
		t.Errorf("next timer at %v, want %v", due, first.AddDate(0, 0, 5))
	}
	h.advance(first.Sub(t0))
	h.wantRuns("renewal", "c1")
	h.wantRuns("renewal", "c2")
	h.wantRuns("renewal", "c3") // 2025-12-30 was past when it was set
	h.advance(5 * 24 * time.Hour)
	h.wantRuns("renewal", "c2", "completed")
	en, _ := h.e.Enrollment("renewal", "c2")
	if want := "enroll on date renews_on - 7d at 09:00 (renews_on = 2026-01-25)"; en.History[0].Reason != want || !en.Started.Equal(first.AddDate(0, 0, 5)) {
		t.Errorf("enrolled at %v because %q, want %v because %q", en.Started, en.History[0].Reason, first.AddDate(0, 0, 5), want)
	}
}

func TestEventOnAssociatedRecord(t *testing.T) {
	h := setup(t, `
event form_submitted on contact { form_id: string }
workflow deal_followup {
  on deal
  enroll when event form_submitted where form_id == "pricing" and amount > 100
  set dealstage = "qualifiedtobuy"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{}}
{"op":"upsert","type":"deal","id":"d1","props":{"amount":500}}
{"op":"upsert","type":"deal","id":"d2","props":{"amount":50}}
{"op":"associate","type":"contact","id":"c1","to":"deal","to_id":"d1"}
{"op":"associate","type":"contact","id":"c1","to":"deal","to_id":"d2"}
{"op":"event","event":"form_submitted","id":"c1","props":{"form_id":"pricing"}}`)
	if got := h.prop("deal", "d1", "dealstage"); got != value.Str("qualifiedtobuy") {
		t.Errorf("d1 dealstage = %v", got)
	}
	if got := h.prop("deal", "d2", "dealstage"); !got.IsEmpty() {
		t.Errorf("d2 dealstage = %v; its amount does not match", got)
	}
	en, _ := h.e.Enrollment("deal_followup", "d1")
	if want := `enroll when event form_submitted on contact/c1 where form_id == "pricing" and amount > 100 (form_submitted.form_id = "pricing", amount = 500)`; en.History[0].Reason != want {
		t.Errorf("reason = %q\nwant       %q", en.History[0].Reason, want)
	}
}

func TestCascadeLimitThroughEnrollIn(t *testing.T) {
	h := setup(t, `
workflow a {
  on contact
  enroll when score > 0
  reenroll on change score
  enroll in b
}
workflow b {
  on contact
  increment score by 1
}`, func(o *Options) { o.MaxCascade = 6 })
	err := h.tryApply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":1}}`)
	if err == nil || !strings.Contains(err.Error(), "cascade limit") {
		t.Fatalf("Apply = %v, want a cascade limit error", err)
	}
	for _, en := range h.e.Enrollments("contact", "c1") {
		if en.Status == Active {
			t.Errorf("%s is left active with nothing to run it", en.Workflow)
		}
	}
	var failed []string
	for _, en := range h.e.Enrollments("contact", "c1") {
		if en.Status == Failed {
			failed = append(failed, en.Workflow)
		}
	}
	if len(failed) == 0 {
		t.Error("no enrollment failed")
	}
}

func TestAssociationDeclaredOneIsReplaced(t *testing.T) {
	h := setup(t, `
workflow saas {
  on company
  enroll when industry == "saas"
}`)
	h.apply(`{"op":"upsert","type":"company","id":"co1","props":{}}
{"op":"upsert","type":"company","id":"co2","props":{}}
{"op":"upsert","type":"contact","id":"c1","props":{}}
{"op":"upsert","type":"contact","id":"c2","props":{}}
{"op":"associate","type":"contact","id":"c1","to":"company","to_id":"co1"}
{"op":"associate","type":"contact","id":"c2","to":"company","to_id":"co1"}
{"op":"associate","type":"contact","id":"c1","to":"company","to_id":"co2"}`)
	assoc := func(typ, id string) map[string][]string {
		r, _ := h.e.Record(typ, id)
		return r.Assoc
	}
	// contact has `assoc company one`; company has `assoc contact many`.
	for _, c := range []struct {
		typ, id string
		want    map[string][]string
	}{
		{"contact", "c1", map[string][]string{"company": {"co2"}}},
		{"contact", "c2", map[string][]string{"company": {"co1"}}},
		{"company", "co1", map[string][]string{"contact": {"c2"}}},
		{"company", "co2", map[string][]string{"contact": {"c1"}}},
	} {
		if diff := cmp.Diff(c.want, assoc(c.typ, c.id)); diff != "" {
			t.Errorf("%s/%s associations (-want +got):\n%s", c.typ, c.id, diff)
		}
	}
}

func TestRetentionDropsOldEnrollments(t *testing.T) {
	h := setup(t, `
workflow hot {
  on contact
  enroll when score > 5
  reenroll on change score
  delay 1d
}`, func(o *Options) { o.Retention = 48 * time.Hour })
	for i, score := range []string{"6", "7", "8", "9"} {
		h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":` + score + `}}`)
		if i < 3 {
			h.advance(36 * time.Hour)
		}
	}
	// Enrollments ended at +1d, +2.5d and +4d; the fourth starts at +4.5d:
	// the first ended more than 48h before and is gone.
	var started []string
	for _, en := range h.e.Enrollments("contact", "c1") {
		started = append(started, en.Started.Format("01-02T15"))
	}
	if diff := cmp.Diff([]string{"01-06T20", "01-08T08", "01-09T20"}, started); diff != "" {
		t.Errorf("kept enrollments by start (-want +got):\n%s", diff)
	}
}

func TestWebhookStepAndOutputs(t *testing.T) {
	var calls []WebhookCall
	h := setup(t, `
workflow enrich {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "https://hooks.example.com/lead" as hook
  if hook.status == 200 {
    set jobtitle = hook.body.person.title
  }
  create deal { dealname: "for {{email}}" } as d
  set city = d.id
}`, func(o *Options) {
		o.Webhook = func(c WebhookCall) WebhookResult {
			calls = append(calls, c)
			return WebhookResult{Status: 200, Body: map[string]any{"person": map[string]any{"title": "CTO"}}}
		}
	})
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@x.com","lifecyclestage":"lead"}}`)
	h.wantRuns("enrich", "c1", "completed")
	if got := h.prop("contact", "c1", "jobtitle"); got != value.Str("CTO") {
		t.Errorf("jobtitle = %v, want the webhook's body.person.title", got)
	}
	if got := h.prop("contact", "c1", "city"); got != value.Str("deal-1") {
		t.Errorf("city = %v, want the created deal's id", got)
	}
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.URL != "https://hooks.example.com/lead" || c.Method != "POST" || c.Record != "contact/c1" || c.Step != "1" {
		t.Errorf("call = %+v", c)
	}
	want := `{"attempt":1,"enrolled_at":"2026-01-05T08:00:00Z","enrollment":1,"id":"c1","idempotency_id":"enrich/contact/c1/1/1767600000000","object":"contact","properties":{"email":"a@x.com","lifecyclestage":"lead"},"step":"1","workflow":"enrich"}`
	if string(c.Body) != want {
		t.Errorf("body = %s\nwant   %s", c.Body, want)
	}
	// Outputs belong to their enrollment: a filter reading one sees empty.
	r := &resolver{e: h.e}
	if v := r.Output(0); !v.IsEmpty() {
		t.Errorf("output outside an enrollment = %v", v)
	}
}

// TestAsyncWebhook: under AsyncWebhooks a webhook step leaves the
// enrollment delivering and queues the attempt; a restart from the
// durable state re-issues it with the same key; CompleteWebhook resumes
// it, and a retryable answer schedules the next attempt on the clock.
func TestAsyncWebhook(t *testing.T) {
	src := `
workflow enrich {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "https://hooks.example.com/lead" as hook
  set jobtitle = hook.body.tier
}`
	async := func(o *Options) { o.AsyncWebhooks, o.Durable = true, true }
	h := setup(t, src, async)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("enrich", "c1", "waiting")
	calls := webhooks(h.e.TakeDeliveries())
	if len(calls) != 1 || calls[0].Attempt != 1 {
		t.Fatalf("deliveries = %+v", calls)
	}
	d := h.e.TakeDelta()
	if len(d.Records) != 1 || len(d.Records[0].Enrollments) != 1 || !d.Records[0].Enrollments[0].Delivering ||
		d.Records[0].Enrollments[0].HookAttempt != 1 {
		t.Fatalf("delta = %+v", d.Records)
	}

	// A restart re-issues the attempt.
	h2 := setup(t, src, async)
	if _, err := h2.e.Restore(d.Globals, d.Records); err != nil {
		t.Fatal(err)
	}
	again := webhooks(h2.e.TakeDeliveries())
	if len(again) != 1 || again[0].Key != calls[0].Key || again[0].Attempt != 1 || !again[0].First.Equal(calls[0].First) {
		t.Fatalf("re-issued = %+v, want %+v", again, calls)
	}

	// A retryable answer waits on the clock, then makes attempt 2.
	if ok, err := h2.e.CompleteWebhook(again[0], WebhookResult{Status: 503, Retry: t0.Add(time.Minute)}); !ok || err != nil {
		t.Fatalf("complete: %v %v", ok, err)
	}
	if ok, _ := h2.e.CompleteWebhook(again[0], WebhookResult{Status: 200}); ok {
		t.Fatal("a second answer to the same attempt was taken")
	}
	h2.advance(2 * time.Minute)
	next := webhooks(h2.e.TakeDeliveries())
	if len(next) != 1 || next[0].Attempt != 2 || next[0].Key != calls[0].Key {
		t.Fatalf("retry = %+v", next)
	}
	if ok, err := h2.e.CompleteWebhook(next[0], WebhookResult{Status: 200, Body: map[string]any{"tier": "gold"}}); !ok || err != nil {
		t.Fatalf("complete: %v %v", ok, err)
	}
	h2.wantRuns("enrich", "c1", "completed")
	if got := h2.prop("contact", "c1", "jobtitle"); got != value.Str("gold") {
		t.Errorf("jobtitle = %v", got)
	}
}

// webhooks picks the webhook attempts out of TakeDeliveries' answer.
func webhooks(cs []AsyncCall) []WebhookCall {
	var out []WebhookCall
	for _, c := range cs {
		if c.Webhook != nil {
			out = append(out, *c.Webhook)
		}
	}
	return out
}

// TestAsyncCode: under AsyncCode a code step leaves the enrollment
// delivering and queues the run; a restart from the durable state runs it
// again; CompleteCode resumes the enrollment with the outputs, or fails it
// with the synchronous path's message.
func TestAsyncCode(t *testing.T) {
	src := `
workflow enrich {
  on contact
  enroll when lifecyclestage == "lead"
  code js outputs (tier: string) as c ` + "`return { tier: \"gold\" };`" + `
  set jobtitle = c.tier
}`
	async := func(o *Options) { o.AsyncCode, o.Durable = true, true }
	h := setup(t, src, async)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("enrich", "c1", "waiting")
	calls := h.e.TakeDeliveries()
	if len(calls) != 2 || calls[0].Code == nil || calls[0].Code.Lang != "js" || calls[0].Code.Record != "contact/c1" {
		t.Fatalf("runs = %+v", calls)
	}
	d := h.e.TakeDelta()
	if len(d.Records) != 2 || !d.Records[0].Enrollments[0].Delivering {
		t.Fatalf("delta = %+v", d.Records)
	}

	h2 := setup(t, src, async)
	if _, err := h2.e.Restore(d.Globals, d.Records); err != nil {
		t.Fatal(err)
	}
	again := h2.e.TakeDeliveries()
	if len(again) != 2 || again[0].Code == nil || again[0].Code.Key != calls[0].Code.Key {
		t.Fatalf("re-run = %+v", again)
	}
	for _, c := range again {
		switch c.Code.Record {
		case "contact/c1":
			if ok, err := h2.e.CompleteCode(*c.Code, CodeResult{Outputs: map[string]any{"tier": "gold"}}); !ok || err != nil {
				t.Fatalf("complete: %v %v", ok, err)
			}
			if ok, _ := h2.e.CompleteCode(*c.Code, CodeResult{}); ok {
				t.Fatal("a second result was taken")
			}
		case "contact/c2":
			if ok, err := h2.e.CompleteCode(*c.Code, CodeResult{Outputs: map[string]any{"tier": 3.0}}); !ok || err != nil {
				t.Fatalf("complete: %v %v", ok, err)
			}
		}
	}
	h2.wantRuns("enrich", "c1", "completed")
	if got := h2.prop("contact", "c1", "jobtitle"); got != value.Str("gold") {
		t.Errorf("jobtitle = %v", got)
	}
	h2.wantRuns("enrich", "c2", "failed")
	en, _ := h2.e.Enrollment("enrich", "c2")
	if r := en.History[len(en.History)-1].Reason; !strings.Contains(r, `output "tier" is declared string but the code returned a number (3)`) {
		t.Errorf("c2 failed with %q", r)
	}
}

// TestCodeOutputsSurviveRestart: a code step's outputs are part of the
// durable state, so a later step reads them after a restart.
func TestCodeOutputsSurviveRestart(t *testing.T) {
	src := `
workflow enrich {
  on contact
  enroll when lifecyclestage == "lead"
  code js outputs (tier: string) as c ` + "`return { tier: \"gold\" };`" + `
  delay 1d
  set jobtitle = c.tier
}`
	async := func(o *Options) { o.AsyncCode, o.Durable = true, true }
	h := setup(t, src, async)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	calls := h.e.TakeDeliveries()
	if len(calls) != 1 || calls[0].Code == nil {
		t.Fatalf("runs = %+v", calls)
	}
	if ok, err := h.e.CompleteCode(*calls[0].Code, CodeResult{Outputs: map[string]any{"tier": "gold"}}); !ok || err != nil {
		t.Fatalf("complete: %v %v", ok, err)
	}
	h.wantRuns("enrich", "c1", "waiting")
	d := h.e.TakeDelta()

	h2 := setup(t, src, async)
	if _, err := h2.e.Restore(d.Globals, d.Records); err != nil {
		t.Fatal(err)
	}
	h2.advance(25 * time.Hour)
	h2.wantRuns("enrich", "c1", "completed")
	if got := h2.prop("contact", "c1", "jobtitle"); got != value.Str("gold") {
		t.Errorf("jobtitle after a restart = %v, want gold", got)
	}
}
