package bytecode

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/wflang/wf/value"
)

// The encoding written by `wf compile -o x.wfc`:
//
//	magic "WFC\x00", Version as uvarint, then the Program's fields in
//	declaration order.
//
// Integers are zigzag varints (uvarints for lengths and kinds); floats are 8
// bytes little endian; strings are a uvarint length and the bytes;
// instructions are uint32 little endian. A slice is its length plus one
// followed by its elements, 0 standing for a nil slice, so that a decoded
// Program equals the encoded one exactly. A pointer is a presence byte and,
// if 1, the value.

// Magic opens every encoded program.
const Magic = "WFC\x00"

// Encode writes p in the binary encoding. p.Version must be Version.
func Encode(w io.Writer, p *Program) error {
	if p.Version != Version {
		return fmt.Errorf("bytecode: cannot encode a version %d program; this wf writes version %d", p.Version, Version)
	}
	bw := bufio.NewWriter(w)
	e := &encoder{w: bw}
	e.bytes([]byte(Magic))
	e.uint(Version)
	e.program(p)
	return bw.Flush()
}

type encoder struct {
	w   *bufio.Writer
	tmp [binary.MaxVarintLen64]byte
}

func (e *encoder) bytes(b []byte) { e.w.Write(b) } // errors surface at Flush

func (e *encoder) uint(x uint64) { e.bytes(binary.AppendUvarint(e.tmp[:0], x)) }

func (e *encoder) int(x int) { e.bytes(binary.AppendVarint(e.tmp[:0], int64(x))) }

func (e *encoder) bool(b bool) {
	if b {
		e.w.WriteByte(1)
	} else {
		e.w.WriteByte(0)
	}
}

func (e *encoder) float(f float64) {
	e.bytes(binary.LittleEndian.AppendUint64(e.tmp[:0], math.Float64bits(f)))
}

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.w.WriteString(s)
}

// count writes a slice header: its length plus one, or 0 for nil.
func (e *encoder) count(n int, isNil bool) {
	if isNil {
		e.uint(0)
		return
	}
	e.uint(uint64(n) + 1)
}

func encodeSlice[T any](e *encoder, s []T, elem func(*T)) {
	e.count(len(s), s == nil)
	for i := range s {
		elem(&s[i])
	}
}

func encodePtrs[T any](e *encoder, s []*T, elem func(*T)) {
	e.count(len(s), s == nil)
	for _, x := range s {
		e.bool(x != nil)
		if x != nil {
			elem(x)
		}
	}
}

func (e *encoder) ints(s []int) { encodeSlice(e, s, func(x *int) { e.int(*x) }) }

func (e *encoder) strs(s []string) { encodeSlice(e, s, func(x *string) { e.str(*x) }) }

func (e *encoder) value(v *value.Value) {
	e.uint(uint64(v.K))
	e.float(v.N)
	e.str(v.S)
}

func (e *encoder) values(s []value.Value) { encodeSlice(e, s, e.value) }

func (e *encoder) typ(t *value.Type) {
	e.uint(uint64(t.Kind))
	e.strs(t.Options)
}

func (e *encoder) props(s []Prop) {
	encodeSlice(e, s, func(p *Prop) {
		e.str(p.Name)
		e.typ(&p.Type)
		e.bool(p.Unique)
	})
}

