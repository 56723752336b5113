package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/internal/spell"
	"github.com/wflang/wf/value"
)

// Limits on event occurrences (SPEC 2.2).
const (
	MaxEventProps = 50   // properties per occurrence
	MaxString     = 256  // characters of a string value
	MaxURL        = 1024 // characters of a url value
	MaxClientID   = 200  // bytes of a change's client id
)

// A Decoder decodes changes against one Program's schema. It is safe for
// concurrent use once built.
type Decoder struct {
	p      *bytecode.Program
	types  map[string]int
	events map[string]int
	hooks  map[string]int
	props  []map[string]int // per type: lower-case name → slot
	eprops []map[string]int // per event type
}

// NewDecoder returns a decoder for p's object and event types.
func NewDecoder(p *bytecode.Program) *Decoder {
	d := &Decoder{p: p, types: map[string]int{}, events: map[string]int{}, hooks: map[string]int{}}
	for i, h := range p.Hooks {
		d.hooks[h.Name] = i
	}
	for i, t := range p.Types {
		d.types[t.Name] = i
		d.props = append(d.props, propIndex(t.Props))
	}
	for i, e := range p.Events {
		d.events[e.Name] = i
		d.eprops = append(d.eprops, propIndex(e.Props))
	}
	return d
}

func propIndex(props []bytecode.Prop) map[string]int {
	m := make(map[string]int, len(props))
	for i, p := range props {
		m[strings.ToLower(p.Name)] = i
	}
	return m
}

// Decode decodes JSON Lines, a JSON array of changes or a single change
// object. It returns every change that decoded, in input order, and an
// Errors value listing the ones that did not (nil when all did): a bad
// line does not stop the lines after it.
func (d *Decoder) Decode(data []byte) ([]Change, error) {
	var (
		out  []Change
		errs Errors
	)
	emit := func(line int, raw []byte) {
		ch, err := d.DecodeOne(line, raw)
		if err != nil {
			errs = append(errs, err.(*Error))
			return
		}
		ch.Raw = raw
		out = append(out, ch)
	}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	first := 1 + bytes.Count(data[:len(data)-len(trimmed)], []byte("\n"))
	switch {
	case len(trimmed) == 0:
	case trimmed[0] == '[':
		d.decodeArray(data, emit, &errs)
	case json.Valid(trimmed):
		emit(first, trimmed)
	default:
		for i, line := range bytes.Split(data, []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			emit(i+1, line)
		}
	}
	if errs != nil {
		return out, errs
	}
	return out, nil
}

// decodeArray decodes a JSON array of changes, passing each element with
// the line it starts on to emit.
func (d *Decoder) decodeArray(data []byte, emit func(int, []byte), errs *Errors) {
	dec := json.NewDecoder(bytes.NewReader(data))
	lineAt := func(off int64) int { return 1 + bytes.Count(data[:off], []byte("\n")) }
	if _, err := dec.Token(); err != nil {
		*errs = append(*errs, &Error{Line: 1, Msg: "bad JSON: " + err.Error()})
		return
	}
	for dec.More() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			*errs = append(*errs, &Error{Line: lineAt(start), Msg: "bad JSON: " + err.Error()})
			return
		}
		// InputOffset was before the separating comma and blanks: skip them.
		skip := bytes.TrimLeft(data[start:], " \t\r\n,")
		emit(lineAt(int64(len(data)-len(skip))), raw)
	}
	if _, err := dec.Token(); err != nil {
		*errs = append(*errs, &Error{Line: lineAt(dec.InputOffset()), Msg: "bad JSON: " + err.Error()})
	}
}

var fields = []string{"op", "type", "object", "id", "props", "event", "at", "to", "to_id", "label", "match", "hook", "body"}

