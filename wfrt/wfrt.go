// Package wfrt is the wf runtime for embedding: it lets a Go service load
// workflows, feed them changes, register the Go functions that `code go`
// steps call, and observe what the workflows do.
//
// # Three ways to use wf
//
//   - The CLI on files: `wf check`, `wf test` and `wf run` compile .wf
//     files and run them (tests on a virtual clock) without a server.
//   - `wf serve DIR`: a durable service with an HTTP API, an embedded
//     database, hot reload, outgoing webhooks and sandboxed `code js`
//     steps. It registers no Go functions, so `code go` steps fail there.
//   - This package, inside your own Go program: the same compiler and
//     engine, in memory, driven by method calls. It is how `code go "name"`
//     steps get their functions (Runtime.Register), and how a service that
//     already owns its data (a CRM, a queue consumer) runs workflows over
//     it and turns their effects — emails, notifications, tasks, webhook
//     calls — into its own actions (Options.OnEffect).
//
// A Runtime keeps its state in memory: records, enrollments, timers and
// the outbox of effects are lost when the process ends. A service that
// needs durability runs `wf serve` (runtime/server) and talks to it over
// HTTP. Outgoing webhooks are delivered by runtime/webhook with the same
// safety rules as `wf serve` (HTTPS only, no private targets, unless
// Options say otherwise); `code js` runs in runtime/jscode's sandbox.
//
// # Time
//
// With a virtual clock (Options.Clock = clock.NewVirtual(t)) nothing
// happens by itself: RunUntil moves the clock and fires the delays, waits
// and webhook retries due by then, which makes tests and simulations exact.
// With the real clock (the default) a goroutine fires timers as they come
// due, until Close.
package wfrt

import (
	"crypto/tls"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/code"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/webhook"
)

// Options configure a Runtime. The zero value is usable: the real clock,
// secrets from the environment, webhooks over HTTPS to public addresses.
type Options struct {
	// Clock tells the time; nil: the real clock. A *clock.Virtual moves
	// only with RunUntil.
	Clock clock.Clock
	// Seed makes `split` steps deterministic.
	Seed int64
	// Secrets looks up secret("NAME") (webhook signing secrets) and the
	// declared secrets of `code js` steps; nil: the environment. See
	// code.FileSecrets for a secrets file.
	Secrets func(name string) (string, bool)
	// AllowHTTP delivers webhooks to http:// URLs too (local development);
	// AllowPrivateTargets to loopback, private and link-local addresses.
	AllowHTTP           bool
	AllowPrivateTargets bool
	// WebhookTimeout is the per-request timeout of webhook steps that set
	// none; 0: 30s. WebhookTLS, if set, is the TLS client configuration
	// (RootCAs for a test receiver's certificate).
	WebhookTimeout time.Duration
	WebhookTLS     *tls.Config
	// Webhook, if set, replaces the HTTP delivery of webhook steps (a fake
	// for tests); the Allow and Webhook* options are then unused.
	Webhook func(engine.WebhookCall) engine.WebhookResult
	// OnEffect, if set, is called with every effect of a step, in the
	// order steps ran, after the call that caused it (Ingest, Enroll,
	// RunUntil or the timer goroutine) has applied it. It runs on that
	// call's goroutine and may call back into the Runtime.
	OnEffect func(Effect)
}

// Func is a Go function a `code go "name"` step runs: it gets the
// enrolled record's properties (JSON values) and returns the step's
// outputs, which later steps read as `name.output`. Its context ends at the
// step's time limit.
type Func = code.Func

// Effect is one thing a step did outside the enrolled record: an email to
// send, a notification, a task, a created record, or a webhook call.
type Effect struct {
	Kind     string    // "email", "notify", "task", "created" or "webhook"
	At       time.Time // when the step ran
	Workflow string
	Record   string // the enrolled record, "type/id"
	Step     string // the step id
	To       string // email: the address; notify: the recipient; task: the owner
	Name     string // email: the template; task: the title; created: "type/id"; webhook: the URL
	Text     string // notify: the message; webhook: the JSON body sent
	Due      time.Time
	Status   int // webhook: the HTTP status of this attempt (0: no answer)
}

// Record is a record as the runtime holds it.
type Record struct {
	Type  string
	ID    string
	Props map[string]any      // JSON values by property name; unset properties are absent
	Assoc map[string][]string // other type → associated ids
}

// Enrollment is one record's pass through one workflow.
type Enrollment struct {
	Workflow string
	Status   string // "active", "waiting", "completed", "converted", "unenrolled" or "failed"
	Step     string // the current step, or the one it ended at
	Started  time.Time
	Ended    time.Time // zero while current
	Reason   string    // the latest history entry's reason (why it failed, what it waits for)
}

