package engine

import (
	"fmt"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// CodeCall is one run of a `code js` or `code go` step.
type CodeCall struct {
	Workflow string
	Record   string // "type/id"
	Step     string
	Lang     string // "js" or "go"
	// Source is the JavaScript source (js) or the registered function's
	// name (go).
	Source  string
	Secrets []string        // the declared secret names
	Timeout time.Duration   // the step's limit, 0: the runner's default
	Outputs []bytecode.Prop // the declared outputs, or none
	Props   map[string]any  // the record's properties (JSON values)
	// Key is stable for one step of one enrollment (as WebhookCall.Key):
	// under Options.AsyncCode, CompleteCode matches the result by it.
	Key string
}

// CodeResult is what a code step produced.
type CodeResult struct {
	Outputs map[string]any // JSON values by output name
	Logs    []string       // console output, for the action log (secrets redacted)
	Err     error
}

// code runs a code step through Options.Code. Its outputs, checked against
// the declared types, become the step's output (`enrich.tier`); an error
// (a thrown exception, the time limit, an output of the wrong type) ends
// the enrollment as failed, with the error and the console output in the
// trace and the action log. Without Options.Code (or Options.AsyncCode)
// the step is not supported. Under Options.AsyncCode the enrollment waits
// at the step (delivering) and the run is queued for TakeDeliveries; its
// result comes back through CompleteCode. It returns false when the
// enrollment must not go on.
func (e *Engine) code(a *enrollment, st *bytecode.Step) bool {
	if e.opts.Code == nil && !e.opts.AsyncCode {
		e.fail(a, "step %s (%s) is not supported by this runtime yet", st.ID, st.Kind)
		return false
	}
	props := map[string]any{}
	for slot, p := range e.prog.Types[a.rec.typ].Props {
		if v := a.rec.props[slot]; !v.IsEmpty() {
			props[p.Name] = v.JSON()
		}
	}
	a.reissue = false
	call := CodeCall{Workflow: a.Workflow, Record: a.key, Step: st.ID, Lang: st.Name, Outputs: st.Outputs, Props: props, Key: hookKey(a, st.ID)}
	if len(st.Strs) > 0 {
		call.Source, call.Secrets = st.Strs[0], st.Strs[1:]
	}
	if len(st.Args) > 0 && st.Args[0] != bytecode.NoExpr {
		call.Timeout = e.eval(st.Args[0], a.wf, a.rec, nil).Duration()
	}
	if e.opts.AsyncCode {
		a.Status, a.timer, a.delivering = Waiting, 0, true
		e.deliveries = append(e.deliveries, AsyncCall{Code: &call})
		e.emit(a, TraceEvent{Kind: KindWaiting, Step: st.ID, Reason: fmt.Sprintf("running code %s", st.Name)})
		return false
	}
	return e.finishCode(a, st, e.opts.Code(call))
}

// CompleteCode takes the result of a code run handed out by
// TakeDeliveries: the enrollment goes on with the outputs, or ends as
// failed on an error, as a synchronous run would. It reports false, and
// does nothing, when no enrollment is running that step (it ended
// meanwhile, or the result came twice). It returns the cascade errors, as
// Apply does.
func (e *Engine) CompleteCode(call CodeCall, res CodeResult) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.completeAsync(call.Workflow, call.Record, call.Step, call.Key,
		func(*enrollment) bool { return true },
		func(a *enrollment, st *bytecode.Step) bool { return e.finishCode(a, st, res) })
}

// finishCode takes a code step's result: its outputs become the step's
// output (true: the enrollment goes on), or its error ends the enrollment.
func (e *Engine) finishCode(a *enrollment, st *bytecode.Step, res CodeResult) bool {
	for _, l := range res.Logs {
		e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: "console: " + l})
	}
	if res.Err != nil {
		e.fail(a, "step %s (code %s): %v", st.ID, st.Name, res.Err)
		return false
	}
	outs := map[string]value.Value{}
	if len(st.Outputs) > 0 {
		for _, p := range st.Outputs {
			raw, ok := res.Outputs[p.Name]
			if !ok || raw == nil {
				continue // an output not returned is empty
			}
			v, err := value.FromJSON(p.Type, raw)
			if err != nil {
				e.fail(a, "step %s (code %s): output %q is declared %s but the code returned %s: %v", st.ID, st.Name, p.Name, p.Type, describe(raw), err)
				return false
			}
			outs[p.Name] = v
		}
	} else {
		for k, raw := range res.Outputs {
			outs[k] = fromJSON(raw)
		}
	}
	if st.As != "" {
		a.setOutput(st.As, output{code: outs})
	}
	e.emit(a, TraceEvent{Kind: KindStep, Step: st.ID, Reason: fmt.Sprintf("code %s: %d outputs", st.Name, len(outs))})
	return true
}

// describe names a JSON value's kind for an error message.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("a string (%q)", x)
	case float64, int, int64:
		return fmt.Sprintf("a number (%v)", x)
	case bool:
		return fmt.Sprintf("a boolean (%v)", x)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
