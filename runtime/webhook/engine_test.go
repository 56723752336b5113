package webhook_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/code"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/webhook"
	"github.com/wflang/wf/value"
)

var t0 = time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)

type rig struct {
	t        *testing.T
	e        *engine.Engine
	p        *bytecode.Program
	clock    *clock.Virtual
	srv      *httptest.Server
	mu       sync.Mutex
	attempts []engine.WebhookCall // as the engine made them
	keys     []string             // idempotency keys the receiver saw
	bad      int                  // requests whose signature did not verify
}

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// newRig starts a TLS receiver that verifies scheme's signature and
// answers with answer(n) for the n-th request, and an engine on a virtual
// clock running src (with %s replaced by the receiver's URL).
func newRig(t *testing.T, scheme, src string, answer func(n int, w http.ResponseWriter), runner *code.Runner) *rig {
	r := &rig{t: t, clock: clock.NewVirtual(t0)}
	r.srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		ok := webhook.Verify(req.Header, scheme, secret, req.Method, r.srv.URL+req.URL.RequestURI(), body)
		if !ok {
			r.bad++
		}
		r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
		n := len(r.keys)
		r.mu.Unlock()
		if !ok {
			w.WriteHeader(401)
			return
		}
		answer(n, w)
	}))
	t.Cleanup(r.srv.Close)
	p, diags := compiler.CompileSource("test.wf", strings.ReplaceAll(src, "URL", r.srv.URL+"/hook"))
	if diags.HasErrors() {
		t.Fatalf("compile:\n%v", diags)
	}
	client := webhook.New(webhook.Config{AllowPrivate: true, TLS: r.srv.Client().Transport.(*http.Transport).TLSClientConfig})
	deliver := client.Hook()
	opts := engine.Options{
		Clock: r.clock,
		Secrets: func(name string) (string, bool) {
			return map[string]string{"HOOK_SECRET": secret}[name], name == "HOOK_SECRET"
		},
		Webhook: func(c engine.WebhookCall) engine.WebhookResult {
			r.attempts = append(r.attempts, c)
			return deliver(c)
		},
	}
	if runner != nil {
		opts.Code = runner.Hook()
	}
	e, err := engine.New(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	r.e, r.p = e, p
	chs, err := ingest.NewDecoder(p).Decode([]byte(`{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@acme.com","lifecyclestage":"lead","score":7}}`))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Apply(chs[0]); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) prop(name string) value.Value {
	rec, _ := r.e.Record("contact", "c1")
	for _, t := range r.p.Types {
		if t.Name != "contact" {
			continue
		}
		for slot, pr := range t.Props {
			if pr.Name == name {
				return rec.Props[slot]
			}
		}
	}
	r.t.Fatalf("no property %s", name)
	return value.Value{}
}

func (r *rig) times() string {
	var s []string
	for _, a := range r.attempts {
		s = append(s, a.Now.Sub(t0).String())
	}
	return strings.Join(s, " ")
}

const signedFlow = `
workflow enrich {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "URL" sign standard secret("HOOK_SECRET") as hook
  set score = hook.status
  if hook.status == 200 {
    set jobtitle = hook.body.tier
  }
  code js outputs (tier: string, big: bool) as enrich ` + "`" + `
    console.log("scoring", record.email);
    return { tier: record.jobtitle + "!", big: record.score > 100 };
  ` + "`" + `
  set city = enrich.tier
  code go "geo" as geo
  set country = geo.country
}`