// DecodeOne decodes one change object; line is used in errors. The error,
// when not nil, is an *Error.
func (d *Decoder) DecodeOne(line int, raw []byte) (Change, error) {
	ch := Change{Line: line}
	fail := func(field, format string, args ...any) (Change, error) {
		return Change{}, &Error{Line: line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		if _, ok := err.(*json.UnmarshalTypeError); ok {
			var v any
			_ = json.Unmarshal(raw, &v) // valid JSON, only not an object
			return fail("", "expected a change object, got %s", describe(v))
		}
		return fail("", "bad JSON: %v", err)
	}
	cid, err := str(m, "client_id", false)
	if err != nil {
		return fail("client_id", "%v", err)
	}
	if len(cid) > MaxClientID {
		return fail("client_id", "%d characters; at most %d", len(cid), MaxClientID)
	}
	ch.ClientID = cid
	delete(m, "client_id")
	for _, k := range sortedKeys(m) {
		if !contains(fields, k) {
			return fail(k, "unknown field%s", hint(k, append(fields, "client_id")))
		}
	}
	op, err := str(m, "op", true)
	if err != nil {
		return fail("op", "%v", err)
	}
	switch op {
	case "upsert":
		ch.Op = Upsert
	case "delete":
		ch.Op = Delete
	case "event":
		ch.Op = Event
		return d.decodeEvent(ch, m)
	case "associate":
		ch.Op = Associate
	case "hook":
		ch.Op = Hook
		return d.decodeHook(ch, m)
	default:
		return fail("op", "unknown op %q; want upsert, delete, event, associate or hook", op)
	}
	typ, err := str(m, "type", true)
	if err != nil {
		return fail("type", "%v", err)
	}
	if ch.Type, err = d.typeIndex(typ); err != nil {
		return fail("type", "%v", err)
	}
	if ch.ID, err = id(m, "id"); err != nil {
		return fail("id", "%v", err)
	}
	if ch.At, err = at(m); err != nil {
		return fail("at", "%v", err)
	}
	tname := d.p.Types[ch.Type].Name
	allowed := map[Op][]string{Upsert: {"props"}, Delete: nil, Associate: {"to", "to_id", "label"}}[ch.Op]
	for _, k := range sortedKeys(m) {
		if k != "op" && k != "type" && k != "id" && k != "at" && !contains(allowed, k) {
			return fail(k, "not allowed in a%s %s change", article(op), op)
		}
	}
	switch ch.Op {
	case Upsert:
		props, err := objectField(m, "props")
		if err != nil {
			return fail("props", "%v", err)
		}
		seen := map[int]string{}
		for _, name := range sortedKeys(props) {
			field := tname + "." + name
			slot, ok := d.props[ch.Type][strings.ToLower(name)]
			if !ok {
				return fail(field, "unknown property of %s%s", tname, hint(strings.ToLower(name), propNames(d.p.Types[ch.Type].Props)))
			}
			if prev, dup := seen[slot]; dup {
				return fail(field, "given twice (as %q and %q)", prev, name)
			}
			seen[slot] = name
			v, err := typed(d.p.Types[ch.Type].Props[slot].Type, props[name])
			if err != nil {
				return fail(field, "%v", err)
			}
			ch.Props = append(ch.Props, Prop{Slot: slot, Value: v})
		}
		sort.Slice(ch.Props, func(i, j int) bool { return ch.Props[i].Slot < ch.Props[j].Slot })
	case Associate:
		to, err := str(m, "to", true)
		if err != nil {
			return fail("to", "%v", err)
		}
		if ch.ToType, err = d.typeIndex(to); err != nil {
			return fail("to", "%v", err)
		}
		if ch.ToID, err = id(m, "to_id"); err != nil {
			return fail("to_id", "%v", err)
		}
		if ch.Label, err = str(m, "label", false); err != nil {
			return fail("label", "%v", err)
		}
	}
	return ch, nil
}

func (d *Decoder) decodeEvent(ch Change, m map[string]any) (Change, error) {
	fail := func(field, format string, args ...any) (Change, error) {
		return Change{}, &Error{Line: ch.Line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	for _, k := range sortedKeys(m) {
		if !contains([]string{"op", "event", "type", "object", "id", "match", "at", "props"}, k) {
			return fail(k, "not allowed in an event change")
		}
	}
	name, err := str(m, "event", true)
	if err != nil {
		return fail("event", "%v", err)
	}
	ev, ok := d.events[strings.ToLower(name)]
	if !ok {
		names := make([]string, len(d.p.Events))
		for i, e := range d.p.Events {
			names[i] = e.Name
		}
		return fail("event", "unknown event type %q%s", name, hint(strings.ToLower(name), names))
	}
	et := d.p.Events[ev]
	ch.Event, ch.Type = ev, et.Object
	tname := d.p.Types[et.Object].Name
	for _, k := range []string{"type", "object"} {
		t, err := str(m, k, false)
		if err != nil {
			return fail(k, "%v", err)
		}
		if t != "" && !strings.EqualFold(t, tname) {
			return fail(k, "event %s happens on %s, not %s", et.Name, tname, t)
		}
	}
	switch match, hasID := m["match"], m["id"] != nil; {
	case match != nil && hasID:
		return fail("match", "give \"id\" or \"match\", not both")
	case match != nil:
		if ch.Match, err = d.match(et.Object, match); err != nil {
			return fail("match", "%v", err)
		}
	default:
		if ch.ID, err = id(m, "id"); err != nil {
			return fail("id", "%v", err)
		}
	}
	if ch.At, err = at(m); err != nil {
		return fail("at", "%v", err)
	}
	props, err := objectField(m, "props")
	if err != nil {
		return fail("props", "%v", err)
	}
	if len(props) > MaxEventProps {
		return fail("props", "%d properties; an event occurrence may have at most %d", len(props), MaxEventProps)
	}
	ch.EventProps = make([]value.Value, len(et.Props))
	seen := map[int]string{}
	for _, key := range sortedKeys(props) {
		field := et.Name + "." + key
		slot, ok := d.eprops[ev][strings.ToLower(key)]
		if !ok {
			return fail(field, "unknown property of event %s%s", et.Name, hint(strings.ToLower(key), propNames(et.Props)))
		}
		if prev, dup := seen[slot]; dup {
			return fail(field, "given twice (as %q and %q); event property names are case-insensitive", prev, key)
		}
		seen[slot] = key
		t := et.Props[slot].Type
		v, err := typed(t, props[key])
		if err != nil {
			return fail(field, "%v", err)
		}
		limit := MaxString
		if t.Kind == value.TURL {
			limit = MaxURL
		}
		if v.K == value.String && utf8.RuneCountInString(v.S) > limit {
			return fail(field, "%d characters; a %s value may have at most %d", utf8.RuneCountInString(v.S), t, limit)
		}
		ch.EventProps[slot] = v
	}
	return ch, nil
}

// match reads an event's "match": {"<unique property>": value}.
func (d *Decoder) match(typ int, v any) (*Prop, error) {
	t := d.p.Types[typ]
	var unique []string
	for _, p := range t.Props {
		if p.Unique {
			unique = append(unique, p.Name)
		}
	}
	obj, ok := v.(map[string]any)
	if !ok || len(obj) != 1 {
		return nil, fmt.Errorf("expected an object with one unique property of %s (%s), got %s", t.Name, strings.Join(unique, ", "), describe(v))
	}
	var name string
	var val any
	for name, val = range obj { // the one entry
	}
	slot, ok := d.props[typ][strings.ToLower(name)]
	if !ok || !t.Props[slot].Unique {
		return nil, fmt.Errorf("%q is not a unique property of %s%s", name, t.Name, hint(strings.ToLower(name), unique))
	}
	x, err := typed(t.Props[slot].Type, val)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", t.Props[slot].Name, err)
	}
	if x.IsEmpty() {
		return nil, fmt.Errorf("%s: null matches no record", t.Props[slot].Name)
	}
	return &Prop{Slot: slot, Value: x}, nil
}

func (d *Decoder) typeIndex(name string) (int, error) {
	if i, ok := d.types[strings.ToLower(name)]; ok {
		return i, nil
	}
	names := make([]string, len(d.p.Types))
	for i, t := range d.p.Types {
		names[i] = t.Name
	}
	return 0, fmt.Errorf("unknown object type %q%s", name, hint(strings.ToLower(name), names))
}

// typed converts one decoded JSON value to t; null is Empty (it clears).
func typed(t value.Type, v any) (value.Value, error) {
	if v == nil {
		return value.Value{}, nil
	}
	return value.FromJSON(t, v)
}

// at reads the optional "at": when the change happened.
func at(m map[string]any) (time.Time, error) {
	if m["at"] == nil {
		return time.Time{}, nil
	}
	v, err := value.FromJSON(value.DateTimeType, m["at"])
	if err != nil {
		return time.Time{}, err
	}
	return v.Time(), nil
}

func str(m map[string]any, key string, required bool) (string, error) {
	v := m[key]
	if v == nil {
		if required {
			return "", fmt.Errorf("missing")
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("expected a string, got %s", describe(v))
	}
	if required && s == "" {
		return "", fmt.Errorf("must not be empty")
	}
	return s, nil
}

// id reads a record id: a non-empty string, or an integer (CRM ids often are).
func id(m map[string]any, key string) (string, error) {
	switch v := m[key].(type) {
	case nil:
		return "", fmt.Errorf("missing")
	case string:
		if v == "" {
			return "", fmt.Errorf("must not be empty")
		}
		return v, nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return strconv.FormatInt(int64(v), 10), nil
		}
	}
	return "", fmt.Errorf("expected a string or an integer, got %s", describe(m[key]))
}

func objectField(m map[string]any, key string) (map[string]any, error) {
	v := m[key]
	if v == nil {
		return nil, nil
	}
	props, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("expected an object, got %s", describe(v))
	}
	return props, nil
}

// describe names the JSON kind of a decoded value, with the value when it
// is short: `string "x"`, `number 3`, `an array`.
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		if len(v) > 40 {
			return "a long string"
		}
		return "string " + strconv.Quote(v)
	case float64:
		return "number " + strconv.FormatFloat(v, 'g', -1, 64)
	case bool:
		return "bool " + strconv.FormatBool(v)
	case map[string]any:
		return "an object"
	}
	return "an array"
}

