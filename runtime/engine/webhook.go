package engine

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// WebhookCall is one outgoing webhook a step makes: a POST of Body (JSON:
// the record's properties and the enrollment's metadata) to URL.
type WebhookCall struct {
	URL      string
	Method   string // "POST"
	Body     []byte
	Workflow string
	Record   string // "type/id"
	Step     string
	// Key is stable for one step of one enrollment: an idempotency key,
	// the same for every attempt of the delivery.
	Key string

	Scheme  string        // signature scheme ("hubspot", "v3", "standard"), "" unsigned
	Secret  string        // the signing secret (never logged)
	Timeout time.Duration // the step's per-request timeout, 0: the deliverer's default
	Rate    float64       // the step's requests/s for the host, 0: the deliverer's default
	Attempt int           // 1 for the first attempt
	First   time.Time     // when the first attempt was made (engine clock)
	Now     time.Time     // the engine's time of this attempt
}

// WebhookResult is what the endpoint answered.
type WebhookResult struct {
	Status  int
	Headers map[string]string
	Body    any // the decoded JSON body, or nil
	// Retry, if not zero, asks the engine to try again at that time (on
	// its clock): the enrollment waits at the step until then. Zero means
	// this answer is final.
	Retry time.Time
	// Err says why the attempt failed without an HTTP answer (or why its
	// answer was dropped), for the trace and the action log.
	Err string
}

// output is what an earlier step of an enrollment left under its `as` name.
type output struct {
	hook     *WebhookResult
	code     map[string]value.Value // a code step's outputs, by name
	created  *record
	body     map[string]any // an incoming webhook's request body, read as `body.x.y`
	incoming bool
}

// webhook makes one attempt of an outgoing webhook through
// Options.Webhook. When the answer asks for a retry, the enrollment waits
// at the step (a timer on the engine's clock) and makes the next attempt
// then, with the same idempotency key. When the delivery ends — success,
// a final failure (4xx other than 408/429, a refused target) or retries
// exhausted — the answer becomes the step's output and the enrollment goes
// on to the next step: as in HubSpot, a failed webhook does not end the
// enrollment; `hook.status` (0 when no HTTP answer came) tells later steps
// how it went, and the trace and action log say why. Without
// Options.Webhook, the step is not supported. It returns false when the
// enrollment must not go on now.
func (e *Engine) webhook(a *enrollment, st *bytecode.Step) bool {
	if e.opts.Webhook == nil && !e.opts.AsyncWebhooks {
		e.fail(a, "step %s (%s) is not supported by this runtime yet", st.ID, st.Kind)
		return false
	}
	now := e.clock.Now()
	if a.hookStep != st.ID {
		a.hookStep, a.hookAttempt, a.hookFirst, a.reissue = st.ID, 0, now, false
	}
	if a.reissue { // Restore: the attempt that had no answer, made again
		a.reissue = false
	} else {
		a.hookAttempt++
	}
	key := hookKey(a, st.ID)
	props := map[string]any{}
	for slot, p := range e.prog.Types[a.rec.typ].Props {
		if v := a.rec.props[slot]; !v.IsEmpty() {
			props[p.Name] = v.JSON()
		}
	}
	body, err := json.Marshal(map[string]any{
		"workflow": a.Workflow, "step": st.ID, "object": a.Type, "id": a.ID,
		"enrollment": a.seq, "enrolled_at": a.Started, "attempt": a.hookAttempt,
		"idempotency_id": key, "properties": props,
	})
	if err != nil {
		e.fail(a, "step %s (webhook): %v", st.ID, err)
		return false
	}
	call := WebhookCall{
		URL: e.eval(st.Args[0], a.wf, a.rec, nil).String(), Method: strings.ToUpper(st.Name), Body: body,
		Workflow: a.Workflow, Record: a.key, Step: st.ID, Key: key,
		Attempt: a.hookAttempt, First: a.hookFirst, Now: now,
	}
	if len(st.Strs) > 0 {
		call.Scheme = st.Strs[0]
	}
	if len(st.Args) > 1 && st.Args[1] != bytecode.NoExpr {
		call.Secret = e.eval(st.Args[1], a.wf, a.rec, nil).String()
	}
	if len(st.Args) > 2 && st.Args[2] != bytecode.NoExpr {
		call.Timeout = e.eval(st.Args[2], a.wf, a.rec, nil).Duration()
	}
	if len(st.Args) > 3 && st.Args[3] != bytecode.NoExpr {
		call.Rate = e.eval(st.Args[3], a.wf, a.rec, nil).N
	}
	e.outbox = append(e.outbox, Effect{At: now, Kind: EffectWebhook, Workflow: a.Workflow, Record: a.key, Step: st.ID, Name: call.URL, Text: string(body)})
	if e.opts.AsyncWebhooks {
		a.Status, a.timer, a.delivering = Waiting, 0, true
		e.deliveries = append(e.deliveries, AsyncCall{Webhook: &call})
		e.emit(a, TraceEvent{Kind: KindWaiting, Step: st.ID, Reason: fmt.Sprintf("delivering webhook %s %s (attempt %d)", call.Method, call.URL, call.Attempt)})
		return false
	}
	return e.finishHook(a, st, call, e.opts.Webhook(call))
}

