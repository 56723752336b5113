// Package webhook delivers the outgoing webhooks of `webhook post` steps
// (SPEC section 4): a signed JSON POST per attempt, a retry policy, a
// per-request timeout, a per-host rate limit and a guard against requests
// to internal addresses.
//
// # Delivery
//
// Client.Deliver makes one attempt: it signs the body (Sign), waits for a
// token of the target host's bucket, POSTs with the request's timeout, reads
// at most Config.MaxResponse bytes of the answer and decodes it as JSON when
// it is JSON. Client.Hook adapts it to engine.Options.Webhook: the engine
// calls the hook once per attempt, and when the answer says to try again
// (Policy.Next) it suspends the enrollment on its own clock and calls again
// at the time the policy chose, with the same idempotency id.
//
// # Safety
//
// Only https:// URLs are delivered unless Config.AllowHTTP. Unless
// Config.AllowPrivate, the dialer refuses, at connect time and on the
// address the name resolved to (net.Dialer.Control), loopback, private,
// link-local (which includes the 169.254.169.254 metadata address),
// unspecified, multicast and carrier-grade NAT addresses; so a name that
// resolves to 127.0.0.1, or changes its answer between a check and the
// connect, is refused. Redirects are followed (at most 3) only to URLs that
// pass the same scheme check, and their connections go through the same
// dialer. A refused target is a permanent failure, never retried.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Defaults for Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultRate        = 20.0    // requests per second per target host
	DefaultMaxResponse = 1 << 20 // bytes of response body read
)

// Signature schemes (the `sign … scheme` of a webhook step).
const (
	SchemeHubSpot  = "hubspot"  // X-HubSpot-Signature: hex SHA-256(secret + method + URI + body)
	SchemeV3       = "v3"       // X-HubSpot-Signature-v3: base64 HMAC-SHA256(method + URI + body + timestamp)
	SchemeStandard = "standard" // Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature
)

// ErrForbidden is wrapped by the error of a delivery refused by the safety
// rules (scheme, private target, redirect). Such a failure is permanent.
var ErrForbidden = errors.New("forbidden webhook target")

// ErrConfig is wrapped by the errors of a step that cannot be delivered as
// written: a signature scheme with no secret (is the secret set?), a secret
// the scheme cannot use, an unknown scheme. Retrying cannot help, so such a
// delivery fails at once.
var ErrConfig = errors.New("webhook step cannot be signed")

// Config configures a Client. The zero value is safe: HTTPS only, public
// targets only, the default timeout, rate and response cap.
type Config struct {
	AllowHTTP    bool          // deliver http:// URLs too (local development, tests)
	AllowPrivate bool          // allow loopback, private and link-local targets
	Timeout      time.Duration // per request, when the step sets none; 0: DefaultTimeout
	Rate         float64       // requests/s per host, when the step sets none; 0: DefaultRate
	MaxResponse  int64         // response bytes read; 0: DefaultMaxResponse
	Policy       Policy        // the retry policy; zero: DefaultPolicy
	// TLS, if set, is the client TLS configuration (RootCAs for a test
	// receiver's certificate).
	TLS *tls.Config
	// Now tells the time for signature timestamps; nil: time.Now. (The
	// receiver compares them with its own clock, so this is the real time
	// even when the engine runs on a virtual clock.)
	Now func() time.Time
}

// Request is one delivery attempt.
type Request struct {
	URL     string
	Body    []byte
	Scheme  string // "" (unsigned), SchemeHubSpot, SchemeV3 or SchemeStandard
	Secret  string
	ID      string // the idempotency id: the same for every attempt of a delivery
	Attempt int    // 1 for the first attempt
	Timeout time.Duration
	Rate    float64 // the step's rate for this host; 0: the Config's
}

// Response is what one attempt got.
type Response struct {
	Status     int // 0 when no HTTP answer came
	Header     http.Header
	Body       any           // the decoded JSON answer, or nil
	RetryAfter time.Duration // from a Retry-After header, or 0
	Err        error         // transport error, refusal, or an oversized answer
}

// Client delivers webhooks. It is safe for concurrent use.
type Client struct {
	cfg    Config
	http   *http.Client
	mu     sync.Mutex
	limits map[string]*bucket // host + rate → token bucket
}

