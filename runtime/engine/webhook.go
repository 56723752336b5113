package engine

import (
	"encoding/json"
	"fmt"
	"strings"

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
	// Key is stable for one step of one enrollment: an idempotency key.
	Key string
}

// WebhookResult is what the endpoint answered.
type WebhookResult struct {
	Status  int
	Headers map[string]string
	Body    any // the decoded JSON body, or nil
}

// output is what an earlier step of an enrollment left under its `as` name.
type output struct {
	hook     *WebhookResult
	created  *record
	body     map[string]any // an incoming webhook's request body, read as `body.x.y`
	incoming bool
}

// webhook makes an outgoing webhook call through Options.Webhook and keeps
// its result as the step's output. Without Options.Webhook, the step is
// not supported. Signing, timeouts, rate limits and retries belong to the
// caller's function; the engine calls it synchronously.
func (e *Engine) webhook(a *enrollment, st *bytecode.Step) bool {
	if e.opts.Webhook == nil {
		e.fail(a, "step %s (%s) is not supported by this runtime yet", st.ID, st.Kind)
		return false
	}
	props := map[string]any{}
	for slot, p := range e.prog.Types[a.rec.typ].Props {
		if v := a.rec.props[slot]; !v.IsEmpty() {
			props[p.Name] = jsonValue(v)
		}
	}
	body, err := json.Marshal(map[string]any{
		"workflow": a.Workflow, "step": st.ID, "object": a.Type, "id": a.ID,
		"enrolled_at": a.Started, "properties": props,
	})
	if err != nil {
		e.fail(a, "step %s (webhook): %v", st.ID, err)
		return false
	}
	call := WebhookCall{
		URL: e.eval(st.Args[0], a.wf, a.rec, nil).String(), Method: strings.ToUpper(st.Name), Body: body,
		Workflow: a.Workflow, Record: a.key, Step: st.ID,
		Key: fmt.Sprintf("%s/%s/%s/%d", a.Workflow, a.key, st.ID, a.Started.UnixMilli()),
	}
	res := e.opts.Webhook(call)
	if st.As != "" {
		a.setOutput(st.As, output{hook: &res})
	}
	e.outbox = append(e.outbox, Effect{At: e.clock.Now(), Kind: EffectWebhook, Workflow: a.Workflow, Record: a.key, Step: st.ID, Name: call.URL, Text: string(body)})
	e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: fmt.Sprintf("webhook %s %s: status %d", call.Method, call.URL, res.Status)})
	return true
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