// hookKey is the idempotency key of enrollment a's delivery at step id: the
// same for every attempt, and across restarts.
func hookKey(a *enrollment, step string) string {
	return fmt.Sprintf("%s/%s/%s/%d", a.Workflow, a.key, step, a.Started.UnixMilli())
}

// finishHook takes the answer to one attempt: it schedules the next
// attempt when the answer asks for a retry (false), or keeps the answer as
// the step's output (true: the enrollment goes on).
func (e *Engine) finishHook(a *enrollment, st *bytecode.Step, call WebhookCall, res WebhookResult) bool {
	what := fmt.Sprintf("webhook %s %s (attempt %d): status %d", call.Method, call.URL, call.Attempt, res.Status)
	if res.Err != "" {
		what += ": " + res.Err
	}
	if !res.Retry.IsZero() {
		idx := -1
		for i := range e.prog.Workflows[a.wf].Steps {
			if &e.prog.Workflows[a.wf].Steps[i] == st {
				idx = i
			}
		}
		if idx >= 0 {
			e.suspend(a, st, res.Retry, idx, what+"; retrying")
			return false
		}
	}
	a.hookStep, a.hookAttempt = "", 0
	if st.As != "" {
		a.setOutput(st.As, output{hook: &res})
	}
	e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: what})
	return true
}

// AsyncCall is one piece of work an asynchronous step handed out (see
// TakeDeliveries): exactly one of Webhook (an attempt of a webhook step,
// Options.AsyncWebhooks) and Code (a run of a code step, Options.AsyncCode)
// is set.
type AsyncCall struct {
	Webhook *WebhookCall
	Code    *CodeCall
}

// TakeDeliveries returns, and forgets, the work asynchronous steps started
// since the last call (webhook attempts under Options.AsyncWebhooks, code
// runs under Options.AsyncCode): the caller runs each (outside the engine,
// after committing the delta that shows the enrollment delivering) and
// hands the result to CompleteWebhook or CompleteCode.
func (e *Engine) TakeDeliveries() []AsyncCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := e.deliveries
	e.deliveries = nil
	return out
}

// CompleteWebhook takes the answer to an attempt handed out by
// TakeDeliveries. The enrollment goes on with the answer as the step's
// output, or, when the answer asks for a retry, waits for the next attempt
// on the engine's clock. It reports false, and does nothing, when no
// enrollment is delivering that attempt (it ended meanwhile, or the answer
// came twice). It returns the cascade errors, as Apply does.
func (e *Engine) CompleteWebhook(call WebhookCall, res WebhookResult) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.completeAsync(call.Workflow, call.Record, call.Step, call.Key,
		func(a *enrollment) bool { return a.hookStep == call.Step && a.hookAttempt == call.Attempt },
		func(a *enrollment, st *bytecode.Step) bool { return e.finishHook(a, st, call, res) })
}

