package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wflang/wf/value"
)

// The state's hand-written MarshalJSON methods must write what
// encoding/json writes for the same structs without them. The plain*
// types mirror the state types field for field, tag for tag (checked by
// TestPlainMirrors), minus the methods; encoding/json marshals them.

type plainRecord struct {
	Type        string                 `json:"type"`
	ID          string                 `json:"id"`
	Deleted     bool                   `json:"deleted,omitempty"`
	Props       map[string]value.Value `json:"props,omitempty"`
	Links       map[string][]string    `json:"links,omitempty"`
	Members     map[string]plainMember `json:"members,omitempty"`
	Enrollments []plainEnrollment      `json:"enrollments,omitempty"`
	Waiting     []uint64               `json:"waiting,omitempty"`
}

type plainMember struct {
	Matched  bool              `json:"matched,omitempty"`
	Ever     bool              `json:"ever,omitempty"`
	Dates    map[int]time.Time `json:"dates,omitempty"`
	DateSeqs map[int]uint64    `json:"date_seqs,omitempty"`
	Note     string            `json:"note,omitempty"`
	NoteAt   time.Time         `json:"note_at,omitzero"`
}

type plainEnrollment struct {
	Seq         uint64                 `json:"seq"`
	Workflow    string                 `json:"workflow"`
	Version     string                 `json:"version"`
	Type        string                 `json:"type"`
	ID          string                 `json:"id"`
	Status      Status                 `json:"status"`
	Step        string                 `json:"step,omitempty"`
	Started     time.Time              `json:"started"`
	Ended       time.Time              `json:"ended,omitzero"`
	Due         time.Time              `json:"due,omitzero"`
	Resume      string                 `json:"resume,omitempty"`
	TimerSeq    uint64                 `json:"timer_seq,omitempty"`
	Wait        string                 `json:"wait,omitempty"`
	HookAttempt int                    `json:"hook_attempt,omitempty"`
	HookFirst   time.Time              `json:"hook_first,omitzero"`
	Delivering  bool                   `json:"delivering,omitempty"`
	Outputs     map[string]OutputState `json:"outputs,omitempty"`
	History     []plainHistory         `json:"history,omitempty"`
}

type plainHistory struct {
	At     time.Time   `json:"at"`
	Kind   TraceKind   `json:"kind"`
	Step   string      `json:"step,omitempty"`
	Prop   string      `json:"prop,omitempty"`
	Old    value.Value `json:"old,omitzero"`
	New    value.Value `json:"new,omitzero"`
	Reason string      `json:"reason,omitempty"`
}

var mirrors = map[reflect.Type]reflect.Type{
	reflect.TypeFor[RecordState]():     reflect.TypeFor[plainRecord](),
	reflect.TypeFor[MemberState]():     reflect.TypeFor[plainMember](),
	reflect.TypeFor[EnrollmentState](): reflect.TypeFor[plainEnrollment](),
	reflect.TypeFor[HistoryEvent]():    reflect.TypeFor[plainHistory](),
}

// mirrorOf is the type t is marshalled as in the mirror.
func mirrorOf(t reflect.Type) reflect.Type {
	if m, ok := mirrors[t]; ok {
		return m
	}
	switch t.Kind() {
	case reflect.Map:
		return reflect.MapOf(mirrorOf(t.Key()), mirrorOf(t.Elem()))
	case reflect.Slice:
		return reflect.SliceOf(mirrorOf(t.Elem()))
	}
	return t
}

