package server

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/engine"
)

// exampleChanges put three acme leads at lead_nurturing's warm_up delay,
// convert a fourth (which enrolls it in webhook_sync), open an urgent
// ticket and a deal.
const exampleChanges = `
{"op":"upsert","type":"contact","id":"c1","props":{"email":"anna@acme.com","lifecyclestage":"lead","country":"NL","score":45}}
{"op":"upsert","type":"contact","id":"c2","props":{"email":"bo@acme.com","lifecyclestage":"lead","score":5}}
{"op":"upsert","type":"contact","id":"c3","props":{"email":"carl@acme.com","lifecyclestage":"lead","country":"US","score":38}}
{"op":"upsert","type":"contact","id":"c4","props":{"email":"finn@acme.com","lifecyclestage":"lead","country":"FR"}}
{"op":"upsert","type":"contact","id":"c4","props":{"lifecyclestage":"customer"}}
{"op":"upsert","type":"ticket","id":"t1","props":{"subject":"Checkout is down","status":"new","priority":"urgent","owner":"sam"}}
{"op":"upsert","type":"deal","id":"d1","props":{"dealname":"Globex renewal","dealstage":"contractsent","amount":12000}}
`

// busyWebhook answers every attempt 503, asking for a retry in an hour.
func busyWebhook(c engine.WebhookCall) engine.WebhookResult {
	return engine.WebhookResult{Status: 503, Retry: c.Now.Add(time.Hour), Err: "busy"}
}

// copyExamples copies the examples' .wf files to a temporary directory.
func copyExamples(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files, _ := filepath.Glob("../../examples/*/*.wf")
	if len(files) == 0 {
		t.Fatal("no examples")
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, filepath.Base(filepath.Dir(f)))
		os.MkdirAll(sub, 0o755)
		writeFile(t, filepath.Join(sub, filepath.Base(f)), string(data))
	}
	return dir
}

func get(t *testing.T, url string, header ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data), res.Header
}

// TestDashboardData checks what the dashboard's pages show for the
// examples after a few changes: the source's data, the HTML pages and
// their live JSON.
func TestDashboardData(t *testing.T) {
	dir := copyExamples(t)
	n, srv := newNode(t, dir, func(o *Options) { o.Webhook = busyWebhook })
	var rep changesReply
	if code := call(t, srv, "POST", "/v1/changes", exampleChanges, &rep); code != 200 || rep.Applied != 7 {
		t.Fatalf("ingest: %d %+v", code, rep)
	}
	src := n.DashboardSource()

	// The webhook's first attempt is answered on a worker; wait for the retry.
	waitFor(t, 5*time.Second, func() bool {
		d, err := src.Deliveries()
		return err == nil && len(d.Retrying) == 1
	})
	d, err := src.Deliveries()
	if err != nil {
		t.Fatal(err)
	}
	r := d.Retrying[0]
	if r.Workflow != "webhook_sync" || r.Record != "contact/c4" || r.Step != "post" || r.Status != 503 || r.Attempt != 1 ||
		r.Next.Sub(n.opts.Clock.Now()) < 59*time.Minute || !strings.Contains(r.Reason, "retrying") {
		t.Errorf("retrying: %+v", r)
	}
	if len(d.InFlight) != 0 || len(d.Failed) != 0 || d.FailedTotal != 0 {
		t.Errorf("deliveries: %+v", d)
	}

	ov := src.Overview()
	if len(ov.Workflows) != 4 || ov.ReloadFailed {
		t.Fatalf("overview: %+v", ov)
	}
	w, ok, err := src.Workflow("lead_nurturing")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if w.AtStep["warm_up"] != 3 || len(w.AtStep) != 1 || w.Info.Status != "enabled" || w.Info.Current != 3 {
		t.Errorf("lead_nurturing at steps: %v, info %+v", w.AtStep, w.Info)
	}
	want := struct{ Enrolled, Current, Converted int }{4, 3, 1}
	if got := (struct{ Enrolled, Current, Converted int }{w.Totals.Enrolled, w.Totals.Current, w.Totals.Converted}); got != want {
		t.Errorf("totals: %+v, want %+v", w.Totals, want)
	}
	if len(w.Enrollments) != 3 || w.Enrollments[0].Step != "warm_up" || w.Enrollments[0].Due.IsZero() {
		t.Errorf("enrollments: %+v", w.Enrollments)
	}
	if _, ok, _ := src.Workflow("nope"); ok {
		t.Error("a workflow that does not exist")
	}

	rec, ok, err := src.Record("contact", "c1")
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	props := map[string]string{}
	for _, p := range rec.Props {
		props[p.Name] = p.Value
	}
	if props["hs_lead_status"] != "new" || props["score"] != "55" {
		t.Errorf("props: %v", props)
	}
	if len(rec.Enrollments) != 1 || rec.Enrollments[0].Workflow != "lead_nurturing" || rec.Enrollments[0].Status != "waiting" {
		t.Errorf("enrollments: %+v", rec.Enrollments)
	}
	if len(rec.Log) < 5 || rec.Log[0].Workflow != "lead_nurturing" || rec.Log[0].Why == "" {
		t.Errorf("log: %+v", rec.Log)
	}
	var why *engine.Explanation
	for i := range rec.Explanations {
		if rec.Explanations[i].Workflow == "lead_nurturing" {
			why = &rec.Explanations[i]
		}
	}
	if why == nil || len(why.Enrollments) != 1 || !strings.Contains(why.Enrollments[0].Why, "lifecyclestage") || len(why.Clauses) == 0 {
		t.Errorf("explanations: %+v", rec.Explanations)
	}
	if _, ok, _ := src.Record("contact", "nobody"); ok {
		t.Error("a record that does not exist")
	}

	// The pages, with the API's bearer header.
	auth := []string{"Authorization", "Bearer secret"}
	code, body, _ := get(t, srv.URL+"/", auth...)
	if code != 200 {
		t.Fatalf("GET /: %d %s", code, body)
	}
	for _, s := range []string{"lead_nurturing", "deal_hygiene", "ticket_sla", "webhook_sync", "enabled", w.Info.Version[:12]} {
		if !strings.Contains(body, s) {
			t.Errorf("workflows page lacks %q", s)
		}
	}
	code, body, _ = get(t, srv.URL+"/workflows/lead_nurturing", auth...)
	if code != 200 || !strings.Contains(body, "<svg") || !strings.Contains(body, "3 waiting") || !strings.Contains(body, "converted (goal)") {
		t.Errorf("workflow page: %d\n%s", code, body)
	}
	code, body, _ = get(t, srv.URL+"/workflows/lead_nurturing?live=1", auth...)
	var live struct {
		Regions map[string]string `json:"regions"`
	}
	if err := json.Unmarshal([]byte(body), &live); code != 200 || err != nil {
		t.Fatalf("live: %d %v %s", code, err, body)
	}
	if !strings.Contains(live.Regions["wf-graph"], `data-step="warm_up"`) || !strings.Contains(live.Regions["wf-graph"], "3 waiting") ||
		!strings.Contains(live.Regions["wf-records"], "/records/contact/c1") {
		t.Errorf("live regions: %v", live.Regions)
	}
	code, body, _ = get(t, srv.URL+"/workflows/lead_nurturing?step=nowhere", auth...)
	if code != 200 || !strings.Contains(body, "No records are in this workflow now") {
		t.Errorf("filtered by a step: %d", code)
	}
	code, body, _ = get(t, srv.URL+"/workflows/lead_nurturing/graph.svg", auth...)
	if code != 200 || !strings.HasPrefix(body, "<svg") {
		t.Errorf("graph.svg: %d %.100s", code, body)
	}
	code, body, _ = get(t, srv.URL+"/records/contact/c1", auth...)
	if code != 200 || !strings.Contains(body, "anna@acme.com") || !strings.Contains(body, "warm_up") || !strings.Contains(body, "holds") {
		t.Errorf("record page: %d\n%s", code, body)
	}
	code, body, _ = get(t, srv.URL+"/deliveries", auth...)
	if code != 200 || !strings.Contains(body, "contact/c4") || !strings.Contains(body, ">503<") {
		t.Errorf("deliveries page: %d\n%s", code, body)
	}
	if code, _, _ := get(t, srv.URL+"/records/contact/nobody", auth...); code != 404 {
		t.Errorf("missing record: %d", code)
	}
	if code, _, _ := get(t, srv.URL+"/workflows/nope", auth...); code != 404 {
		t.Errorf("missing workflow: %d", code)
	}
	// The API is where it was.
	if code := call(t, srv, "GET", "/v1/workflows", "", nil); code != 200 {
		t.Errorf("API: %d", code)
	}
	if code, body, _ := get(t, srv.URL+"/v1/nothing", auth...); code != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("unknown API route: %d %s", code, body)
	}
	// Not signed in: the login form.
	if code, _, h := get(t, srv.URL+"/workflows/lead_nurturing"); code != http.StatusSeeOther || h.Get("Location") != "/login?next=%2Fworkflows%2Flead_nurturing" {
		t.Errorf("not signed in: %d %s", code, h.Get("Location"))
	}
}

