package compiler

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/internal/spell"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/stdlib"
	"github.com/wflang/wf/value"
)

// scope is what the names in an expression may refer to.
type scope struct {
	obj     *objInfo           // the record's type: PROP and ASSOC reads; nil when there is none
	event   *eventInfo         // an event where-clause: EVENT reads, which shadow the record's
	outputs map[string]*output // action outputs declared so far (`as NAME`)
	refs    map[string]*objInfo
	body    bool // an incoming webhook's values: paths under `body`
	// lenient accepts any path as an untyped read without a diagnostic: the
	// workflow's object type is unknown and an error already says so, or
	// (in a test) a statement that might have introduced a record did not
	// parse.
	lenient bool
}

// output is an action output declared with `as NAME`.
type output struct {
	kind   bytecode.StepKind     // StepWebhook, StepCode or StepCreate
	fields map[string]value.Type // code: the declared outputs; nil when untyped
	obj    *objInfo              // create: the created record's type
}

// kind classifies a checked expression node.
type kind uint8

const (
	kConst   kind = iota // val
	kLoad                // ins, no operands
	kOp                  // args, then ins
	kAnd                 // args[0] ANDJ args[1]
	kOr                  // args[0] ORJ args[1]
	kOrEmpty             // args[0] (a comparison) ORJ args[1] ISEMPTY
)

// texpr is a checked, typed and folded expression, ready to emit.
type texpr struct {
	kind  kind
	typ   value.Type
	val   value.Value    // kConst
	ins   bytecode.Instr // kLoad, kOp
	args  []*texpr
	elems []value.Value // a constant list literal's members
	bad   bool          // an error was reported inside: check nothing further
}

func constant(v value.Value, t value.Type) *texpr { return &texpr{kind: kConst, val: v, typ: t} }

func (x *texpr) isConst() bool { return x.kind == kConst && !x.bad }

// badExpr stands for an expression with an error: untyped, so that nothing
// else is reported about it.
func badExpr() *texpr { return &texpr{kind: kConst, typ: value.AnyType, bad: true} }

func op(o bytecode.Op, arg int, t value.Type, args ...*texpr) *texpr {
	return &texpr{kind: kOp, ins: bytecode.Make(o, arg), typ: t, args: args}
}

func load(o bytecode.Op, arg int, t value.Type) *texpr {
	return &texpr{kind: kLoad, ins: bytecode.Make(o, arg), typ: t}
}

// isRead reports whether x reads a property (of the record, an associated
// record, the event or a test record).
func (x *texpr) isRead() bool {
	if x.kind != kLoad {
		return false
	}
	switch x.ins.Op() {
	case bytecode.PROP, bytecode.ASSOC, bytecode.EVENT, bytecode.REF:
		return true
	}
	return false
}

// isBool reports whether x always yields true or false, never empty or
// another kind, so that no TOBOOL is needed after it.
func (x *texpr) isBool() bool {
	switch x.kind {
	case kConst:
		return x.val.K == value.Bool
	case kAnd, kOr, kOrEmpty:
		return true
	case kOp:
		switch x.ins.Op() {
		case bytecode.TOBOOL, bytecode.NOT, bytecode.EQ, bytecode.NE, bytecode.LT, bytecode.LE,
			bytecode.GT, bytecode.GE, bytecode.EQNUM, bytecode.LTNUM, bytecode.LENUM, bytecode.GTNUM,
			bytecode.GENUM, bytecode.EQSTR, bytecode.NESTR, bytecode.INLIST, bytecode.NOTINLIST,
			bytecode.IN, bytecode.NOTIN, bytecode.CONTAINS, bytecode.STARTS, bytecode.ENDS,
			bytecode.MATCHES, bytecode.ISEMPTY, bytecode.ISKNOWN:
			return true
		}
	}
	return false
}

// asBool makes x yield a boolean in every case.
func asBool(x *texpr) *texpr {
	if x.isBool() || x.bad {
		return x
	}
	return op(bytecode.TOBOOL, 0, value.BoolType, x)
}

// typeName is a type as named in messages: enum and set without options.
func typeName(t value.Type) string {
	switch t.Kind {
	case value.TEnum:
		return "enum"
	case value.TSet:
		return "set"
	}
	return t.String()
}