func TestSignedWebhookEndToEnd(t *testing.T) {
	runner := &code.Runner{}
	runner.Register("geo", func(_ context.Context, rec map[string]any) (map[string]any, error) {
		return map[string]any{"country": "NL:" + rec["city"].(string)}, nil
	})
	r := newRig(t, webhook.SchemeStandard, signedFlow, func(_ int, w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"tier":"gold"}`)
	}, runner)
	if r.bad != 0 || len(r.keys) != 1 {
		t.Fatalf("receiver: %d requests, %d unverified", len(r.keys), r.bad)
	}
	if en, _ := r.e.Enrollment("enrich", "c1"); en.Status != engine.Completed {
		t.Fatalf("enrollment %s at %s: %+v", en.Status, en.Step, en.History[len(en.History)-1])
	}
	for name, want := range map[string]value.Value{
		"score": value.Num(200), "jobtitle": value.Str("gold"), "city": value.Str("gold!"), "country": value.Str("NL:gold!"),
	} {
		if got := r.prop(name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	l, _ := r.e.Log("enrich")
	found := false
	for _, e := range l.Entries {
		if strings.Contains(e.Why, "console: scoring a@acme.com") {
			found = true
		}
	}
	if !found {
		t.Errorf("console output not in the action log: %+v", l.Entries)
	}
}

func TestWebhookRetriesOnVirtualClock(t *testing.T) {
	r := newRig(t, webhook.SchemeV3, `
workflow enrich {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "URL" sign v3 secret("HOOK_SECRET") as hook
  set score = hook.status
}`, func(_ int, w http.ResponseWriter) { w.WriteHeader(503) }, nil)
	if err := r.e.RunUntil(t0.Add(5 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	want := "0s 1m0s 3m0s 7m0s 15m0s 31m0s 1h3m0s 2h7m0s 4h15m0s 8h31m0s 16h31m0s 24h31m0s 32h31m0s 40h31m0s 48h31m0s 56h31m0s 64h31m0s"
	if got := r.times(); got != want {
		t.Errorf("attempt times after the first:\n got %s\nwant %s", got, want)
	}
	for _, k := range r.keys {
		if k != r.keys[0] {
			t.Errorf("idempotency keys differ: %q, %q", r.keys[0], k)
		}
	}
	if r.bad != 0 {
		t.Errorf("%d unverified requests", r.bad)
	}
	en, _ := r.e.Enrollment("enrich", "c1")
	if en.Status != engine.Completed || r.prop("score") != value.Num(503) {
		t.Errorf("after retries exhausted: %s, score %v; want completed with hook.status 503", en.Status, r.prop("score"))
	}
}

func TestWebhook400IsFinal(t *testing.T) {
	r := newRig(t, webhook.SchemeHubSpot, `
workflow enrich {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "URL" sign hubspot secret("HOOK_SECRET") as hook
  set score = hook.status
}`, func(_ int, w http.ResponseWriter) { w.WriteHeader(400) }, nil)
	if err := r.e.RunUntil(t0.Add(4 * 24 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(r.attempts) != 1 || r.prop("score") != value.Num(400) {
		t.Errorf("%d attempts, score %v; want 1 attempt and hook.status 400", len(r.attempts), r.prop("score"))
	}
}

func TestWebhookRetryAfter(t *testing.T) {
	r := newRig(t, webhook.SchemeHubSpot, `
workflow enrich {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "URL" sign secret("HOOK_SECRET") as hook
  set score = hook.status
}`, func(n int, w http.ResponseWriter) {
		if n == 1 {
			w.Header().Set("Retry-After", "300")
			w.WriteHeader(429)
			return
		}
		w.WriteHeader(200)
	}, nil)
	if err := r.e.RunUntil(t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := r.times(); got != "0s 5m0s" {
		t.Errorf("attempts at %s, want 0s 5m0s", got)
	}
	if r.prop("score") != value.Num(200) {
		t.Errorf("score %v", r.prop("score"))
	}
}

func TestJSLoopStoppedOthersUnharmed(t *testing.T) {
	runner := &code.Runner{}
	r := newRig(t, webhook.SchemeHubSpot, `
workflow loop {
  on contact
  enroll when lifecyclestage == "lead"
  code js timeout 200ms `+"`"+`while (true) {}`+"`"+`
  set city = "never"
}
workflow fine {
  on contact
  enroll when lifecyclestage == "lead"
  code js outputs (n: number) as c `+"`"+`return { n: record.score * 2 };`+"`"+`
  set score = c.n
}
workflow typed {
  on contact
  enroll when lifecyclestage == "lead"
  code js outputs (n: number) as c `+"`"+`return { n: "lots" };`+"`"+`
}`, nil, runner)
	en, _ := r.e.Enrollment("loop", "c1")
	if en.Status != engine.Failed || !strings.Contains(en.History[len(en.History)-1].Reason, "time limit exceeded after 200ms") {
		t.Errorf("loop: %s, %+v", en.Status, en.History[len(en.History)-1])
	}
	if r.prop("score") != value.Num(14) {
		t.Errorf("fine: score %v, want 14", r.prop("score"))
	}
	en, _ = r.e.Enrollment("typed", "c1")
	if last := en.History[len(en.History)-1].Reason; en.Status != engine.Failed || !strings.Contains(last, `output "n" is declared number but the code returned a string ("lots")`) {
		t.Errorf("typed: %s, %s", en.Status, last)
	}
	_ = fmt.Sprint
}
