package webhook

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// receiver is a local HTTPS endpoint that verifies the signature of scheme
// with secret and answers with status and body.
func receiver(t *testing.T, scheme, secret string, answer func(n int, w http.ResponseWriter)) (*httptest.Server, *[]string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	var srv *httptest.Server
	srv = httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		uri := srv.URL + r.URL.RequestURI()
		ok := scheme == "" || Verify(r.Header, scheme, secret, r.Method, uri, body)
		mu.Lock()
		seen = append(seen, r.Header.Get("Idempotency-Key"))
		n := len(seen)
		mu.Unlock()
		if !ok {
			w.WriteHeader(401)
			return
		}
		answer(n, w)
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

func tlsFor(srv *httptest.Server) *tls.Config {
	return srv.Client().Transport.(*http.Transport).TLSClientConfig
}

func ok200(_ int, w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"tier":"gold","n":3}`)
}

func TestSignatureSchemes(t *testing.T) {
	for _, tc := range []struct{ scheme, secret string }{
		{SchemeHubSpot, "app-secret"},
		{SchemeV3, "app-secret"},
		{SchemeStandard, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			srv, seen := receiver(t, tc.scheme, tc.secret, ok200)
			c := New(Config{AllowPrivate: true, TLS: tlsFor(srv)})
			r := c.Deliver(context.Background(), Request{URL: srv.URL + "/hook?x=1", Body: []byte(`{"a":1}`), Scheme: tc.scheme, Secret: tc.secret, ID: "d-1", Attempt: 1})
			if r.Err != nil || r.Status != 200 {
				t.Fatalf("status %d, err %v (401 means the signature did not verify)", r.Status, r.Err)
			}
			if m, _ := r.Body.(map[string]any); m["tier"] != "gold" {
				t.Errorf("body = %v", r.Body)
			}
			if (*seen)[0] != "d-1" {
				t.Errorf("idempotency key = %q", (*seen)[0])
			}
			// A wrong secret does not verify.
			r = c.Deliver(context.Background(), Request{URL: srv.URL + "/hook", Body: []byte(`{}`), Scheme: tc.scheme, Secret: "whsec_d3Jvbmc=", ID: "d-2"})
			if r.Status != 401 {
				t.Errorf("wrong secret: status %d, want 401", r.Status)
			}
		})
	}
}

func TestStandardWebhooksVector(t *testing.T) {
	// The test vector of the Standard Webhooks specification.
	got, err := SignatureStandard("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", []byte(`{"test": 2432232314}`))
	if err != nil || got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestRetrySchedule(t *testing.T) {
	first := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	now := first
	var waits []string
	for attempt := 1; ; attempt++ {
		at, ok := DefaultPolicy.Next(attempt, first, now, 503, nil, 0)
		if !ok {
			break
		}
		waits = append(waits, at.Sub(now).String())
		now = at
	}
	want := "1m0s 2m0s 4m0s 8m0s 16m0s 32m0s 1h4m0s 2h8m0s 4h16m0s 8h0m0s 8h0m0s 8h0m0s 8h0m0s 8h0m0s 8h0m0s 8h0m0s"
	if got := strings.Join(waits, " "); got != want {
		t.Errorf("waits:\n got %s\nwant %s", got, want)
	}
	if now.Sub(first) > 72*time.Hour {
		t.Errorf("last attempt %s after the first, more than 3 days", now.Sub(first))
	}
	for _, st := range []int{400, 401, 404, 410, 422, 200, 204} {
		if _, ok := DefaultPolicy.Next(1, first, first, st, nil, 0); ok {
			t.Errorf("status %d retried", st)
		}
	}
	for _, st := range []int{408, 429, 500, 502, 0} {
		if _, ok := DefaultPolicy.Next(1, first, first, st, nil, 0); !ok {
			t.Errorf("status %d not retried", st)
		}
	}
	if at, _ := DefaultPolicy.Next(1, first, first, 429, nil, 90*time.Second); at.Sub(first) != 90*time.Second {
		t.Errorf("Retry-After 90s: next at +%s", at.Sub(first))
	}
	if at, _ := DefaultPolicy.Next(1, first, first, 503, nil, 24*time.Hour); at.Sub(first) != 8*time.Hour {
		t.Errorf("Retry-After 24h: next at +%s, want capped at 8h", at.Sub(first))
	}
}

func TestRetryAfterHeader(t *testing.T) {
	now := time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)
	if d := retryAfter("120", now); d != 2*time.Minute {
		t.Errorf("seconds: %s", d)
	}
	if d := retryAfter(now.Add(5*time.Minute).Format(http.TimeFormat), now); d != 5*time.Minute {
		t.Errorf("date: %s", d)
	}
	srv, _ := receiver(t, "", "", func(_ int, w http.ResponseWriter) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(429)
	})
	c := New(Config{AllowPrivate: true, TLS: tlsFor(srv)})
	r := c.Deliver(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`)})
	if r.Status != 429 || r.RetryAfter != 7*time.Second {
		t.Errorf("status %d, Retry-After %s", r.Status, r.RetryAfter)
	}
}