// expr checks and folds an expression.
func (c *compiler) expr(s *scope, e ast.Expr) *texpr {
	switch e := e.(type) {
	case *ast.NumberLit:
		return constant(value.Num(e.Value), value.NumberType)
	case *ast.BoolLit:
		return constant(value.BoolOf(e.Value), value.BoolType)
	case *ast.DurationLit:
		return constant(value.Dur(e.Value), value.DurationType)
	case *ast.DateTimeLit:
		if e.DateOnly {
			return constant(value.DateOf(e.Value), value.DateType)
		}
		return constant(value.Time(e.Value), value.DateTimeType)
	case *ast.StringLit:
		return c.template(s, e)
	case *ast.ListLit:
		return c.listLit(s, e)
	case *ast.ParenExpr:
		return c.expr(s, e.X)
	case *ast.Path:
		return c.path(s, e)
	case *ast.Call:
		return c.call(s, e)
	case *ast.UnaryExpr:
		return c.unary(s, e)
	case *ast.BinaryExpr:
		return c.binary(s, e)
	case *ast.IsExpr:
		x := c.expr(s, e.X)
		o := bytecode.ISEMPTY
		if e.Known != e.Not {
			o = bytecode.ISKNOWN
		}
		if x.isConst() {
			return constant(value.BoolOf(x.val.IsEmpty() == (o == bytecode.ISEMPTY)), value.BoolType)
		}
		return op(o, 0, value.BoolType, x)
	case *ast.OrEmpty:
		return c.orEmpty(s, e)
	}
	c.errorf(e, "syntax", "unsupported expression")
	return badExpr()
}

func (c *compiler) template(s *scope, e *ast.StringLit) *texpr {
	if e.Parts == nil {
		return constant(value.Str(e.Value), value.StringType)
	}
	var parts []*texpr
	for _, p := range e.Parts {
		x := c.expr(s, p)
		if n := len(parts); n > 0 && x.isConst() && parts[n-1].isConst() {
			parts[n-1] = constant(value.Str(parts[n-1].val.String()+x.val.String()), value.StringType)
			continue
		}
		parts = append(parts, x)
	}
	for _, p := range parts {
		if p.bad {
			return badExpr()
		}
	}
	if len(parts) == 1 && parts[0].isConst() {
		return constant(value.Str(parts[0].val.String()), value.StringType)
	}
	return op(bytecode.CONCAT, len(parts), value.StringType, parts...)
}

func (c *compiler) listLit(s *scope, e *ast.ListLit) *texpr {
	x := &texpr{kind: kConst, typ: value.ListType}
	var members []string
	for _, el := range e.Elems {
		v := c.expr(s, el)
		if v.bad {
			x.bad = true
			continue
		}
		if !v.isConst() {
			c.errorf(el, "list-constant", "a list literal may hold only constants")
			x.bad = true
			continue
		}
		x.elems = append(x.elems, v.val)
		members = append(members, v.val.String())
	}
	x.val = value.ListOf(members)
	if x.bad {
		x.typ = value.AnyType
	}
	return x
}

func constType(v value.Value) value.Type {
	switch v.K {
	case value.Bool:
		return value.BoolType
	case value.Number:
		return value.NumberType
	case value.String:
		return value.StringType
	case value.DateTime:
		return value.DateTimeType
	case value.Date:
		return value.DateType
	case value.Duration:
		return value.DurationType
	case value.List:
		return value.ListType
	}
	return value.AnyType
}

// ---- paths ----

