package engine

import (
	"fmt"
	"strings"
	"time"

	"github.com/wflang/wf/value"
)

// Incoming webhooks (SPEC 2.3). A call carries a JSON body; the webhook's
// declaration maps it to the value of a unique property, which names the
// record the call is for, and to typed properties of the occurrence. A
// call that names no record triggers nothing, and says so: in what CallHook
// returns, in the trace and in the hook log. A call that names a record is
// offered, like an event, to the workflows with an `enroll when webhook`
// trigger on it, in program order: the record (or, for a workflow on an
// associated type, its associated records) enrolls the first time, and on
// every call when the workflow lists the webhook under `reenroll on
// webhook`.

// HookCall is the outcome of one call of an incoming webhook.
type HookCall struct {
	At     time.Time
	Hook   string
	Record string // the record the body named, "type/id"; "" when none
	// Values are the mapped properties of the occurrence, as
	// "amount = 120, paid_at = 2026-01-05T10:00:00Z".
	Values   string
	Enrolled []string // the workflows the call enrolled a record in, in order
	// Reason says what happened: which record matched, or why nothing did.
	Reason string
}

// Matched reports whether the call named a record.
func (h HookCall) Matched() bool { return h.Record != "" }

// CallHook calls the incoming webhook named name with a decoded JSON body
// (nil: an empty body) and runs everything it causes. A body that names
// no record is not an error: nothing is triggered and the HookCall's
// Reason says why. It fails on an unknown webhook, or a body whose values
// do not convert to the declared types (nothing is triggered then either).
func (e *Engine) CallHook(name string, body map[string]any) (HookCall, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h, err := e.hookIndex(name)
	if err != nil {
		return HookCall{}, err
	}
	call, err := e.hook(h, body)
	if err != nil {
		return *call, err
	}
	return *call, e.drain()
}

// HookCalls returns every incoming webhook call so far, oldest first.
func (e *Engine) HookCalls() []HookCall {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]HookCall, len(e.hookLog))
	for i, c := range e.hookLog {
		out[i] = *c
		out[i].Enrolled = append([]string(nil), c.Enrolled...)
	}
	return out
}

// hook maps a call's body, finds its record and queues its occurrence; it
// logs and traces the call. The returned call fills in (Enrolled) as the
// queue drains.
// HookKey computes, without running anything, which record a call of the
// incoming webhook name would be for: the object type, the unique
// property's slot, and the value the body gives it (Empty when none). A
// cluster routes a call to the partition of the record that has it.
func (e *Engine) HookKey(name string, body map[string]any) (typ, slot int, key value.Value, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	h, err := e.hookIndex(name)
	if err != nil {
		return 0, 0, value.Value{}, err
	}
	ht := e.prog.Hooks[h]
	e.ctx.outputs = map[string]output{"body": {body: body, incoming: true}}
	defer func() { e.ctx.outputs = nil }()
	key, err = e.hookKey(h)
	if err != nil {
		return 0, 0, value.Value{}, err
	}
	return ht.Object, ht.MatchKey, key, nil
}

