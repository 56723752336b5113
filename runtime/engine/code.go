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
// trace and the action log. Without Options.Code the step is not
// supported. It returns false when the enrollment must not go on.
func (e *Engine) code(a *enrollment, st *bytecode.Step) bool {
	if e.opts.Code == nil {
		e.fail(a, "step %s (%s) is not supported by this runtime yet", st.ID, st.Kind)
		return false
	}
	props := map[string]any{}
	for slot, p := range e.prog.Types[a.rec.typ].Props {
		if v := a.rec.props[slot]; !v.IsEmpty() {
			props[p.Name] = v.JSON()
		}
	}
	call := CodeCall{Workflow: a.Workflow, Record: a.key, Step: st.ID, Lang: st.Name, Outputs: st.Outputs, Props: props}
	if len(st.Strs) > 0 {
		call.Source, call.Secrets = st.Strs[0], st.Strs[1:]
	}
	if len(st.Args) > 0 && st.Args[0] != bytecode.NoExpr {
		call.Timeout = e.eval(st.Args[0], a.wf, a.rec, nil).Duration()
	}
	res := e.opts.Code(call)
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
