package dashboard_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

var docsShot = flag.Bool("docs", false, "also write the workflow page's screenshot to docs/dashboard.png")

// chromium finds the browser: /usr/bin/chromium (.ci/chromium.sh installs
// it), or one on the PATH.
func chromium(t *testing.T) string {
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium in CI: .ci/run installs it with .ci/chromium.sh, which must have failed")
	}
	t.Skip("no chromium binary (/usr/bin/chromium or chromium on the PATH): the browser test is skipped; bash .ci/chromium.sh installs it")
	return ""
}

// artifacts is where screenshots go: $WF_ARTIFACTS, or a temporary
// directory of the test.
func artifacts(t *testing.T) string {
	if dir := os.Getenv("WF_ARTIFACTS"); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	return t.TempDir()
}

// changes put three acme leads at lead_nurturing's warm_up delay, convert
// a fourth (who then enrolls in webhook_sync, whose endpoint answers 503),
// and open an urgent ticket and a stale deal.
const changes = `
{"op":"upsert","type":"contact","id":"c1","props":{"email":"anna@acme.com","firstname":"Anna","lifecyclestage":"lead","country":"NL","score":45}}
{"op":"upsert","type":"contact","id":"c2","props":{"email":"bo@acme.com","firstname":"Bo","lifecyclestage":"lead","score":5}}
{"op":"upsert","type":"contact","id":"c3","props":{"email":"carl@acme.com","firstname":"Carl","lifecyclestage":"lead","country":"US","score":38}}
{"op":"upsert","type":"contact","id":"c4","props":{"email":"finn@acme.com","firstname":"Finn","lifecyclestage":"lead","country":"FR"}}
{"op":"upsert","type":"contact","id":"c4","props":{"lifecyclestage":"customer"}}
{"op":"upsert","type":"ticket","id":"t1","props":{"subject":"Checkout is down","status":"new","priority":"urgent","owner":"sam"}}
{"op":"upsert","type":"deal","id":"d1","props":{"dealname":"Globex renewal","dealstage":"contractsent","amount":12000}}
`

// serveExamples runs a node over the examples, as wf serve does, with the
// API and dashboard on 127.0.0.1 and the given token. The working
// directory is the repository's root.
func serveExamples(t *testing.T, token string) (*server.Node, string) {
	t.Helper()
	prog, diags, err := compiler.CompileFiles("examples/...")
	if err != nil || prog == nil {
		t.Fatalf("compile: %v %v", err, diags)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	busy := func(c engine.WebhookCall) engine.WebhookResult {
		return engine.WebhookResult{Status: 503, Retry: c.Now.Add(time.Hour), Err: "service unavailable"}
	}
	n, err := server.New(prog, server.Options{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Webhook: busy})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: n.Handler(token), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() {
		srv.Close()
		n.Close()
		st.Close()
	})
	if _, err := n.Ingest([]byte(changes)); err != nil {
		t.Fatal(err)
	}
	return n, "http://" + ln.Addr().String()
}