// TestPlainMirrors: each mirror has the fields of its type, in the same
// order, with the same names, tags and (mirrored) types; and the types the
// encoder writes by hand that have no MarshalJSON of their own still have
// none.
func TestPlainMirrors(t *testing.T) {
	for typ, m := range mirrors {
		if typ.NumField() != m.NumField() {
			t.Fatalf("%v has %d fields, its mirror %d", typ, typ.NumField(), m.NumField())
		}
		for i := range typ.NumField() {
			f, g := typ.Field(i), m.Field(i)
			if f.Name != g.Name || f.Tag != g.Tag || mirrorOf(f.Type) != g.Type {
				t.Errorf("%v field %d: %s %v `%s`, mirror %s %v `%s`", typ, i, f.Name, f.Type, f.Tag, g.Name, g.Type, g.Tag)
			}
		}
		if !reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Marshaler]()) {
			t.Errorf("%v has no MarshalJSON", typ)
		}
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[value.Value](), reflect.TypeFor[value.Kind](), reflect.TypeFor[OutputState](),
		reflect.TypeFor[Status](), reflect.TypeFor[TraceKind]()} {
		if reflect.PointerTo(typ).Implements(reflect.TypeFor[json.Marshaler]()) ||
			reflect.PointerTo(typ).Implements(reflect.TypeFor[interface{ MarshalText() ([]byte, error) }]()) {
			t.Errorf("%v marshals itself now: state_json.go must write it as it does", typ)
		}
	}
}

// toPlain copies v (a state type) into its mirror.
func toPlain(v reflect.Value) reflect.Value {
	if v.Kind() == reflect.Pointer {
		return toPlain(v.Elem())
	}
	mt := mirrorOf(v.Type())
	if mt == v.Type() {
		return v
	}
	out := reflect.New(mt).Elem()
	switch v.Kind() {
	case reflect.Struct:
		for i := range v.NumField() {
			out.Field(i).Set(toPlain(v.Field(i)))
		}
	case reflect.Map:
		if v.IsNil() {
			return out
		}
		out.Set(reflect.MakeMapWithSize(mt, v.Len()))
		for it := v.MapRange(); it.Next(); {
			out.SetMapIndex(toPlain(it.Key()), toPlain(it.Value()))
		}
	case reflect.Slice:
		if v.IsNil() {
			return out
		}
		out.Set(reflect.MakeSlice(mt, v.Len(), v.Len()))
		for i := range v.Len() {
			out.Index(i).Set(toPlain(v.Index(i)))
		}
	}
	return out
}

func plainJSON(v any) ([]byte, error) { return json.Marshal(toPlain(reflect.ValueOf(v)).Interface()) }

// gen makes varied state. canonical keeps to what reads back as it was
// written (valid UTF-8, no hook bodies, no NaN).
type gen struct {
	r         *rand.Rand
	canonical bool
}

var genPieces = []string{"", "a", "contact", "c1", "q17", "hello world", "<b>", ">", "&amp;", `"`, `\`, "/", "\n", "\r\t",
	"\b\f", "\x00", "\x01", "\x1f", "\x7f", "é", "世界", "\u2028", "\u2029", "😀", "\ufffd", "\u00a0", " ", "'", "`",
	"\x1fsep", "a\x1fb", "\xff", "\xc3", "\xe2\x80", "\xed\xa0\x80", "}", "{", ":", ","}

func (g *gen) str() string {
	n := g.r.IntN(4)
	var b strings.Builder
	for range n {
		p := genPieces[g.r.IntN(len(genPieces))]
		if g.canonical && !utf8Valid(p) {
			p = "x"
		}
		b.WriteString(p)
	}
	if g.r.IntN(8) == 0 {
		for range g.r.IntN(40) {
			b.WriteByte(byte('a' + g.r.IntN(26)))
		}
	}
	return b.String()
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\x00invalid") == s }

var genFloats = []float64{0, 1, -1, 0.5, 0.1, 1e-6, 1e-7, 9.99e-7, 123456789, 1e15, 1e15 + 1, 1e16, 1e20, 1e21, 1e22,
	-1e21, 1.5e300, -2.5e-300, 5e-324, math.MaxFloat64, math.SmallestNonzeroFloat64, 1 << 53, 1<<53 + 2, -(1 << 62),
	9007199254740993, 12.25, 3.14159, 1e-9, -0.000001, 100, 999999999999999, 1e14 + 0.5}

func (g *gen) float() float64 {
	switch g.r.IntN(5) {
	case 0:
		return genFloats[g.r.IntN(len(genFloats))]
	case 1:
		return float64(g.r.IntN(2000) - 1000)
	case 2:
		if g.r.IntN(4) == 0 && !g.canonical {
			return math.Copysign(0, -1)
		}
		return g.r.NormFloat64() * math.Pow(10, float64(g.r.IntN(60)-30))
	case 3:
		for {
			f := math.Float64frombits(g.r.Uint64())
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				return f
			}
		}
	}
	return float64(g.r.Int64N(1<<40)) / 1000
}