func (e *encoder) program(p *Program) {
	encodePtrs(e, p.Types, func(t *ObjectType) {
		e.str(t.Name)
		e.props(t.Props)
		encodeSlice(e, t.Assocs, func(a *Assoc) {
			e.str(a.Name)
			e.int(a.Target)
			e.bool(a.Many)
		})
	})
	encodePtrs(e, p.Events, func(t *EventType) {
		e.str(t.Name)
		e.int(t.Object)
		e.props(t.Props)
	})
	encodePtrs(e, p.Hooks, func(h *HookType) {
		e.str(h.Name)
		e.int(h.Object)
		e.int(h.MatchKey)
		e.int(h.MatchVal)
		encodeSlice(e, h.Props, func(hp *HookProp) {
			e.str(hp.Name)
			e.typ(&hp.Type)
			e.int(hp.Expr)
		})
	})
	e.values(p.Consts)
	encodeSlice(e, p.Lists, func(l *[]value.Value) { e.values(*l) })
	e.strs(p.Regexps)
	e.strs(p.Funcs)
	encodeSlice(e, p.Paths, func(a *AssocPath) {
		e.int(a.Assoc)
		e.int(a.Type)
		e.int(a.Slot)
	})
	encodeSlice(e, p.Outputs, func(o *OutputPath) {
		e.str(o.Name)
		e.strs(o.Path)
	})
	encodeSlice(e, p.Refs, func(r *RecordRef) {
		e.str(r.Record)
		e.int(r.Type)
		e.int(r.Slot)
	})
	encodeSlice(e, p.Code, func(in *Instr) {
		e.bytes(binary.LittleEndian.AppendUint32(e.tmp[:0], uint32(*in)))
	})
	encodeSlice(e, p.Exprs, func(x *Expr) {
		e.int(x.Start)
		e.int(x.End)
		e.int(x.MaxStack)
		e.typ(&x.Type)
		e.ints(x.Reads)
		e.bool(x.ReadsAssoc)
		e.str(x.Text)
		e.int(x.Line)
		e.int(x.Col)
	})
	encodePtrs(e, p.Workflows, e.workflow)
	encodePtrs(e, p.Tests, e.test)
}

func (e *encoder) workflow(w *Workflow) {
	e.str(w.Name)
	e.str(w.File)
	e.int(w.Line)
	e.str(w.Hash)
	e.int(w.Object)
	encodeSlice(e, w.Triggers, func(t *Trigger) {
		e.uint(uint64(t.Kind))
		e.int(t.Expr)
		e.int(t.Event)
		e.int(t.Hook)
		e.int(t.Assoc)
		e.ints(t.Days)
		e.int(t.MonthDay)
		e.int(t.At)
		e.str(t.Text)
		e.int(t.Line)
		e.int(t.Col)
	})
	e.bool(w.EnrollExisting)
	e.ints(w.Reenroll)
	e.ints(w.ReenrollEvents)
	e.ints(w.ReenrollHooks)
	e.int(w.Unenroll)
	e.int(w.Goal)
	e.int(w.Suppress)
	e.str(w.Timezone)
	e.bool(w.Window != nil)
	if w.Window != nil {
		e.ints(w.Window.Days)
		e.int(w.Window.From)
		e.int(w.Window.To)
	}
	encodeSlice(e, w.Steps, e.step)
	e.int(w.Entry)
	e.ints(w.Reads)
	e.int(w.Placeholders)
}

func (e *encoder) target(t *Target) {
	e.int(t.Assoc)
	e.int(t.Type)
	e.int(t.Slot)
}

func (e *encoder) step(s *Step) {
	e.str(s.ID)
	e.uint(uint64(s.Kind))
	e.int(s.Line)
	e.int(s.Col)
	e.int(s.Next)
	e.bool(s.Suspends)
	e.target(&s.Target)
	encodeSlice(e, s.Targets, e.target)
	e.int(s.Expr)
	e.int(s.At)
	e.int(s.Timeout)
	e.int(s.Event)
	encodeSlice(e, s.Arms, func(a *Arm) {
		e.int(a.Expr)
		e.ints(a.Values)
		e.float(a.Percent)
		e.int(a.Next)
	})
	e.int(s.Else)
	e.str(s.Name)
	e.ints(s.Args)
	e.ints(s.Slots)
	e.strs(s.Strs)
	e.int(s.List)
	e.str(s.As)
	e.props(s.Outputs)
}

