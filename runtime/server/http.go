package server

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/wflang/wf/runtime/engine"
)

// MaxBody is the largest request body the API reads (16 MiB).
const MaxBody = 16 << 20

// Backend is what the HTTP API serves: a Node, or a node of a cluster
// (runtime/cluster). A method a backend cannot serve returns an error
// wrapping ErrUnsupported (answered 501).
type Backend interface {
	Ingest(data []byte) ([]Item, error)
	Record(typ, id string) (RecordJSON, bool, error)
	Enrollments(typ, id string) ([]EnrollmentJSON, error)
	CallHook(name string, body map[string]any) (HookResult, error)
	Enroll(workflow, typ, id string) error
	Workflows() Workflows
	HasWorkflow(name string) bool
	SetEnabled(workflow string, on bool) error
	Log(workflow string, after uint64, limit int) ([]LogJSON, error)
	Metrics() *Metrics
	Done() <-chan struct{}
}

// ErrUnavailable is wrapped by the errors of a backend that cannot answer
// now but may later (its database is unreachable): answered 503, so a
// client retries.
var ErrUnavailable = errors.New("unavailable")

// ErrUnsupported is wrapped by the errors of what a backend does not do.
var ErrUnsupported = errors.New("not supported")

// Metrics are the node's metrics.
func (n *Node) Metrics() *Metrics { return n.metrics }

// Handler returns the HTTP API of the node. With a token, every route but
// /healthz needs "Authorization: Bearer <token>".
func (n *Node) Handler(token string) http.Handler { return NewHandler(n, token, n.log) }

// NewHandler returns the HTTP API of a backend. With a token, every route
// but /healthz needs "Authorization: Bearer <token>".
func NewHandler(n Backend, token string, log *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	metrics := n.Metrics()
	route := func(pattern string, h func(w http.ResponseWriter, r *http.Request) (int, any)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			start := time.Now()
			if pattern != "GET /healthz" && !authorized(r, token) {
				w.Header().Set("WWW-Authenticate", "Bearer")
				writeJSON(w, http.StatusUnauthorized, apiError{Error: "missing or wrong bearer token"})
				metrics.requests.WithLabelValues(pattern, "401").Inc()
				return
			}
			r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
			code, body := h(w, r)
			writeJSON(w, code, body)
			metrics.requests.WithLabelValues(pattern, strconv.Itoa(code)).Inc()
			metrics.latency.WithLabelValues(pattern).Observe(time.Since(start).Seconds())
			log.Debug("request", "method", r.Method, "path", r.URL.Path, "code", code, "took", time.Since(start))
		})
	}
	route("POST /v1/changes", func(w http.ResponseWriter, r *http.Request) (int, any) { return postChanges(n, r) })
	route("GET /v1/records/{type}/{id}", func(w http.ResponseWriter, r *http.Request) (int, any) {
		rec, ok, err := n.Record(r.PathValue("type"), r.PathValue("id"))
		switch {
		case err != nil:
			return http.StatusInternalServerError, apiError{Error: err.Error()}
		case !ok:
			return http.StatusNotFound, apiError{Error: "no " + r.PathValue("type") + " " + r.PathValue("id")}
		}
		return http.StatusOK, rec
	})
	route("GET /v1/records/{type}/{id}/enrollments", func(w http.ResponseWriter, r *http.Request) (int, any) {
		ens, err := n.Enrollments(r.PathValue("type"), r.PathValue("id"))
		if err != nil {
			return http.StatusInternalServerError, apiError{Error: err.Error()}
		}
		return http.StatusOK, ens
	})
	route("GET /v1/records/{type}/{id}/why", func(w http.ResponseWriter, r *http.Request) (int, any) {
		x, ok := n.(interface {
			Explain(typ, id string) ([]engine.Explanation, error)
		})
		if !ok {
			return http.StatusNotImplemented, apiError{Error: "this server does not explain records"}
		}
		xs, err := x.Explain(r.PathValue("type"), r.PathValue("id"))
		if err != nil {
			return errCode(err), apiError{Error: err.Error()}
		}
		if xs == nil {
			xs = []engine.Explanation{}
		}
		return http.StatusOK, xs
	})
	route("POST /v1/hooks/{name}", func(w http.ResponseWriter, r *http.Request) (int, any) {
		var body map[string]any
		if code, err := readJSON(r, &body); err != nil {
			return code, apiError{Error: err.Error()}
		}
		res, err := n.CallHook(r.PathValue("name"), body)
		if err != nil {
			return errCode(err), apiError{Error: err.Error()}
		}
		return http.StatusOK, res
	})
	route("POST /v1/workflows/{name}/enroll", func(w http.ResponseWriter, r *http.Request) (int, any) {
		var body struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		}
		if code, err := readJSON(r, &body); err != nil {
			return code, apiError{Error: err.Error()}
		}
		if body.ID == "" {
			return http.StatusBadRequest, apiError{Error: "id: missing", Field: "id"}
		}
		if err := n.Enroll(r.PathValue("name"), body.Type, body.ID); err != nil {
			return errCode(err), apiError{Error: err.Error()}
		}
		if q, ok := n.(interface{ QueuesEnrollments() bool }); ok && q.QueuesEnrollments() {
			// A cluster queues the enrollment for the record's owner.
			return http.StatusAccepted, map[string]string{"status": "accepted"}
		}
		return http.StatusOK, map[string]string{"status": "enrolled"}
	})
	route("GET /v1/workflows", func(w http.ResponseWriter, r *http.Request) (int, any) {
		return http.StatusOK, n.Workflows()
	})
	for _, op := range []string{"enable", "disable"} {
		route("POST /v1/workflows/{name}/"+op, func(w http.ResponseWriter, r *http.Request) (int, any) {
			if !n.HasWorkflow(r.PathValue("name")) {
				return http.StatusNotFound, apiError{Error: "no workflow " + r.PathValue("name")}
			}
			if err := n.SetEnabled(r.PathValue("name"), op == "enable"); err != nil {
				return errCode(err), apiError{Error: err.Error()}
			}
			return http.StatusOK, map[string]string{"status": op + "d"}
		})
	}
	route("GET /v1/workflows/{name}/log", func(w http.ResponseWriter, r *http.Request) (int, any) {
		if !n.HasWorkflow(r.PathValue("name")) {
			return http.StatusNotFound, apiError{Error: "no workflow " + r.PathValue("name")}
		}
		after, _ := strconv.ParseUint(r.URL.Query().Get("after"), 10, 64)
		limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
		if err != nil || limit <= 0 || limit > 10000 {
			limit = 1000
		}
		entries, err := n.Log(r.PathValue("name"), after, limit)
		if err != nil {
			return http.StatusInternalServerError, apiError{Error: err.Error()}
		}
		return http.StatusOK, entries
	})
	route("GET /healthz", func(w http.ResponseWriter, r *http.Request) (int, any) {
		select {
		case <-n.Done():
			return http.StatusServiceUnavailable, map[string]string{"status": "stopped"}
		default:
			return http.StatusOK, map[string]string{"status": "ok"}
		}
	})
	prom := promhttp.HandlerFor(metrics.Registry, promhttp.HandlerOpts{})
	mux.HandleFunc("GET /metrics", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(r, token) {
			writeJSON(w, http.StatusUnauthorized, apiError{Error: "missing or wrong bearer token"})
			return
		}
		prom.ServeHTTP(w, r)
	})
	mountDashboard(mux, n, token, log)
	return mux
}

