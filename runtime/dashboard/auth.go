package dashboard

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
)

// Signing in.
//
// The dashboard takes the API's token. A browser signs in once, with the
// login form (POST /login) or by opening any page with ?token=…; either
// sets a session cookie and redirects to the URL without the token. The
// cookie is HttpOnly and SameSite=Strict (Secure over TLS), and its value
// is not the token but an HMAC-SHA256 of it under a key drawn at random
// when the handler is made: it cannot be turned back into the token, and
// it stops working when the process restarts. Tokens and cookies are
// compared through HMACs with hmac.Equal, in constant time and without
// revealing their lengths. Dashboard routes also take the API's
// "Authorization: Bearer" header. With no token configured (serve then
// listens on loopback only) there is no sign-in at all.

// CookieName is the session cookie's name.
const CookieName = "wf_session"

type auth struct {
	token  string
	key    []byte
	cookie []byte // the session cookie's value, precomputed
	want   []byte // mac(token)
}

func newAuth(token string) *auth {
	a := &auth{token: token, key: make([]byte, 32)}
	if _, err := rand.Read(a.key); err != nil {
		panic("dashboard: no randomness for the session key: " + err.Error())
	}
	a.want = a.mac("token", token)
	a.cookie = []byte(base64.RawURLEncoding.EncodeToString(a.mac("session", token)))
	return a
}

func (a *auth) mac(purpose, s string) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write([]byte("wf dashboard " + purpose + "\x00"))
	m.Write([]byte(s))
	return m.Sum(nil)
}

// enabled reports whether signing in is needed at all.
func (a *auth) enabled() bool { return a.token != "" }

// tokenOK reports, in constant time, whether got is the token.
func (a *auth) tokenOK(got string) bool {
	return a.enabled() && hmac.Equal(a.mac("token", got), a.want)
}

// ok reports whether the request is signed in: no token configured, the
// session cookie, or the bearer header.
func (a *auth) ok(r *http.Request) bool {
	if !a.enabled() {
		return true
	}
	if c, err := r.Cookie(CookieName); err == nil && hmac.Equal([]byte(c.Value), a.cookie) {
		return true
	}
	if got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && a.tokenOK(got) {
		return true
	}
	return false
}

// signIn sets the session cookie.
func (a *auth) signIn(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: string(a.cookie), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

func signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}

// withoutToken is the request's URL (path and query) with the token
// parameter taken out.
func withoutToken(u *url.URL) string {
	q := u.Query()
	q.Del("token")
	out := localPath(u.EscapedPath())
	if enc := q.Encode(); enc != "" {
		out += "?" + enc
	}
	return out
}

// localPath returns p when it is a path on this server, else "/": never a
// scheme-relative //host, nor anything a browser could read as one —
// browsers drop tabs and newlines from URLs and read \ as /, so "/\t/x"
// and "/\\x" are refused too. What is returned is rebuilt from the parsed
// path and query, escaped.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "\\") {
		return "/"
	}
	for _, r := range p {
		if r < 0x20 || r == 0x7f {
			return "/"
		}
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	out := u.EscapedPath()
	if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") {
		return "/"
	}
	if u.RawQuery != "" {
		out += "?" + u.RawQuery
	}
	return out
}
