package wftest

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/engine"
)

func TestRun(t *testing.T) {
	p, diags, err := compiler.CompileFiles("testdata/leads.wf")
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v\n%v", err, diags)
	}
	results := Run(p, Options{})
	var b strings.Builder
	failed := Print(&b, results, true)
	want := `--- PASS: "leads are welcomed" (testdata/leads.wf:15)
--- PASS: "demo requests enroll, customers convert" (testdata/leads.wf:26)
--- FAIL: "wrong expectations fail" (testdata/leads.wf:37)
    testdata/leads.wf:39:3: expect c3.score == 6 and c3.hs_lead_status == "new": got c3.score = 5, c3.hs_lead_status = "new"
    testdata/leads.wf:40:3: expect completed c3 in welcome_leads: got waiting at "wait"
    testdata/leads.wf:41:3: expect not enrolled c3 in welcome_leads at "wait": got waiting at "wait"
    testdata/leads.wf:42:3: expect email "welcome-1" count 1: got 0 (no email was sent)
    testdata/leads.wf:44:3: expect c3.score > 100: got c3.score = 5
2 passed, 1 failed
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("Print (-want +got):\n%s", diff)
	}
	if failed != 1 {
		t.Errorf("Print returned %d failed, want 1", failed)
	}
	if !results[0].Passed || results[2].Passed || len(results[2].Failures) != 5 {
		t.Errorf("results = %+v", results)
	}
}

func TestClockStartsAtFirstAt(t *testing.T) {
	p, diags := compiler.CompileSource("t.wf", `
workflow w {
  on contact
  enroll when score > 0
  delay 1d
  set owner = "x"
}
test "default start" {
  upsert contact c1 { score: 1 }
  advance 1d
  expect c1.owner == "x"
}
test "at first" {
  at 2027-03-01T00:00:00Z
  upsert contact c1 { score: 1 }
  at 2027-03-01T23:59:59Z
  expect c1.owner is empty
  at 2027-03-02T00:00:00Z
  expect c1.owner == "x"
}`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var starts []string
	results := Run(p, Options{Trace: func(test string, ev engine.TraceEvent) {
		if ev.Kind == engine.KindEnrolled {
			starts = append(starts, test+" "+ev.At.Format("2006-01-02T15:04:05Z07:00"))
		}
	}})
	for _, r := range results {
		if !r.Passed {
			t.Errorf("%s: %+v", r.Name, r.Failures)
		}
	}
	want := []string{"default start 2026-01-01T00:00:00Z", "at first 2027-03-01T00:00:00Z"}
	if diff := cmp.Diff(want, starts); diff != "" {
		t.Errorf("enrollment times (-want +got):\n%s", diff)
	}
}

func TestUnsupportedStatementsFailClearly(t *testing.T) {
	p, diags := compiler.CompileSource("t.wf", `
extend deal { order_id: string unique }
webhook order_paid {
  match deal by order_id = body.order.id
}
workflow w {
  on contact
  enroll when score > 0
  webhook post "https://hooks.example.com/x"
  code go "enrich_company"
}
workflow paid {
  on deal
  enroll when webhook order_paid
}
test "hooks" {
  upsert contact c1 { score: 1 }
  hook order_paid { order: 1 }
  expect completed c1 in w
  expect webhook "https://hooks.example.com/x" count 1
  expect webhook "https://hooks.example.com/y"
  expect created deal where amount > 1
}`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	res := Run(p, Options{})[0]
	var got []string
	for _, f := range res.Failures {
		got = append(got, f.Message)
	}
	want := []string{
		`expect completed c1 in w: got failed at "2" (step 2 (code go): no Go function "enrich_company" is registered)`,
		`expect webhook "https://hooks.example.com/y": got 0 (called "https://hooks.example.com/x")`,
		"expect created deal where amount > 1: got 0 (no deal was created)",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

func TestOutboxExpectations(t *testing.T) {
	p, diags := compiler.CompileSource("t.wf", `