var genZones = []*time.Location{time.UTC, time.FixedZone("", 0), time.FixedZone("X", 5*3600+30*60), time.FixedZone("Y", -(9*3600 + 45*60)),
	time.FixedZone("Z", 3600+2*60+3), time.FixedZone("W", -59)}

func (g *gen) time() time.Time {
	switch g.r.IntN(6) {
	case 0:
		return time.Time{}
	case 1:
		return time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	case 2:
		return time.Now()
	}
	t := time.Unix(g.r.Int64N(253402300799+62135596800)-62135596800, 0).UTC()
	switch g.r.IntN(3) {
	case 0:
		t = t.Add(time.Duration(g.r.IntN(1e9)))
	case 1:
		t = t.Add(time.Duration(g.r.IntN(1000)) * time.Millisecond)
	}
	if !g.canonical {
		t2 := t.In(genZones[g.r.IntN(len(genZones))])
		if y := t2.Year(); y >= 0 && y <= 9999 {
			t = t2
		}
	}
	return t
}

func (g *gen) value() value.Value {
	switch k := value.Kind(g.r.IntN(9)); k {
	case 0:
		return value.Value{}
	case value.Bool:
		return value.BoolOf(g.r.IntN(2) == 0)
	case value.Number, value.Duration, value.DateTime, value.Date:
		return value.Value{K: k, N: g.float()}
	case value.String:
		return value.Str(g.str())
	case value.List:
		ms := make([]string, g.r.IntN(4))
		for i := range ms {
			ms[i] = g.str()
		}
		return value.ListOf(ms)
	default:
		// Not a value the engine makes, but a struct encoding/json writes.
		return value.Value{K: value.Kind(g.r.IntN(256)), N: g.float(), S: g.str()}
	}
}

func (g *gen) values(n int) map[string]value.Value {
	if n == 0 && g.r.IntN(2) == 0 {
		return nil
	}
	m := map[string]value.Value{}
	for range n {
		m[g.str()] = g.value()
	}
	return m
}

func (g *gen) strs() []string {
	if g.r.IntN(5) == 0 && !g.canonical {
		return nil
	}
	ss := make([]string, g.r.IntN(4))
	for i := range ss {
		ss[i] = g.str()
	}
	return ss
}

func (g *gen) member() MemberState {
	m := MemberState{Matched: g.r.IntN(2) == 0, Ever: g.r.IntN(2) == 0}
	if g.r.IntN(2) == 0 {
		m.Note = g.str()
	}
	if g.r.IntN(2) == 0 {
		m.NoteAt = g.time()
	}
	if n := g.r.IntN(5); n > 0 || g.r.IntN(3) == 0 && !g.canonical {
		m.Dates, m.DateSeqs = map[int]time.Time{}, map[int]uint64{}
		for range n {
			k := g.r.IntN(25)
			switch g.r.IntN(6) {
			case 0:
				k = -k
			case 1:
				k = g.r.Int()
			}
			m.Dates[k] = g.time()
			if g.r.IntN(4) > 0 {
				m.DateSeqs[k] = g.r.Uint64() >> g.r.IntN(64)
			}
		}
	}
	return m
}

