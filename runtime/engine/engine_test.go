package engine

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/value"
)

// t0 is a Monday morning.
var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// harness is an engine on a virtual clock over a program compiled from
// source, recording the trace.
type harness struct {
	t     *testing.T
	p     *bytecode.Program
	clock *clock.Virtual
	e     *Engine
	dec   *ingest.Decoder
	trace []TraceEvent
}

func compile(t testing.TB, src string) *bytecode.Program {
	t.Helper()
	p, diags := compiler.CompileSource("test.wf", src)
	if diags.HasErrors() {
		t.Fatalf("compile:\n%v", diags)
	}
	return p
}

func setup(t *testing.T, src string, opts ...func(*Options)) *harness {
	t.Helper()
	h := &harness{t: t, p: compile(t, src), clock: clock.NewVirtual(t0)}
	o := Options{Clock: h.clock, Seed: 1, Trace: func(ev TraceEvent) { h.trace = append(h.trace, ev) }}
	for _, f := range opts {
		f(&o)
	}
	e, err := New(h.p, o)
	if err != nil {
		t.Fatal(err)
	}
	h.e, h.dec = e, ingest.NewDecoder(h.p)
	return h
}

// apply decodes JSON Lines and applies each change; any error is fatal.
func (h *harness) apply(jsonl string) {
	h.t.Helper()
	if err := h.tryApply(jsonl); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) tryApply(jsonl string) error {
	h.t.Helper()
	chs, err := h.dec.Decode([]byte(jsonl))
	if err != nil {
		h.t.Fatal(err)
	}
	for _, ch := range chs {
		if err := h.e.Apply(ch); err != nil {
			return err
		}
	}
	return nil
}

func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	if err := h.e.RunUntil(h.clock.Now().Add(d)); err != nil {
		h.t.Fatal(err)
	}
}

// prop returns a property of a record by name.
func (h *harness) prop(typ, id, name string) value.Value {
	h.t.Helper()
	r, ok := h.e.Record(typ, id)
	if !ok {
		h.t.Fatalf("no record %s/%s", typ, id)
	}
	for _, t := range h.p.Types {
		if t.Name == typ {
			for slot, p := range t.Props {
				if p.Name == name {
					return r.Props[slot]
				}
			}
		}
	}
	h.t.Fatalf("no property %s.%s", typ, name)
	return value.Value{}
}

// runs returns the statuses of the record's enrollments in the workflow, oldest first.
func (h *harness) runs(wf, typ, id string) []string {
	var out []string
	for _, en := range h.e.Enrollments(typ, id) {
		if en.Workflow == wf {
			out = append(out, en.Status.String())
		}
	}
	return out
}

func (h *harness) wantRuns(wf, id string, want ...string) {
	h.t.Helper()
	if diff := cmp.Diff(want, h.runs(wf, "contact", id)); diff != "" {
		h.t.Errorf("enrollments of contact/%s in %s (-want +got):\n%s", id, wf, diff)
	}
}

// kinds lists the trace as "kind workflow record step" lines.
func (h *harness) kinds() []string {
	var out []string
	for _, ev := range h.trace {
		s := string(ev.Kind) + " " + ev.Workflow + " " + ev.Record
		if ev.Step != "" {
			s += " " + ev.Step
		}
		out = append(out, s)
	}
	return out
}

func TestEnrollFirstTimeOnly(t *testing.T) {
	h := setup(t, `
workflow leads {
  on contact
  enroll when lifecyclestage == "lead"
  enroll when score > 50
  set hs_lead_status = "new"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"subscriber"}}`)
	h.wantRuns("leads", "c1")
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("leads", "c1", "completed")
	if got := h.prop("contact", "c1", "hs_lead_status"); got != value.Str("new") {
		t.Errorf("hs_lead_status = %v, want new", got)
	}
	// Matching the other trigger too, then no longer matching, then
	// matching again: no second enrollment without reenroll.
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":60}}
{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"customer","score":1}}
{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("leads", "c1", "completed")
	// A record that matches on creation enrolls.
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"score":51}}`)
	h.wantRuns("leads", "c2", "completed")
	en, _ := h.e.Enrollment("leads", "c2")
	if want := "enroll when score > 50 (score = 51)"; en.History[0].Reason != want {
		t.Errorf("enrolled reason = %q, want %q", en.History[0].Reason, want)
	}
}

func TestReenrollOnChange(t *testing.T) {
	h := setup(t, `