// New returns a Client for cfg.
func New(cfg Config) *Client {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Rate <= 0 {
		cfg.Rate = DefaultRate
	}
	if cfg.MaxResponse <= 0 {
		cfg.MaxResponse = DefaultMaxResponse
	}
	if cfg.Policy == (Policy{}) {
		cfg.Policy = DefaultPolicy
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Client{cfg: cfg, limits: map[string]*bucket{}}
	d := &net.Dialer{Timeout: 10 * time.Second, Control: c.control}
	tr := &http.Transport{
		DialContext:         d.DialContext,
		TLSClientConfig:     cfg.TLS,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
		ForceAttemptHTTP2:   true,
	}
	c.http = &http.Client{Transport: tr, CheckRedirect: func(r *http.Request, via []*http.Request) error {
		if len(via) >= 3 {
			return fmt.Errorf("%w: more than 3 redirects", ErrForbidden)
		}
		return c.checkURL(r.URL)
	}}
	return c
}

// Policy returns the client's retry policy.
func (c *Client) Policy() Policy { return c.cfg.Policy }

// control refuses, at connect time, addresses the config does not allow.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	if c.cfg.AllowPrivate {
		return nil
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrForbidden, err)
	}
	if Forbidden(ap.Addr()) {
		return fmt.Errorf("%w: %s is a loopback, private, link-local or metadata address", ErrForbidden, ap.Addr())
	}
	return nil
}

var cgnat = netip.MustParsePrefix("100.64.0.0/10")

// Forbidden reports whether a is an address webhooks must not reach
// without AllowPrivate.
func Forbidden(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsUnspecified() || a.IsMulticast() || a.IsInterfaceLocalMulticast() || cgnat.Contains(a) ||
		a == netip.MustParseAddr("fd00:ec2::254")
}

// checkURL applies the scheme rule, and refuses literal forbidden
// addresses early (the dialer checks every address anyway).
func (c *Client) checkURL(u *url.URL) error {
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http" && c.cfg.AllowHTTP:
	default:
		return fmt.Errorf("%w: %s: only https:// is allowed", ErrForbidden, u.Redacted())
	}
	if a, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil && !c.cfg.AllowPrivate && Forbidden(a) {
		return fmt.Errorf("%w: %s is a loopback, private, link-local or metadata address", ErrForbidden, a)
	}
	if strings.EqualFold(u.Hostname(), "localhost") && !c.cfg.AllowPrivate {
		return fmt.Errorf("%w: localhost", ErrForbidden)
	}
	return nil
}

// Deliver makes one attempt of r.
func (c *Client) Deliver(ctx context.Context, r Request) Response {
	u, err := url.Parse(r.URL)
	if err != nil {
		return Response{Err: fmt.Errorf("%w: bad URL: %v", ErrForbidden, err)}
	}
	if err := c.checkURL(u); err != nil {
		return Response{Err: err}
	}
	rate := r.Rate
	if rate <= 0 {
		rate = c.cfg.Rate
	}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = c.cfg.Timeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := c.bucket(u.Host, rate).wait(ctx); err != nil {
		return Response{Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(r.Body))
	if err != nil {
		return Response{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "wf-webhooks/1")
	if r.ID != "" {
		req.Header.Set("Idempotency-Key", r.ID)
	}
	if r.Attempt > 0 {
		req.Header.Set("X-Wf-Attempt", strconv.Itoa(r.Attempt))
	}
	if r.Scheme != "" && r.Secret == "" {
		return Response{Err: fmt.Errorf("%w: the %s signature needs a secret, and it is empty (is the secret set?)", ErrConfig, r.Scheme)}
	}
	if err := Sign(req.Header, r.Scheme, r.Secret, http.MethodPost, u.String(), r.Body, r.ID, c.cfg.Now()); err != nil {
		return Response{Err: fmt.Errorf("%w: %v", ErrConfig, err)}
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return Response{Err: err}
	}
	defer resp.Body.Close()
	out := Response{Status: resp.StatusCode, Header: resp.Header, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.cfg.Now())}
	data, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponse+1))
	if err != nil {
		out.Err = err
		return out
	}
	if int64(len(data)) > c.cfg.MaxResponse {
		out.Err = fmt.Errorf("response larger than %d bytes: body dropped", c.cfg.MaxResponse)
		return out
	}
	var v any
	if len(bytes.TrimSpace(data)) > 0 && json.Unmarshal(data, &v) == nil {
		out.Body = v
	}
	return out
}