// TestBrowser drives the dashboard in headless Chromium: signing in with
// ?token=, the workflows page, a workflow's graph with its counts (and a
// live update of them), a record, the webhook deliveries, keyboard focus
// and the phone layout; it saves screenshots as test artifacts.
func TestBrowser(t *testing.T) {
	bin := chromium(t)
	start := time.Now()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dir := artifacts(t)
	t.Chdir(root) // the page shows the files as wf serve examples/ would
	const token = "browser-test-token"
	n, base := serveExamples(t, token)

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1200, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	// Start the browser on a context without a deadline (the deadline
	// would stop it), then bound everything else.
	if err := chromedp.Do(bctx, chromedp.EmulateViewport(1200, 900)); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 90*time.Second)
	defer cancel()
	shot := func(name string) []byte {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
		return png
	}
	eval := func(js string) string {
		t.Helper()
		out, err := chromedp.Run(ctx, chromedp.Evaluate[string](js))
		if err != nil {
			t.Fatalf("%s: %v", js, err)
		}
		return out
	}
	waitFor := func(what, js string, d time.Duration) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](js, chromedp.WithPollingTimeout(d), chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
			t.Fatalf("waiting for %s: %v\npage: %.2000s", what, err, eval(`document.body ? document.body.innerText : ""`))
		}
	}

	// Sign in by opening /?token=…: the cookie is set and the token leaves the URL.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/?token="+url.QueryEscape(token))); err != nil {
		t.Fatal(err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); loc != base+"/" {
		t.Errorf("after signing in the URL is %q, want %q", loc, base+"/")
	}
	if c := eval(`document.cookie`); c != "" {
		t.Errorf("the session cookie is readable by scripts: %q", c)
	}
	waitFor("the workflows table", `document.querySelectorAll("table.list tbody th a").length >= 4`, 10*time.Second)
	names := eval(`Array.from(document.querySelectorAll("table.list tbody th a")).map(a => a.textContent).join(",")`)
	for _, w := range []string{"deal_hygiene", "lead_nurturing", "ticket_sla", "webhook_sync"} {
		if !strings.Contains(names, w) {
			t.Errorf("the workflows page lists %q, not %s", names, w)
		}
	}
	// The keyboard reaches the skip link first.
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\t")); err != nil {
		t.Fatal(err)
	}
	if got := eval(`document.activeElement.className`); got != "skip" {
		t.Errorf("the first Tab focuses %q, want the skip link", got)
	}
	shot("workflows.png")

	// A workflow: its graph, with the records waiting at warm_up.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/workflows/lead_nurturing")); err != nil {
		t.Fatal(err)
	}
	waitFor("the step graph", `document.querySelector("svg.graph g[data-step='warm_up']") !== null`, 10*time.Second)
	if got := eval(`document.querySelector("svg.graph g[data-step='warm_up'] text.count").textContent`); got != "3 waiting" {
		t.Errorf("warm_up shows %q, want 3 waiting", got)
	}
	if got := eval(`String(document.querySelectorAll("svg.graph g.step[data-step]").length)`); got != "23" {
		t.Errorf("%s step boxes, want 23", got)
	}
	if got := eval(`document.querySelector("[data-live='wf-totals']").innerText.replace(/\s+/g, " ")`); !strings.Contains(got, "4 enrolled") ||
		!strings.Contains(got, "3 in progress") || !strings.Contains(got, "1 converted") {
		t.Errorf("totals: %q", got)
	}
	// The boxes are drawn inside the SVG, with text that fits them.
	if bad := eval(`(() => {
		const out = [];
		for (const g of document.querySelectorAll("svg.graph g.step")) {
			const box = g.querySelector("rect").getBBox();
			for (const tx of g.querySelectorAll("text")) {
				const b = tx.getBBox();
				if (b.x < box.x || b.x + b.width > box.x + box.width + 0.5) out.push(g.dataset.step + ": " + tx.textContent);
			}
		}
		return out.join("; ");
	})()`); bad != "" {
		t.Errorf("text overflows its box: %s", bad)
	}
	png := shot("workflow.png")
	if *docsShot {
		if err := os.WriteFile(filepath.Join(root, "docs", "dashboard.png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Log("wrote docs/dashboard.png")
	}

	// A live update: one more lead, and the count changes without a reload.
	if _, err := n.Ingest([]byte(`{"op":"upsert","type":"contact","id":"c9","props":{"email":"ida@acme.com","lifecyclestage":"lead"}}`)); err != nil {
		t.Fatal(err)
	}
	eval(`window.notReloaded = "yes"`)
	waitFor("the live count", `document.querySelector("svg.graph g[data-step='warm_up'] text.count").textContent === "4 waiting"`, 10*time.Second)
	if eval(`window.notReloaded`) != "yes" {
		t.Error("the page was reloaded")
	}

	// A record: properties, enrollment, why, the action log.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/records/contact/c1")); err != nil {
		t.Fatal(err)
	}
	waitFor("the record page", `document.querySelector("[data-live='rec-log'] table") !== null`, 10*time.Second)
	text := eval(`document.querySelector("main").innerText`)
	for _, s := range []string{"anna@acme.com", "lead_nurturing", "warm_up", "holds", "hs_lead_status"} {
		if !strings.Contains(text, s) {
			t.Errorf("the record page lacks %q", s)
		}
	}
	shot("record.png")

	// The webhook deliveries: the 503 being retried.
	if err := chromedp.Do(ctx, chromedp.Navigate(base+"/deliveries")); err != nil {
		t.Fatal(err)
	}
	waitFor("the retrying delivery", `document.querySelector("#retrying-h + table") !== null`, 10*time.Second)
	if got := eval(`document.querySelector("#retrying-h + table").innerText`); !strings.Contains(got, "contact/c4") || !strings.Contains(got, "503") {
		t.Errorf("retrying: %q", got)
	}
	shot("deliveries.png")

	// A phone: nothing wider than the screen but the graph, which scrolls.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(base+"/workflows/lead_nurturing")); err != nil {
		t.Fatal(err)
	}
	waitFor("the step graph on a phone", `document.querySelector("svg.graph") !== null`, 10*time.Second)
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "390" {
		t.Errorf("on a phone the page is %s px wide, want 390", w)
	}
	shot("workflow-phone.png")

	// Signed out: back to the login form.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1200, 900), chromedp.Navigate(base+"/"),
		chromedp.Click(chromedp.CSS(".signout button"))); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS("input#token"))); err != nil {
		t.Fatal(err)
	}
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasPrefix(loc, base+"/login") {
		t.Errorf("signed out at %s", loc)
	}
	t.Logf("browser test took %v", time.Since(start).Round(time.Millisecond))
}