func (e *encoder) test(t *Test) {
	e.str(t.Name)
	e.str(t.File)
	e.int(t.Line)
	encodeSlice(e, t.Stmts, func(s *TestStmt) {
		e.uint(uint64(s.Kind))
		e.int(s.Line)
		e.int(s.Col)
		e.str(s.Text)
		e.bytes(binary.AppendVarint(e.tmp[:0], s.Time))
		e.int(s.Type)
		e.str(s.Record)
		encodeSlice(e, s.Fields, func(f *Field) {
			e.str(f.Name)
			e.int(f.Slot)
			e.value(&f.Value)
		})
		e.int(s.Event)
		e.int(s.Hook)
		e.int(s.ToType)
		e.str(s.To)
		e.str(s.Label)
		e.str(s.Workflow)
		e.str(s.State)
		e.bool(s.Not)
		e.str(s.Step)
		e.int(s.Expr)
		e.int(s.Count)
		e.str(s.Str)
	})
}

// Decode reads a program written by Encode. It rejects input that is not an
// encoded program, that another bytecode version wrote, that is truncated or
// corrupt, or whose indexes do not hold together (see Program.Validate); it
// never panics.
func Decode(r io.Reader) (*Program, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("bytecode: reading program: %w", err)
	}
	if len(data) < len(Magic) || string(data[:len(Magic)]) != Magic {
		return nil, errors.New("bytecode: not a compiled wf program (bad magic number)")
	}
	d := &decoder{data: data, off: len(Magic)}
	v := d.uint()
	if d.err != nil {
		return nil, d.err
	}
	if v != Version {
		return nil, fmt.Errorf("bytecode: compiled by bytecode version %d; this wf reads version %d: recompile", v, Version)
	}
	p := &Program{Version: Version}
	d.program(p)
	if d.err != nil {
		return nil, d.err
	}
	if d.off != len(d.data) {
		return nil, fmt.Errorf("bytecode: corrupt program: %d unexpected bytes after its end", len(d.data)-d.off)
	}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return p, nil
}

// decoder reads the encoding from memory. The first error sticks: later
// reads return zero values, so decoding code need not check after each one.
type decoder struct {
	data []byte
	off  int
	err  error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("bytecode: corrupt program at byte %d: %s", d.off, fmt.Sprintf(format, args...))
	}
}

func (d *decoder) truncated() {
	if d.err == nil {
		d.err = fmt.Errorf("bytecode: truncated program (ends at byte %d)", len(d.data))
	}
}

func (d *decoder) uint() uint64 { return varint(d, binary.Uvarint) }

func (d *decoder) int() int {
	x := d.int64()
	if x != int64(int(x)) {
		d.fail("integer %d out of range", x)
		return 0
	}
	return int(x)
}

func (d *decoder) int64() int64 { return varint(d, binary.Varint) }

// varint reads one (u)varint with read, rejecting truncated input and
// non-minimal encodings.
func varint[T uint64 | int64](d *decoder, read func([]byte) (T, int)) T {
	if d.err != nil {
		return 0
	}
	x, n := read(d.data[d.off:])
	switch {
	case n == 0:
		d.truncated()
		return 0
	case n < 0 || n > 1 && d.data[d.off+n-1] == 0:
		d.fail("malformed varint")
		return 0
	}
	d.off += n
	return x
}

// take returns the next n bytes.
func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n > len(d.data)-d.off {
		d.truncated()
		return nil
	}
	b := d.data[d.off : d.off+n]
	d.off += n
	return b
}

func (d *decoder) bool() bool {
	b := d.take(1)
	if b == nil {
		return false
	}
	if b[0] > 1 {
		d.off--
		d.fail("bad boolean %d", b[0])
		return false
	}
	return b[0] == 1
}

