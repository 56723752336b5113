package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/code"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/runtime/webhook"
)

// TestServedWebhook runs a workflow on a durable node that posts a signed
// webhook to a local HTTPS receiver, which verifies the signature and
// answers with JSON; later steps use hook.status and hook.body.tier, and a
// code js step reads a declared secret. The committed record, read through
// the HTTP API, shows the response was used.
func TestServedWebhook(t *testing.T) {
	const secret = "whsec_c2VydmVkLXRlc3Qtc2VjcmV0LWJ5dGVz" // Standard Webhooks: base64 after whsec_
	var (
		mu     sync.Mutex
		bodies []map[string]any
		bad    int
	)
	var recv *httptest.Server
	recv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		data, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if !webhook.Verify(r.Header, webhook.SchemeStandard, secret, r.Method, recv.URL+r.URL.RequestURI(), data) {
			bad++
			w.WriteHeader(401)
			return
		}
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		bodies = append(bodies, m)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"tier":"gold","seats":12}`)
	}))
	defer recv.Close()

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "sync.wf"), strings.ReplaceAll(`
workflow sync {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "URL/hook" sign standard secret("HOOK_SECRET") as hook
  if hook.status == 200 {
    set jobtitle = hook.body.tier
  }
  code js secrets ("API_KEY") outputs (tag: string) as c `+"`"+`
    return { tag: record.jobtitle + ":" + secrets.API_KEY.length };
  `+"`"+`
  set city = c.tag
}
`, "URL", recv.URL))

	secrets := func(name string) (string, bool) {
		v, ok := map[string]string{"HOOK_SECRET": secret, "API_KEY": "k-123"}[name]
		return v, ok
	}
	client := webhook.New(webhook.Config{AllowPrivate: true, TLS: recv.Client().Transport.(*http.Transport).TLSClientConfig})
	runner := &code.Runner{Secrets: secrets}
	_, srv := newNode(t, dir, func(o *Options) {
		o.Webhook, o.Code, o.Secrets = client.Hook(), runner.Hook(), secrets
	})

	var rep changesReply
	if code := call(t, srv, "POST", "/v1/changes", `{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@acme.com","lifecyclestage":"lead"}}`, &rep); code != 200 || rep.Applied != 1 {
		t.Fatalf("ingest: %d %+v", code, rep)
	}
	// The delivery is asynchronous: the answer resumes the enrollment
	// shortly after the ingest was acknowledged.
	var rec RecordJSON
	waitFor(t, 5*time.Second, func() bool {
		rec = RecordJSON{}
		return call(t, srv, "GET", "/v1/records/contact/c1", "", &rec) == 200 && rec.Props["city"] == "gold:5"
	})
	if rec.Props["jobtitle"] != "gold" || rec.Props["city"] != "gold:5" {
		t.Fatalf("record: %+v", rec)
	}
	mu.Lock()
	defer mu.Unlock()
	if bad != 0 || len(bodies) != 1 {
		t.Fatalf("receiver: %d verified, %d bad", len(bodies), bad)
	}
	if !strings.Contains(mustJSON(bodies[0]), "a@acme.com") {
		t.Errorf("body sent: %v", bodies[0])
	}
	var ens []EnrollmentJSON
	call(t, srv, "GET", "/v1/records/contact/c1/enrollments", "", &ens)
	if len(ens) != 1 || ens[0].Status != "completed" {
		t.Errorf("enrollments: %+v", ens)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// waitFor polls cond until it holds or d passes.
func waitFor(t testing.TB, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %v", d)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSlowWebhookDoesNotStall posts to a receiver that takes 2 s to
// answer; meanwhile changes for other records are ingested and their
// workflows run at once. Then the answer comes and the later step reads
// hook.body.
func TestSlowWebhookDoesNotStall(t *testing.T) {
	const slow = 2 * time.Second
	release := make(chan struct{})
	var hits sync.WaitGroup
	hits.Add(1)
	var once sync.Once
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body)
		once.Do(hits.Done)
		select {
		case <-release:
		case <-time.After(slow):
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"tier":"gold"}`)
	}))
	defer recv.Close()
	defer close(release)

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "flows.wf"), strings.ReplaceAll(`
workflow sync {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "URL/hook" as hook
  set jobtitle = hook.body.tier
}

workflow tag {
  on contact
  enroll when lifecyclestage == "customer"
  set city = "tagged"
}
`, "URL", recv.URL))
	client := webhook.New(webhook.Config{AllowPrivate: true, TLS: recv.Client().Transport.(*http.Transport).TLSClientConfig})
	_, srv := newNode(t, dir, func(o *Options) { o.Webhook = client.Hook() })

	assertNoStall(t, srv, slow, 5*time.Second, "its delivery is in flight", hits.Wait)
}

// TestWebhookReissuedOnRestart stops a node while a delivery has no
// answer; the next node on the same store makes the attempt again, with
// the same idempotency id, and the enrollment completes.
func TestWebhookReissuedOnRestart(t *testing.T) {
	var (
		mu   sync.Mutex
		ids  []string
		hang = make(chan struct{})
	)
	first := make(chan struct{})
	var once sync.Once
	recv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]any
		data, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(data, &m)
		mu.Lock()
		ids = append(ids, fmt.Sprint(m["idempotency_id"]))
		n := len(ids)
		mu.Unlock()
		if n == 1 {
			once.Do(func() { close(first) })
			<-hang // never answers before the node stops
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"tier":"gold"}`)
	}))
	defer recv.Close()
	defer close(hang)

	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "flows.wf"), strings.ReplaceAll(`
workflow sync {
  on contact
  enroll when lifecyclestage == "lead"
  webhook post "URL/hook" as hook
  set jobtitle = hook.body.tier
}
`, "URL", recv.URL))
	prog, diags, err := compiler.CompileFiles(dir + "/...")
	if err != nil || prog == nil {
		t.Fatalf("compile: %v %v", err, diags)
	}
	client := webhook.New(webhook.Config{AllowPrivate: true, TLS: recv.Client().Transport.(*http.Transport).TLSClientConfig})
	sdir := t.TempDir()
	open := func() (*Node, store.Store) {
		st, err := store.Open(sdir)
		if err != nil {
			t.Fatal(err)
		}
		n, err := New(prog, Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Webhook: client.Hook()})
		if err != nil {
			t.Fatal(err)
		}
		return n, st
	}
	n, st := open()
	if _, err := n.Ingest([]byte(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`)); err != nil {
		t.Fatal(err)
	}
	<-first
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	st.Close()

	n, st = open()
	defer func() {
		n.Close()
		st.Close()
	}()
	waitFor(t, 5*time.Second, func() bool {
		rec, ok, err := n.Record("contact", "c1")
		return err == nil && ok && rec.Props["jobtitle"] == "gold"
	})
	mu.Lock()
	defer mu.Unlock()
	if len(ids) != 2 || ids[0] != ids[1] || ids[0] == "" {
		t.Errorf("idempotency ids = %v, want the same id twice", ids)
	}
}

// TestSlowCodeDoesNotStall runs a code js step that busy-loops for 1.5 s;
// meanwhile changes for other records are ingested and their workflows run
// at once. Then the step's output is read by the later step.
func TestSlowCodeDoesNotStall(t *testing.T) {
	const slow = 1500 * time.Millisecond
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "flows.wf"), `
workflow score {
  on contact
  enroll when lifecyclestage == "lead"
  code js outputs (tier: string) timeout 10s as c `+"`"+`
    const start = Date.now();
    while (Date.now() < start + 1500) {}
    return { tier: "gold" };
  `+"`"+`
  set jobtitle = c.tier
}

workflow tag {
  on contact
  enroll when lifecyclestage == "customer"
  set city = "tagged"
}
`)
	runner := &code.Runner{}
	_, srv := newNode(t, dir, func(o *Options) { o.Code = runner.Hook() })

	assertNoStall(t, srv, slow, 10*time.Second, "its code runs", nil)
}

// assertNoStall ingests a lead "slow" whose workflow reaches a step that
// takes slow to answer (inFlight, if given, returns once it is under way),
// then 20 customers that another workflow tags with city = "tagged" at
// once. Each of them must be answered and processed within slow/2, the slow
// record must not have its jobtitle yet, and within wait it must get
// jobtitle = "gold" and complete, no sooner than slow after the start.
func assertNoStall(t *testing.T, srv *httptest.Server, slow, wait time.Duration, while string, inFlight func()) {
	t.Helper()
	start := time.Now()
	var rep changesReply
	if code := call(t, srv, "POST", "/v1/changes", `{"op":"upsert","type":"contact","id":"slow","props":{"lifecyclestage":"lead"}}`, &rep); code != 200 || rep.Applied != 1 {
		t.Fatalf("ingest: %d %+v", code, rep)
	}
	if inFlight != nil {
		inFlight()
	}
	var ens []EnrollmentJSON
	call(t, srv, "GET", "/v1/records/contact/slow/enrollments", "", &ens)
	if len(ens) != 1 || ens[0].Status != "waiting" {
		t.Fatalf("slow enrollment while %s: %+v", while, ens)
	}
	for i := range 20 {
		body := fmt.Sprintf(`{"op":"upsert","type":"contact","id":"c%d","props":{"lifecyclestage":"customer"}}`, i)
		if code := call(t, srv, "POST", "/v1/changes", body, &rep); code != 200 || rep.Applied != 1 {
			t.Fatalf("ingest %d: %d %+v", i, code, rep)
		}
		var rec RecordJSON
		if code := call(t, srv, "GET", fmt.Sprintf("/v1/records/contact/c%d", i), "", &rec); code != 200 || rec.Props["city"] != "tagged" {
			t.Fatalf("record c%d: %d %+v", i, code, rec)
		}
	}
	if took := time.Since(start); took > slow/2 {
		t.Fatalf("other changes took %v while %s", took, while)
	}
	var rec RecordJSON
	call(t, srv, "GET", "/v1/records/contact/slow", "", &rec)
	if rec.Props["jobtitle"] != nil {
		t.Fatalf("slow record done while %s: %+v", while, rec)
	}
	waitFor(t, wait, func() bool {
		rec = RecordJSON{}
		return call(t, srv, "GET", "/v1/records/contact/slow", "", &rec) == 200 && rec.Props["jobtitle"] == "gold"
	})
	if took := time.Since(start); took < slow {
		t.Errorf("the slow step's answer was used after %v, before it could come", took)
	}
	call(t, srv, "GET", "/v1/records/contact/slow/enrollments", "", &ens)
	if len(ens) != 1 || ens[0].Status != "completed" {
		t.Errorf("slow enrollment: %+v", ens)
	}
}
