package engine

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/wflang/wf/value"
)

// Hand-written JSON encoding of the durable state. A store adapter writes
// every changed record and enrollment as JSON on every commit, and
// encoding/json spends most of that time in reflection and in sorting map
// keys through it. The methods here write exactly the bytes encoding/json
// wrote for these types before they had them — same field order and
// omission rules, map keys sorted (integer keys as their decimal text),
// strings escaped as it escapes them (<, > and & included), numbers and
// times formatted as it formats them — so stored state reads back as it
// did, and state written before reads the same. state_json_test.go checks
// them against encoding/json on mirror types without the methods.
//
// value.Value has no MarshalJSON: it is written as encoding/json writes
// the struct, {"K":kind,"N":number,"S":string}.
//
// Values encoding/json refuses (a NaN or infinite number, a time outside
// the years 0 to 9999) are refused here too, with the error encoding/json
// gives for them.

// MarshalJSON implements json.Marshaler.
func (r RecordState) MarshalJSON() ([]byte, error) {
	e := getEnc()
	e.record(&r)
	return e.finish()
}

// AppendJSON appends r as MarshalJSON writes it to b.
func (r *RecordState) AppendJSON(b []byte) ([]byte, error) {
	e := getEnc()
	e.b = b
	e.record(r)
	return e.finishAppend(b)
}

// MarshalJSON implements json.Marshaler.
func (es EnrollmentState) MarshalJSON() ([]byte, error) {
	e := getEnc()
	e.enrollment(&es)
	return e.finish()
}

// AppendJSON appends es as MarshalJSON writes it to b.
func (es *EnrollmentState) AppendJSON(b []byte) ([]byte, error) {
	e := getEnc()
	e.b = b
	e.enrollment(es)
	return e.finishAppend(b)
}

// MarshalJSON implements json.Marshaler.
func (m MemberState) MarshalJSON() ([]byte, error) {
	e := getEnc()
	e.member(&m)
	return e.finish()
}

// MarshalJSON implements json.Marshaler.
func (h HistoryEvent) MarshalJSON() ([]byte, error) {
	e := getEnc()
	e.history(&h)
	return e.finish()
}

// stateEnc is the state of one encoding: the output, scratch space for
// sorting map keys (used as a stack: a nested map sorts its keys after
// the enclosing map's), and the first error.
type stateEnc struct {
	b    []byte
	own  []byte // the buffer MarshalJSON encodes into, kept across uses
	keys []string
	ints []int
	err  error
}

var encPool = sync.Pool{New: func() any { return &stateEnc{own: make([]byte, 0, 1024)} }}

func getEnc() *stateEnc {
	e := encPool.Get().(*stateEnc)
	e.b = e.own[:0]
	return e
}

func (e *stateEnc) release() {
	e.b, e.err = nil, nil
	if cap(e.own) > 1<<16 {
		e.own = make([]byte, 0, 1024)
	}
	if cap(e.keys) > 1<<12 {
		e.keys = nil
	}
	if cap(e.ints) > 1<<12 {
		e.ints = nil
	}
	encPool.Put(e)
}

// finish returns a copy of what was encoded into e.own.
func (e *stateEnc) finish() ([]byte, error) {
	var out []byte
	err := e.err
	if err == nil {
		out = bytes.Clone(e.b)
	}
	if cap(e.b) > cap(e.own) {
		e.own = e.b
	}
	e.release()
	return out, err
}

// finishAppend returns what was appended to b, or b on an error.
func (e *stateEnc) finishAppend(b []byte) ([]byte, error) {
	out, err := e.b, e.err
	e.release()
	if err != nil {
		return b, err
	}
	return out, nil
}

// field starts an object member: a comma unless it is the first, then
// key, which is the quoted name and a colon.
func (e *stateEnc) field(key string) {
	if e.b[len(e.b)-1] != '{' {
		e.b = append(e.b, ',')
	}
	e.b = append(e.b, key...)
}