func (g *gen) history() HistoryEvent {
	kinds := []TraceKind{KindEnrolled, KindStep, KindSet, KindCleared, KindWaiting, KindResumed, KindConverted, KindError, TraceKind(g.str())}
	h := HistoryEvent{At: g.time(), Kind: kinds[g.r.IntN(len(kinds))], Step: g.str(), Prop: g.str(), Reason: g.str()}
	if g.r.IntN(2) == 0 {
		h.Old = g.value()
	}
	if g.r.IntN(2) == 0 {
		h.New = g.value()
	}
	if g.r.IntN(6) == 0 && !g.canonical {
		h.Old = value.Value{N: math.Copysign(0, -1)} // omitzero's zero: == value.Value{}
	}
	return h
}

func (g *gen) output() OutputState {
	var o OutputState
	switch g.r.IntN(4) {
	case 0:
		o.Hook = &WebhookResult{Status: g.r.IntN(600), Retry: g.time(), Err: g.str()}
		if g.r.IntN(2) == 0 {
			o.Hook.Headers = map[string]string{g.str(): g.str(), "Content-Type": "text/html; <x>"}
		}
		if !g.canonical {
			o.Hook.Body = map[string]any{"a": []any{1.5, "<&>", nil, true}, g.str(): g.float()}
		}
	case 1:
		o.Code = g.values(g.r.IntN(4))
	case 2:
		o.Created = g.str()
	}
	return o
}

func (g *gen) enrollment() EnrollmentState {
	es := EnrollmentState{
		Seq: g.r.Uint64(), Workflow: g.str(), Version: g.str(), Type: g.str(), ID: g.str(),
		Status: Status(g.r.IntN(6)), Step: g.str(), Started: g.time(), Ended: g.time(), Due: g.time(),
		Resume: []string{"", "next", "else", "self"}[g.r.IntN(4)], TimerSeq: g.r.Uint64N(1000) * uint64(g.r.IntN(2)),
		Wait: g.str(), HookAttempt: g.r.IntN(5) - 1, HookFirst: g.time(), Delivering: g.r.IntN(2) == 0,
	}
	if n := g.r.IntN(4); n > 0 {
		es.Outputs = map[string]OutputState{}
		for range n {
			es.Outputs[g.str()] = g.output()
		}
	}
	if n := g.r.IntN(8); n > 0 || g.r.IntN(3) == 0 && !g.canonical {
		es.History = make([]HistoryEvent, n)
		for i := range es.History {
			es.History[i] = g.history()
		}
	}
	return es
}

func (g *gen) record() RecordState {
	rs := RecordState{Type: g.str(), ID: g.str(), Deleted: g.r.IntN(5) == 0}
	rs.Props = g.values(g.r.IntN(30))
	if n := g.r.IntN(4); n > 0 || g.r.IntN(3) == 0 && !g.canonical {
		rs.Links = map[string][]string{}
		for range n {
			rs.Links[g.str()] = g.strs()
		}
	}
	if n := g.r.IntN(4); n > 0 || g.r.IntN(3) == 0 && !g.canonical {
		rs.Members = map[string]MemberState{}
		for range n {
			rs.Members[g.str()] = g.member()
		}
	}
	if n := g.r.IntN(4); n > 0 || g.r.IntN(3) == 0 && !g.canonical {
		rs.Enrollments = make([]EnrollmentState, n)
		for i := range rs.Enrollments {
			rs.Enrollments[i] = g.enrollment()
		}
	}
	if n := g.r.IntN(4); n > 0 || g.r.IntN(3) == 0 && !g.canonical {
		rs.Waiting = make([]uint64, n)
		for i := range rs.Waiting {
			rs.Waiting[i] = g.r.Uint64() >> g.r.IntN(64)
		}
	}
	return rs
}

