package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"

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

	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	prog, diags, err := compiler.CompileFiles(dir + "/...")
	if err != nil || prog == nil {
		t.Fatalf("compile: %v %v", err, diags)
	}
	secrets := func(name string) (string, bool) {
		v, ok := map[string]string{"HOOK_SECRET": secret, "API_KEY": "k-123"}[name]
		return v, ok
	}
	client := webhook.New(webhook.Config{AllowPrivate: true, TLS: recv.Client().Transport.(*http.Transport).TLSClientConfig})
	runner := &code.Runner{Secrets: secrets}
	n, err := New(prog, Options{
		Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Webhook: client.Hook(), Code: runner.Hook(), Secrets: secrets,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler("secret"))
	t.Cleanup(func() {
		srv.Close()
		n.Close()
		st.Close()
	})

	var rep changesReply
	if code := call(t, srv, "POST", "/v1/changes", `{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@acme.com","lifecyclestage":"lead"}}`, &rep); code != 200 || rep.Applied != 1 {
		t.Fatalf("ingest: %d %+v", code, rep)
	}
	var rec RecordJSON
	if code := call(t, srv, "GET", "/v1/records/contact/c1", "", &rec); code != 200 ||
		rec.Props["jobtitle"] != "gold" || rec.Props["city"] != "gold:5" {
		t.Fatalf("record: %d %+v", code, rec)
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