workflow upsell {
  on contact
  enroll when lifecyclestage == "opportunity"
  send email "welcome-1"
  create deal { dealname: "{{company_name}} upgrade", amount: 1000 }
  wait until score > 80 up to 3d else {
    send email "nudge"
  }
}
test "emails and deals" {
  upsert contact c1 { email: "a@acme.com", company_name: "Acme", lifecyclestage: "opportunity" }
  upsert contact c2 { email: "b@acme.com", company_name: "Bolt", lifecyclestage: "opportunity" }
  expect email "welcome-1" count 2
  expect email "welcome-1" to c1 count 1
  expect created deal where dealname == "Acme upgrade" count 1
  expect created deal count 2
  upsert contact c1 { score: 90 }
  expect completed c1 in upsell
  advance 3d
  expect email "nudge" to c2
  expect email "nudge" to c1 count 0
}
test "failing outbox expectations" {
  upsert contact c1 { email: "a@acme.com", company_name: "Acme", lifecyclestage: "opportunity" }
  expect email "welcome-2"
  expect created deal where amount > 5000
}`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	results := Run(p, Options{})
	if !results[0].Passed {
		t.Errorf("%s: %+v", results[0].Name, results[0].Failures)
	}
	var got []string
	for _, f := range results[1].Failures {
		got = append(got, f.Message)
	}
	want := []string{
		`expect email "welcome-2": got 0 (sent "welcome-1" to contact/c1)`,
		`expect created deal where amount > 5000: got 0 (created deal/deal-1)`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

func TestEnrollAndClockErrors(t *testing.T) {
	p, diags := compiler.CompileSource("t.wf", `
workflow onboarding {
  on contact
  delay 1d
}
test "manual enrollment" {
  at 2026-03-01T00:00:00Z
  upsert contact c1 { score: 1 }
  enroll c1 in onboarding
  expect enrolled c1 in onboarding
  enroll c1 in onboarding
  at 2026-03-02T00:00:00Z
  expect completed c1 in onboarding
}`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	// The compiler refuses an `at` that goes back; a program built
	// otherwise gets a failure, not a clock running backwards.
	p.Tests[0].Stmts[5].Time = p.Tests[0].Stmts[0].Time - 1
	res := Run(p, Options{})[0]
	var got []string
	for _, f := range res.Failures {
		got = append(got, f.Message)
	}
	want := []string{
		"enroll c1 in onboarding: engine: contact/c1 is already enrolled in onboarding",
		"at 2026-03-02T00:00:00Z: would move the clock back from 2026-03-01T00:00:00Z",
		`expect completed c1 in onboarding: got waiting at "1"`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

func TestHookAndEnableStatements(t *testing.T) {
	p, diags := compiler.CompileSource("t.wf", `
extend deal { order_id: string unique }
webhook order_paid {
  match deal by order_id = body.order.id
  props { total: number = body.order.total }
}
workflow paid {
  on deal
  enroll when webhook order_paid
  set dealstage = "closedwon"
}
workflow existing {
  on deal
  enroll when amount > 10
  enroll existing
  set hs_priority = "high"
}
test "hooks and enable" {
  upsert deal d1 { order_id: "o1", amount: 50 }
  expect d1.hs_priority is empty
  hook order_paid { order: { id: "o2" } }
  expect d1.dealstage is empty
  hook order_paid { order: { id: "o1", total: 5 } }
  expect d1.dealstage == "closedwon"
  enable existing
  expect d1.hs_priority == "high"
}
test "a bad body fails the statement" {
  upsert deal d1 { order_id: "o1" }
  hook order_paid { order: { id: "o1", total: "lots" } }
}`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	res := Run(p, Options{})
	if !res[0].Passed {
		t.Errorf("first test: %+v", res[0].Failures)
	}
	if len(res[1].Failures) != 1 || !strings.Contains(res[1].Failures[0].Message, `total: expected a number, got string "lots"`) {
		t.Errorf("second test: %+v", res[1].Failures)
	}
}

func TestNestedObjectOnlyInHookBody(t *testing.T) {
	_, diags := compiler.CompileSource("t.wf", `
test "t" {
  upsert contact c1 { email: { x: "y" } }
}`)
	if !diags.HasErrors() || !strings.Contains(diags.Error(), "only the body of a test's `hook` statement nests objects") {
		t.Errorf("diags = %v", diags)
	}
}