// checkSame compares v's MarshalJSON, json.Marshal of v and AppendJSON
// (where it has one) with encoding/json's encoding of its mirror.
func checkSame(t *testing.T, v any) {
	t.Helper()
	want, werr := plainJSON(v)
	got, gerr := v.(json.Marshaler).MarshalJSON()
	viaJSON, jerr := json.Marshal(v)
	if (werr != nil) != (gerr != nil) || (werr != nil) != (jerr != nil) {
		t.Fatalf("errors: encoding/json %v, MarshalJSON %v, json.Marshal %v\nvalue %#v", werr, gerr, jerr, v)
	}
	if werr != nil {
		if werr.Error() != gerr.Error() {
			t.Fatalf("MarshalJSON error %q, encoding/json's %q", gerr, werr)
		}
		return
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("MarshalJSON differs from encoding/json\n got %s\nwant %s\nvalue %#v", got, want, v)
	}
	if !bytes.Equal(viaJSON, want) {
		t.Fatalf("json.Marshal differs from encoding/json\n got %s\nwant %s", viaJSON, want)
	}
	if a, ok := v.(interface{ AppendJSON([]byte) ([]byte, error) }); ok {
		pre := []byte("prefix")
		out, err := a.AppendJSON(pre)
		if err != nil || string(out[:len(pre)]) != "prefix" || !bytes.Equal(out[len(pre):], want) {
			t.Fatalf("AppendJSON: %q, %v\nwant %s", out, err, want)
		}
	}
}

func checkState(t *testing.T, rs RecordState) {
	t.Helper()
	checkSame(t, rs)
	checkSame(t, &rs)
	for _, es := range rs.Enrollments {
		checkSame(t, es)
		checkSame(t, &es)
		for _, h := range es.History {
			checkSame(t, h)
		}
	}
	for _, m := range rs.Members {
		checkSame(t, m)
	}
}

// TestStateJSONMatchesEncodingJSON: for many varied states, the methods
// write exactly what encoding/json writes.
func TestStateJSONMatchesEncodingJSON(t *testing.T) {
	n := 5000
	if testing.Short() {
		n = 500
	}
	for i := range n {
		g := &gen{r: rand.New(rand.NewPCG(uint64(i), 7))}
		checkState(t, g.record())
	}
	checkState(t, RecordState{})
	checkState(t, RecordState{Props: map[string]value.Value{}, Links: map[string][]string{"x": nil, "y": {}},
		Members: map[string]MemberState{"": {}}, Enrollments: []EnrollmentState{{History: []HistoryEvent{}}}, Waiting: []uint64{}})
	checkState(t, RecordState{Members: map[string]MemberState{"w": {Dates: map[int]time.Time{
		1: {}, 2: {}, 9: {}, 10: {}, 11: {}, 100: {}, -1: {}, -10: {}, -2: {}, 0: {}, math.MaxInt: {}, math.MinInt: {}}}}})
}

// TestStateJSONErrors: what encoding/json refuses (NaN and infinite
// numbers, times outside the years 0 to 9999) is refused too, with its
// error.
func TestStateJSONErrors(t *testing.T) {
	bad := []RecordState{
		{Props: map[string]value.Value{"n": {K: value.Number, N: math.NaN()}}},
		{Props: map[string]value.Value{"n": {K: value.Number, N: math.Inf(1)}}},
		{Props: map[string]value.Value{"a": {K: value.Number, N: 1}, "n": {K: value.Number, N: math.Inf(-1)}}},
		{Members: map[string]MemberState{"w": {NoteAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}},
		{Members: map[string]MemberState{"w": {Dates: map[int]time.Time{3: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}}},
		{Enrollments: []EnrollmentState{{Started: time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600))}}},
		{Enrollments: []EnrollmentState{{History: []HistoryEvent{{New: value.Value{N: math.NaN()}}}}}},
		{Enrollments: []EnrollmentState{{Outputs: map[string]OutputState{"o": {Code: map[string]value.Value{"x": {N: math.Inf(1)}}}}}}},
		{Enrollments: []EnrollmentState{{Outputs: map[string]OutputState{"o": {Hook: &WebhookResult{Body: math.NaN()}}}}}},
	}
	for _, rs := range bad {
		if _, err := plainJSON(rs); err == nil {
			t.Fatalf("encoding/json takes %#v", rs)
		}
		checkState(t, rs)
	}
}