func (e *stateEnc) record(r *RecordState) {
	e.b = append(e.b, `{"type":`...)
	e.b = appendJSONString(e.b, r.Type)
	e.b = append(e.b, `,"id":`...)
	e.b = appendJSONString(e.b, r.ID)
	if r.Deleted {
		e.b = append(e.b, `,"deleted":true`...)
	}
	if len(r.Props) > 0 {
		e.b = append(e.b, `,"props":`...)
		e.valueMap(r.Props)
	}
	if len(r.Links) > 0 {
		e.b = append(e.b, `,"links":`...)
		object(e, r.Links, func(ids []string) { e.b = appendStrings(e.b, ids) })
	}
	if len(r.Members) > 0 {
		e.b = append(e.b, `,"members":`...)
		object(e, r.Members, func(m MemberState) { e.member(&m) })
	}
	if len(r.Enrollments) > 0 {
		e.b = append(e.b, `,"enrollments":[`...)
		for i := range r.Enrollments {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.enrollment(&r.Enrollments[i])
		}
		e.b = append(e.b, ']')
	}
	if len(r.Waiting) > 0 {
		e.b = append(e.b, `,"waiting":[`...)
		for i, n := range r.Waiting {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = strconv.AppendUint(e.b, n, 10)
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, '}')
}

func (e *stateEnc) member(m *MemberState) {
	e.b = append(e.b, '{')
	if m.Matched {
		e.field(`"matched":true`)
	}
	if m.Ever {
		e.field(`"ever":true`)
	}
	if len(m.Dates) > 0 {
		e.field(`"dates":{`)
		keys := sortedInts(e, m.Dates)
		for i, k := range keys {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, '"')
			e.b = strconv.AppendInt(e.b, int64(k), 10)
			e.b = append(e.b, `":`...)
			e.time(m.Dates[k])
		}
		e.ints = e.ints[:len(e.ints)-len(keys)]
		e.b = append(e.b, '}')
	}
	if len(m.DateSeqs) > 0 {
		e.field(`"date_seqs":{`)
		keys := sortedInts(e, m.DateSeqs)
		for i, k := range keys {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.b = append(e.b, '"')
			e.b = strconv.AppendInt(e.b, int64(k), 10)
			e.b = append(e.b, `":`...)
			e.b = strconv.AppendUint(e.b, m.DateSeqs[k], 10)
		}
		e.ints = e.ints[:len(e.ints)-len(keys)]
		e.b = append(e.b, '}')
	}
	if m.Note != "" {
		e.field(`"note":`)
		e.b = appendJSONString(e.b, m.Note)
	}
	if !m.NoteAt.IsZero() {
		e.field(`"note_at":`)
		e.time(m.NoteAt)
	}
	e.b = append(e.b, '}')
}

func (e *stateEnc) enrollment(es *EnrollmentState) {
	e.b = append(e.b, `{"seq":`...)
	e.b = strconv.AppendUint(e.b, es.Seq, 10)
	e.b = append(e.b, `,"workflow":`...)
	e.b = appendJSONString(e.b, es.Workflow)
	e.b = append(e.b, `,"version":`...)
	e.b = appendJSONString(e.b, es.Version)
	e.b = append(e.b, `,"type":`...)
	e.b = appendJSONString(e.b, es.Type)
	e.b = append(e.b, `,"id":`...)
	e.b = appendJSONString(e.b, es.ID)
	e.b = append(e.b, `,"status":`...)
	e.b = strconv.AppendUint(e.b, uint64(es.Status), 10)
	if es.Step != "" {
		e.b = append(e.b, `,"step":`...)
		e.b = appendJSONString(e.b, es.Step)
	}
	e.b = append(e.b, `,"started":`...)
	e.time(es.Started)
	if !es.Ended.IsZero() {
		e.b = append(e.b, `,"ended":`...)
		e.time(es.Ended)
	}
	if !es.Due.IsZero() {
		e.b = append(e.b, `,"due":`...)
		e.time(es.Due)
	}
	if es.Resume != "" {
		e.b = append(e.b, `,"resume":`...)
		e.b = appendJSONString(e.b, es.Resume)
	}
	if es.TimerSeq != 0 {
		e.b = append(e.b, `,"timer_seq":`...)
		e.b = strconv.AppendUint(e.b, es.TimerSeq, 10)
	}
	if es.Wait != "" {
		e.b = append(e.b, `,"wait":`...)
		e.b = appendJSONString(e.b, es.Wait)
	}
	if es.HookAttempt != 0 {
		e.b = append(e.b, `,"hook_attempt":`...)
		e.b = strconv.AppendInt(e.b, int64(es.HookAttempt), 10)
	}
	if !es.HookFirst.IsZero() {
		e.b = append(e.b, `,"hook_first":`...)
		e.time(es.HookFirst)
	}
	if es.Delivering {
		e.b = append(e.b, `,"delivering":true`...)
	}
	if len(es.Outputs) > 0 {
		e.b = append(e.b, `,"outputs":`...)
		object(e, es.Outputs, func(o OutputState) { e.output(&o) })
	}
	if len(es.History) > 0 {
		e.b = append(e.b, `,"history":[`...)
		for i := range es.History {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.history(&es.History[i])
		}
		e.b = append(e.b, ']')
	}
	e.b = append(e.b, '}')
}

func (e *stateEnc) output(o *OutputState) {
	e.b = append(e.b, '{')
	if o.Hook != nil {
		e.field(`"hook":`)
		// A webhook's answer holds any decoded body: encoding/json
		// writes it (it writes these bytes embedded in the state too).
		data, err := json.Marshal(o.Hook)
		if err != nil {
			e.fail(err)
		}
		e.b = append(e.b, data...)
	}
	if len(o.Code) > 0 {
		e.field(`"code":`)
		e.valueMap(o.Code)
	}
	if o.Created != "" {
		e.field(`"created":`)
		e.b = appendJSONString(e.b, o.Created)
	}
	e.b = append(e.b, '}')
}