// TestDashboardDiagnostics: a reload that fails leaves the running
// version, and the workflows page shows the diagnostics with the
// workflows of the file.
func TestDashboardDiagnostics(t *testing.T) {
	dir := copyExamples(t)
	n, srv := newNode(t, dir)
	file := filepath.Join(dir, "lead_nurturing", "lead_nurturing.wf")
	src, _ := os.ReadFile(file)
	writeFile(t, file, strings.Replace(string(src), "set hs_lead_status = \"new\"", "set hs_lead_stauts = \"new\"", 1))
	prog, diags, err := compiler.CompileFiles(dir + "/...")
	if err != nil || prog != nil || !diags.HasErrors() {
		t.Fatalf("the broken file compiled: %v %v", err, diags)
	}
	if err := n.Reload(nil, diags); err == nil {
		t.Fatal("a failed reload reported no error")
	}
	ov := n.DashboardSource().Overview()
	if !ov.ReloadFailed || len(ov.Diagnostics) == 0 || !strings.HasSuffix(ov.Diagnostics[0].File, "lead_nurturing.wf") {
		t.Fatalf("overview: %+v", ov)
	}
	w, _, _ := n.DashboardSource().Workflow("lead_nurturing")
	if len(w.Diagnostics) == 0 {
		t.Errorf("the workflow's diagnostics: %+v", w)
	}
	code, body, _ := get(t, srv.URL+"/", "Authorization", "Bearer secret")
	if code != 200 || !strings.Contains(body, "The last reload failed") || !strings.Contains(body, "hs_lead_stauts") ||
		!strings.Contains(body, "badge-errors") {
		t.Errorf("workflows page: %d\n%s", code, body)
	}
	// The diagnostics are in place: in the row after lead_nurturing's.
	i, j := strings.Index(body, ">lead_nurturing<"), strings.Index(body, "hs_lead_stauts")
	if i < 0 || j < i || strings.Contains(body[i:j], "<tr>") {
		t.Errorf("the diagnostics are not under their workflow")
	}
}