func (c *compiler) path(s *scope, p *ast.Path) *texpr {
	first := p.Parts[0]
	name := first.Name
	switch {
	case s.refs != nil:
		return c.refPath(s, p)
	case s.body:
		if name != "body" {
			dg := c.errorf(first, "unknown-name", "unknown name `%s`: a webhook reads its request body, as in `body.order.id`", name)
			didYouMean(dg, name, []string{"body"})
			return badExpr()
		}
		return load(bytecode.OUTPUT, c.outputIndex("body", partNames(p.Parts[1:])), value.AnyType)
	}
	if s.event != nil {
		if slot, ok := s.event.props[name]; ok {
			if !c.noFields(p, s.event.t.Props[slot].Type) {
				return badExpr()
			}
			return load(bytecode.EVENT, slot, s.event.t.Props[slot].Type)
		}
	}
	if o := s.obj; o != nil {
		if slot, ok := o.props[name]; ok {
			if !c.noFields(p, o.prop(slot).Type) {
				return badExpr()
			}
			return load(bytecode.PROP, slot, o.prop(slot).Type)
		}
		if ai, ok := o.assocs[name]; ok {
			return c.assocPath(o, ai, p)
		}
	}
	if len(p.Parts) == 1 {
		switch name {
		case "now":
			return load(bytecode.NOW, 0, value.DateTimeType)
		case "today":
			return load(bytecode.TODAY, 0, value.DateType)
		}
	}
	if out, ok := s.outputs[name]; ok {
		return c.outputPath(out, p)
	}
	if s.lenient {
		return badExpr()
	}
	var candidates []string
	what := "name"
	if s.event != nil {
		for _, pr := range s.event.t.Props {
			candidates = append(candidates, pr.Name)
		}
	}
	if s.obj != nil {
		candidates = append(candidates, s.obj.memberNames()...)
		what = "property"
	}
	candidates = append(candidates, sortedKeys(s.outputs)...)
	var dg *diag.Diagnostic
	switch {
	case s.event != nil && s.obj != nil:
		dg = c.errorf(first, "unknown-property", "unknown property `%s` of event %s or %s", name, s.event.t.Name, s.obj.t.Name)
	case s.obj != nil:
		dg = c.errorf(first, "unknown-property", "unknown property `%s` of %s", name, s.obj.t.Name)
	default:
		dg = c.errorf(first, "unknown-name", "unknown %s `%s`", what, name)
	}
	didYouMean(dg, name, candidates)
	return badExpr()
}

func partNames(parts []*ast.Name) []string {
	names := make([]string, len(parts))
	for i, n := range parts {
		names[i] = n.Name
	}
	return names
}

// noFields reports a path that goes on after a property, which has no fields.
func (c *compiler) noFields(p *ast.Path, t value.Type) bool {
	if len(p.Parts) == 1 {
		return true
	}
	c.diags.Errorf(p.Parts[1].Start(), p.End(), "unknown-property", "`%s` is %s property; it has no field `%s`", p.Parts[0].Name, article(typeName(t)), p.Parts[1].Name)
	return false
}

func (c *compiler) assocPath(o *objInfo, ai int, p *ast.Path) *texpr {
	a := o.t.Assocs[ai]
	target := c.prog.Types[a.Target]
	to := c.types[target.Name]
	if len(p.Parts) == 1 {
		dg := c.errorf(p, "assoc-property", "`%s` is an association of %s; name one of its properties", a.Name, o.t.Name)
		if len(target.Props) > 0 {
			dg.Hint = fmt.Sprintf("as in `%s.%s`", a.Name, target.Props[0].Name)
		}
		return badExpr()
	}
	pn := p.Parts[1]
	slot, ok := to.props[pn.Name]
	if !ok {
		dg := c.errorf(pn, "unknown-property", "unknown property `%s` of %s", pn.Name, target.Name)
		didYouMean(dg, pn.Name, propNames(to))
		return badExpr()
	}
	if len(p.Parts) > 2 {
		c.diags.Errorf(p.Parts[2].Start(), p.End(), "unknown-property", "`%s.%s` is %s property; it has no field `%s`", a.Name, pn.Name, article(typeName(to.prop(slot).Type)), p.Parts[2].Name)
		return badExpr()
	}
	idx := c.pathIndex(bytecode.AssocPath{Assoc: ai, Type: a.Target, Slot: slot})
	return load(bytecode.ASSOC, idx, to.prop(slot).Type)
}

func propNames(o *objInfo) []string {
	names := make([]string, len(o.t.Props))
	for i, p := range o.t.Props {
		names[i] = p.Name
	}
	return names
}

// webhookOutputs are the fields of an outgoing webhook's result.
var webhookOutputs = []string{"body", "headers", "status"}

