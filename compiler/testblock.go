package compiler

import (
	"math"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/parser"
	"github.com/wflang/wf/value"
)

// testc is the state of one test block's compilation.
type testc struct {
	c     *compiler
	refs  map[string]*objInfo // records introduced so far
	clock int64               // virtual time in Unix ms after the last `at`/`advance`
	timed bool                // whether an `at` has set the clock
	// lenient is set after a statement that did not parse (an ast.Bad),
	// which may have introduced a record: unknown records are no error.
	lenient bool
}

func (c *compiler) test(d *ast.TestDecl) {
	name := string(d.Name.Value)
	if prev, ok := c.testNames[name]; ok {
		c.duplicate(d.Name, "test", name, prev)
	} else {
		c.testNames[name] = d.Name.Pos
	}
	t := &bytecode.Test{Name: name, File: c.file.Name, Line: d.Pos.Line}
	tc := &testc{c: c, refs: map[string]*objInfo{}}
	for _, s := range d.Stmts {
		st := bytecode.TestStmt{
			Line: s.Start().Line, Col: s.Start().Column, Text: c.text(s),
			Type: -1, Event: -1, Hook: -1, ToType: -1, Expr: bytecode.NoExpr, Count: -1,
		}
		tc.stmt(s, &st)
		t.Stmts = append(t.Stmts, st)
	}
	c.prog.Tests = append(c.prog.Tests, t)
}