// Runtime runs one set of workflows in memory. It is safe for concurrent
// use.
type Runtime struct {
	opts   Options
	runner *code.Runner

	mu      sync.Mutex // guards eng, prog, dec, sent, status
	eng     *engine.Engine
	prog    *bytecode.Program
	dec     *ingest.Decoder
	sent    int            // outbox entries handed to OnEffect
	status  map[string]int // workflow/record/step → last webhook status
	notify  sync.Mutex     // serialises OnEffect calls
	wake    chan struct{}  // new work for the timer goroutine
	stop    chan struct{}
	stopped chan struct{}
}

// New returns a Runtime with no workflows: Register Go functions, then
// Load or LoadSource.
func New(opts Options) *Runtime {
	if opts.Secrets == nil {
		opts.Secrets = code.EnvSecrets()
	}
	return &Runtime{opts: opts, runner: &code.Runner{Secrets: opts.Secrets}, status: map[string]int{}}
}

// Register makes fn the function `code go "name"` steps call. It may be
// called before or after Load.
func (r *Runtime) Register(name string, fn Func) { r.runner.Register(name, fn) }

// CompileError is returned by Load and LoadSource when the workflows do
// not compile; Diagnostics lists every problem as file:line:col: message.
type CompileError struct{ Diagnostics string }

func (e *CompileError) Error() string { return "workflows do not compile:\n" + e.Diagnostics }

// Load compiles the .wf files and directories named by paths (dir/...
// for a tree) and starts running them. A Runtime loads once.
func (r *Runtime) Load(paths ...string) error {
	prog, diags, err := compiler.CompileFiles(paths...)
	if err != nil {
		return err
	}
	if diags.HasErrors() || prog == nil {
		return &CompileError{Diagnostics: diags.Error()}
	}
	return r.start(prog)
}

// LoadSource compiles one file's source (name is used in diagnostics) and
// starts running it. A Runtime loads once.
func (r *Runtime) LoadSource(name, src string) error {
	prog, diags := compiler.CompileSource(name, src)
	if diags.HasErrors() || prog == nil {
		return &CompileError{Diagnostics: diags.Error()}
	}
	return r.start(prog)
}

func (r *Runtime) start(prog *bytecode.Program) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.eng != nil {
		return errors.New("wfrt: workflows are already loaded")
	}
	deliver := r.opts.Webhook
	if deliver == nil {
		deliver = webhook.New(webhook.Config{
			AllowHTTP: r.opts.AllowHTTP, AllowPrivate: r.opts.AllowPrivateTargets,
			Timeout: r.opts.WebhookTimeout, TLS: r.opts.WebhookTLS,
		}).Hook()
	}
	eng, err := engine.New(prog, engine.Options{
		Clock: r.opts.Clock, Seed: r.opts.Seed, Secrets: r.opts.Secrets, Code: r.runner.Hook(),
		Webhook: func(c engine.WebhookCall) engine.WebhookResult {
			res := deliver(c)
			r.status[c.Workflow+"\x00"+c.Record+"\x00"+c.Step] = res.Status // r.mu is held: the engine is only called with it
			return res
		},
	})
	if err != nil {
		return err
	}
	r.eng, r.prog, r.dec = eng, prog, ingest.NewDecoder(prog)
	if _, virtual := r.opts.Clock.(interface{ Set(time.Time) error }); !virtual {
		r.wake, r.stop, r.stopped = make(chan struct{}, 1), make(chan struct{}), make(chan struct{})
		go r.timers(r.stop)
	}
	return nil
}

// Ingest applies changes in the wire format of SPEC section 1 (and of
// `wf serve`'s POST /v1/changes): one change object, a JSON array, or JSON
// Lines. Every change that decodes is applied, in order; the error lists
// the ones that did not (an ingest.Errors naming line and field) and any
// error of the engine.
func (r *Runtime) Ingest(data []byte) error {
	r.mu.Lock()
	if r.eng == nil {
		r.mu.Unlock()
		return errors.New("wfrt: no workflows loaded")
	}
	chs, derr := r.dec.Decode(data)
	var errs []error
	if derr != nil {
		errs = append(errs, derr)
	}
	for _, ch := range chs {
		if err := r.eng.Apply(ch); err != nil {
			errs = append(errs, err)
		}
	}
	r.mu.Unlock()
	r.afterCall()
	return errors.Join(errs...)
}

// Change is one change as a Go value; Apply sends it through the same
// decoder as Ingest, so it is typed against the workflows' schema.
type Change struct {
	Op    string         `json:"op"` // "upsert", "delete", "event", "associate" or "hook"
	Type  string         `json:"type,omitempty"`
	ID    string         `json:"id,omitempty"`
	Props map[string]any `json:"props,omitempty"` // upsert: properties; event: its properties
	Event string         `json:"event,omitempty"`
	To    string         `json:"to,omitempty"` // associate
	ToID  string         `json:"to_id,omitempty"`
	Label string         `json:"label,omitempty"`
	Hook  string         `json:"hook,omitempty"` // hook: the incoming webhook and its body
	Body  map[string]any `json:"body,omitempty"`
	At    *time.Time     `json:"at,omitempty"`
}

