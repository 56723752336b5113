package wfrt_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/webhook"
	"github.com/wflang/wf/wfrt"
)

// TestWebhookSyncExample runs examples/webhook_sync against a local HTTPS
// receiver that verifies each request's Standard Webhooks signature: the
// first attempt gets a 503, the retry a minute later (on the virtual
// clock) is answered with the account, and the workflow's later steps
// store the answer's fields on the contact.
func TestWebhookSyncExample(t *testing.T) {
	const secret = "whsec_" + "YmlsbGluZy1leGFtcGxlLXNlY3JldA==" // base64 after whsec_
	var (
		mu    sync.Mutex
		ids   []string
		bad   int
		sent  map[string]any
		recvd *httptest.Server
	)
	recvd = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !webhook.Verify(r.Header, webhook.SchemeStandard, secret, r.Method, recvd.URL+r.URL.RequestURI(), body) {
			bad++
			w.WriteHeader(401)
			return
		}
		ids = append(ids, r.Header.Get("webhook-id"))
		if len(ids) == 1 {
			w.WriteHeader(503)
			return
		}
		_ = json.Unmarshal(body, &sent)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"account_id":"acct_42","tier":"gold"}`)
	}))
	defer recvd.Close()

	src, err := os.ReadFile("../examples/webhook_sync/webhook_sync.wf")
	if err != nil {
		t.Fatal(err)
	}
	wf := strings.Replace(string(src), "https://localhost:9443", recvd.URL, 1)
	var effects []wfrt.Effect
	rt := wfrt.New(wfrt.Options{
		Clock:               clock.NewVirtual(start),
		AllowPrivateTargets: true, // the receiver is on 127.0.0.1
		WebhookTLS:          recvd.Client().Transport.(*http.Transport).TLSClientConfig,
		Secrets: func(name string) (string, bool) {
			return secret, name == "BILLING_WEBHOOK_SECRET"
		},
		OnEffect: func(e wfrt.Effect) { effects = append(effects, e) },
	})
	defer rt.Close()
	if err := rt.LoadSource("webhook_sync.wf", wf); err != nil {
		t.Fatal(err)
	}
	if err := rt.Ingest([]byte(`{"op":"upsert","type":"contact","id":"c1","props":{"email":"ann@acme.com","owner":"bob","lifecyclestage":"customer"}}`)); err != nil {
		t.Fatal(err)
	}
	if en := rt.Enrollments("contact", "c1"); len(en) != 1 || en[0].Status != "waiting" {
		t.Fatalf("after a 503: %+v", en)
	}
	if err := rt.RunUntil(start.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	rec, _ := rt.Record("contact", "c1")
	if rec.Props["billing_sync"] != "ok" || rec.Props["billing_account"] != "acct_42" || rec.Props["billing_tier"] != "gold" {
		t.Errorf("record: %+v", rec.Props)
	}
	mu.Lock()
	defer mu.Unlock()
	if bad != 0 || len(ids) != 2 || ids[0] != ids[1] || ids[0] == "" {
		t.Errorf("receiver: %d bad, ids %q (want two attempts with one id)", bad, ids)
	}
	if !strings.Contains(string(mustMarshal(sent)), "ann@acme.com") {
		t.Errorf("body sent: %v", sent)
	}
	if len(effects) != 2 || effects[0].Status != 503 || effects[1].Status != 200 || effects[1].At.Sub(effects[0].At) != time.Minute {
		t.Errorf("effects: %+v", effects)
	}
}

// TestWebhookSafetyDefaults checks that a Runtime refuses a private target
// without AllowPrivateTargets: the delivery fails at once, and the
// workflow's else branch runs.
func TestWebhookSafetyDefaults(t *testing.T) {
	recvd := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer recvd.Close()
	src, err := os.ReadFile("../examples/webhook_sync/webhook_sync.wf")
	if err != nil {
		t.Fatal(err)
	}
	rt := wfrt.New(wfrt.Options{
		Clock:      clock.NewVirtual(start),
		WebhookTLS: recvd.Client().Transport.(*http.Transport).TLSClientConfig,
		Secrets:    func(string) (string, bool) { return "whsec_c2VjcmV0", true },
	})
	defer rt.Close()
	if err := rt.LoadSource("webhook_sync.wf", strings.Replace(string(src), "https://localhost:9443", recvd.URL, 1)); err != nil {
		t.Fatal(err)
	}
	if err := rt.Apply(wfrt.Change{Op: "upsert", Type: "contact", ID: "c1", Props: map[string]any{"email": "a@b.com", "owner": "bob", "lifecyclestage": "customer"}}); err != nil {
		t.Fatal(err)
	}
	rec, _ := rt.Record("contact", "c1")
	if rec.Props["billing_sync"] != "failed" {
		t.Errorf("private target delivered: %+v", rec.Props)
	}
	var task bool
	for _, e := range rt.Effects() {
		task = task || e.Kind == "task"
	}
	if !task {
		t.Errorf("no task after the refused delivery: %+v", rt.Effects())
	}
}

// TestRealClockTimers checks that on the real clock a Runtime fires a
// delay by itself.
func TestRealClockTimers(t *testing.T) {
	rt := wfrt.New(wfrt.Options{})
	defer rt.Close()
	if err := rt.LoadSource("d.wf", `
workflow d {
  on contact
  enroll when lifecyclestage == "lead"
  delay 50ms
  set hs_lead_status = "open"
}`); err != nil {
		t.Skipf("delay 50ms not accepted: %v", err)
	}
	rt.Apply(wfrt.Change{Op: "upsert", Type: "contact", ID: "c1", Props: map[string]any{"lifecyclestage": "lead"}})
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if rec, _ := rt.Record("contact", "c1"); rec.Props["hs_lead_status"] == "open" {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the delay did not fire on the real clock")
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