// completeAsync resumes the enrollment of workflow wf on record key that
// is delivering step with idempotency key akey (and for which match
// holds): finish takes the result, and the enrollment goes on when it
// returns true. The lock is held.
func (e *Engine) completeAsync(wf, key, step, akey string, match func(*enrollment) bool, finish func(*enrollment, *bytecode.Step) bool) (bool, error) {
	typ, id, _ := strings.Cut(key, "/")
	ti, ok := e.typeIndex[typ]
	if !ok {
		return false, nil
	}
	rec := e.records[ti][id]
	if rec == nil {
		return false, nil
	}
	for _, a := range rec.enrollments {
		if a.Workflow != wf || a.Status != Waiting || !a.delivering || a.Step != step ||
			hookKey(a, step) != akey || !match(a) {
			continue
		}
		w := e.prog.Workflows[a.wf]
		var st *bytecode.Step
		for i := range w.Steps {
			if w.Steps[i].ID == step {
				st = &w.Steps[i]
			}
		}
		if st == nil {
			return false, nil
		}
		a.delivering, a.Status = false, Active
		e.ctx.outputs = a.outputs
		inputs, logged := e.stepInputs(a, st), len(a.History)
		goOn := finish(a, st)
		e.logStep(a, st, inputs, a.History[logged:])
		e.ctx.outputs = nil
		if goOn {
			e.push(item{kind: itemRun, a: a, pc: st.Next})
		}
		return true, e.drain()
	}
	return false, nil
}

// Output reads an earlier step's output (`hook.status`, `hook.body.tier`,
// `d.id`) for the enrollment whose step is being evaluated.
func (r *resolver) Output(o int) value.Value {
	if r.outputs == nil {
		return value.Value{}
	}
	path := r.e.prog.Outputs[o]
	out, ok := r.outputs[path.Name]
	if !ok || len(path.Path) == 0 && !out.incoming {
		return value.Value{}
	}
	if out.incoming {
		var v any = out.body
		for _, key := range path.Path {
			m, ok := v.(map[string]any)
			if !ok {
				return value.Value{}
			}
			v = m[key]
		}
		return fromJSON(v)
	}
	if out.code != nil {
		if len(path.Path) != 1 {
			return value.Value{}
		}
		return out.code[path.Path[0]]
	}
	if rec := out.created; rec != nil {
		if path.Path[0] == "id" {
			return value.Str(rec.id)
		}
		for slot, p := range r.e.prog.Types[rec.typ].Props {
			if p.Name == path.Path[0] {
				return rec.props[slot]
			}
		}
		return value.Value{}
	}
	switch h := out.hook; path.Path[0] {
	case "status":
		return value.Num(float64(h.Status))
	case "headers":
		if len(path.Path) == 2 {
			for k, v := range h.Headers {
				if strings.EqualFold(k, path.Path[1]) {
					return value.Str(v)
				}
			}
		}
	case "body":
		v := h.Body
		for _, key := range path.Path[1:] {
			m, ok := v.(map[string]any)
			if !ok {
				return value.Value{}
			}
			v = m[key]
		}
		return fromJSON(v)
	}
	return value.Value{}
}

// fromJSON converts a decoded JSON value read from a webhook's answer:
// strings, numbers, bools and arrays of strings; anything else is empty.
func fromJSON(v any) value.Value {
	switch v.(type) {
	case string, float64, bool, []any:
		if x, err := value.FromJSON(value.AnyType, v); err == nil {
			return x
		}
	}
	return value.Value{}
}

// setOutput keeps a step's output under its `as` name.
func (a *enrollment) setOutput(name string, out output) {
	if a.outputs == nil {
		a.outputs = map[string]output{}
	}
	a.outputs[name] = out
}
