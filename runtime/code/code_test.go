package code

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/ingest"
)

func TestFileSecrets(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, "secrets.env")
	os.WriteFile(env, []byte("# comment\nAPI_KEY = abc123\n\nOTHER=x=y\n"), 0o600)
	js := filepath.Join(dir, "secrets.json")
	os.WriteFile(js, []byte(`{"API_KEY":"abc123"}`), 0o600)
	for _, p := range []string{env, js} {
		s, err := FileSecrets(p)
		if err != nil {
			t.Fatal(err)
		}
		if v, ok := s("API_KEY"); !ok || v != "abc123" {
			t.Errorf("%s: API_KEY = %q, %v", p, v, ok)
		}
		if _, ok := s("NOPE"); ok {
			t.Errorf("%s: NOPE found", p)
		}
	}
}

func TestSecretsNeverLogged(t *testing.T) {
	p, diags := compiler.CompileSource("t.wf", "workflow w {\n  on contact\n  enroll when lifecyclestage == \"lead\"\n"+
		"  code js secrets (\"API_KEY\") outputs (ok: bool) as c `console.log(\"using\", secrets.API_KEY); return { ok: secrets.API_KEY.length > 0 };`\n"+
		"  code js secrets (\"API_KEY\") `throw new Error(\"rejected \" + secrets.API_KEY);`\n}\n")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	var traced strings.Builder
	r := &Runner{Secrets: func(n string) (string, bool) { return "sk-live-0123456789", n == "API_KEY" }}
	e, err := engine.New(p, engine.Options{Clock: clock.NewVirtual(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)), Code: r.Hook(),
		Trace: func(ev engine.TraceEvent) { b, _ := json.Marshal(ev); traced.Write(b) }})
	if err != nil {
		t.Fatal(err)
	}
	chs, _ := ingest.NewDecoder(p).Decode([]byte(`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`))
	if err := e.Apply(chs[0]); err != nil {
		t.Fatal(err)
	}
	l, _ := e.Log("w")
	logged, _ := json.Marshal(l)
	en, _ := e.Enrollment("w", "c1")
	hist, _ := json.Marshal(en.History)
	for what, s := range map[string]string{"action log": string(logged), "trace": traced.String(), "history": string(hist)} {
		if strings.Contains(s, "sk-live-0123456789") {
			t.Errorf("the secret is in the %s: %s", what, s)
		}
		if !strings.Contains(s, "using [secret]") || !strings.Contains(s, "rejected [secret]") {
			t.Errorf("the %s lacks the redacted console line or error: %s", what, s)
		}
	}
	if en.Status != engine.Failed {
		t.Errorf("status %s", en.Status)
	}
}

func TestGoFunctionMissing(t *testing.T) {
	r := &Runner{}
	res := r.Run(context.Background(), engine.CodeCall{Lang: "go", Source: "nope"})
	if res.Err == nil || !strings.Contains(res.Err.Error(), `no Go function "nope" is registered`) {
		t.Errorf("err = %v", res.Err)
	}
}