func (tc *testc) stmt(s ast.TestStmt, st *bytecode.TestStmt) {
	c := tc.c
	switch s := s.(type) {
	case *ast.AtStmt:
		st.Kind = bytecode.TestAt
		tm, _, err := parser.ParseDateTime(s.Time)
		if err != nil {
			c.errorf(s, "test-time", "invalid time %s", s.Time)
			return
		}
		ms := tm.UnixMilli()
		if tc.timed && ms < tc.clock {
			c.errorf(s, "test-time", "`at %s` would move the clock back; the test is already at %s", s.Time, value.Value{K: value.DateTime, N: float64(tc.clock)})
		}
		st.Time, tc.clock, tc.timed = ms, ms, true
	case *ast.AdvanceStmt:
		st.Kind = bytecode.TestAdvance
		x := c.expr(&scope{refs: tc.refs, lenient: tc.lenient}, s.By)
		switch {
		case x.bad:
		case !x.isConst() || x.val.K != value.Duration:
			dg := c.errorf(s.By, "test-time", "advance needs a constant duration")
			dg.Hint = "as in `advance 2d`"
		case x.val.N <= 0:
			c.errorf(s.By, "test-time", "advance needs a positive duration")
		default:
			st.Time = int64(x.val.N)
			tc.clock += st.Time
		}
	case *ast.UpsertStmt:
		st.Kind = bytecode.TestUpsert
		st.Record = string(s.Record.ID)
		if o := c.lookupObject(s.Object); o != nil {
			st.Type = o.idx
			tc.introduce(s.Record, o)
			st.Fields = tc.fields(s.Fields, o.props, o.t.Props, o.t.Name)
		}
	case *ast.DeleteStmt:
		st.Kind = bytecode.TestDelete
		st.Record = string(s.Record.ID)
		if o := c.lookupObject(s.Object); o != nil {
			st.Type = o.idx
			tc.introduce(s.Record, o)
		}
	case *ast.EventStmt:
		st.Kind = bytecode.TestEvent
		st.Record = string(s.Record.ID)
		if ev := c.lookupEvent(s.Event); ev != nil {
			st.Event = ev.idx
			if ev.obj != nil {
				st.Type = ev.obj.idx
				tc.introduce(s.Record, ev.obj)
			}
			if s.Fields != nil {
				st.Fields = tc.fields(s.Fields, ev.props, ev.t.Props, "event "+ev.t.Name)
			}
		}
	case *ast.AssociateStmt:
		st.Kind = bytecode.TestAssociate
		st.Record, st.To = string(s.Record.ID), string(s.To.ID)
		if s.Label != nil {
			st.Label = string(s.Label.Value)
		}
		o, to := c.lookupObject(s.Object), c.lookupObject(s.ToObject)
		if o == nil || to == nil {
			return
		}
		st.Type, st.ToType = o.idx, to.idx
		tc.introduce(s.Record, o)
		tc.introduce(s.To, to)
		if _, ok := o.assocs[to.t.Name]; !ok {
			dg := c.errorf(s.ToObject, "unknown-association", "%s has no association with %s", o.t.Name, to.t.Name)
			dg.Hint = "declare one with `extend " + o.t.Name + " { assoc " + to.t.Name + " }`"
		}
	case *ast.HookStmt:
		st.Kind = bytecode.TestHook
		if h := c.lookupHook(s.Hook); h != nil {
			st.Hook = h.idx
		}
		st.Fields = tc.body(s.Body, "", st.Fields)
	case *ast.EnableStmt:
		st.Kind = bytecode.TestEnable
		st.Workflow = s.Workflow.Name
		tc.workflow(s.Workflow)
	case *ast.EnrollStmt:
		st.Kind = bytecode.TestEnroll
		st.Record, st.Workflow = string(s.Record.ID), s.Workflow.Name
		if o := tc.record(s.Record); o != nil {
			st.Type = o.idx
		}
		tc.workflow(s.Workflow)
	case *ast.ExpectEnrollment:
		st.Kind = bytecode.TestExpectEnrollment
		st.Not, st.State = s.Not, s.State
		st.Record, st.Workflow = string(s.Record.ID), s.Workflow.Name
		if o := tc.record(s.Record); o != nil {
			st.Type = o.idx
		}
		tc.workflow(s.Workflow)
		if s.AtStep != nil {
			st.Step = string(s.AtStep.Value)
		}
	case *ast.ExpectWebhook:
		st.Kind = bytecode.TestExpectWebhook
		st.Str = tc.constString(s.URL, "a webhook URL")
		st.Count = tc.count(s.Count)
	case *ast.ExpectEmail:
		st.Kind = bytecode.TestExpectEmail
		st.Str = tc.constString(s.Template, "an email template")
		if s.To != nil {
			st.Record = string(s.To.ID)
			if o := tc.record(s.To); o != nil {
				st.Type = o.idx
			}
		}
		st.Count = tc.count(s.Count)
	case *ast.ExpectCreated:
		st.Kind = bytecode.TestExpectCreated
		if o := c.lookupObject(s.Object); o != nil {
			st.Type = o.idx
			if s.Where != nil {
				st.Expr = c.cond(&scope{obj: o}, s.Where, "the where clause")
			}
		}
		st.Count = tc.count(s.Count)
	case *ast.ExpectExpr:
		st.Kind = bytecode.TestExpect
		st.Expr = c.cond(&scope{refs: tc.refs, lenient: tc.lenient}, s.Cond, "an expectation")
	case *ast.Bad:
		c.bad = true // reported by the parser
		tc.lenient = true
	}
}

// body lowers the object literal of a `hook` statement to constant fields
// named by their dotted path in the request body: `{ order: { id: "o1" } }`
// is the field "order.id".
func (tc *testc) body(lit *ast.ObjectLit, prefix string, out []bytecode.Field) []bytecode.Field {
	c := tc.c
	seen := map[string]ast.Position{}
	for _, fv := range lit.Fields {
		name := prefix + fv.Name.Name
		if prev, ok := seen[name]; ok {
			c.errorf(fv.Name, "duplicate", "field `%s` is already set at line %d", name, prev.Line)
			continue
		}
		seen[name] = fv.Name.Pos
		if fv.Object != nil {
			out = tc.body(fv.Object, name+".", out)
			continue
		}
		x := c.expr(&scope{refs: tc.refs, lenient: tc.lenient}, fv.Value)
		if !x.bad && !x.isConst() {
			c.errorf(fv.Value, "test-value", "a test gives constant values")
			continue
		}
		out = append(out, bytecode.Field{Name: name, Slot: -1, Value: x.val})
	}
	return out
}

// nested reports a nested object literal where only a hook body allows one.
func (c *compiler) nested(fv *ast.FieldValue) bool {
	if fv.Object == nil {
		return false
	}
	dg := c.errorf(fv.Object, "nested-object", "field `%s` is an object; only the body of a test's `hook` statement nests objects", fv.Name.Name)
	dg.Hint = "give a property value: a string, number, bool, date or list"
	return true
}