type apiError struct {
	Error string `json:"error"`
	Field string `json:"field,omitempty"`
}

// changesReply answers POST /v1/changes.
type changesReply struct {
	Applied    int    `json:"applied"`
	Accepted   int    `json:"accepted,omitempty"` // queued for the partition's owner (a cluster)
	Duplicates int    `json:"duplicates"`
	Errors     int    `json:"errors"`
	Items      []Item `json:"items"`
}

func postChanges(n Backend, r *http.Request) (int, any) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, apiError{Error: "body over " + strconv.Itoa(MaxBody) + " bytes"}
		}
		return http.StatusBadRequest, apiError{Error: err.Error()}
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return http.StatusBadRequest, apiError{Error: "empty body: send a change object, a JSON array of changes, or JSON Lines"}
	}
	items, err := n.Ingest(data)
	if err != nil {
		return errCode(err), apiError{Error: err.Error()}
	}
	rep := changesReply{Items: items}
	for _, it := range items {
		switch it.Status {
		case "applied":
			rep.Applied++
		case "accepted":
			rep.Accepted++
		case "duplicate":
			rep.Duplicates++
		default:
			rep.Errors++
		}
	}
	if rep.Errors > 0 {
		return http.StatusBadRequest, rep
	}
	return http.StatusOK, rep
}

func errCode(err error) int {
	if errors.Is(err, ErrUnsupported) {
		return http.StatusNotImplemented
	}
	if errors.Is(err, ErrStopped) || errors.Is(err, ErrUnavailable) || strings.HasPrefix(err.Error(), "commit failed") {
		return http.StatusServiceUnavailable
	}
	if strings.Contains(err.Error(), "no workflow") || strings.Contains(err.Error(), "no incoming webhook") ||
		strings.Contains(err.Error(), "does not exist") {
		return http.StatusNotFound
	}
	return http.StatusBadRequest
}

func readJSON(r *http.Request, v any) (int, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, err
		}
		return http.StatusBadRequest, err
	}
	if len(strings.TrimSpace(string(data))) == 0 {
		return 0, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return http.StatusBadRequest, errors.New("bad JSON body: " + err.Error())
	}
	return 0, nil
}

func authorized(r *http.Request, token string) bool {
	if token == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(token)) == 1
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		slog.Debug("writing a response", "err", err)
	}
}

// Authorized reports whether a request carries the bearer token (any
// request does when token is empty).
func Authorized(r *http.Request, token string) bool { return authorized(r, token) }

// WriteJSON writes v as the indented JSON body of a response with code.
func WriteJSON(w http.ResponseWriter, code int, v any) { writeJSON(w, code, v) }
