package dashboard

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fakeSource serves one workflow of the examples and nothing else.
type fakeSource struct{ t *testing.T }

func (f fakeSource) Now() time.Time { return time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC) }
func (f fakeSource) Types() []string {
	return []string{"contact", "deal"}
}
func (f fakeSource) Overview() Overview {
	return Overview{Loaded: f.Now(), Workflows: []WorkflowInfo{{Name: "lead_nurturing", Object: "contact", Status: "enabled", Version: "abc"}}}
}
func (f fakeSource) Workflow(name string) (WorkflowView, bool, error) {
	prog := exampleProgram(f.t)
	for _, w := range prog.Workflows {
		if w.Name == name {
			return WorkflowView{Program: prog, Workflow: w, Info: WorkflowInfo{Name: name}, AtStep: map[string]int{"warm_up": 2}}, true, nil
		}
	}
	return WorkflowView{}, false, nil
}
func (f fakeSource) Record(typ, id string) (RecordView, bool, error) {
	return RecordView{Type: typ, ID: id}, id == "c1", nil
}
func (f fakeSource) Deliveries() (DeliveriesView, error) { return DeliveriesView{}, nil }

const token = "s3cret-token"

func newTestServer(t *testing.T, token string) *httptest.Server {
	h := New(fakeSource{t}, Options{Token: token, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// do makes a request without following redirects.
func do(t *testing.T, method, u string, body string, cookies []*http.Cookie, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, u, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	for _, c := range cookies {
		req.AddCookie(c)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

func session(t *testing.T, res *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range res.Cookies() {
		if c.Name == CookieName {
			return c
		}
	}
	return nil
}

// TestTokenInURL: opening a page with ?token=… signs in with a session
// cookie that is not the token and redirects to the URL without it.
func TestTokenInURL(t *testing.T) {
	srv := newTestServer(t, token)

	res := do(t, "GET", srv.URL+"/workflows/lead_nurturing?step=warm_up&token="+token, "", nil)
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("with the token: %d", res.StatusCode)
	}
	if loc := res.Header.Get("Location"); loc != "/workflows/lead_nurturing?step=warm_up" {
		t.Errorf("redirect to %q, want the URL without the token", loc)
	}
	c := session(t, res)
	if c == nil {
		t.Fatal("no session cookie")
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" {
		t.Errorf("cookie: %+v", c)
	}
	if c.Value == token || strings.Contains(c.Value, token) || c.Value == url.QueryEscape(token) {
		t.Errorf("the cookie holds the token: %q", c.Value)
	}
	raw := res.Header.Get("Set-Cookie")
	if !strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Strict") {
		t.Errorf("Set-Cookie: %s", raw)
	}

	// Signed in: pages and their live updates.
	for _, path := range []string{"/", "/workflows/lead_nurturing", "/workflows/lead_nurturing?live=1", "/deliveries", "/records/contact/c1"} {
		if res := do(t, "GET", srv.URL+path, "", []*http.Cookie{c}); res.StatusCode != 200 {
			t.Errorf("%s with the cookie: %d", path, res.StatusCode)
		}
	}

	// The token at / redirects to the clean /.
	res = do(t, "GET", srv.URL+"/?token="+token, "", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("/?token=: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func TestWrongToken(t *testing.T) {
	srv := newTestServer(t, token)
	for _, bad := range []string{"", "wrong", token + "x", token[:len(token)-1]} {
		res := do(t, "GET", srv.URL+"/?token="+url.QueryEscape(bad), "", nil)
		if res.StatusCode != http.StatusUnauthorized || session(t, res) != nil {
			t.Errorf("token %q: %d, cookie %v", bad, res.StatusCode, session(t, res))
		}
		res = do(t, "POST", srv.URL+"/login", "token="+url.QueryEscape(bad), nil)
		if res.StatusCode != http.StatusUnauthorized || session(t, res) != nil {
			t.Errorf("login with %q: %d", bad, res.StatusCode)
		}
	}
	// A forged or stale cookie, and the token itself as the cookie.
	for _, v := range []string{"forged", token} {
		res := do(t, "GET", srv.URL+"/", "", []*http.Cookie{{Name: CookieName, Value: v}})
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("cookie %q: %d %s", v, res.StatusCode, res.Header.Get("Location"))
		}
	}
	// A cookie from another process (another key) is stale.
	other := newTestServer(t, token)
	c := session(t, do(t, "GET", other.URL+"/?token="+token, "", nil))
	if res := do(t, "GET", srv.URL+"/", "", []*http.Cookie{c}); res.StatusCode == 200 {
		t.Error("a cookie of another process was taken")
	}
	// Not signed in: pages go to the login form, live updates get 401.
	res := do(t, "GET", srv.URL+"/deliveries", "", nil)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login?next=%2Fdeliveries" {
		t.Errorf("not signed in: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := do(t, "GET", srv.URL+"/deliveries?live=1", "", nil); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("live, not signed in: %d", res.StatusCode)
	}
	if res := do(t, "GET", srv.URL+"/login", "", nil); res.StatusCode != 200 {
		t.Errorf("login form: %d", res.StatusCode)
	}
	// The stylesheet and script need no sign-in (the login form uses them).
	if res := do(t, "GET", srv.URL+"/assets/dashboard.css", "", nil); res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/css") {
		t.Errorf("stylesheet: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestLoginForm(t *testing.T) {
	srv := newTestServer(t, token)
	res := do(t, "POST", srv.URL+"/login", "token="+url.QueryEscape(token)+"&next="+url.QueryEscape("/deliveries"), nil)
	c := session(t, res)
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/deliveries" || c == nil {
		t.Fatalf("login: %d %s %v", res.StatusCode, res.Header.Get("Location"), c)
	}
	if res := do(t, "GET", srv.URL+"/deliveries", "", []*http.Cookie{c}); res.StatusCode != 200 {
		t.Errorf("after login: %d", res.StatusCode)
	}
	// next never leaves the server.
	for _, next := range []string{"//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"} {
		res := do(t, "POST", srv.URL+"/login", "token="+url.QueryEscape(token)+"&next="+url.QueryEscape(next), nil)
		if loc := res.Header.Get("Location"); loc != "/" {
			t.Errorf("next=%q: redirect to %q", next, loc)
		}
	}
	// Signing out clears the cookie.
	res = do(t, "POST", srv.URL+"/logout", "", []*http.Cookie{c})
	if out := session(t, res); out == nil || out.MaxAge >= 0 || out.Value != "" {
		t.Errorf("logout: %+v", out)
	}
	// The bearer header works as for the API.
	if res := do(t, "GET", srv.URL+"/", "", nil, "Authorization", "Bearer "+token); res.StatusCode != 200 {
		t.Errorf("bearer: %d", res.StatusCode)
	}
	if res := do(t, "GET", srv.URL+"/", "", nil, "Authorization", "Bearer nope"); res.StatusCode == 200 {
		t.Error("a wrong bearer token was taken")
	}
}

// TestNoToken: without a token (loopback only) there is no sign-in.
func TestNoToken(t *testing.T) {
	srv := newTestServer(t, "")
	res := do(t, "GET", srv.URL+"/", "", nil)
	if res.StatusCode != 200 {
		t.Errorf("GET /: %d", res.StatusCode)
	}
	if res := do(t, "GET", srv.URL+"/login", "", nil); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/" {
		t.Errorf("login: %d %s", res.StatusCode, res.Header.Get("Location"))
	}
	if res := do(t, "GET", srv.URL+"/?token=anything", "", nil); res.StatusCode != 200 || session(t, res) != nil {
		t.Errorf("a token when none is configured: %d", res.StatusCode)
	}
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'self'") {
		t.Errorf("CSP: %q", csp)
	}
	if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: %v", res.Header)
	}
}

// TestEscaping: names and values from the store are escaped.
func TestEscaping(t *testing.T) {
	srv := newTestServer(t, "")
	req, _ := http.NewRequest("GET", srv.URL+"/records/contact/"+url.PathEscape(`<script>alert(1)</script>`), nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || strings.Contains(string(body), "<script>alert") || !strings.Contains(string(body), "&lt;script&gt;") {
		t.Errorf("%d %s", res.StatusCode, body)
	}
}

// localPath keeps a redirect on this server, whatever a browser would
// make of the text (a review found /\t/evil.example read as //evil.example).
func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/workflows/w1":          "/workflows/w1",
		"/records/contact/a%20b": "/records/contact/a%20b",
		"/deliveries?live=1":     "/deliveries?live=1",
		"//evil.example":         "/",
		"/\\evil.example":        "/",
		"/\t/evil.example":       "/",
		"/\n/evil.example":       "/",
		"/%09/evil.example":      "/%09/evil.example", // escaped: a path segment, not a tab
		"https://evil.example/":  "/",
		"evil.example":           "/",
		"":                       "/",
		"/a/../..//evil.example": "/a/../..//evil.example",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// An unknown API path is answered with valid JSON, whatever bytes the
// path holds (a review found GET /v1/%ff answered with Go-quoted text).
func TestUnknownAPIPathJSON(t *testing.T) {
	h := New(nil, Options{})
	for _, path := range []string{"/v1/nope", "/v1/%ff", "/v1/%22%5C"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		var body map[string]string
		if rec.Code != 404 || json.Unmarshal(rec.Body.Bytes(), &body) != nil || !strings.HasPrefix(body["error"], "no route GET /v1/") {
			t.Errorf("%s: %d %q", path, rec.Code, rec.Body.String())
		}
	}
}