// introduce records that a test names record r of type o.
func (tc *testc) introduce(r *ast.RecordRef, o *objInfo) {
	id := string(r.ID)
	if prev, ok := tc.refs[id]; ok && prev != o {
		tc.c.errorf(r, "test-record", "record `%s` is a %s, not a %s", id, prev.t.Name, o.t.Name)
		return
	}
	tc.refs[id] = o
}

// record returns the type of a record the test introduced earlier.
func (tc *testc) record(r *ast.RecordRef) *objInfo {
	o, ok := tc.refs[string(r.ID)]
	if !ok && !tc.lenient {
		dg := tc.c.errorf(r, "unknown-record", "unknown record `%s`: a test names records introduced by an earlier upsert or event", r.ID)
		didYouMean(dg, string(r.ID), sortedKeys(tc.refs))
	}
	return o
}

func (tc *testc) workflow(n *ast.Name) {
	if _, ok := tc.c.flows[n.Name]; !ok {
		dg := tc.c.errorf(n, "unknown-workflow", "unknown workflow `%s`", n.Name)
		didYouMean(dg, n.Name, sortedKeys(tc.c.flows))
	}
}

func (tc *testc) constString(e ast.Expr, what string) string {
	x := tc.c.expr(&scope{refs: tc.refs, lenient: tc.lenient}, e)
	if !x.bad && (!x.isConst() || x.val.K != value.String) {
		tc.c.errorf(e, "test-value", "%s in a test is a constant string", what)
	}
	return x.val.S
}

func (tc *testc) count(e ast.Expr) int {
	if e == nil {
		return -1
	}
	x := tc.c.expr(&scope{refs: tc.refs, lenient: tc.lenient}, e)
	if x.bad {
		return -1
	}
	if !x.isConst() || x.val.K != value.Number || x.val.N < 0 || x.val.N != math.Trunc(x.val.N) {
		tc.c.errorf(e, "test-value", "count needs a whole number, at least 0")
		return -1
	}
	return int(x.val.N)
}

// fields converts an object literal to constant property values of the
// given properties.
func (tc *testc) fields(lit *ast.ObjectLit, slots map[string]int, props []bytecode.Prop, owner string) []bytecode.Field {
	c := tc.c
	var out []bytecode.Field
	seen := map[string]ast.Position{}
	for _, fv := range lit.Fields {
		name := fv.Name.Name
		if c.nested(fv) {
			continue
		}
		x := c.expr(&scope{refs: tc.refs, lenient: tc.lenient}, fv.Value)
		if prev, ok := seen[name]; ok {
			c.errorf(fv.Name, "duplicate", "field `%s` is already set at line %d", name, prev.Line)
			continue
		}
		seen[name] = fv.Name.Pos
		slot, ok := slots[name]
		if !ok {
			dg := c.errorf(fv.Name, "unknown-property", "unknown property `%s` of %s", name, owner)
			names := make([]string, len(props))
			for i, p := range props {
				names[i] = p.Name
			}
			didYouMean(dg, name, names)
			continue
		}
		if x.bad {
			continue
		}
		if !x.isConst() {
			c.errorf(fv.Value, "test-value", "a test gives constant values; `%s` is not a constant", c.text(fv.Value))
			continue
		}
		typ := props[slot].Type
		x = c.checkAssign(fv.Value, typ, name, x)
		if x.bad {
			continue
		}
		out = append(out, bytecode.Field{Name: name, Slot: slot, Value: coerce(x.val, typ)})
	}
	return out
}

// coerce converts a constant to the representation of a property type:
// a date given for a datetime is its UTC midnight, a datetime given for a
// date is its UTC date.
func coerce(v value.Value, t value.Type) value.Value {
	switch {
	case t.Kind == value.TDateTime && v.K == value.Date:
		return value.Value{K: value.DateTime, N: v.N * dayMillis}
	case t.Kind == value.TDate && v.K == value.DateTime:
		return value.Value{K: value.Date, N: math.Floor(v.N / dayMillis)}
	}
	return v
}