func (e *stateEnc) history(h *HistoryEvent) {
	e.b = append(e.b, `{"at":`...)
	e.time(h.At)
	e.b = append(e.b, `,"kind":`...)
	e.b = appendJSONString(e.b, string(h.Kind))
	if h.Step != "" {
		e.b = append(e.b, `,"step":`...)
		e.b = appendJSONString(e.b, h.Step)
	}
	if h.Prop != "" {
		e.b = append(e.b, `,"prop":`...)
		e.b = appendJSONString(e.b, h.Prop)
	}
	if !zeroValue(h.Old) {
		e.b = append(e.b, `,"old":`...)
		e.value(h.Old)
	}
	if !zeroValue(h.New) {
		e.b = append(e.b, `,"new":`...)
		e.value(h.New)
	}
	if h.Reason != "" {
		e.b = append(e.b, `,"reason":`...)
		e.b = appendJSONString(e.b, h.Reason)
	}
	e.b = append(e.b, '}')
}

// zeroValue is omitzero's test for a value.Value, which has no IsZero
// method: reflect's IsZero, which compares the struct with == (so an N
// of -0 is zero, and of NaN is not).
func zeroValue(v value.Value) bool { return v == value.Value{} }

// value writes v as encoding/json writes the struct.
func (e *stateEnc) value(v value.Value) {
	e.b = append(e.b, `{"K":`...)
	e.b = strconv.AppendUint(e.b, uint64(v.K), 10)
	e.b = append(e.b, `,"N":`...)
	e.float(v.N)
	e.b = append(e.b, `,"S":`...)
	e.b = appendJSONString(e.b, v.S)
	e.b = append(e.b, '}')
}

func (e *stateEnc) valueMap(m map[string]value.Value) { object(e, m, e.value) }

// object writes m as a JSON object with its keys sorted, as encoding/json
// does, each value by elem.
func object[V any](e *stateEnc, m map[string]V, elem func(V)) {
	e.b = append(e.b, '{')
	keys := sortedKeys(e, m)
	for i, k := range keys {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = appendJSONString(e.b, k)
		e.b = append(e.b, ':')
		elem(m[k])
	}
	e.popKeys(keys)
	e.b = append(e.b, '}')
}

// sortedKeys pushes m's keys on e's key stack and returns them sorted;
// popKeys takes them off again.
func sortedKeys[V any](e *stateEnc, m map[string]V) []string {
	start := len(e.keys)
	e.keys = slices.Grow(e.keys, len(m))
	for k := range m {
		e.keys = append(e.keys, k)
	}
	keys := e.keys[start:]
	slices.Sort(keys)
	return keys
}

func (e *stateEnc) popKeys(keys []string) {
	clear(keys)
	e.keys = e.keys[:len(e.keys)-len(keys)]
}

// sortedInts is sortedKeys for integer keys, which encoding/json sorts as
// their decimal text ("10" before "9").
func sortedInts[V any](e *stateEnc, m map[int]V) []int {
	start := len(e.ints)
	e.ints = slices.Grow(e.ints, len(m))
	for k := range m {
		e.ints = append(e.ints, k)
	}
	keys := e.ints[start:]
	slices.SortFunc(keys, compareDecimal)
	return keys
}

func compareDecimal(a, b int) int {
	if a >= 0 && b >= 0 && a < 10 && b < 10 {
		return a - b
	}
	var x, y [24]byte
	return bytes.Compare(strconv.AppendInt(x[:0], int64(a), 10), strconv.AppendInt(y[:0], int64(b), 10))
}

func (e *stateEnc) fail(err error) {
	if e.err == nil {
		e.err = err
	}
}

var timeType = reflect.TypeFor[time.Time]()

// time writes t as time.Time's MarshalJSON does.
func (e *stateEnc) time(t time.Time) {
	e.b = append(e.b, '"')
	b, err := t.AppendText(e.b)
	if err != nil {
		_, err = t.MarshalJSON()
		e.fail(&json.MarshalerError{Type: timeType, Err: err})
		e.b = append(e.b, '"')
		return
	}
	e.b = append(b, '"')
}

// float writes f as encoding/json writes a float64.
func (e *stateEnc) float(f float64) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		e.fail(&json.UnsupportedValueError{Value: reflect.ValueOf(f), Str: strconv.FormatFloat(f, 'g', -1, 64)})
		e.b = append(e.b, '0')
		return
	}
	e.b = appendJSONFloat(e.b, f)
}

func appendJSONFloat(b []byte, f float64) []byte {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		// An integer: what 'f' formatting writes ("-0" for negative
		// zero), without the float formatter.
		if f == 0 && math.Signbit(f) {
			return append(b, '-', '0')
		}
		return strconv.AppendInt(b, int64(f), 10)
	}
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// clean up e-09 to e-9
		n := len(b)
		if n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	return append(b, ']')
}

// jsonSafe marks the ASCII bytes encoding/json writes as they are in a
// string (with its default HTML escaping).
var jsonSafe = func() (safe [utf8.RuneSelf]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		safe[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return safe
}()

const hexDigits = "0123456789abcdef"

// appendJSONString writes s quoted as encoding/json does: <, > and &,
// control bytes, U+2028 and U+2029 escaped, invalid UTF-8 as \ufffd.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if jsonSafe[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
