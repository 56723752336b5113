package server

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/store"
)

const leads = `
extend contact {
  hits: number
}

event ping on contact {
  n: number
}

webhook paid {
  match contact by email = body.email
}

workflow welcome {
  on contact
  enroll when lifecyclestage == "lead"
  enroll when webhook paid
  set hs_lead_status = "new"
  step wait: delay 1d
  set hs_lead_status = "open"
}

workflow counter {
  on contact
  enroll when event ping
  reenroll on event ping
  increment hits by 1
}
`

// newNode starts a node over a fresh store for the .wf files in dir;
// configure, if given, sets further options (webhooks, code) first.
func newNode(t testing.TB, dir string, configure ...func(*Options)) (*Node, *httptest.Server) {
	t.Helper()
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	prog, diags, err := compiler.CompileFiles(dir + "/...")
	if err != nil || prog == nil {
		t.Fatalf("compile: %v %v", err, diags)
	}
	opts := Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, c := range configure {
		c(&opts)
	}
	n, err := New(prog, opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(n.Handler("secret"))
	t.Cleanup(func() {
		srv.Close()
		n.Close()
		st.Close()
	})
	return n, srv
}

func writeFile(t testing.TB, path, src string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
}

func call(t testing.TB, srv *httptest.Server, method, path, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return res.StatusCode
}

func TestAPI(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "leads.wf"), leads)
	_, srv := newNode(t, dir)

	// No token, no entry; /healthz is open.
	if res, _ := http.Get(srv.URL + "/v1/workflows"); res.StatusCode != 401 {
		t.Errorf("no token: %d, want 401", res.StatusCode)
	}
	if res, _ := http.Get(srv.URL + "/healthz"); res.StatusCode != 200 {
		t.Errorf("healthz: %d", res.StatusCode)
	}

	var rep changesReply
	code := call(t, srv, "POST", "/v1/changes", `[
  {"op":"upsert","type":"contact","id":"c1","client_id":"k1","props":{"email":"a@x.com","lifecyclestage":"lead"}},
  {"op":"upsert","type":"contact","id":"c2","props":{"scroe":5}},
  {"op":"event","event":"ping","type":"contact","id":"c1","client_id":"k2"}
]`, &rep)
	if code != 400 || rep.Applied != 2 || rep.Errors != 1 || rep.Items[1].Line != 3 || rep.Items[1].Field != "contact.scroe" {
		t.Fatalf("batch with a bad item: %d %+v", code, rep)
	}
	// Why c1 was enrolled, as wf explain says it.
	var why []engine.Explanation
	if code := call(t, srv, "GET", "/v1/records/contact/c1/why", "", &why); code != 200 || len(why) != 2 ||
		why[0].Workflow != "welcome" || len(why[0].Enrollments) != 1 || !strings.Contains(why[0].Enrollments[0].Why, `lifecyclestage == "lead"`) {
		t.Errorf("why c1: %d %+v", code, why)
	}
	// The same client ids again: nothing applied twice.
	code = call(t, srv, "POST", "/v1/changes", `{"op":"event","event":"ping","type":"contact","id":"c1","client_id":"k2"}`, &rep)
	if code != 200 || rep.Duplicates != 1 || rep.Applied != 0 {
		t.Fatalf("resent change: %d %+v", code, rep)
	}

	var rec RecordJSON
	if code := call(t, srv, "GET", "/v1/records/contact/c1", "", &rec); code != 200 ||
		rec.Props["hs_lead_status"] != "new" || rec.Props["hits"] != float64(1) {
		t.Fatalf("record: %d %+v", code, rec)
	}
	if code := call(t, srv, "GET", "/v1/records/contact/nope", "", nil); code != 404 {
		t.Errorf("missing record: %d", code)
	}
	var ens []EnrollmentJSON
	call(t, srv, "GET", "/v1/records/contact/c1/enrollments", "", &ens)
	if len(ens) != 2 || ens[0].Workflow != "welcome" || ens[0].Status != "waiting" || ens[0].Step != "wait" || ens[0].Version == "" {
		t.Fatalf("enrollments: %+v", ens)
	}
	var log []LogJSON
	call(t, srv, "GET", "/v1/workflows/welcome/log", "", &log)
	if len(log) != 2 || log[0].Record != "contact/c1" || log[1].Step != "wait" {
		t.Fatalf("log: %+v", log)
	}

	// Incoming webhook: one that names a record, one that does not.
	call(t, srv, "POST", "/v1/changes", `{"op":"upsert","type":"contact","id":"c3","props":{"email":"b@x.com"}}`, nil)
	var hook HookResult
	if code := call(t, srv, "POST", "/v1/hooks/paid", `{"email":"b@x.com"}`, &hook); code != 200 || !hook.Matched || len(hook.Enrolled) != 1 {
		t.Fatalf("hook: %d %+v", code, hook)
	}
	if call(t, srv, "POST", "/v1/hooks/paid", `{"email":"zz@x.com"}`, &hook); hook.Matched {
		t.Fatalf("hook naming no record: %+v", hook)
	}

	// Disable, manual enrollment refused; enable, accepted.
	if code := call(t, srv, "POST", "/v1/workflows/welcome/disable", "", nil); code != 200 {
		t.Fatalf("disable: %d", code)
	}
	var wfs Workflows
	call(t, srv, "GET", "/v1/workflows", "", &wfs)
	if w := find(wfs, "welcome"); len(wfs.Workflows) != 2 || w.Status != "disabled" || w.Current != 2 {
		t.Fatalf("workflows: %+v", wfs)
	}
	call(t, srv, "POST", "/v1/changes", `{"op":"upsert","type":"contact","id":"c4","props":{}}`, nil)
	if code := call(t, srv, "POST", "/v1/workflows/welcome/enroll", `{"type":"contact","id":"c4"}`, nil); code != 400 {
		t.Errorf("enroll in a disabled workflow: %d, want 400", code)
	}
	call(t, srv, "POST", "/v1/workflows/welcome/enable", "", nil)
	if code := call(t, srv, "POST", "/v1/workflows/welcome/enroll", `{"type":"contact","id":"c4"}`, nil); code != 200 {
		t.Errorf("enroll: %d", code)
	}
	if code := call(t, srv, "POST", "/v1/workflows/nope/enable", "", nil); code != 404 {
		t.Errorf("enable of no workflow: %d", code)
	}

	// Metrics count what happened.
	req, _ := http.NewRequest("GET", srv.URL+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), `wf_ingested_changes_total{status="duplicate"} 1`) {
		t.Errorf("metrics lack the duplicate:\n%.2000s", body)
	}
}

