// Package ingest turns input changes into typed changes the engine applies.
//
// Input is what SPEC section 1 describes: JSON Lines with one change per
// line, a JSON array of changes, or a single change object:
//
//	{"op":"upsert","type":"contact","id":"c1","props":{"score":5,"country":null}}
//	{"op":"delete","type":"contact","id":"c1"}
//	{"op":"event","event":"form_submitted","type":"contact","id":"c1","at":"2026-01-05T08:00:00Z","props":{"form_id":"demo"}}
//	{"op":"associate","type":"contact","id":"c1","to":"company","to_id":"co1","label":"primary"}
//	{"op":"hook","hook":"order_paid","body":{"order":{"id":"o1","total":120}}}
//
// A hook change is a call of an incoming webhook (SPEC 2.3) with its JSON
// body, kept as decoded JSON: the webhook's declared mapping, which the
// engine evaluates, decides which record it is for and what it carries.
// An event may name its record by a unique property instead of its id:
// "match":{"email":"a@example.com"}.
// Any change may carry "at" (RFC 3339 or epoch milliseconds): when it
// happened; and "client_id", a string of up to 200 bytes the sender picks
// to make the change idempotent: a server that stores changes applies a
// change with a client id it has seen before only once. Every value is typed against the Program's schema (the
// property's declared type), so the engine never sees a string where a
// number was declared. A null property value clears the property. Event property names are
// case-insensitive, and event occurrences are checked against the limits of
// SPEC 2.2. Errors name the line, the field and the reason, with a
// did-you-mean for a misspelt type or property name.
//
// This package decodes; it does not store or apply anything.
package ingest

import (
	"fmt"
	"strings"
	"time"

	"github.com/wflang/wf/value"
)

// Op is the kind of a change.
type Op uint8

// The change kinds.
const (
	Upsert    Op = iota // create the record or merge properties into it
	Delete              // remove the record
	Event               // an event occurred on the record
	Associate           // associate the record with another
	Hook                // an incoming webhook was called
)

var opNames = [...]string{"upsert", "delete", "event", "associate", "hook"}

func (o Op) String() string {
	if int(o) < len(opNames) {
		return opNames[o]
	}
	return fmt.Sprintf("op(%d)", o)
}

// Change is one typed change to one record.
type Change struct {
	Op   Op
	Type int    // object type: index into Program.Types
	ID   string // record id
	// Upsert: the properties named, in slot order. An Empty value clears.
	Props []Prop
	// At is when the change happened, from the optional "at" of any change
	// (zero: not given). The engine applies a change at its clock's time;
	// a caller replaying input runs the clock to At first.
	At time.Time
	// Event: the event type (index into Program.Events) and its properties
	// by the event type's slot (Empty: not given). Match, when not nil,
	// names the record by a unique property instead of ID.
	Event      int
	EventProps []value.Value
	Match      *Prop
	// Associate: the other record and the association label.
	ToType int
	ToID   string
	Label  string
	// Hook: the incoming webhook (index into Program.Hooks) and the
	// request body as encoding/json decodes it; Type is the webhook's
	// object type and ID is empty (the body names the record).
	Hook int
	Body map[string]any
	// Line is the input line the change started on (0 when not from text).
	Line int
	// Raw is the change's JSON as Decode read it (a slice of its input,
	// not a copy; nil from DecodeOne), for a caller that passes the
	// change on (runtime/cluster queues it for its partition's owner).
	Raw []byte
	// ClientID is the sender's idempotency key ("" when not given).
	ClientID string
}

// Prop is one property value of an upsert.
type Prop struct {
	Slot  int
	Value value.Value
}

// Error is one rejected change or field.
type Error struct {
	Line  int    // 1-based input line, 0 when unknown
	Field string // "contact.score", "op", "props" …; may be empty
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every error found in one input, in input order.
type Errors []*Error

func (es Errors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Error()
	}
	return strings.Join(msgs, "\n")
}