workflow hot {
  on contact
  enroll when score > 5
  reenroll on change score
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":6}}`)
	h.wantRuns("hot", "c1", "completed")
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":7}}`)
	h.wantRuns("hot", "c1", "completed", "completed")
	// The same value again is no change; another property is not listed.
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":7}}
{"op":"upsert","type":"contact","id":"c1","props":{"firstname":"Ann"}}`)
	h.wantRuns("hot", "c1", "completed", "completed")
	// A change after which the trigger does not match does not enroll.
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":1}}`)
	h.wantRuns("hot", "c1", "completed", "completed")
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":9}}`)
	h.wantRuns("hot", "c1", "completed", "completed", "completed")
	en, _ := h.e.Enrollment("hot", "c1")
	if want := "re-enrolled on change of score: enroll when score > 5 (score = 9)"; en.History[0].Reason != want {
		t.Errorf("reason = %q, want %q", en.History[0].Reason, want)
	}
}

func TestNeverEnrolledTwiceAtOnce(t *testing.T) {
	h := setup(t, `
workflow hot {
  on contact
  enroll when score > 5
  reenroll on change score
  delay 1d
  increment owner_count by 1
}
extend contact { owner_count: number }`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":6}}
{"op":"upsert","type":"contact","id":"c1","props":{"score":7}}`)
	h.wantRuns("hot", "c1", "waiting")
	h.advance(24 * time.Hour)
	h.wantRuns("hot", "c1", "completed")
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":8}}`)
	h.wantRuns("hot", "c1", "completed", "waiting")
	h.advance(24 * time.Hour)
	if got := h.prop("contact", "c1", "owner_count"); got != value.Num(2) {
		t.Errorf("owner_count = %v, want 2", got)
	}
}

func TestUnenroll(t *testing.T) {
	h := setup(t, `
workflow nurture {
  on contact
  enroll when lifecyclestage == "lead"
  unenroll when lifecyclestage == "other"
  delay 1d
  set owner = "ann"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("nurture", "c1", "waiting")
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"other"}}`)
	h.wantRuns("nurture", "c1", "unenrolled")
	h.advance(48 * time.Hour)
	if got := h.prop("contact", "c1", "owner"); !got.IsEmpty() {
		t.Errorf("owner = %v after unenrollment; the delay's timer should not run", got)
	}
	en, _ := h.e.Enrollment("nurture", "c1")
	last := en.History[len(en.History)-1]
	want := TraceEvent{At: t0, Kind: KindUnenrolled, Workflow: "nurture", Record: "contact/c1", Step: "1",
		Reason: `unenroll when lifecyclestage == "other" (lifecyclestage = "other")`}
	if diff := cmp.Diff(want, last); diff != "" {
		t.Errorf("last history entry (-want +got):\n%s", diff)
	}
}

func TestGoalConverts(t *testing.T) {
	h := setup(t, `
workflow nurture {
  on contact
  enroll when lifecyclestage == "lead"
  goal lifecyclestage == "customer" or score >= 100
  delay 1d
  set owner = "ann"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.advance(time.Hour)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":100}}`)
	h.wantRuns("nurture", "c1", "converted")
	en, _ := h.e.Enrollment("nurture", "c1")
	if want := `goal lifecyclestage == "customer" or score >= 100 (lifecyclestage = "lead", score = 100)`; en.History[len(en.History)-1].Reason != want {
		t.Errorf("reason = %q, want %q", en.History[len(en.History)-1].Reason, want)
	}
	if !en.Ended.Equal(t0.Add(time.Hour)) {
		t.Errorf("ended at %v, want %v", en.Ended, t0.Add(time.Hour))
	}
	h.advance(48 * time.Hour)
	if got := h.prop("contact", "c1", "owner"); !got.IsEmpty() {
		t.Errorf("owner = %v after conversion", got)
	}
	// A record that meets the goal already is not enrolled.
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead","score":500}}`)
	h.wantRuns("nurture", "c2")
}

