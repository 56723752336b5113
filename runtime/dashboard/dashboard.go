// Package dashboard is the read-only web dashboard `wf serve` serves at /:
// the workflows with their status, version and the diagnostics of a
// failed reload; one workflow's step graph, drawn on the server as SVG
// from the compiled step table, with the records waiting at each step and
// the enrollment totals; one record with its properties, enrollments,
// action log and why it was or was not enrolled; the outgoing webhook
// deliveries in flight, retrying and finished; on a node of a cluster,
// the nodes with their partitions and the inbox backlog.
//
// Pages are html/template templates and the stylesheet and script are
// files, all embedded in the binary; there is no build step and nothing
// is loaded from elsewhere (the Content-Security-Policy allows this origin
// only). Each page marks the parts that change with data-live; the script
// polls the page's URL with ?live=1 every 2 seconds, which answers those
// parts rendered again by the same templates, as JSON, and swaps in the
// ones that changed (never one holding the keyboard focus).
//
// The data comes from a Source: runtime/server implements it over a
// node's store and engine, runtime/cluster over the cluster's database.
// Signing in is in auth.go.
package dashboard

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
)

//go:embed templates assets
var files embed.FS

// Options configure the dashboard.
type Options struct {
	// Token is the API token; "" means no sign-in (serve listens on
	// loopback only then).
	Token  string
	Logger *slog.Logger
}

// Handler serves the dashboard.
type Handler struct {
	src   Source
	auth  *auth
	log   *slog.Logger
	mux   *http.ServeMux
	pages map[string]*template.Template

	mu      sync.Mutex
	layouts map[string]*Diagram // by workflow name and version hash
}

var (
	funcs = template.FuncMap{
		"ts":    stamp,
		"rel":   relative,
		"short": shortHash,
		"seg":   url.PathEscape,
		"recordPath": func(key string) string {
			typ, id, _ := strings.Cut(key, "/")
			return "/records/" + url.PathEscape(typ) + "/" + url.PathEscape(id)
		},
		"statusClass": func(code int) string {
			switch {
			case code >= 200 && code < 300:
				return "ok"
			case code >= 500 || code == 408 || code == 429:
				return "retry"
			}
			return "bad"
		},
		"plural": func(n int, one, many string) string {
			if n == 1 {
				return one
			}
			return many
		},
		"int64": func(n int64) int { return int(n) },
		"parts": partRanges,
	}
	graphTemplate = template.Must(template.New("graph").Funcs(funcs).ParseFS(files, "templates/graph.tmpl"))
)

// New returns the dashboard's handler. It serves the paths of the
// dashboard (/, /workflows/…, /records/…, /deliveries, /login, /logout,
// /assets/…, and /cluster when src is a ClusterSource) and answers 404 to
// any other.
func New(src Source, opts Options) *Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	h := &Handler{src: src, auth: newAuth(opts.Token), log: opts.Logger, mux: http.NewServeMux(),
		pages: map[string]*template.Template{}, layouts: map[string]*Diagram{}}
	for _, p := range []string{"login", "workflows", "workflow", "record", "deliveries", "cluster", "error"} {
		h.pages[p] = template.Must(template.New(p).Funcs(funcs).ParseFS(files,
			"templates/base.html", "templates/shared.tmpl", "templates/graph.tmpl", "templates/"+p+".html"))
	}
	assets, _ := fs.Sub(files, "assets")
	static := http.FileServerFS(assets)
	h.mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=300")
		static.ServeHTTP(w, r)
	})))
	h.mux.HandleFunc("GET /login", h.loginPage)
	h.mux.HandleFunc("POST /login", h.login)
	h.mux.HandleFunc("POST /logout", func(w http.ResponseWriter, r *http.Request) {
		signOut(w, r)
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	})
	h.mux.HandleFunc("GET /{$}", h.signedIn(h.workflows))
	h.mux.HandleFunc("GET /workflows/{name}", h.signedIn(h.workflow))
	h.mux.HandleFunc("GET /workflows/{name}/graph.svg", h.signedIn(h.graphSVG))
	h.mux.HandleFunc("GET /records", h.signedIn(h.lookup))
	h.mux.HandleFunc("GET /records/{type}/{id}", h.signedIn(h.record))
	h.mux.HandleFunc("GET /deliveries", h.signedIn(h.deliveries))
	if cs, ok := src.(ClusterSource); ok {
		h.mux.HandleFunc("GET /cluster", h.signedIn(func(w http.ResponseWriter, r *http.Request) { h.cluster(w, r, cs) }))
	}
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/v1/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			enc := json.NewEncoder(w) // valid JSON whatever the path holds
			enc.SetIndent("", "  ")
			enc.Encode(map[string]string{"error": "no route " + r.Method + " " + r.URL.Path})
			return
		}
		h.signedIn(func(w http.ResponseWriter, r *http.Request) {
			h.fail(w, r, http.StatusNotFound, "There is no page at "+r.URL.Path+".")
		})(w, r)
	})
	return h
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Frame-Options", "DENY")
	h.mux.ServeHTTP(w, r)
}

