package compiler

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/internal/spell"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/value"
)

// compiler holds the state of one compilation: the program being built,
// the symbol tables and the pools' indexes.
type compiler struct {
	prog  *bytecode.Program
	diags diag.List
	file  *ast.File // the file being compiled, for positions and source text
	// bad is set at an ast.Bad: a statement that did not parse, whose
	// error the parser reported. It is skipped, and no program is made.
	bad bool

	objectDecls map[*ast.ObjectDecl]*objInfo
	types       map[string]*objInfo
	events      map[string]*eventInfo
	hooks       map[string]*hookInfo
	flows       map[string]*flowInfo
	testNames   map[string]ast.Position

	consts  map[value.Value]int
	lists   map[string]int
	regexps map[string]int
	funcs   map[string]int
	paths   map[bytecode.AssocPath]int
	outputs map[string]int
	refs    map[bytecode.RecordRef]int
}

func newCompiler() *compiler {
	return &compiler{
		prog:        &bytecode.Program{Version: bytecode.Version},
		objectDecls: map[*ast.ObjectDecl]*objInfo{},
		types:       map[string]*objInfo{},
		events:      map[string]*eventInfo{},
		hooks:       map[string]*hookInfo{},
		flows:       map[string]*flowInfo{},
		testNames:   map[string]ast.Position{},
		consts:      map[value.Value]int{},
		lists:       map[string]int{},
		regexps:     map[string]int{},
		funcs:       map[string]int{},
		paths:       map[bytecode.AssocPath]int{},
		outputs:     map[string]int{},
		refs:        map[bytecode.RecordRef]int{},
	}
}

// objInfo is an object type being compiled.
type objInfo struct {
	idx     int
	t       *bytecode.ObjectType
	pos     ast.Position
	props   map[string]int // name → slot
	propPos []ast.Position // by slot
	assocs  map[string]int // name → index in t.Assocs
}

func (o *objInfo) prop(slot int) bytecode.Prop { return o.t.Props[slot] }

// memberNames lists properties then associations, for spelling hints.
func (o *objInfo) memberNames() []string {
	var names []string
	for _, p := range o.t.Props {
		names = append(names, p.Name)
	}
	for _, a := range o.t.Assocs {
		names = append(names, a.Name)
	}
	return names
}

// eventInfo is a custom event type.
type eventInfo struct {
	idx   int
	t     *bytecode.EventType
	obj   *objInfo
	pos   ast.Position
	props map[string]int
}

// hookInfo is an incoming webhook.
type hookInfo struct {
	idx int
	t   *bytecode.HookType
	obj *objInfo
	pos ast.Position
}

// flowInfo is a declared workflow, known before any workflow is compiled so
// that `enroll in` may name a later one.
type flowInfo struct {
	pos ast.Position
	obj string // its `on` type name, "" when missing
}

// ---- diagnostics ----

func (c *compiler) errorf(n ast.Node, code, format string, args ...any) *diag.Diagnostic {
	return c.diags.Errorf(n.Start(), n.End(), code, format, args...)
}

// didYouMean sets d's hint to a spelling suggestion, if there is one.
func didYouMean(d *diag.Diagnostic, name string, candidates []string) {
	if s := spell.Nearest(name, candidates); s != "" {
		d.Hint = fmt.Sprintf("did you mean `%s`?", s)
	}
}

// where names an earlier declaration's position for "already declared" messages.
func (c *compiler) where(p ast.Position) string {
	if c.file != nil && p.Filename == c.file.Name {
		return fmt.Sprintf("line %d", p.Line)
	}
	return fmt.Sprintf("%s:%d", p.Filename, p.Line)
}

func (c *compiler) duplicate(n ast.Node, what, name string, earlier ast.Position) *diag.Diagnostic {
	return c.errorf(n, "duplicate", "%s `%s` is already declared at %s", what, name, c.where(earlier))
}

// text is the exact source text of a node.
func (c *compiler) text(n ast.Node) string {
	s, e := n.Start().Offset, n.End().Offset
	if c.file == nil || s < 0 || e > len(c.file.Src) || s > e {
		return ""
	}
	return c.file.Src[s:e]
}