// TestReload writes a new workflow file and waits for the new version to
// go live through the API; then a broken file leaves it running, with
// the diagnostics shown. The enrollment waiting at step "wait" moves to
// the new version of its workflow.
func TestReload(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "leads.wf"), leads)
	n, srv := newNode(t, dir)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		n.Watch(dir, stop)
	}()
	defer func() {
		close(stop)
		wg.Wait()
	}()
	call(t, srv, "POST", "/v1/changes", `{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`, nil)

	waitFor := func(what string, ok func(Workflows) bool) Workflows {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			var wfs Workflows
			call(t, srv, "GET", "/v1/workflows", "", &wfs)
			if ok(wfs) {
				return wfs
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within 5s: %+v", what, wfs)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	// Change welcome (a new first step; "wait" stays) and add a workflow.
	// The file is written as editors do: a temporary file renamed over it.
	start := time.Now()
	tmp := filepath.Join(dir, ".leads.wf.swp")
	writeFile(t, tmp, strings.Replace(leads, `set hs_lead_status = "new"`, `set hs_lead_status = "new"
  set hits = 0`, 1)+`
workflow extra {
  on contact
  enroll when hits > 100
  set hs_lead_status = "open"
}
`)
	if err := os.Rename(tmp, filepath.Join(dir, "leads.wf")); err != nil {
		t.Fatal(err)
	}
	wfs := waitFor("the new version", func(w Workflows) bool { return len(w.Workflows) == 3 })
	t.Logf("reload: file written to new version live in %v", time.Since(start))
	var ens []EnrollmentJSON
	call(t, srv, "GET", "/v1/records/contact/c1/enrollments", "", &ens)
	if v := find(wfs, "welcome").Version; len(ens) != 1 || ens[0].Step != "wait" || ens[0].Version != v {
		t.Fatalf("the waiting enrollment did not move to the new version %s: %+v", v, ens)
	}

	// A broken file: the running version stays, the diagnostics show.
	writeFile(t, filepath.Join(dir, "broken.wf"), "workflow broken {\n  on contact\n  set scroe = 1\n}\n")
	wfs = waitFor("the diagnostics", func(w Workflows) bool { return w.ReloadError })
	if len(wfs.Workflows) != 3 || len(wfs.Diagnostics) == 0 || !strings.HasSuffix(wfs.Diagnostics[0].File, "broken.wf") {
		t.Fatalf("after a bad file: %+v", wfs)
	}
	var rep changesReply
	if code := call(t, srv, "POST", "/v1/changes", `{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead"}}`, &rep); code != 200 {
		t.Fatalf("ingest on the kept version: %d %+v", code, rep)
	}
	// Fixing it goes live again.
	if err := os.Remove(filepath.Join(dir, "broken.wf")); err != nil {
		t.Fatal(err)
	}
	waitFor("the fix", func(w Workflows) bool { return !w.ReloadError })
}

func find(wfs Workflows, name string) WorkflowInfo {
	for _, w := range wfs.Workflows {
		if w.Name == name {
			return w
		}
	}
	return WorkflowInfo{}
}

// BenchmarkIngestDurable measures acknowledged changes per second through
// the node (decode, apply, commit with fsync): one change per request from
// one client (every change pays an fsync), and batches of 1,000 changes
// per request, and 1,000 concurrent single-change clients sharing commits.
func BenchmarkIngestDurable(b *testing.B) {
	dir := b.TempDir()
	writeFile(b, filepath.Join(dir, "leads.wf"), leads)
	line := func(i int) string {
		return fmt.Sprintf(`{"op":"upsert","type":"contact","id":"c%d","client_id":"k%d","props":{"lifecyclestage":"lead"}}`, i%1000, i)
	}
	b.Run("single", func(b *testing.B) {
		n, _ := newNode(b, dir)
		i := 0
		for b.Loop() {
			if _, err := n.Ingest([]byte(line(i))); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "changes/s")
	})
	b.Run("batch=1000", func(b *testing.B) {
		n, _ := newNode(b, dir)
		i := 0
		for b.Loop() {
			var sb strings.Builder
			for range 1000 {
				sb.WriteString(line(i))
				sb.WriteByte('\n')
				i++
			}
			if _, err := n.Ingest([]byte(sb.String())); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "changes/s")
	})
	b.Run("concurrent=1000", func(b *testing.B) {
		n, _ := newNode(b, dir)
		i := 0
		for b.Loop() {
			var wg sync.WaitGroup
			for range 1000 {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					if _, err := n.Ingest([]byte(line(i))); err != nil {
						b.Error(err)
					}
				}(i)
				i++
			}
			wg.Wait()
		}
		b.ReportMetric(float64(i)/b.Elapsed().Seconds(), "changes/s")
	})
}
