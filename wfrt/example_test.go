package wfrt_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/wfrt"
)

var start = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

// Loading workflows from source and running them over a change.
func ExampleRuntime_LoadSource() {
	rt := wfrt.New(wfrt.Options{Clock: clock.NewVirtual(start)})
	defer rt.Close()
	err := rt.LoadSource("leads.wf", `
workflow welcome {
  on contact
  enroll when lifecyclestage == "lead"
  set hs_lead_status = "new"
}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	rt.Apply(wfrt.Change{Op: "upsert", Type: "contact", ID: "c1", Props: map[string]any{"lifecyclestage": "lead"}})
	rec, _ := rt.Record("contact", "c1")
	fmt.Println(rec.Props["hs_lead_status"])

	// A workflow with errors is not loaded; the error lists them.
	err = wfrt.New(wfrt.Options{}).LoadSource("bad.wf", `workflow w { on contact  set scroe = 1 }`)
	fmt.Println(err != nil)
	// Output:
	// new
	// true
}

// Ingesting changes in the wire format: JSON Lines, a JSON array or one
// object. Good lines are applied; bad ones are reported by line and field.
func ExampleRuntime_Ingest() {
	rt := wfrt.New(wfrt.Options{Clock: clock.NewVirtual(start)})
	defer rt.Close()
	if err := rt.LoadSource("score.wf", `
workflow score {
  on contact
  enroll when score >= 50
  set owner = "sales"
}`); err != nil {
		fmt.Println(err)
		return
	}
	err := rt.Ingest([]byte(`{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@acme.com","score":70}}
{"op":"upsert","type":"contact","id":"c2","props":{"scroe":70}}
`))
	fmt.Println(err)
	rec, _ := rt.Record("contact", "c1")
	fmt.Println(rec.Props["owner"])
	for _, en := range rt.Enrollments("contact", "c1") {
		fmt.Println(en.Workflow, en.Status)
	}
	// Output:
	// line 2: contact.scroe: unknown property of contact; did you mean "score"?
	// sales
	// score completed
}

// Registering a Go function that a `code go` step calls; its outputs are
// read by later steps.
func ExampleRuntime_Register() {
	rt := wfrt.New(wfrt.Options{Clock: clock.NewVirtual(start)})
	defer rt.Close()
	rt.Register("company_size", func(ctx context.Context, record map[string]any) (map[string]any, error) {
		domain := record["email"].(string)
		domain = domain[strings.IndexByte(domain, '@')+1:]
		return map[string]any{"size": map[string]any{"acme.com": "large"}[domain]}, nil
	})
	if err := rt.LoadSource("enrich.wf", `
workflow enrich {
  on contact
  enroll when email is known
  code go "company_size" as sized
  set industry = sized.size
}`); err != nil {
		fmt.Println(err)
		return
	}
	rt.Apply(wfrt.Change{Op: "upsert", Type: "contact", ID: "c1", Props: map[string]any{"email": "ann@acme.com"}})
	rec, _ := rt.Record("contact", "c1")
	fmt.Println(rec.Props["industry"])
	// Output:
	// large
}

// Observing effects: the engine sends no email and calls no one by
// itself (webhooks aside); OnEffect hands each effect to the service.
func ExampleEffect() {
	rt := wfrt.New(wfrt.Options{
		Clock: clock.NewVirtual(start),
		OnEffect: func(e wfrt.Effect) {
			fmt.Printf("%s %s: to=%q name=%q text=%q\n", e.At.Format("Jan 2 15:04"), e.Kind, e.To, e.Name, e.Text)
		},
	})
	defer rt.Close()
	if err := rt.LoadSource("onboard.wf", `
workflow onboard {
  on contact
  enroll when lifecyclestage == "customer"
  send email "welcome" to email
  delay 1d
  notify "success@example.com" "Call {{email}}"
  create task "Check in with {{email}}" for owner due 2d
}`); err != nil {
		fmt.Println(err)
		return
	}
	rt.Apply(wfrt.Change{Op: "upsert", Type: "contact", ID: "c1", Props: map[string]any{"email": "ann@acme.com", "owner": "bob", "lifecyclestage": "customer"}})
	rt.RunUntil(start.Add(48 * time.Hour)) // a virtual clock moves only here
	// Output:
	// Jan 5 08:00 email: to="ann@acme.com" name="welcome" text=""
	// Jan 6 08:00 notify: to="success@example.com" name="" text="Call ann@acme.com"
	// Jan 6 08:00 task: to="bob" name="Check in with ann@acme.com" text=""
}

// Loading the .wf files of a directory, here with a fake webhook receiver
// in place of HTTP (Options.Webhook), as a service's own tests might.
func ExampleRuntime_Load() {
	rt := wfrt.New(wfrt.Options{
		Clock: clock.NewVirtual(start),
		Webhook: func(c engine.WebhookCall) engine.WebhookResult {
			return engine.WebhookResult{Status: 200, Body: map[string]any{"account_id": "acct_1", "tier": "gold"}}
		},
		OnEffect: func(e wfrt.Effect) { fmt.Println(e.Kind, e.Name, e.Status) },
	})
	defer rt.Close()
	if err := rt.Load("../examples/webhook_sync/..."); err != nil {
		fmt.Println(err)
		return
	}
	rt.Apply(wfrt.Change{Op: "upsert", Type: "contact", ID: "c1", Props: map[string]any{"email": "ann@acme.com", "lifecyclestage": "customer"}})
	rec, _ := rt.Record("contact", "c1")
	fmt.Println(rec.Props["billing_sync"], rec.Props["billing_account"], rec.Props["billing_tier"])
	// Output:
	// webhook https://localhost:9443/wf/customers 200
	// ok acct_1 gold
}