func (c *compiler) outputPath(out *output, p *ast.Path) *texpr {
	name := p.Parts[0].Name
	rest := partNames(p.Parts[1:])
	typ := value.AnyType
	switch out.kind {
	case bytecode.StepWebhook:
		if len(rest) == 0 || !slices.Contains(webhookOutputs, rest[0]) {
			return c.badOutput(p, "webhook result", webhookOutputs)
		}
		if rest[0] == "status" {
			if len(rest) > 1 {
				return c.badOutput(p, "webhook result", webhookOutputs)
			}
			typ = value.NumberType
		}
	case bytecode.StepCode:
		if out.fields != nil {
			if len(rest) != 1 {
				return c.badOutput(p, "code output", sortedKeys(out.fields))
			}
			t, ok := out.fields[rest[0]]
			if !ok {
				return c.badOutput(p, "code output", sortedKeys(out.fields))
			}
			typ = t
		}
	case bytecode.StepCreate:
		names := append([]string{"id"}, propNames(out.obj)...)
		if len(rest) != 1 || !slices.Contains(names, rest[0]) {
			return c.badOutput(p, "created "+out.obj.t.Name, names)
		}
		typ = value.StringType
		if slot, ok := out.obj.props[rest[0]]; ok {
			typ = out.obj.prop(slot).Type
		}
	}
	return load(bytecode.OUTPUT, c.outputIndex(name, rest), typ)
}

func (c *compiler) badOutput(p *ast.Path, what string, fields []string) *texpr {
	name := p.Parts[0].Name
	if len(p.Parts) == 1 {
		dg := c.errorf(p, "unknown-output", "`%s` is a %s; name one of its fields: %s", name, what, strings.Join(fields, ", "))
		dg.Hint = fmt.Sprintf("as in `%s.%s`", name, fields[0])
		return badExpr()
	}
	f := p.Parts[1]
	if slices.Contains(fields, f.Name) {
		c.diags.Errorf(p.Parts[2].Start(), p.End(), "unknown-output", "`%s.%s` has no field `%s`", name, f.Name, p.Parts[2].Name)
		return badExpr()
	}
	dg := c.errorf(f, "unknown-output", "%s `%s` has no field `%s`", what, name, f.Name)
	didYouMean(dg, f.Name, fields)
	return badExpr()
}

// refPath resolves `c1.score` in a test block.
func (c *compiler) refPath(s *scope, p *ast.Path) *texpr {
	name := p.Parts[0].Name
	o, ok := s.refs[name]
	if !ok {
		if s.lenient {
			return badExpr()
		}
		if len(p.Parts) == 1 {
			switch name {
			case "now":
				return load(bytecode.NOW, 0, value.DateTimeType)
			case "today":
				return load(bytecode.TODAY, 0, value.DateType)
			}
		}
		dg := c.errorf(p.Parts[0], "unknown-record", "unknown record `%s`: a test names records introduced by an earlier upsert or event", name)
		didYouMean(dg, name, sortedKeys(s.refs))
		return badExpr()
	}
	if len(p.Parts) == 1 {
		c.errorf(p, "unknown-property", "`%s` is a record; name one of its properties, as in `%s.%s`", name, name, o.t.Props[0].Name)
		return badExpr()
	}
	pn := p.Parts[1]
	slot, ok := o.props[pn.Name]
	if !ok {
		dg := c.errorf(pn, "unknown-property", "unknown property `%s` of %s", pn.Name, o.t.Name)
		didYouMean(dg, pn.Name, propNames(o))
		return badExpr()
	}
	if len(p.Parts) > 2 {
		c.diags.Errorf(p.Parts[2].Start(), p.End(), "unknown-property", "`%s.%s` is %s property; it has no field `%s`", name, pn.Name, article(typeName(o.prop(slot).Type)), p.Parts[2].Name)
		return badExpr()
	}
	idx := c.refIndex(bytecode.RecordRef{Record: name, Type: o.idx, Slot: slot})
	return load(bytecode.REF, idx, o.prop(slot).Type)
}

// ---- calls ----

// foldContext is the context for folding pure builtins: they must not use it.
var foldContext = &stdlib.Context{}