func hint(name string, candidates []string) string {
	if s := spell.Nearest(name, candidates); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return ""
}

func propNames(props []bytecode.Prop) []string {
	names := make([]string, len(props))
	for i, p := range props {
		names[i] = p.Name
	}
	return names
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func article(word string) string {
	if strings.ContainsRune("aeiou", rune(word[0])) {
		return "n"
	}
	return ""
}

// decodeHook decodes a call of an incoming webhook:
// {"op":"hook","hook":"order_paid","body":{…},"at":…}.
func (d *Decoder) decodeHook(ch Change, m map[string]any) (Change, error) {
	fail := func(field, format string, args ...any) (Change, error) {
		return Change{}, &Error{Line: ch.Line, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	for _, k := range sortedKeys(m) {
		if !contains([]string{"op", "hook", "body", "at"}, k) {
			return fail(k, "not allowed in a hook change")
		}
	}
	name, err := str(m, "hook", true)
	if err != nil {
		return fail("hook", "%v", err)
	}
	i, ok := d.hooks[name]
	if !ok {
		return fail("hook", "unknown incoming webhook %q%s", name, hint(name, sortedKeys(d.hooks)))
	}
	ch.Hook, ch.Type = i, d.p.Hooks[i].Object
	if ch.Body, err = objectField(m, "body"); err != nil {
		return fail("body", "%v", err)
	}
	if ch.At, err = at(m); err != nil {
		return fail("at", "%v", err)
	}
	return ch, nil
}