// retryAfter parses a Retry-After value: seconds or an HTTP date.
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.Atoi(h); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Sign sets the signature headers of scheme on h. uri is the full request
// URL; id is the delivery's idempotency id (the Standard Webhooks
// webhook-id). An empty scheme signs nothing.
func Sign(h http.Header, scheme, secret, method, uri string, body []byte, id string, now time.Time) error {
	switch scheme {
	case "":
		return nil
	case SchemeHubSpot:
		h.Set("X-HubSpot-Signature-Version", "v1")
		h.Set("X-HubSpot-Signature", SignatureHubSpot(secret, method, uri, body))
	case SchemeV3:
		ts := strconv.FormatInt(now.UnixMilli(), 10)
		h.Set("X-HubSpot-Request-Timestamp", ts)
		h.Set("X-HubSpot-Signature-v3", SignatureV3(secret, method, uri, body, ts))
	case SchemeStandard:
		ts := strconv.FormatInt(now.Unix(), 10)
		sig, err := SignatureStandard(secret, id, ts, body)
		if err != nil {
			return err
		}
		h.Set("webhook-id", id)
		h.Set("webhook-timestamp", ts)
		h.Set("webhook-signature", sig)
	default:
		return fmt.Errorf("unknown signature scheme %q", scheme)
	}
	return nil
}

// SignatureHubSpot is hex(SHA-256(secret + method + uri + body)).
func SignatureHubSpot(secret, method, uri string, body []byte) string {
	s := sha256.Sum256([]byte(secret + method + uri + string(body)))
	return hex.EncodeToString(s[:])
}

// SignatureV3 is base64(HMAC-SHA256(secret, method + uri + body + timestamp)).
func SignatureV3(secret, method, uri string, body []byte, timestamp string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + uri))
	m.Write(body)
	m.Write([]byte(timestamp))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// SignatureStandard is "v1," + base64(HMAC-SHA256(key, id.timestamp.body))
// where key is the base64 part of a "whsec_…" secret (a secret without the
// prefix is used as raw bytes).
func SignatureStandard(secret, id, timestamp string, body []byte) (string, error) {
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		k, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", fmt.Errorf("standard webhooks secret: the part after whsec_ is not base64")
		}
		key = k
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + timestamp + "."))
	m.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil)), nil
}

// Verify checks the signature of scheme on a received request (for
// receivers and tests). uri is the URL the sender posted to.
func Verify(h http.Header, scheme, secret, method, uri string, body []byte) bool {
	switch scheme {
	case SchemeHubSpot:
		return hmac.Equal([]byte(h.Get("X-HubSpot-Signature")), []byte(SignatureHubSpot(secret, method, uri, body)))
	case SchemeV3:
		ts := h.Get("X-HubSpot-Request-Timestamp")
		return ts != "" && hmac.Equal([]byte(h.Get("X-HubSpot-Signature-v3")), []byte(SignatureV3(secret, method, uri, body, ts)))
	case SchemeStandard:
		want, err := SignatureStandard(secret, h.Get("webhook-id"), h.Get("webhook-timestamp"), body)
		if err != nil || h.Get("webhook-id") == "" {
			return false
		}
		for _, s := range strings.Fields(h.Get("webhook-signature")) {
			if hmac.Equal([]byte(s), []byte(want)) {
				return true
			}
		}
	}
	return false
}

// bucket is a token bucket on the real clock (the limit protects real
// hosts, so it counts real time even under a virtual engine clock).
type bucket struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func (c *Client) bucket(host string, rate float64) *bucket {
	key := host + "|" + strconv.FormatFloat(rate, 'g', -1, 64)
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.limits[key]
	if b == nil {
		burst := max(rate, 1)
		b = &bucket{rate: rate, tokens: burst, last: time.Now()}
		c.limits[key] = b
	}
	return b
}

// wait takes a token, sleeping until one is there or ctx ends.
func (b *bucket) wait(ctx context.Context) error {
	b.mu.Lock()
	now := time.Now()
	b.tokens = min(max(b.rate, 1), b.tokens+now.Sub(b.last).Seconds()*b.rate)
	b.last = now
	b.tokens--
	var d time.Duration
	if b.tokens < 0 {
		d = time.Duration(-b.tokens / b.rate * float64(time.Second))
	}
	b.mu.Unlock()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("rate limit: %w", ctx.Err())
	}
}