func (c *compiler) call(s *scope, e *ast.Call) *texpr {
	args := make([]*texpr, len(e.Args))
	types := make([]value.Type, len(e.Args))
	bad, allConst := false, true
	for i, a := range e.Args {
		args[i] = c.expr(s, a)
		types[i] = args[i].typ
		bad = bad || args[i].bad
		allConst = allConst && args[i].isConst()
	}
	f := stdlib.Lookup(e.Fn.Name)
	if f == nil {
		dg := c.errorf(e.Fn, "unknown-function", "unknown function `%s`", e.Fn.Name)
		didYouMean(dg, e.Fn.Name, stdlib.Names())
		return badExpr()
	}
	if bad {
		return badExpr()
	}
	result, err := f.Check(types)
	if err != nil {
		c.errorf(e, "call", "%v", err)
		return badExpr()
	}
	if f.CheckConst != nil {
		for i, a := range args {
			if !a.isConst() {
				continue
			}
			if err := f.CheckConst(i, a.val); err != nil {
				c.errorf(e.Args[i], "call", "%v", err)
				return badExpr()
			}
		}
	}
	if f.Pure && allConst {
		vals := make([]value.Value, len(args))
		for i, a := range args {
			vals[i] = a.val
		}
		return constant(f.Call(foldContext, vals), result)
	}
	if len(args) > 255 {
		c.errorf(e, "call", "%s: too many arguments", f.Name)
		return badExpr()
	}
	return &texpr{kind: kOp, ins: bytecode.MakeCall(c.funcIndex(f.Name), len(args)), typ: result, args: args}
}

// ---- operators ----

func (c *compiler) unary(s *scope, e *ast.UnaryExpr) *texpr {
	x := c.expr(s, e.X)
	if x.bad {
		return badExpr()
	}
	if e.Op == "not" {
		if !c.wantBool(e.X, x, "the operand of not") {
			return badExpr()
		}
		if x.isConst() {
			return constant(value.BoolOf(!x.val.Truthy()), value.BoolType)
		}
		return op(bytecode.NOT, 0, value.BoolType, x)
	}
	if k := x.typ.Kind; k != value.TNumber && k != value.TDuration && k != value.TAny {
		c.errorf(e, "type-mismatch", "cannot negate %s", article(typeName(x.typ)))
		return badExpr()
	}
	if x.isConst() {
		v := x.val
		v.N = -v.N
		return constant(v, x.typ)
	}
	return op(bytecode.NEG, 0, x.typ, x)
}

// wantBool reports (and returns false for) an operand that is not a bool.
func (c *compiler) wantBool(n ast.Node, x *texpr, what string) bool {
	if x.bad || x.typ.Kind == value.TBool || x.typ.Kind == value.TAny {
		return true
	}
	c.errorf(n, "not-bool", "%s must be a bool, not %s", what, typeName(x.typ))
	return false
}

func (c *compiler) binary(s *scope, e *ast.BinaryExpr) *texpr {
	switch e.Op {
	case "and", "or":
		return c.logical(s, e)
	case "in", "not in":
		if l, ok := unparen(e.Y).(*ast.ListLit); ok {
			return c.inList(s, e, l)
		}
	}
	x, y := c.expr(s, e.X), c.expr(s, e.Y)
	if x.bad || y.bad {
		return badExpr()
	}
	switch e.Op {
	case "==", "!=", "<", "<=", ">", ">=":
		return c.compare(e, x, y)
	case "in", "not in":
		o := bytecode.IN
		if e.Op == "not in" {
			o = bytecode.NOTIN
		}
		if !anyOr(y.typ, isCollection) || !anyOr(x.typ, value.Type.IsStringLike) {
			c.opError(e, x, y, "the right side of in must be a list, set or string, and the left side a string")
			return badExpr()
		}
		if y.typ.Kind == value.TSet {
			c.checkOption(e.X, x, y.typ, c.text(e.Y))
		}
		return c.fold(op(o, 0, value.BoolType, x, y))
	case "contains":
		if anyOr(x.typ, isCollection) && x.typ.Kind != value.TString && x.typ.Kind != value.TAny {
			if !anyOr(y.typ, value.Type.IsStringLike) {
				c.opError(e, x, y, "")
				return badExpr()
			}
			if x.typ.Kind == value.TSet {
				c.checkOption(e.Y, y, x.typ, c.text(e.X))
			}
			return c.fold(op(bytecode.CONTAINS, 0, value.BoolType, x, y))
		}
		fallthrough
	case "starts_with", "ends_with":
		if !anyOr(x.typ, value.Type.IsStringLike) || !anyOr(y.typ, value.Type.IsStringLike) {
			c.opError(e, x, y, "")
			return badExpr()
		}
		o := map[string]bytecode.Op{"contains": bytecode.CONTAINS, "starts_with": bytecode.STARTS, "ends_with": bytecode.ENDS}[e.Op]
		return c.fold(op(o, 0, value.BoolType, x, y))
	case "matches":
		return c.matches(e, x, y)
	}
	return c.arith(e, x, y)
}