// normalize makes states comparable after a round trip: times in UTC
// without monotonic readings, empty maps and slices nil.
func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if t, ok := v.Addr().Interface().(*time.Time); ok {
			*t = t.UTC().Round(0)
			return
		}
		for i := range v.NumField() {
			normalize(v.Field(i))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			normalize(v.Elem())
		}
	case reflect.Map:
		if v.Len() == 0 {
			v.SetZero()
			return
		}
		for it := v.MapRange(); it.Next(); {
			e := reflect.New(v.Type().Elem()).Elem()
			e.Set(it.Value())
			normalize(e)
			v.SetMapIndex(it.Key(), e)
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.SetZero()
			return
		}
		for i := range v.Len() {
			normalize(v.Index(i))
		}
	}
}

// TestStateJSONRoundTrip: json.Unmarshal of the output gives the state
// back.
func TestStateJSONRoundTrip(t *testing.T) {
	for i := range 2000 {
		g := &gen{r: rand.New(rand.NewPCG(uint64(i), 11)), canonical: true}
		rs := g.record()
		data, err := json.Marshal(rs)
		if err != nil {
			t.Fatal(err)
		}
		var back RecordState
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatalf("%v\n%s", err, data)
		}
		normalize(reflect.ValueOf(&rs).Elem())
		normalize(reflect.ValueOf(&back).Elem())
		if !reflect.DeepEqual(rs, back) {
			t.Fatalf("round trip\n got %#v\nwant %#v\njson %s", back, rs, data)
		}
	}
}

// FuzzRecordStateJSON: states built from the fuzzer's strings, number and
// time, plus random ones from its seed, encode as encoding/json does.
func FuzzRecordStateJSON(f *testing.F) {
	f.Add(uint64(0), "contact", "c1", "q1", 42.0, int64(1767603600000), uint8(2), 3)
	f.Add(uint64(1), "<a href=\"x\">&amp;</a>", "\u2028\u2029", "\xff\xfe", -0.0, int64(0), uint8(3), -1)
	f.Add(uint64(2), "é世😀", "\x00\x1f\x7f", "a\x1fb", 1e21, int64(-62135596800000), uint8(7), 10)
	f.Add(uint64(3), "", "", "", 1e-7, int64(253402300799999), uint8(255), 100)
	f.Add(uint64(4), "\\\"/", "\t\n\r\b\f", "}{,:", math.MaxFloat64, int64(1), uint8(0), 0)
	f.Fuzz(func(t *testing.T, seed uint64, s1, s2, s3 string, n float64, ms int64, k uint8, key int) {
		g := &gen{r: rand.New(rand.NewPCG(seed, 13))}
		rs := g.record()
		at := time.UnixMilli(ms).UTC()
		v := value.Value{K: value.Kind(k), N: n, S: s3}
		if rs.Props == nil {
			rs.Props = map[string]value.Value{}
		}
		rs.Type, rs.ID = s1, s2
		rs.Props[s1], rs.Props[s2] = v, value.Str(s3)
		rs.Links = map[string][]string{s3: {s1, s2}}
		rs.Members = map[string]MemberState{s1: {Note: s2, NoteAt: at, Dates: map[int]time.Time{key: at, key + 1: at}, DateSeqs: map[int]uint64{key: uint64(ms)}}}
		rs.Enrollments = append(rs.Enrollments, EnrollmentState{Workflow: s1, Step: s2, Wait: s3, Started: at, Due: at,
			Outputs: map[string]OutputState{s3: {Code: map[string]value.Value{s1: v}, Created: s2}},
			History: []HistoryEvent{{At: at, Kind: TraceKind(s1), Prop: s2, Old: v, New: v, Reason: s3}}})
		checkState(t, rs)
	})
}