// ---- object types ----

func (c *compiler) declareObject(d *ast.ObjectDecl) {
	name := d.Name.Name
	if prev, ok := c.types[name]; ok {
		dg := c.duplicate(d.Name, "object type", name, prev.pos)
		dg.Hint = fmt.Sprintf("use `extend %s { … }` to add properties", name)
		o := c.newObject(name, d.Name.Pos)
		c.objectDecls[d] = o // members are still checked
		return
	}
	o := c.newObject(name, d.Name.Pos)
	c.types[name] = o
	c.prog.Types = append(c.prog.Types, o.t)
	c.objectDecls[d] = o
}

func (c *compiler) newObject(name string, pos ast.Position) *objInfo {
	return &objInfo{
		idx:    len(c.prog.Types),
		t:      &bytecode.ObjectType{Name: name},
		pos:    pos,
		props:  map[string]int{},
		assocs: map[string]int{},
	}
}

func (c *compiler) extend(d *ast.ExtendDecl) {
	o, ok := c.types[d.Name.Name]
	if !ok {
		dg := c.errorf(d.Name, "unknown-object", "unknown object type `%s`", d.Name.Name)
		didYouMean(dg, d.Name.Name, c.typeNames())
		return
	}
	c.addMembers(o, d.Members)
}

func (c *compiler) typeNames() []string {
	names := make([]string, len(c.prog.Types))
	for i, t := range c.prog.Types {
		names[i] = t.Name
	}
	return names
}

func (c *compiler) addMembers(o *objInfo, members []*ast.Member) {
	for _, m := range members {
		if m.Prop != nil {
			c.addProp(o, m.Prop)
			continue
		}
		for _, a := range m.Assocs {
			name := a.Name.Name
			if _, ok := o.assocs[name]; ok {
				c.errorf(a.Name, "duplicate", "association `%s` of %s is already declared", name, o.t.Name)
				continue
			}
			if slot, ok := o.props[name]; ok {
				c.errorf(a.Name, "duplicate", "association `%s` has the name of a property of %s declared at %s", name, o.t.Name, c.where(o.propPos[slot]))
				continue
			}
			target, ok := c.types[name]
			if !ok {
				dg := c.errorf(a.Name, "unknown-object", "unknown object type `%s` in association", name)
				didYouMean(dg, name, c.typeNames())
				continue
			}
			o.assocs[name] = len(o.t.Assocs)
			o.t.Assocs = append(o.t.Assocs, bytecode.Assoc{Name: name, Target: target.idx, Many: a.Cardinality != "one"})
		}
	}
}

func (c *compiler) addProp(o *objInfo, p *ast.PropDecl) {
	name := p.Name.Name
	typ, ok := c.propType(p.Type)
	okName := c.checkPropName(p.Name)
	if p.Unique && ok && typ.Kind != value.TString && typ.Kind != value.TNumber && typ.Kind != value.TURL {
		c.errorf(p, "unique-type", "a unique property must be a string, number or url, not %s", typ)
	}
	if slot, dup := o.props[name]; dup {
		c.duplicate(p.Name, "property", o.t.Name+"."+name, o.propPos[slot])
		return
	}
	if _, dup := o.assocs[name]; dup {
		c.errorf(p.Name, "duplicate", "property `%s` has the name of an association of %s", name, o.t.Name)
		return
	}
	if !okName {
		return
	}
	o.props[name] = len(o.t.Props)
	o.propPos = append(o.propPos, p.Name.Pos)
	o.t.Props = append(o.t.Props, bytecode.Prop{Name: name, Type: typ, Unique: p.Unique})
}

// propNameLimit is the longest property name (SPEC 2.2).
const propNameLimit = 50