// signedIn guards a page: ?token=… signs in and redirects to the URL
// without it; a request that is not signed in goes to the login form (a
// live update gets 401).
func (h *Handler) signedIn(page http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if tok := r.URL.Query().Get("token"); r.URL.Query().Has("token") && h.auth.enabled() {
			if !h.auth.tokenOK(tok) {
				h.log.Warn("dashboard: wrong token", "remote", r.RemoteAddr)
				h.render(w, r, http.StatusUnauthorized, "login", page0{Title: "Sign in", Nav: "login"},
					loginData{Next: withoutToken(r.URL), Error: "That token is not the one this server was started with."})
				return
			}
			h.auth.signIn(w, r)
			http.Redirect(w, r, withoutToken(r.URL), http.StatusSeeOther)
			return
		}
		if !h.auth.ok(r) {
			if r.URL.Query().Get("live") != "" {
				writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "sign in again"})
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(withoutToken(r.URL)), http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		page(w, r)
	}
}

type loginData struct {
	Next  string
	Error string
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if !h.auth.enabled() || h.auth.ok(r) {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	h.render(w, r, http.StatusOK, "login", page0{Title: "Sign in", Nav: "login"}, loginData{Next: next})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 8<<10)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	next := localPath(r.PostForm.Get("next"))
	if !h.auth.enabled() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	if !h.auth.tokenOK(r.PostForm.Get("token")) {
		h.log.Warn("dashboard: wrong token", "remote", r.RemoteAddr)
		h.render(w, r, http.StatusUnauthorized, "login", page0{Title: "Sign in", Nav: "login"},
			loginData{Next: next, Error: "That token is not the one this server was started with."})
		return
	}
	h.auth.signIn(w, r)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// page0 is what every page shows around its content.
type page0 struct {
	Title    string
	Nav      string
	Regions  []string // the templates of the parts that change, in live updates
	SignedIn bool     // a sign-out button makes sense
	Cluster  bool     // the source is a node of a cluster: link its page
	Types    []string
	Now      time.Time
	Data     any
}

// render writes page name, or with ?live=1 its live regions as JSON.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, code int, name string, p page0, data any) {
	t := h.pages[name]
	p.Data = data
	p.Now = h.src.Now()
	if name != "login" {
		p.SignedIn = h.auth.enabled()
		p.Types = h.src.Types()
		_, p.Cluster = h.src.(ClusterSource)
	}
	if r.URL.Query().Get("live") != "" {
		out := struct {
			Updated string            `json:"updated"`
			Regions map[string]string `json:"regions"`
		}{Updated: clock(p.Now), Regions: map[string]string{}}
		for _, reg := range p.Regions {
			var b bytes.Buffer
			if err := t.ExecuteTemplate(&b, reg, p); err != nil {
				h.log.Error("dashboard: template", "page", name, "region", reg, "err", err)
				writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "template: " + err.Error()})
				return
			}
			out.Regions[reg] = b.String()
		}
		writeJSON(w, code, out)
		return
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "base", p); err != nil {
		h.log.Error("dashboard: template", "page", name, "err", err)
		http.Error(w, "template error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	w.Write(b.Bytes())
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, code int, msg string) {
	if r.URL.Query().Get("live") != "" {
		writeJSON(w, code, map[string]string{"error": msg})
		return
	}
	h.render(w, r, code, "error", page0{Title: http.StatusText(code)}, struct {
		Code    int
		Status  string
		Message string
	}{code, http.StatusText(code), msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// workflowRow is a workflow in the list, with its file's diagnostics.
type workflowRow struct {
	WorkflowInfo
	Errors      bool
	Diagnostics []Diagnostic
}

type overviewData struct {
	Overview
	Rows    []workflowRow
	Orphans []Diagnostic // diagnostics of files with no running workflow
}

func (h *Handler) workflows(w http.ResponseWriter, r *http.Request) {
	ov := h.src.Overview()
	d := overviewData{Overview: ov}
	files := map[string]bool{}
	for _, wf := range ov.Workflows {
		row := workflowRow{WorkflowInfo: wf}
		for _, dg := range ov.Diagnostics {
			if sameFile(dg.File, wf.File) {
				row.Diagnostics = append(row.Diagnostics, dg)
				row.Errors = row.Errors || dg.Severity == "error"
			}
		}
		files[wf.File] = true
		d.Rows = append(d.Rows, row)
	}
	for _, dg := range ov.Diagnostics {
		found := false
		for f := range files {
			found = found || sameFile(dg.File, f)
		}
		if !found {
			d.Orphans = append(d.Orphans, dg)
		}
	}
	h.render(w, r, http.StatusOK, "workflows", page0{Title: "Workflows", Nav: "workflows", Regions: []string{"overview"}}, d)
}

// sameFile compares a diagnostic's file with a workflow's: the same path,
// or one a suffix of the other at a path separator.
func sameFile(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	return a == b || strings.HasSuffix(a, "/"+b) || strings.HasSuffix(b, "/"+a)
}

// stepRow is a step in the workflow page's table of steps.
type stepRow struct {
	Index   int
	ID      string
	Kind    string
	What    string
	Count   int
	Counted bool
}

type workflowData struct {
	WorkflowView
	Graph    svgGraph
	Steps    []stepRow
	Step     string // the step the records list is filtered by
	Listed   []Enrollment
	Clauses  []clause
	Timezone string
}

type clause struct{ Kind, Text string }

func (h *Handler) workflow(w http.ResponseWriter, r *http.Request) {
	v, ok, err := h.src.Workflow(r.PathValue("name"))
	switch {
	case err != nil:
		h.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	case !ok:
		h.fail(w, r, http.StatusNotFound, "The running version has no workflow "+r.PathValue("name")+".")
		return
	}
	d := h.layout(v.Program, v.Workflow)
	data := workflowData{WorkflowView: v, Graph: graphView(d, v.AtStep), Step: r.URL.Query().Get("step"), Timezone: v.Workflow.Timezone}
	for _, b := range d.Boxes {
		if b.Index >= 0 {
			data.Steps = append(data.Steps, stepRow{Index: b.Index, ID: b.Step, Kind: v.Workflow.Steps[b.Index].Kind.String(),
				What: b.What, Count: v.AtStep[b.Step], Counted: b.Counted})
		}
	}
	sort.Slice(data.Steps, func(i, j int) bool { return data.Steps[i].Index < data.Steps[j].Index })
	for _, e := range v.Enrollments {
		if data.Step == "" || e.Step == data.Step {
			data.Listed = append(data.Listed, e)
		}
	}
	for _, t := range v.Workflow.Triggers {
		data.Clauses = append(data.Clauses, clause{"Enrolls", t.Text})
	}
	if v.Workflow.EnrollExisting {
		data.Clauses = append(data.Clauses, clause{"Enrolls", "enroll existing"})
	}
	for i, x := range []int{v.Workflow.Goal, v.Workflow.Unenroll, v.Workflow.Suppress} {
		if x != bytecode.NoExpr && x >= 0 && x < len(v.Program.Exprs) {
			data.Clauses = append(data.Clauses, clause{[]string{"Goal", "Unenrolls", "Suppresses"}[i], v.Program.Exprs[x].Text})
		}
	}
	h.render(w, r, http.StatusOK, "workflow", page0{Title: v.Info.Name, Nav: "workflows",
		Regions: []string{"wf-head", "wf-totals", "wf-graph", "wf-steps", "wf-records"}}, data)
}

// layout returns the diagram of a workflow version, laid out once.
func (h *Handler) layout(p *bytecode.Program, w *bytecode.Workflow) *Diagram {
	key := w.Name + "@" + w.Hash
	h.mu.Lock()
	defer h.mu.Unlock()
	if d, ok := h.layouts[key]; ok {
		return d
	}
	if len(h.layouts) > 1024 {
		clear(h.layouts)
	}
	d := Layout(p, w)
	h.layouts[key] = d
	return d
}

func (h *Handler) graphSVG(w http.ResponseWriter, r *http.Request) {
	v, ok, err := h.src.Workflow(r.PathValue("name"))
	switch {
	case err != nil:
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	case !ok:
		http.Error(w, "no workflow "+r.PathValue("name"), http.StatusNotFound)
		return
	}
	var b bytes.Buffer
	if err := WriteSVG(&b, h.layout(v.Program, v.Workflow), v.AtStep); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "image/svg+xml")
	w.Write(b.Bytes())
}

// lookup answers the record form: GET /records?type=contact&id=c1.
func (h *Handler) lookup(w http.ResponseWriter, r *http.Request) {
	typ, id := strings.TrimSpace(r.URL.Query().Get("type")), strings.TrimSpace(r.URL.Query().Get("id"))
	if typ == "" || id == "" {
		h.fail(w, r, http.StatusBadRequest, "Give a record type and id.")
		return
	}
	http.Redirect(w, r, "/records/"+url.PathEscape(typ)+"/"+url.PathEscape(id), http.StatusSeeOther)
}

func (h *Handler) record(w http.ResponseWriter, r *http.Request) {
	v, ok, err := h.src.Record(r.PathValue("type"), r.PathValue("id"))
	switch {
	case err != nil:
		h.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	case !ok:
		h.fail(w, r, http.StatusNotFound, "There is no "+r.PathValue("type")+" "+r.PathValue("id")+" in the store.")
		return
	}
	// The newest log entries first.
	sort.SliceStable(v.Log, func(i, j int) bool { return v.Log[i].Seq > v.Log[j].Seq })
	h.render(w, r, http.StatusOK, "record", page0{Title: v.Type + "/" + v.ID, Regions: []string{"rec-props", "rec-enrollments", "rec-why", "rec-log"}}, v)
}

func (h *Handler) deliveries(w http.ResponseWriter, r *http.Request) {
	v, err := h.src.Deliveries()
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	h.render(w, r, http.StatusOK, "deliveries", page0{Title: "Webhook deliveries", Nav: "deliveries", Regions: []string{"deliveries"}}, v)
}

func (h *Handler) cluster(w http.ResponseWriter, r *http.Request, cs ClusterSource) {
	v, err := cs.Cluster()
	if err != nil {
		h.fail(w, r, http.StatusInternalServerError, err.Error())
		return
	}
	h.render(w, r, http.StatusOK, "cluster", page0{Title: "Cluster", Nav: "cluster", Regions: []string{"cluster"}}, v)
}

// partRanges writes sorted partition numbers as ranges: "0–5, 9, 12–14".
func partRanges(ps []int) string {
	var b strings.Builder
	for i := 0; i < len(ps); {
		j := i
		for j+1 < len(ps) && ps[j+1] == ps[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(ps[i]))
		if j > i {
			b.WriteString("–" + strconv.Itoa(ps[j]))
		}
		i = j + 1
	}
	return b.String()
}

// stamp formats a time for a page: UTC, to the second.
func stamp(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

func clock(t time.Time) string { return t.UTC().Format("15:04:05") + " UTC" }

// relative says how far t is from now: "in 1d 4h", "3m ago".
func relative(now, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	d := t.Sub(now)
	if d >= -time.Second && d <= time.Second {
		return "now"
	}
	s := span(d.Abs())
	if d > 0 {
		return "in " + s
	}
	return s + " ago"
}

func span(d time.Duration) string {
	switch {
	case d >= 24*time.Hour:
		days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
		if hours == 0 {
			return strconv.Itoa(days) + "d"
		}
		return strconv.Itoa(days) + "d " + strconv.Itoa(hours) + "h"
	case d >= time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return strconv.Itoa(h) + "h"
		}
		return strconv.Itoa(h) + "h " + strconv.Itoa(m) + "m"
	case d >= time.Minute:
		return strconv.Itoa(int(d/time.Minute)) + "m"
	}
	return strconv.Itoa(int(d/time.Second)) + "s"
}

func shortHash(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}