func TestSuppress(t *testing.T) {
	h := setup(t, `
workflow mail {
  on contact
  enroll when lifecyclestage == "lead"
  suppress when email_opt_out
  delay 1d
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead","email_opt_out":true}}
{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("mail", "c1")
	h.wantRuns("mail", "c2", "waiting")
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"email_opt_out":true}}`)
	h.wantRuns("mail", "c2", "unenrolled")
	en, _ := h.e.Enrollment("mail", "c2")
	if want := "suppress when email_opt_out (email_opt_out = true)"; en.History[len(en.History)-1].Reason != want {
		t.Errorf("reason = %q, want %q", en.History[len(en.History)-1].Reason, want)
	}
	if err := h.e.Enroll("mail", "c1"); err == nil || !strings.Contains(err.Error(), "suppressed") {
		t.Errorf("manual enroll of a suppressed record: %v, want a suppressed error", err)
	}
}

func TestPropertySteps(t *testing.T) {
	h := setup(t, `
workflow steps {
  on contact
  enroll when lifecyclestage == "lead"
  set hs_lead_status = "new"
  set firstname = titlecase(lower(lastname))
  increment score by 10
  increment score
  decrement score by 3
  clear city, phone
  copy email to company.domain_contact
  copy country to jobtitle
}`)
	h.apply(`{"op":"upsert","type":"company","id":"co1","props":{"name":"Acme"}}
{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@acme.com","lastname":"SMITH","city":"Utrecht","phone":"1","country":"NL","score":2}}
{"op":"associate","type":"contact","id":"c1","to":"company","to_id":"co1"}
{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("steps", "c1", "completed")
	for _, c := range []struct {
		typ, prop string
		want      value.Value
	}{
		{"contact", "hs_lead_status", value.Str("new")},
		{"contact", "firstname", value.Str("Smith")},
		{"contact", "score", value.Num(10)},
		{"contact", "city", value.Value{}},
		{"contact", "phone", value.Value{}},
		{"company", "domain_contact", value.Str("a@acme.com")},
		{"contact", "jobtitle", value.Str("NL")},
	} {
		id := "c1"
		if c.typ == "company" {
			id = "co1"
		}
		if got := h.prop(c.typ, id, c.prop); got != c.want {
			t.Errorf("%s.%s = %#v, want %#v", c.typ, c.prop, got, c.want)
		}
	}
	var sets []string
	for _, ev := range h.trace {
		if ev.Kind == KindSet || ev.Kind == KindCleared {
			sets = append(sets, string(ev.Kind)+" "+ev.Step+" "+ev.Prop+" "+show(ev.Old)+" -> "+show(ev.New))
		}
	}
	want := []string{
		`set 1 hs_lead_status empty -> "new"`,
		`set 2 firstname empty -> "Smith"`,
		`set 3 score 2 -> 12`,
		`set 4 score 12 -> 13`,
		`set 5 score 13 -> 10`,
		`cleared 6 city "Utrecht" -> empty`,
		`cleared 6 phone "1" -> empty`,
		`set 7 company.domain_contact empty -> "a@acme.com"`,
		`set 8 jobtitle empty -> "NL"`,
	}
	if diff := cmp.Diff(want, sets); diff != "" {
		t.Errorf("property changes (-want +got):\n%s", diff)
	}
}

func TestCopyWithoutAssociationIsANoOp(t *testing.T) {
	h := setup(t, `
workflow steps {
  on contact
  enroll when lifecyclestage == "lead"
  copy email to company.domain_contact
  set owner = "ann"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@x.com","lifecyclestage":"lead"}}`)
	h.wantRuns("steps", "c1", "completed")
	if got := h.prop("contact", "c1", "owner"); got != value.Str("ann") {
		t.Errorf("owner = %v: the enrollment did not go on past the copy", got)
	}
	en, _ := h.e.Enrollment("steps", "c1")
	if ev := en.History[1]; ev.Kind != KindStep || ev.Reason != "no associated record: nothing to copy" {
		t.Errorf("history[1] = %+v", ev)
	}
}

func TestDelay(t *testing.T) {
	h := setup(t, `
workflow later {
  on contact
  enroll when lifecyclestage == "lead"
  step wait: delay 2d
  set owner = "ann"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	en, _ := h.e.Enrollment("later", "c1")
	if en.Status != Waiting || en.Step != "wait" {
		t.Fatalf("enrollment = %v at %q, want waiting at \"wait\"", en.Status, en.Step)
	}
	if due, ok := h.e.NextTimer(); !ok || !due.Equal(t0.Add(48*time.Hour)) {
		t.Errorf("NextTimer() = %v, %v; want %v", due, ok, t0.Add(48*time.Hour))
	}
	h.advance(48*time.Hour - time.Millisecond)
	if got := h.prop("contact", "c1", "owner"); !got.IsEmpty() {
		t.Fatalf("owner set %v before the delay ended", got)
	}
	h.advance(time.Millisecond)
	h.wantRuns("later", "c1", "completed")
	en, _ = h.e.Enrollment("later", "c1")
	got := en.History[1:]
	due := t0.Add(48 * time.Hour)
	want := []TraceEvent{
		{At: t0, Kind: KindWaiting, Step: "wait", Reason: "delay 48h0m0s until 2026-01-07T08:00:00Z"},
		{At: due, Kind: KindResumed, Step: "wait"},
		{At: due, Kind: KindSet, Step: "2", Prop: "owner", New: value.Str("ann")},
		{At: due, Kind: KindCompleted, Step: "2"},
	}
	for i := range got {
		got[i].Workflow, got[i].Record = "", ""
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	if _, ok := h.e.NextTimer(); ok {
		t.Error("a timer is still pending")
	}
}

func TestDelayUntilInTimeZone(t *testing.T) {
	h := setup(t, `
extend contact { renews_on: date  due_at: datetime }
workflow renewal {
  on contact
  enroll when renews_on is known
  timezone "Europe/Amsterdam"
  delay until renews_on - 7d at 09:00
  set owner = "ann"
}
workflow exact {
  on contact
  enroll when due_at is known
  delay until due_at
  set city = "done"
}`)
	// 2026-02-10 - 7d = 2026-02-03; 09:00 in Amsterdam (CET, +01:00) is 08:00 UTC.
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"renews_on":"2026-02-10","due_at":"2026-01-05T12:30:00Z"}}
{"op":"upsert","type":"contact","id":"c2","props":{"renews_on":"2026-01-03"}}`)
	// c2's moment (2025-12-27 09:00) is past: it continued at once.
	if got := h.prop("contact", "c2", "owner"); got != value.Str("ann") {
		t.Errorf("c2 owner = %v; a past moment should not wait", got)
	}
	due := time.Date(2026, 2, 3, 8, 0, 0, 0, time.UTC)
	if err := h.e.RunUntil(due.Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := h.prop("contact", "c1", "city"); got != value.Str("done") {
		t.Errorf("c1 city = %v; delay until due_at should have ended at 12:30", got)
	}
	if got := h.prop("contact", "c1", "owner"); !got.IsEmpty() {
		t.Fatalf("owner set before 09:00 Amsterdam")
	}
	if err := h.e.RunUntil(due); err != nil {
		t.Fatal(err)
	}
	if got := h.prop("contact", "c1", "owner"); got != value.Str("ann") {
		t.Fatalf("owner = %v at 09:00 Amsterdam, want ann", got)
	}
	for _, ev := range h.trace {
		if ev.Kind == KindSet && ev.Prop == "owner" && ev.Record == "contact/c1" && !ev.At.Equal(due) {
			t.Errorf("owner set at %v, want %v", ev.At, due)
		}
	}
}

func TestIfAndBranch(t *testing.T) {
	h := setup(t, `
workflow route {
  on contact
  enroll when lifecyclestage == "lead"
  if score > 50 and country in ["NL", "DE"] {
    set owner = "ann"
  } else if country is empty {
    set owner = "bob"
  } else {
    set owner = "eve"
  }
  branch on country {
    "NL" => { set city = "Amsterdam" }
    "DE", "AT" => { set city = "Berlin" }
    else => { set city = "elsewhere" }
  }
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead","score":60,"country":"NL"}}
{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead","score":60}}
{"op":"upsert","type":"contact","id":"c3","props":{"lifecyclestage":"lead","score":10,"country":"AT"}}
{"op":"upsert","type":"contact","id":"c4","props":{"lifecyclestage":"lead","score":70,"country":"FR"}}`)
	for id, want := range map[string][2]string{
		"c1": {"ann", "Amsterdam"}, "c2": {"bob", "elsewhere"}, "c3": {"eve", "Berlin"}, "c4": {"eve", "elsewhere"},
	} {
		if got := h.prop("contact", id, "owner"); got != value.Str(want[0]) {
			t.Errorf("%s owner = %v, want %s", id, got, want[0])
		}
		if got := h.prop("contact", id, "city"); got != value.Str(want[1]) {
			t.Errorf("%s city = %v, want %s", id, got, want[1])
		}
		h.wantRuns("route", id, "completed")
	}
}

const splitSrc = `
workflow ab {
  on contact
  enroll when lifecyclestage == "lead"
  split {
    25% => { set owner = "a" }
    75% => { set owner = "b" }
  }
}`

func splitOwners(t *testing.T, seed int64, n int) []string {
	h := setup(t, splitSrc, func(o *Options) { o.Seed = seed; o.Trace = nil })
	var lines strings.Builder
	for i := range n {
		lines.WriteString(`{"op":"upsert","type":"contact","id":"c` + value.FormatNumber(float64(i)) + `","props":{"lifecyclestage":"lead"}}` + "\n")
	}
	h.apply(lines.String())
	out := make([]string, n)
	for i := range n {
		out[i] = h.prop("contact", "c"+value.FormatNumber(float64(i)), "owner").S
	}
	return out
}

func TestSplitIsDeterministicAndProportional(t *testing.T) {
	const n = 4000
	a, b := splitOwners(t, 7, n), splitOwners(t, 7, n)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Fatalf("same seed, different arms:\n%s", diff)
	}
	count := 0
	for _, o := range a {
		if o == "a" {
			count++
		}
	}
	// 25% of 4000 = 1000; the binomial standard deviation is about 27.
	if count < 880 || count > 1120 {
		t.Errorf("arm a taken %d times of %d, want about 1000", count, n)
	}
	c := splitOwners(t, 8, n)
	differ := 0
	for i := range a {
		if a[i] != c[i] {
			differ++
		}
	}
	if differ == 0 {
		t.Error("another seed assigned every record the same arm")
	}
}

func TestWorkflowsSeeChangesInProgramOrder(t *testing.T) {
	// second is declared first, so it is offered every change first.
	h := setup(t, `
workflow second {
  on contact
  enroll when hs_lead_status == "new"
  set owner = "ann"
}
workflow first {
  on contact
  enroll when lifecyclestage == "lead"
  set hs_lead_status = "new"
  set city = "x"
}
workflow watcher {
  on contact
  enroll when lifecyclestage == "lead"
  goal owner == "ann"
  delay 1d
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	want := []string{
		"enrolled first contact/c1",
		"enrolled watcher contact/c1",
		"set first contact/c1 1",         // first's step 1 …
		"waiting watcher contact/c1 1",   // … while watcher runs to its delay
		"enrolled second contact/c1",     // first's effect is offered to all, in order
		"set first contact/c1 2",         // then first continues
		"set second contact/c1 1",        // second sets owner …
		"completed first contact/c1 2",   //
		"converted watcher contact/c1 1", // … and watcher's goal sees it before c1 changes again
		"completed second contact/c1 1",
	}
	if diff := cmp.Diff(want, h.kinds()); diff != "" {
		t.Errorf("trace (-want +got):\n%s", diff)
	}
}

func TestCascadeLimit(t *testing.T) {
	h := setup(t, `
extend contact { ping: number  pong: number }
workflow a {
  on contact
  enroll when pong > 0
  reenroll on change pong
  increment ping by 1
}
workflow b {
  on contact
  enroll when ping > 0
  reenroll on change ping
  increment pong by 1
}`, func(o *Options) { o.MaxCascade = 10 })
	err := h.tryApply(`{"op":"upsert","type":"contact","id":"c1","props":{"ping":1}}`)
	if err == nil || !strings.Contains(err.Error(), "cascade limit") {
		t.Fatalf("Apply = %v, want a cascade limit error", err)
	}
	var errs []TraceEvent
	for _, ev := range h.trace {
		if ev.Kind == KindError {
			errs = append(errs, ev)
		}
	}
	if len(errs) != 1 || !strings.Contains(errs[0].Reason, "cascade depth 11 (limit 10)") {
		t.Fatalf("error events = %+v", errs)
	}
	// The engine is usable afterwards, and every change was bounded.
	if got := h.prop("contact", "c1", "ping").N + h.prop("contact", "c1", "pong").N; got > 12 {
		t.Errorf("ping+pong = %v; the cascade ran past its limit", got)
	}
	h.apply(`{"op":"upsert","type":"contact","id":"c2","props":{"firstname":"x"}}`)
}

func TestUnsupportedStepFails(t *testing.T) {
	h := setup(t, `
workflow hook {
  on contact
  enroll when lifecyclestage == "lead"
  set owner = "ann"
  webhook post "https://hooks.example.com/lead"
  set city = "never"
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)
	h.wantRuns("hook", "c1", "failed")
	en, _ := h.e.Enrollment("hook", "c1")
	last := en.History[len(en.History)-1]
	if last.Kind != KindError || last.Reason != "step 2 (webhook) is not supported by this runtime yet" || last.Step != "2" {
		t.Errorf("last history entry = %+v", last)
	}
	if got := h.prop("contact", "c1", "city"); !got.IsEmpty() {
		t.Errorf("city = %v: a step after the unsupported one ran", got)
	}
}

func TestEventTriggers(t *testing.T) {
	h := setup(t, `
event form_submitted on contact { form_id: string }
workflow demo {
  on contact
  enroll when event form_submitted where form_id == "demo"
}
workflow every {
  on contact
  enroll when event form_submitted
  reenroll on event form_submitted
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{}}
{"op":"event","event":"form_submitted","id":"c1","props":{"Form_ID":"other"}}`)
	h.wantRuns("demo", "c1")
	h.wantRuns("every", "c1", "completed")
	h.apply(`{"op":"event","event":"form_submitted","id":"c1","props":{"form_id":"demo"}}
{"op":"event","event":"form_submitted","id":"c1","props":{"form_id":"demo"}}`)
	h.wantRuns("demo", "c1", "completed")
	h.wantRuns("every", "c1", "completed", "completed", "completed")
	en, _ := h.e.Enrollment("demo", "c1")
	if want := `enroll when event form_submitted where form_id == "demo" (form_submitted.form_id = "demo")`; en.History[0].Reason != want {
		t.Errorf("reason = %q, want %q", en.History[0].Reason, want)
	}
}

func TestEventMatchedByUniqueProperty(t *testing.T) {
	h := setup(t, `
event form_submitted on contact { form_id: string }
workflow demo {
  on contact
  enroll when event form_submitted
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"email":"old@x.com"}}
{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@x.com"}}
{"op":"upsert","type":"contact","id":"c2","props":{"email":"b@x.com"}}`)
	err := h.tryApply(`{"op":"event","event":"form_submitted","match":{"email":"old@x.com"}}`)
	if err == nil || err.Error() != `engine: event form_submitted: no contact has email = "old@x.com"; nothing was triggered` {
		t.Errorf("event matching a replaced email: %v", err)
	}
	h.apply(`{"op":"event","event":"form_submitted","match":{"email":"b@x.com"}}`)
	h.wantRuns("demo", "c1")
	h.wantRuns("demo", "c2", "completed")
	h.apply(`{"op":"delete","type":"contact","id":"c2"}`)
	if err := h.tryApply(`{"op":"event","event":"form_submitted","match":{"email":"b@x.com"}}`); err == nil {
		t.Error("an event matched a deleted record")
	}
}

func TestTriggersThroughAssociations(t *testing.T) {
	h := setup(t, `
workflow saas {
  on contact
  enroll when company.industry == "saas"
}`)
	h.apply(`{"op":"upsert","type":"company","id":"co1","props":{"industry":"saas"}}
{"op":"upsert","type":"company","id":"co2","props":{"industry":"retail"}}
{"op":"upsert","type":"contact","id":"c1","props":{}}
{"op":"upsert","type":"contact","id":"c2","props":{}}`)
	h.wantRuns("saas", "c1")
	h.apply(`{"op":"associate","type":"contact","id":"c1","to":"company","to_id":"co1"}
{"op":"associate","type":"contact","id":"c2","to":"company","to_id":"co2"}`)
	h.wantRuns("saas", "c1", "completed")
	h.wantRuns("saas", "c2")
	// A change on the company reaches the contacts associated with it.
	h.apply(`{"op":"upsert","type":"company","id":"co2","props":{"industry":"saas"}}`)
	h.wantRuns("saas", "c2", "completed")
	r, _ := h.e.Record("company", "co1")
	if diff := cmp.Diff(map[string][]string{"contact": {"c1"}}, r.Assoc); diff != "" {
		t.Errorf("co1 associations (-want +got):\n%s", diff)
	}
}

func TestDependencyIndex(t *testing.T) {
	h := setup(t, `
workflow a {
  on contact
  enroll when score > 5
}
workflow b {
  on contact
  enroll when country == "NL"
  reenroll on change city
  goal score > 100
}
workflow c {
  on contact
  enroll when company.industry == "saas"
}
workflow d {
  on company
  enroll when industry == "saas"
}`)
	contact, company := 0, 1
	slot := func(typ int, name string) int {
		for i, p := range h.p.Types[typ].Props {
			if p.Name == name {
				return i
			}
		}
		t.Fatalf("no property %s", name)
		return -1
	}
	for _, c := range []struct {
		typ  int
		prop string
		own  []int
		via  []int
	}{
		{contact, "score", []int{0, 1}, nil},
		{contact, "country", []int{1}, nil},
		{contact, "city", []int{1}, nil},
		{contact, "firstname", nil, nil},
		{company, "industry", []int{3}, []int{2}},
		{company, "name", nil, nil},
	} {
		s := slot(c.typ, c.prop)
		if diff := cmp.Diff(c.own, h.e.deps[c.typ][s]); diff != "" {
			t.Errorf("deps of %s (-want +got):\n%s", c.prop, diff)
		}
		if diff := cmp.Diff(c.via, h.e.assocDeps[c.typ][s]); diff != "" {
			t.Errorf("association deps of %s (-want +got):\n%s", c.prop, diff)
		}
	}
	if diff := cmp.Diff([]int{2}, h.e.assocWFs[contact]); diff != "" {
		t.Errorf("association-reading workflows (-want +got):\n%s", diff)
	}
}

func TestDeleteUnenrolls(t *testing.T) {
	h := setup(t, `
workflow later {
  on contact
  enroll when lifecyclestage == "lead"
  delay 1d
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}
{"op":"delete","type":"contact","id":"c1"}`)
	if _, ok := h.e.Record("contact", "c1"); ok {
		t.Error("the deleted record is still there")
	}
	last := h.trace[len(h.trace)-1]
	if last.Kind != KindUnenrolled || last.Reason != "the record was deleted" {
		t.Errorf("last trace event = %+v", last)
	}
	h.advance(48 * time.Hour)
	if n := len(h.trace); h.trace[n-1] != last {
		t.Errorf("a timer of the deleted record ran: %+v", h.trace[n-1])
	}
}

func TestManualEnroll(t *testing.T) {
	h := setup(t, `
workflow onboarding {
  on contact
  delay 1d
}`)
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{}}`)
	if err := h.e.Enroll("onboarding", "c1"); err != nil {
		t.Fatal(err)
	}
	h.wantRuns("onboarding", "c1", "waiting")
	if err := h.e.Enroll("onboarding", "c1"); err == nil || !strings.Contains(err.Error(), "already enrolled") {
		t.Errorf("second Enroll = %v, want already enrolled", err)
	}
	if err := h.e.Enroll("onboarding", "nope"); err == nil {
		t.Error("Enroll of a missing record succeeded")
	}
}

func TestEveryTriggerKindIsSupported(t *testing.T) {
	h := setup(t, `
extend deal { order_id: string unique }
webhook order_paid {
  match deal by order_id = body.order.id
}
event seen on deal { n: number }
workflow paid {
  on deal
  enroll when amount > 1
  enroll when event seen
  enroll when webhook order_paid
  enroll every monday at 09:00
  enroll on date closedate
}`)
	if w := h.e.Warnings(); len(w) != 0 {
		t.Errorf("Warnings() = %q, want none", w)
	}
	if len(h.trace) != 0 {
		t.Errorf("trace = %+v, want nothing", h.trace)
	}
}

func TestApplyErrors(t *testing.T) {
	h := setup(t, `workflow w { on contact }`)
	for _, c := range []struct {
		ch   ingest.Change
		want string
	}{
		{ingest.Change{Op: ingest.Delete, Type: 0, ID: "x"}, "contact x does not exist"},
		{ingest.Change{Op: ingest.Upsert, Type: 99, ID: "x"}, "object type 99"},
		{ingest.Change{Op: ingest.Upsert, Type: 0, ID: "x", Props: []ingest.Prop{{Slot: 999}}}, "no property slot 999"},
		{ingest.Change{Op: ingest.Associate, Type: 0, ID: "x", ToType: 1, ToID: "y"}, "contact x does not exist"},
	} {
		if err := h.e.Apply(c.ch); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Apply(%+v) = %v, want %q", c.ch, err, c.want)
		}
	}
}

func TestTraceJSONL(t *testing.T) {
	var b strings.Builder
	h := setup(t, `
workflow w {
  on contact
  enroll when score > 1
  set owner = "ann"
}`, func(o *Options) { o.Trace = JSONL(&b) })
	h.apply(`{"op":"upsert","type":"contact","id":"c1","props":{"score":2}}`)
	want := `{"at":"2026-01-05T08:00:00Z","kind":"enrolled","workflow":"w","record":"contact/c1","reason":"enroll when score \u003e 1 (score = 2)"}
{"at":"2026-01-05T08:00:00Z","kind":"set","workflow":"w","record":"contact/c1","step":"1","prop":"owner","old":null,"new":"ann"}
{"at":"2026-01-05T08:00:00Z","kind":"completed","workflow":"w","record":"contact/c1","step":"1"}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("JSONL trace (-want +got):\n%s", diff)
	}
}