// checkPropName enforces the rules for declared property names: at most 50
// characters, a letter first, then only a-z, 0-9 and _.
func (c *compiler) checkPropName(n *ast.Name) bool {
	name := n.Name
	switch {
	case len(name) > propNameLimit:
		c.errorf(n, "property-name", "property name `%s` is %d characters long; the limit is %d", name, len(name), propNameLimit)
		return false
	case strings.IndexFunc(name, unicode.IsUpper) >= 0:
		dg := c.errorf(n, "property-name", "property name `%s` has capital letters; property names use only lower-case letters a-z, digits 0-9 and _", name)
		dg.Hint = fmt.Sprintf("write `%s`", strings.ToLower(name))
		return false
	case strings.IndexFunc(name, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') }) >= 0:
		c.errorf(n, "property-name", "property name `%s` has a character other than a-z, 0-9 and _", name)
		return false
	case name[0] < 'a' || name[0] > 'z':
		c.errorf(n, "property-name", "property name `%s` must start with a letter", name)
		return false
	}
	return true
}

// propTypeNames are the types a property may be declared with.
var propTypeNames = []string{"string", "number", "bool", "datetime", "date", "url", "enum", "set"}

// propType resolves a declared type; ok is false after an error.
func (c *compiler) propType(t *ast.TypeExpr) (value.Type, bool) {
	switch t.Name {
	case "enum", "set":
		if len(t.Options) == 0 {
			c.errorf(t, "enum-options", "%s needs at least one option: %s(\"a\", \"b\")", t.Name, t.Name)
			return value.AnyType, false
		}
		kind := value.TEnum
		if t.Name == "set" {
			kind = value.TSet
		}
		typ := value.Type{Kind: kind}
		ok := true
		for _, o := range t.Options {
			opt := string(o.Value)
			if slices.Contains(typ.Options, opt) {
				c.errorf(o, "enum-options", "duplicate option %q in %s", opt, t.Name)
				ok = false
				continue
			}
			typ.Options = append(typ.Options, opt)
		}
		return typ, ok
	}
	typ, known := value.TypeByName(t.Name)
	if !known || typ.Kind == value.TDuration {
		dg := c.errorf(t, "unknown-type", "unknown type `%s`", t.Name)
		didYouMean(dg, t.Name, propTypeNames)
		if dg.Hint == "" {
			dg.Hint = "types are " + strings.Join(propTypeNames, ", ")
		}
		return value.AnyType, false
	}
	if len(t.Options) > 0 {
		c.errorf(t, "enum-options", "only enum and set take options, not %s", t.Name)
		return typ, false
	}
	return typ, true
}

// ---- events ----

// eventPropLimit is the most properties an event type may declare (SPEC 2.2).
const eventPropLimit = 50

func (c *compiler) event(d *ast.EventDecl) {
	name := d.Name.Name
	ev := &eventInfo{t: &bytecode.EventType{Name: name, Object: -1}, pos: d.Name.Pos, props: map[string]int{}}
	if prev, ok := c.events[name]; ok {
		c.duplicate(d.Name, "event", name, prev.pos)
	} else {
		ev.idx = len(c.prog.Events)
		c.events[name] = ev
		c.prog.Events = append(c.prog.Events, ev.t)
	}
	if o := c.lookupObject(d.Object); o != nil {
		ev.obj = o
		ev.t.Object = o.idx
	}
	if len(d.Props) > eventPropLimit {
		c.errorf(d.Props[eventPropLimit], "too-many-properties", "event `%s` declares %d properties; the limit is %d", name, len(d.Props), eventPropLimit)
	}
	pos := map[string]ast.Position{}
	for _, p := range d.Props {
		typ, _ := c.propType(p.Type)
		okName := c.checkPropName(p.Name)
		if p.Unique {
			c.errorf(p, "unique-type", "event properties cannot be unique; only object properties are keys")
		}
		if prev, dup := pos[p.Name.Name]; dup {
			c.duplicate(p.Name, "property", name+"."+p.Name.Name, prev)
			continue
		}
		pos[p.Name.Name] = p.Name.Pos
		if !okName {
			continue
		}
		ev.props[p.Name.Name] = len(ev.t.Props)
		ev.t.Props = append(ev.t.Props, bytecode.Prop{Name: p.Name.Name, Type: typ})
	}
}

func (c *compiler) lookupObject(n *ast.Name) *objInfo {
	o, ok := c.types[n.Name]
	if !ok {
		dg := c.errorf(n, "unknown-object", "unknown object type `%s`", n.Name)
		didYouMean(dg, n.Name, c.typeNames())
	}
	return o
}

func (c *compiler) lookupEvent(n *ast.Name) *eventInfo {
	ev, ok := c.events[n.Name]
	if !ok {
		dg := c.errorf(n, "unknown-event", "unknown event `%s`", n.Name)
		didYouMean(dg, n.Name, sortedKeys(c.events))
	}
	return ev
}

func (c *compiler) lookupHook(n *ast.Name) *hookInfo {
	h, ok := c.hooks[n.Name]
	if !ok {
		dg := c.errorf(n, "unknown-webhook", "unknown webhook `%s`", n.Name)
		didYouMean(dg, n.Name, sortedKeys(c.hooks))
	}
	return h
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ---- incoming webhooks ----

func (c *compiler) hook(d *ast.WebhookDecl) {
	name := d.Name.Name
	h := &hookInfo{t: &bytecode.HookType{Name: name, Object: -1, MatchKey: -1, MatchVal: bytecode.NoExpr}, pos: d.Name.Pos}
	if prev, ok := c.hooks[name]; ok {
		c.duplicate(d.Name, "webhook", name, prev.pos)
	} else {
		h.idx = len(c.prog.Hooks)
		c.hooks[name] = h
		c.prog.Hooks = append(c.prog.Hooks, h.t)
	}
	if o := c.lookupObject(d.Object); o != nil {
		h.obj = o
		h.t.Object = o.idx
		if slot, ok := o.props[d.MatchKey.Name]; !ok {
			dg := c.errorf(d.MatchKey, "unknown-property", "unknown property `%s` of %s", d.MatchKey.Name, o.t.Name)
			didYouMean(dg, d.MatchKey.Name, uniqueProps(o))
		} else if !o.prop(slot).Unique {
			dg := c.errorf(d.MatchKey, "match-key", "webhook `%s` matches %s by `%s`, which is not a unique property", name, o.t.Name, d.MatchKey.Name)
			if u := uniqueProps(o); len(u) > 0 {
				dg.Hint = "unique properties of " + o.t.Name + ": " + strings.Join(u, ", ")
			} else {
				dg.Hint = fmt.Sprintf("declare it `%s: %s unique`", d.MatchKey.Name, o.prop(slot).Type)
			}
		} else {
			h.t.MatchKey = slot
		}
	}
	s := &scope{body: true}
	h.t.MatchVal = c.exprIndex(s, d.MatchVal)
	seen := map[string]ast.Position{}
	for _, p := range d.Props {
		pname := p.Name.Name
		okName := c.checkPropName(p.Name)
		typ, _ := c.propType(p.Type)
		x := c.expr(s, p.Value)
		c.checkAssign(p.Value, typ, pname, x)
		if prev, dup := seen[pname]; dup {
			c.duplicate(p.Name, "property", name+"."+pname, prev)
			continue
		}
		seen[pname] = p.Name.Pos
		if okName {
			h.t.Props = append(h.t.Props, bytecode.HookProp{Name: pname, Type: typ, Expr: c.emitExpr(p.Value, x)})
		}
	}
}

func uniqueProps(o *objInfo) []string {
	var u []string
	for _, p := range o.t.Props {
		if p.Unique {
			u = append(u, p.Name)
		}
	}
	return u
}

// timeOfDay returns seconds after midnight, or -1 for a missing time.
func timeOfDay(t *ast.TimeOfDay) int {
	if t == nil {
		return -1
	}
	h, m, s := t.Clock()
	return h*3600 + m*60 + s
}

var clockRE = regexp.MustCompile(`^([01]?[0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$`)

// checkTime reports a time of day that is not a valid clock time.
func (c *compiler) checkTime(t *ast.TimeOfDay) {
	if t != nil && !clockRE.MatchString(t.Text) {
		c.errorf(t, "time", "invalid time of day %s: use 00:00 to 23:59", t.Text)
	}
}