func unparen(e ast.Expr) ast.Expr {
	for {
		p, ok := e.(*ast.ParenExpr)
		if !ok {
			return e
		}
		e = p.X
	}
}

func anyOr(t value.Type, pred func(value.Type) bool) bool { return t.Kind == value.TAny || pred(t) }

func isCollection(t value.Type) bool {
	return t.Kind == value.TSet || t.Kind == value.TList || t.Kind == value.TString
}

func (c *compiler) opError(e *ast.BinaryExpr, x, y *texpr, hint string) {
	dg := c.errorf(e, "type-mismatch", "operator %s cannot be applied to %s and %s", e.Op, typeName(x.typ), typeName(y.typ))
	dg.Hint = hint
}

func (c *compiler) logical(s *scope, e *ast.BinaryExpr) *texpr {
	x, y := c.expr(s, e.X), c.expr(s, e.Y)
	okx := c.wantBool(e.X, x, "an operand of "+e.Op)
	oky := c.wantBool(e.Y, y, "an operand of "+e.Op)
	if x.bad || y.bad || !okx || !oky {
		return badExpr()
	}
	isAnd := e.Op == "and"
	if x.isConst() {
		if x.val.Truthy() == isAnd {
			return asBool(y) // true and y, false or y
		}
		return constant(value.BoolOf(!isAnd), value.BoolType)
	}
	k := kOr
	if isAnd {
		k = kAnd
	}
	return &texpr{kind: k, typ: value.BoolType, args: []*texpr{x, asBool(y)}}
}

// compatible reports whether values of a and b may be compared.
func compatible(a, b value.Type) bool {
	switch {
	case a.Kind == value.TAny || b.Kind == value.TAny:
		return true
	case a.IsStringLike() && b.IsStringLike(), a.IsTime() && b.IsTime():
		return true
	case (a.Kind == value.TSet || a.Kind == value.TList) && (b.Kind == value.TSet || b.Kind == value.TList):
		return true
	}
	return a.Kind == b.Kind
}

var cmpOps = map[string][3]bytecode.Op{ // generic, number, string
	"==": {bytecode.EQ, bytecode.EQNUM, bytecode.EQSTR},
	"!=": {bytecode.NE, bytecode.NE, bytecode.NESTR},
	"<":  {bytecode.LT, bytecode.LTNUM, bytecode.LT},
	"<=": {bytecode.LE, bytecode.LENUM, bytecode.LE},
	">":  {bytecode.GT, bytecode.GTNUM, bytecode.GT},
	">=": {bytecode.GE, bytecode.GENUM, bytecode.GE},
}

func (c *compiler) compare(e *ast.BinaryExpr, x, y *texpr) *texpr {
	if !compatible(x.typ, y.typ) {
		hint := ""
		if x.typ.Kind == value.TSet || y.typ.Kind == value.TSet {
			hint = "use `contains` to test a set's members"
		}
		dg := c.errorf(e, "type-mismatch", "cannot compare %s with %s", typeName(x.typ), typeName(y.typ))
		dg.Hint = hint
		return badExpr()
	}
	if e.Op != "==" && e.Op != "!=" {
		for _, t := range []value.Type{x.typ, y.typ} {
			if k := t.Kind; k == value.TBool || k == value.TSet || k == value.TList {
				c.errorf(e, "type-mismatch", "operator %s cannot order %s values", e.Op, typeName(t))
				return badExpr()
			}
		}
	}
	c.checkOption(e.Y, y, x.typ, c.text(e.X))
	c.checkOption(e.X, x, y.typ, c.text(e.Y))
	ops := cmpOps[e.Op]
	o := ops[0]
	switch {
	case x.typ.Kind == value.TNumber && y.typ.Kind == value.TNumber:
		o = ops[1]
	case x.typ.IsStringLike() && y.typ.IsStringLike():
		o = ops[2]
	}
	return c.fold(op(o, 0, value.BoolType, x, y))
}