// Apply applies changes given as Go values (see Ingest).
func (r *Runtime) Apply(changes ...Change) error {
	data, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	return r.Ingest(data)
}

// Enroll enrolls a record in a workflow by hand (the workflow's object
// type names the record's type).
func (r *Runtime) Enroll(workflow, id string) error {
	r.mu.Lock()
	if r.eng == nil {
		r.mu.Unlock()
		return errors.New("wfrt: no workflows loaded")
	}
	err := r.eng.Enroll(workflow, id)
	r.mu.Unlock()
	r.afterCall()
	return err
}

// RunUntil fires every timer due at or before t, in time order, moving a
// virtual clock to each due time and then to t.
func (r *Runtime) RunUntil(t time.Time) error {
	r.mu.Lock()
	if r.eng == nil {
		r.mu.Unlock()
		return errors.New("wfrt: no workflows loaded")
	}
	err := r.eng.RunUntil(t)
	r.mu.Unlock()
	r.afterCall()
	return err
}

// Record returns the record of the type with the id.
func (r *Runtime) Record(typ, id string) (Record, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.eng == nil {
		return Record{}, false
	}
	rec, ok := r.eng.Record(typ, id)
	if !ok {
		return Record{}, false
	}
	out := Record{Type: typ, ID: id, Props: map[string]any{}, Assoc: rec.Assoc}
	for _, t := range r.prog.Types {
		if t.Name != typ {
			continue
		}
		for slot, v := range rec.Props {
			if !v.IsEmpty() && slot < len(t.Props) {
				out.Props[t.Props[slot].Name] = v.JSON()
			}
		}
	}
	return out, true
}

// Enrollments returns the record's enrollments, current and ended, in the
// order they started.
func (r *Runtime) Enrollments(typ, id string) []Enrollment {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.eng == nil {
		return nil
	}
	var out []Enrollment
	for _, en := range r.eng.Enrollments(typ, id) {
		e := Enrollment{Workflow: en.Workflow, Status: en.Status.String(), Step: en.Step, Started: en.Started, Ended: en.Ended}
		if n := len(en.History); n > 0 {
			e.Reason = en.History[n-1].Reason
		}
		out = append(out, e)
	}
	return out
}

// Effects returns every effect so far, oldest first (OnEffect sees each
// as it happens).
func (r *Runtime) Effects() []Effect {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.eng == nil {
		return nil
	}
	return r.effects(r.eng.Outbox())
}

func (r *Runtime) effects(box []engine.Effect) []Effect {
	out := make([]Effect, len(box))
	for i, e := range box {
		out[i] = Effect{Kind: string(e.Kind), At: e.At, Workflow: e.Workflow, Record: e.Record, Step: e.Step, To: e.To, Name: e.Name, Text: e.Text, Due: e.Due}
		if e.Kind == engine.EffectWebhook {
			out[i].Status = r.status[e.Workflow+"\x00"+e.Record+"\x00"+e.Step]
		}
	}
	return out
}

// afterCall hands new effects to OnEffect and wakes the timer goroutine.
func (r *Runtime) afterCall() {
	if r.wake != nil {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
	if r.opts.OnEffect == nil {
		return
	}
	r.notify.Lock()
	defer r.notify.Unlock()
	r.mu.Lock()
	box := r.eng.Outbox()
	fresh := r.effects(box[r.sent:])
	r.sent = len(box)
	r.mu.Unlock()
	for _, e := range fresh {
		r.opts.OnEffect(e)
	}
}

// timers fires due timers on the real clock until Close.
func (r *Runtime) timers(stop <-chan struct{}) {
	defer close(r.stopped)
	for {
		r.mu.Lock()
		next, ok := r.eng.NextTimer()
		r.mu.Unlock()
		wait := time.Minute
		if ok {
			wait = max(time.Until(next), 0)
		}
		t := time.NewTimer(wait)
		select {
		case <-stop:
			t.Stop()
			return
		case <-r.wake:
			t.Stop()
			continue
		case <-t.C:
		}
		r.mu.Lock()
		err := r.eng.RunUntil(time.Now())
		r.mu.Unlock()
		_ = err // cascade errors are in the enrollments' history
		r.afterCall()
	}
}

// Close stops the timer goroutine. The Runtime's state stays readable.
func (r *Runtime) Close() error {
	r.mu.Lock()
	stop := r.stop
	r.stop = nil
	r.mu.Unlock()
	if stop != nil {
		close(stop)
		<-r.stopped
	}
	return nil
}