func TestSSRFGuard(t *testing.T) {
	srv, seen := receiver(t, "", "", ok200)
	c := New(Config{TLS: tlsFor(srv)}) // AllowPrivate off
	for _, u := range []string{
		srv.URL, // literal 127.0.0.1
		strings.Replace(srv.URL, "127.0.0.1", "localhost", 1),
		"https://169.254.169.254/latest/meta-data/",
		"https://10.1.2.3/",
		"https://[::1]/",
	} {
		r := c.Deliver(context.Background(), Request{URL: u, Body: []byte(`{}`)})
		if !errors.Is(r.Err, ErrForbidden) {
			t.Errorf("%s: err %v, want ErrForbidden", u, r.Err)
		}
		if !Final(r.Status, r.Err) {
			t.Errorf("%s: a refused target must not be retried", u)
		}
	}
	// The connect-time check, on the address a name resolved to.
	for _, addr := range []string{"127.0.0.1:443", "[::1]:443", "192.168.1.1:443", "169.254.169.254:80", "[::ffff:10.0.0.1]:443", "100.64.0.1:443"} {
		if err := c.control("tcp", addr, nil); !errors.Is(err, ErrForbidden) {
			t.Errorf("dial %s: %v, want ErrForbidden", addr, err)
		}
	}
	if err := c.control("tcp", "93.184.215.14:443", nil); err != nil {
		t.Errorf("dial a public address: %v", err)
	}
	if len(*seen) != 0 {
		t.Errorf("the receiver got %d requests", len(*seen))
	}
	// http:// is refused without AllowHTTP.
	if r := New(Config{AllowPrivate: true}).Deliver(context.Background(), Request{URL: "http://127.0.0.1:1/"}); !errors.Is(r.Err, ErrForbidden) {
		t.Errorf("http: err %v", r.Err)
	}
}

func TestRedirectToForbiddenTarget(t *testing.T) {
	srv, _ := receiver(t, "", "", func(_ int, w http.ResponseWriter) {
		w.Header().Set("Location", "http://127.0.0.1:1/internal")
		w.WriteHeader(307)
	})
	c := New(Config{AllowPrivate: true, TLS: tlsFor(srv)})
	r := c.Deliver(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`)})
	if !errors.Is(r.Err, ErrForbidden) {
		t.Errorf("redirect to http: err %v", r.Err)
	}
}

func TestResponseCap(t *testing.T) {
	srv, _ := receiver(t, "", "", func(_ int, w http.ResponseWriter) {
		io.WriteString(w, `{"x":"`+strings.Repeat("a", 2000)+`"}`)
	})
	c := New(Config{AllowPrivate: true, TLS: tlsFor(srv), MaxResponse: 100})
	r := c.Deliver(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`)})
	if r.Status != 200 || r.Body != nil || r.Err == nil {
		t.Errorf("status %d body %v err %v", r.Status, r.Body, r.Err)
	}
	_ = json.Valid
}

func TestRateLimitPerHost(t *testing.T) {
	srv, _ := receiver(t, "", "", ok200)
	c := New(Config{AllowPrivate: true, TLS: tlsFor(srv)})
	start := time.Now()
	for range 6 {
		c.Deliver(context.Background(), Request{URL: srv.URL, Body: []byte(`{}`), Rate: 5}) // burst 5, then 5/s
	}
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("6 requests at 5/s took %s", d)
	}
}

// A step that cannot be signed (no secret, a secret the scheme cannot use,
// an unknown scheme) fails at once: retrying for three days cannot help.
func TestUnsignableIsFinal(t *testing.T) {
	srv, seen := receiver(t, "", "", ok200)
	c := New(Config{TLS: tlsFor(srv), AllowPrivate: true})
	for _, r := range []Request{
		{URL: srv.URL, Scheme: SchemeHubSpot, Secret: ""},
		{URL: srv.URL, Scheme: SchemeStandard, Secret: "whsec_not base64!"},
		{URL: srv.URL, Scheme: "rot13", Secret: "k"},
	} {
		out := c.Deliver(context.Background(), r)
		if !errors.Is(out.Err, ErrConfig) {
			t.Errorf("%s/%q: err %v, want ErrConfig", r.Scheme, r.Secret, out.Err)
		}
		if !Final(out.Status, out.Err) {
			t.Errorf("%s/%q: an unsignable step must not be retried", r.Scheme, r.Secret)
		}
	}
	if len(*seen) != 0 {
		t.Errorf("the receiver got %d requests", len(*seen))
	}
}