// checkOption reports a string constant x compared with (or tested for
// membership in) a value of enum or set type t that is not one of t's options.
func (c *compiler) checkOption(xn ast.Node, x *texpr, t value.Type, what string) bool {
	if (t.Kind != value.TEnum && t.Kind != value.TSet) || !x.isConst() || x.val.K != value.String {
		return true
	}
	if t.HasOption(x.val.S) {
		return true
	}
	dg := c.errorf(xn, "enum-option", "%q is not an option of `%s`", x.val.S, what)
	if s := spell.Nearest(x.val.S, t.Options); s != "" {
		dg.Hint = fmt.Sprintf("did you mean %q?", s)
	} else {
		dg.Hint = "options: " + quoteAll(t.Options)
	}
	return false
}

func quoteAll(opts []string) string {
	q := make([]string, len(opts))
	for i, o := range opts {
		q[i] = fmt.Sprintf("%q", o)
	}
	return strings.Join(q, ", ")
}

func (c *compiler) inList(s *scope, e *ast.BinaryExpr, l *ast.ListLit) *texpr {
	x, y := c.expr(s, e.X), c.listLit(s, l)
	if x.bad || y.bad {
		return badExpr()
	}
	for i, v := range y.elems {
		et := constType(v)
		if !compatible(x.typ, et) {
			c.errorf(l.Elems[i], "type-mismatch", "cannot compare %s with %s in the list", typeName(x.typ), typeName(et))
			return badExpr()
		}
		c.checkOption(l.Elems[i], constant(v, et), x.typ, c.text(e.X))
	}
	if x.isConst() {
		in := slices.ContainsFunc(y.elems, func(v value.Value) bool { return value.Equal(x.val, v) })
		if e.Op == "not in" {
			in = !in && !x.val.IsEmpty()
		}
		return constant(value.BoolOf(in), value.BoolType)
	}
	o := bytecode.INLIST
	if e.Op == "not in" {
		o = bytecode.NOTINLIST
	}
	return op(o, c.listIndex(y.elems), value.BoolType, x)
}

func (c *compiler) matches(e *ast.BinaryExpr, x, y *texpr) *texpr {
	if !anyOr(x.typ, value.Type.IsStringLike) {
		c.opError(e, x, y, "")
		return badExpr()
	}
	if !y.isConst() || y.val.K != value.String {
		c.errorf(e.Y, "regexp", "the pattern of matches must be a constant string")
		return badExpr()
	}
	re, err := regexp.Compile(y.val.S)
	if err != nil {
		c.errorf(e.Y, "regexp", "invalid pattern: %v", err)
		return badExpr()
	}
	if x.isConst() {
		return constant(value.BoolOf(x.val.K == value.String && re.MatchString(x.val.S)), value.BoolType)
	}
	return op(bytecode.MATCHES, c.regexpIndex(y.val.S), value.BoolType, x)
}