func (d *decoder) float() float64 {
	b := d.take(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (d *decoder) str() string {
	n := d.uint()
	if n > uint64(len(d.data)-d.off) {
		d.truncated()
		return ""
	}
	return string(d.take(int(n)))
}

// count reads a slice header written by encoder.count; minSize is the
// smallest encoding of one element, so that a corrupt length cannot make
// the decoder allocate more than the input could hold.
func (d *decoder) count(minSize int) (n int, isNil bool) {
	c := d.uint()
	if d.err != nil || c == 0 {
		return 0, true
	}
	c--
	if c > uint64(len(d.data)-d.off)/uint64(minSize) {
		if d.err == nil {
			d.err = fmt.Errorf("bytecode: truncated or corrupt program at byte %d: a length of %d exceeds the remaining %d bytes", d.off, c, len(d.data)-d.off)
		}
		return 0, true
	}
	return int(c), false
}

func decodeSlice[T any](d *decoder, minSize int, elem func(*T)) []T {
	n, isNil := d.count(minSize)
	if isNil {
		return nil
	}
	s := make([]T, n)
	for i := range s {
		if d.err != nil {
			return nil
		}
		elem(&s[i])
	}
	return s
}

func decodePtrs[T any](d *decoder, elem func(*T)) []*T {
	n, isNil := d.count(1)
	if isNil {
		return nil
	}
	s := make([]*T, n)
	for i := range s {
		if d.bool() {
			s[i] = new(T)
			elem(s[i])
		}
		if d.err != nil {
			return nil
		}
	}
	return s
}

func (d *decoder) ints() []int { return decodeSlice(d, 1, func(x *int) { *x = d.int() }) }

func (d *decoder) strs() []string { return decodeSlice(d, 1, func(x *string) { *x = d.str() }) }

func (d *decoder) value(v *value.Value) {
	k := d.uint()
	if k > uint64(value.List) {
		d.fail("bad value kind %d", k)
		return
	}
	v.K = value.Kind(k)
	v.N = d.float()
	v.S = d.str()
}

func (d *decoder) values() []value.Value { return decodeSlice(d, 10, d.value) }

func (d *decoder) typ(t *value.Type) {
	k := d.uint()
	if k > uint64(value.TList) {
		d.fail("bad type kind %d", k)
		return
	}
	t.Kind = value.TypeKind(k)
	t.Options = d.strs()
}

func (d *decoder) props() []Prop {
	return decodeSlice(d, 4, func(p *Prop) {
		p.Name = d.str()
		d.typ(&p.Type)
		p.Unique = d.bool()
	})
}

// kind reads an enumeration value below n.
func (d *decoder) kind(what string, n int) uint8 {
	k := d.uint()
	if k >= uint64(n) {
		d.fail("bad %s %d", what, k)
		return 0
	}
	return uint8(k)
}

func (d *decoder) program(p *Program) {
	p.Types = decodePtrs(d, func(t *ObjectType) {
		t.Name = d.str()
		t.Props = d.props()
		t.Assocs = decodeSlice(d, 3, func(a *Assoc) {
			a.Name = d.str()
			a.Target = d.int()
			a.Many = d.bool()
		})
	})
	p.Events = decodePtrs(d, func(t *EventType) {
		t.Name = d.str()
		t.Object = d.int()
		t.Props = d.props()
	})
	p.Hooks = decodePtrs(d, func(h *HookType) {
		h.Name = d.str()
		h.Object = d.int()
		h.MatchKey = d.int()
		h.MatchVal = d.int()
		h.Props = decodeSlice(d, 4, func(hp *HookProp) {
			hp.Name = d.str()
			d.typ(&hp.Type)
			hp.Expr = d.int()
		})
	})
	p.Consts = d.values()
	p.Lists = decodeSlice(d, 1, func(l *[]value.Value) { *l = d.values() })
	p.Regexps = d.strs()
	p.Funcs = d.strs()
	p.Paths = decodeSlice(d, 3, func(a *AssocPath) {
		a.Assoc = d.int()
		a.Type = d.int()
		a.Slot = d.int()
	})
	p.Outputs = decodeSlice(d, 2, func(o *OutputPath) {
		o.Name = d.str()
		o.Path = d.strs()
	})
	p.Refs = decodeSlice(d, 3, func(r *RecordRef) {
		r.Record = d.str()
		r.Type = d.int()
		r.Slot = d.int()
	})
	p.Code = decodeSlice(d, 4, func(in *Instr) {
		if b := d.take(4); b != nil {
			*in = Instr(binary.LittleEndian.Uint32(b))
		}
	})
	p.Exprs = decodeSlice(d, 10, func(x *Expr) {
		x.Start = d.int()
		x.End = d.int()
		x.MaxStack = d.int()
		d.typ(&x.Type)
		x.Reads = d.ints()
		x.ReadsAssoc = d.bool()
		x.Text = d.str()
		x.Line = d.int()
		x.Col = d.int()
	})
	p.Workflows = decodePtrs(d, d.workflow)
	p.Tests = decodePtrs(d, d.test)
}

func (d *decoder) workflow(w *Workflow) {
	w.Name = d.str()
	w.File = d.str()
	w.Line = d.int()
	w.Hash = d.str()
	w.Object = d.int()
	w.Triggers = decodeSlice(d, 11, func(t *Trigger) {
		t.Kind = TriggerKind(d.kind("trigger kind", len(triggerNames)))
		t.Expr = d.int()
		t.Event = d.int()
		t.Hook = d.int()
		t.Assoc = d.int()
		t.Days = d.ints()
		t.MonthDay = d.int()
		t.At = d.int()
		t.Text = d.str()
		t.Line = d.int()
		t.Col = d.int()
	})
	w.EnrollExisting = d.bool()
	w.Reenroll = d.ints()
	w.ReenrollEvents = d.ints()
	w.ReenrollHooks = d.ints()
	w.Unenroll = d.int()
	w.Goal = d.int()
	w.Suppress = d.int()
	w.Timezone = d.str()
	if d.bool() {
		w.Window = &Window{Days: d.ints(), From: d.int(), To: d.int()}
	}
	w.Steps = decodeSlice(d, 23, d.step)
	w.Entry = d.int()
	w.Reads = d.ints()
	w.Placeholders = d.int()
}

func (d *decoder) target(t *Target) {
	t.Assoc = d.int()
	t.Type = d.int()
	t.Slot = d.int()
}

func (d *decoder) step(s *Step) {
	s.ID = d.str()
	s.Kind = StepKind(d.kind("step kind", len(stepNames)))
	s.Line = d.int()
	s.Col = d.int()
	s.Next = d.int()
	s.Suspends = d.bool()
	d.target(&s.Target)
	s.Targets = decodeSlice(d, 3, d.target)
	s.Expr = d.int()
	s.At = d.int()
	s.Timeout = d.int()
	s.Event = d.int()
	s.Arms = decodeSlice(d, 11, func(a *Arm) {
		a.Expr = d.int()
		a.Values = d.ints()
		a.Percent = d.float()
		a.Next = d.int()
	})
	s.Else = d.int()
	s.Name = d.str()
	s.Args = d.ints()
	s.Slots = d.ints()
	s.Strs = d.strs()
	s.List = d.int()
	s.As = d.str()
	s.Outputs = d.props()
}

func (d *decoder) test(t *Test) {
	t.Name = d.str()
	t.File = d.str()
	t.Line = d.int()
	t.Stmts = decodeSlice(d, 20, func(s *TestStmt) {
		s.Kind = TestStmtKind(d.kind("test statement kind", len(testStmtNames)))
		s.Line = d.int()
		s.Col = d.int()
		s.Text = d.str()
		s.Time = d.int64()
		s.Type = d.int()
		s.Record = d.str()
		s.Fields = decodeSlice(d, 12, func(f *Field) {
			f.Name = d.str()
			f.Slot = d.int()
			d.value(&f.Value)
		})
		s.Event = d.int()
		s.Hook = d.int()
		s.ToType = d.int()
		s.To = d.str()
		s.Label = d.str()
		s.Workflow = d.str()
		s.State = d.str()
		s.Not = d.bool()
		s.Step = d.str()
		s.Expr = d.int()
		s.Count = d.int()
		s.Str = d.str()
	})
}
