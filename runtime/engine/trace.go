package engine

import (
	"encoding/json"
	"io"
	"time"

	"github.com/wflang/wf/value"
)

// TraceKind says what a trace event records.
type TraceKind string

// The trace event kinds.
const (
	KindEnrolled   TraceKind = "enrolled"   // a record entered a workflow; Reason names the trigger and its values
	KindStep       TraceKind = "step"       // a step ran; Reason says what it decided (branch taken, nothing to do)
	KindSet        TraceKind = "set"        // a step changed a property: Prop, Old, New
	KindCleared    TraceKind = "cleared"    // a step cleared a property: Prop, Old
	KindWaiting    TraceKind = "waiting"    // the enrollment suspended at Step; Reason says until when
	KindResumed    TraceKind = "resumed"    // a suspended enrollment continued
	KindConverted  TraceKind = "converted"  // the goal was met; Reason names the clause and its values
	KindUnenrolled TraceKind = "unenrolled" // unenroll/suppress criteria met, or the record was deleted
	KindCompleted  TraceKind = "completed"  // the enrollment ran off its last step or hit stop
	KindError      TraceKind = "error"      // a step failed or the runtime refused something; Reason says what
	KindHook       TraceKind = "hook"       // an incoming webhook was called; Reason says which record it named, or that none matched
)

// TraceEvent is one entry of the engine's trace and of an enrollment's
// history. Events are emitted in the order things happen, which is a
// function of the input and the seed only.
type TraceEvent struct {
	At       time.Time   `json:"at"`
	Kind     TraceKind   `json:"kind"`
	Workflow string      `json:"workflow,omitempty"`
	Record   string      `json:"record,omitempty"` // "type/id"
	Step     string      `json:"step,omitempty"`
	Prop     string      `json:"prop,omitempty"`
	Old      value.Value `json:"-"`
	New      value.Value `json:"-"`
	Reason   string      `json:"reason,omitempty"`
}

// MarshalJSON writes the event as one JSON object; Old and New are written
// (as their JSON values, null when empty) only for set and cleared events.
func (t TraceEvent) MarshalJSON() ([]byte, error) {
	type plain TraceEvent
	out := struct {
		plain
		Old any `json:"old,omitempty"`
		New any `json:"new,omitempty"`
	}{plain: plain(t)}
	if t.Kind == KindSet || t.Kind == KindCleared {
		out.Old, out.New = t.Old.JSON(), t.New.JSON()
		if out.Old == nil {
			out.Old = json.RawMessage("null")
		}
		if out.New == nil {
			out.New = json.RawMessage("null")
		}
	}
	return json.Marshal(out)
}

// JSONL returns a trace function writing each event to w as one line of
// JSON. Write errors are dropped: a trace must not stop the engine.
func JSONL(w io.Writer) func(TraceEvent) {
	enc := json.NewEncoder(w)
	return func(ev TraceEvent) { _ = enc.Encode(ev) }
}