// arith checks + - * / % and computes the result type.
func (c *compiler) arith(e *ast.BinaryExpr, x, y *texpr) *texpr {
	xk, yk := x.typ.Kind, y.typ.Kind
	var t value.Type
	ok := true
	any := xk == value.TAny || yk == value.TAny
	switch {
	case xk == value.TNumber && yk == value.TNumber:
		t = value.NumberType
	case e.Op == "+" || e.Op == "-":
		switch {
		case x.typ.IsTime() && yk == value.TDuration:
			t = x.typ
		case xk == value.TDuration && yk == value.TDuration:
			t = value.DurationType
		case e.Op == "-" && x.typ.IsTime() && y.typ.IsTime():
			t = value.DurationType
		case any:
			t = value.AnyType
			if x.typ.IsTime() && e.Op == "+" {
				t = x.typ
			}
		default:
			ok = false
		}
	case e.Op == "*" && xk == value.TDuration && (yk == value.TNumber || yk == value.TAny):
		t = value.DurationType
	case any:
		t = value.AnyType
		if xk == value.TNumber || yk == value.TNumber {
			t = value.NumberType
		}
	default:
		ok = false
	}
	if !ok {
		hint := ""
		if e.Op == "+" && (x.typ.IsStringLike() || y.typ.IsStringLike()) {
			hint = "join strings with a template: \"{{a}}{{b}}\""
		}
		c.opError(e, x, y, hint)
		return badExpr()
	}
	o := map[string]bytecode.Op{"+": bytecode.ADD, "-": bytecode.SUB, "*": bytecode.MUL, "/": bytecode.DIV, "%": bytecode.MOD}[e.Op]
	return c.fold(op(o, 0, t, x, y))
}

// fold replaces an operator on constants by its result.
func (c *compiler) fold(x *texpr) *texpr {
	if len(x.args) != 2 || !x.args[0].isConst() || !x.args[1].isConst() {
		return x
	}
	v, ok := evalBinary(x.ins.Op(), x.args[0].val, x.args[1].val)
	if !ok {
		return x
	}
	return constant(v, x.typ)
}

func (c *compiler) orEmpty(s *scope, e *ast.OrEmpty) *texpr {
	b, ok := unparen(e.X).(*ast.BinaryExpr)
	if !ok || b.Op == "and" || b.Op == "or" {
		dg := c.errorf(e, "or-empty", "`or empty` must follow a comparison with a property, as in `score > 5 or empty`")
		dg.Hint = "use `… or x is empty`"
		c.expr(s, e.X)
		return badExpr()
	}
	x := c.expr(s, e.X)
	if x.bad {
		return badExpr()
	}
	var prop *texpr
	if x.kind == kOp {
		for _, a := range x.args {
			if a.isRead() {
				prop = a
				break
			}
		}
	}
	if prop == nil {
		dg := c.errorf(e, "or-empty", "`or empty` needs a comparison with a property on one side")
		dg.Hint = "use `… or x is empty`"
		return badExpr()
	}
	return &texpr{kind: kOrEmpty, typ: value.BoolType, args: []*texpr{x, prop}}
}

// ---- assignment ----

// checkAssign checks that x may be stored in a property of type t, and
// returns it, with a constant converted to a set when t is a set.
func (c *compiler) checkAssign(n ast.Node, t value.Type, target string, x *texpr) *texpr {
	if x.bad || t.Kind == value.TAny || x.typ.Kind == value.TAny {
		return x
	}
	ok := false
	switch t.Kind {
	case value.TString, value.TURL:
		ok = x.typ.IsStringLike()
	case value.TEnum:
		ok = x.typ.IsStringLike()
		if ok && !c.checkOption(n, x, t, target) {
			return badExpr()
		}
	case value.TSet:
		switch {
		case x.typ.Kind == value.TSet:
			ok = true
		case x.isConst() && (x.val.K == value.String || x.val.K == value.List):
			members := []string{x.val.S}
			if x.val.K == value.List {
				members = x.val.Members()
			}
			for _, m := range members {
				if !c.checkOption(n, constant(value.Str(m), value.StringType), t, target) {
					return badExpr()
				}
			}
			return constant(value.SetOf(members), t)
		case x.typ.Kind == value.TList:
			ok = true
		}
	case value.TDateTime, value.TDate:
		ok = x.typ.IsTime()
	default:
		ok = x.typ.Kind == t.Kind
	}
	if !ok {
		dg := c.errorf(n, "type-mismatch", "cannot store %s in `%s`, %s property", article(typeName(x.typ)), target, article(typeName(t)))
		if t.Kind == value.TString && x.typ.Kind != value.TString {
			dg.Hint = "convert it with a template: \"{{…}}\""
		}
		return badExpr()
	}
	return x
}

// article is a type name with its indefinite article: "a string", "an enum".
func article(name string) string {
	if strings.HasPrefix(name, "enum") || strings.HasPrefix(name, "any") {
		return "an " + name
	}
	return "a " + name
}