// hookIndex finds an incoming webhook by name.
func (e *Engine) hookIndex(name string) (int, error) {
	for i, ht := range e.prog.Hooks {
		if ht.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("engine: no incoming webhook %s", name)
}

// hookKey evaluates the match value of webhook h over the body in
// e.ctx.outputs.
func (e *Engine) hookKey(h int) (value.Value, error) {
	ht := e.prog.Hooks[h]
	t := e.prog.Types[ht.Object]
	key, err := e.hookValue(e.eval(ht.MatchVal, -1, nil, nil), t.Props[ht.MatchKey].Type)
	if err != nil {
		return value.Value{}, fmt.Errorf("engine: webhook %s: %s.%s: %v", ht.Name, t.Name, t.Props[ht.MatchKey].Name, err)
	}
	return key, nil
}

func (e *Engine) hook(h int, body map[string]any) (*HookCall, error) {
	ht := e.prog.Hooks[h]
	t := e.prog.Types[ht.Object]
	call := &HookCall{At: e.clock.Now(), Hook: ht.Name}
	e.ctx.outputs = map[string]output{"body": {body: body, incoming: true}}
	defer func() { e.ctx.outputs = nil }()
	key, err := e.hookKey(h)
	if err != nil {
		return call, err
	}
	props := make([]value.Value, len(ht.Props))
	var shown []string
	for i, p := range ht.Props {
		v, err := e.hookValue(e.eval(p.Expr, -1, nil, nil), p.Type)
		if err != nil {
			return call, fmt.Errorf("engine: webhook %s: %s: %v", ht.Name, p.Name, err)
		}
		props[i] = v
		shown = append(shown, p.Name+" = "+show(v))
	}
	call.Values = strings.Join(shown, ", ")
	e.hookLog = append(e.hookLog, call)
	match := t.Props[ht.MatchKey].Name + " = " + show(key)
	id, ok := e.unique[ht.Object][ht.MatchKey][key]
	if key.IsEmpty() || !ok {
		call.Reason = fmt.Sprintf("no %s has %s; nothing was triggered", t.Name, match)
		e.trace(TraceEvent{At: call.At, Kind: KindHook, Reason: "webhook " + ht.Name + ": " + call.Reason})
		return call, nil
	}
	rec := e.records[ht.Object][id]
	call.Record = rec.key(e.prog)
	call.Reason = "matched " + call.Record + " by " + match
	e.trace(TraceEvent{At: call.At, Kind: KindHook, Record: call.Record, Reason: "webhook " + ht.Name + ": " + call.Reason})
	e.push(item{kind: itemHook, rec: rec, event: h, eventProps: props, call: call})
	return call, nil
}

// hookValue converts a value read from a webhook body to a declared type.
func (e *Engine) hookValue(v value.Value, t value.Type) (value.Value, error) {
	if v.IsEmpty() || t.Kind == value.TAny {
		return v, nil
	}
	return value.FromJSON(t, v.JSON())
}

// offerHook offers a matched call to the workflows with a trigger on its
// webhook.
func (e *Engine) offerHook(it item) {
	if it.rec.deleted {
		return
	}
	for _, w := range e.hookDeps[it.event] {
		obj := e.prog.Workflows[w].Object
		if obj == it.rec.typ {
			e.offerHookCall(w, it.rec, it)
			continue
		}
		for _, id := range it.rec.links[obj] {
			if r := e.records[obj][id]; r != nil {
				e.offerHookCall(w, r, it)
			}
		}
	}
}

// offerHookCall enrolls rec in w for a call of webhook it.event: the first
// time, or every time with `reenroll on webhook`.
func (e *Engine) offerHookCall(w int, rec *record, it item) {
	if e.disabled[w] {
		return
	}
	wf := e.prog.Workflows[w]
	name := e.prog.Hooks[it.event].Name
	m := e.members[w][rec.id]
	switch {
	case m != nil && m.active != nil:
		e.note(w, rec, "webhook "+name+" was called while the record was enrolled already; a record is never enrolled twice at once")
		return
	case m != nil && m.ever && !containsInt(wf.ReenrollHooks, it.event):
		e.note(w, rec, "webhook "+name+" was called again, but the record was enrolled before and the workflow has no `reenroll on webhook "+name+"`")
		return
	case e.blocked(w, rec):
		e.note(w, rec, "webhook "+name+" was called, but "+e.blocker(w, rec))
		return
	}
	reason := "enroll when webhook " + name
	if it.rec != rec {
		reason += " on " + it.rec.key(e.prog)
	}
	if it.call != nil {
		if it.call.Values != "" {
			reason += " (" + it.call.Values + ")"
		}
		it.call.Enrolled = append(it.call.Enrolled, wf.Name)
	}
	e.start(w, rec, reason, it.depth)
}