// typicalRecord is a contact as BenchmarkEngineIngestDurable's records
// are after a while: its country and a few dozen numeric properties, a
// link, one workflow's membership with a date timer, waiting in one
// enrollment.
func typicalRecord() RecordState {
	rs := RecordState{Type: "contact", ID: "c417", Props: map[string]value.Value{"country": value.Str("NL")}}
	for i := range 40 {
		rs.Props[fmt.Sprintf("q%d", i*5)] = value.Num(float64(i * 31 % 100))
	}
	rs.Props["email"] = value.Str("someone@example.com")
	rs.Props["createdate"] = value.Time(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC))
	rs.Links = map[string][]string{"company": {"acme"}}
	due := time.Date(2026, 1, 7, 9, 0, 0, 0, time.UTC)
	rs.Members = map[string]MemberState{"w0": {Matched: true, Ever: true, Dates: map[int]time.Time{1: due}, DateSeqs: map[int]uint64{1: 12}}}
	rs.Waiting = []uint64{417}
	return rs
}

// typicalEnrollment is an enrollment waiting at a delay after setting a
// property.
func typicalEnrollment() EnrollmentState {
	at := time.Date(2026, 1, 5, 9, 0, 0, 123000000, time.UTC)
	return EnrollmentState{
		Seq: 417, Workflow: "w0", Version: "4f0c1a9b2e7d6c3f", Type: "contact", ID: "c417", Status: Waiting, Step: "s2",
		Started: at, Due: at.Add(24 * time.Hour), Resume: "next", TimerSeq: 900,
		History: []HistoryEvent{
			{At: at, Kind: KindEnrolled, Reason: "q5 > 10 (q5 = 31)"},
			{At: at, Kind: KindStep, Step: "s1"},
			{At: at, Kind: KindSet, Step: "s1", Prop: "hs_lead_status", New: value.Str("open")},
			{At: at, Kind: KindStep, Step: "s2"},
			{At: at, Kind: KindWaiting, Step: "s2", Reason: "until 2026-01-06T09:00:00.123Z"},
		},
	}
}

// BenchmarkStateJSON: encoding/json of the mirrors (what marshalling the
// state cost before it had MarshalJSON), json.Marshal through the
// methods (what runtime/server's DeltaBatch does), and AppendJSON into a
// reused buffer.
func BenchmarkStateJSON(b *testing.B) {
	rs, es := typicalRecord(), typicalEnrollment()
	prs, pes := toPlain(reflect.ValueOf(rs)).Interface().(plainRecord), toPlain(reflect.ValueOf(es)).Interface().(plainEnrollment)
	var buf []byte
	for _, c := range []struct {
		name string
		f    func() ([]byte, error)
	}{
		{"record/encoding-json", func() ([]byte, error) { return json.Marshal(prs) }},
		{"record/json.Marshal", func() ([]byte, error) { return json.Marshal(rs) }},
		{"record/MarshalJSON", rs.MarshalJSON},
		{"record/AppendJSON", func() ([]byte, error) { return rs.AppendJSON(buf[:0]) }},
		{"enrollment/encoding-json", func() ([]byte, error) { return json.Marshal(&pes) }},
		{"enrollment/json.Marshal", func() ([]byte, error) { return json.Marshal(&es) }},
		{"enrollment/MarshalJSON", es.MarshalJSON},
		{"enrollment/AppendJSON", func() ([]byte, error) { return es.AppendJSON(buf[:0]) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var n int
			for b.Loop() {
				out, err := c.f()
				if err != nil {
					b.Fatal(err)
				}
				n, buf = len(out), out
			}
			b.SetBytes(int64(n))
		})
	}
}
