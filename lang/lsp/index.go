package lsp

import (
	"sort"
	"strings"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/stdlib"
)

// symKind is what a name refers to.
type symKind uint8

const (
	symObject    symKind = iota // an object type
	symProp                     // a property of an object type
	symAssoc                    // an association of an object type; target is the associated type
	symEvent                    // a custom event type
	symEventProp                // a property of an event type
	symHook                     // an incoming webhook
	symHookProp                 // a property an incoming webhook maps
	symWorkflow                 // a workflow
	symLabel                    // a step label, `step welcome:`
	symOutput                   // an action output, `as hook`; target is webhook, code or the created type
	symRecord                   // a record id in a test block; target is its type
	symFunc                     // a stdlib builtin
)

// symbol is one declared thing. Builtins have no file.
type symbol struct {
	kind   symKind
	name   string
	owner  string   // the object, event, webhook or workflow it belongs to
	file   string   // the declaring file's name; "" for builtins
	decl   ast.Span // the declaring name
	node   ast.Node // the declaration, for hover
	typ    string   // a property's type as written: `enum("a", "b")`
	unique bool
	target string
}

// occurrence is a name in the source that refers to a symbol, or declares it.
type occurrence struct {
	span ast.Span
	sym  *symbol
	decl bool
}

type objectSyms struct {
	sym    *symbol
	props  map[string]*symbol
	list   []*symbol // properties in slot order
	assocs map[string]*symbol
}

type eventSyms struct {
	sym    *symbol
	object string
	props  map[string]*symbol
	list   []*symbol
}

type hookSyms struct {
	sym    *symbol
	object string
	list   []*symbol
}

type flowSyms struct {
	sym     *symbol
	object  string
	decl    *ast.WorkflowDecl
	labels  map[string]*symbol
	outputs map[string]*symbol
}

// index is the resolved names of one program (the prelude and the files of
// one folder): every declaration and every occurrence of a name, by file.
// It is built from the syntax trees alone, so it exists, for the
// declarations that parsed, even when the program does not compile.
type index struct {
	objects map[string]*objectSyms
	events  map[string]*eventSyms
	hooks   map[string]*hookSyms
	flows   map[string]*flowSyms
	funcs   map[string]*symbol
	occ     map[string][]occurrence // by file name, sorted by offset
	srcs    map[string]string       // file name → source, for the text of types
}

// buildIndex resolves the names of files (the prelude first).
func buildIndex(files []*ast.File) *index {
	x := &index{
		objects: map[string]*objectSyms{},
		events:  map[string]*eventSyms{},
		hooks:   map[string]*hookSyms{},
		flows:   map[string]*flowSyms{},
		funcs:   map[string]*symbol{},
		occ:     map[string][]occurrence{},
		srcs:    map[string]string{},
	}
	for _, name := range stdlib.Names() {
		x.funcs[name] = &symbol{kind: symFunc, name: name}
	}
	for _, f := range files {
		x.srcs[f.Name] = f.Src
	}
	// Declarations, in the compiler's order: objects, extensions, events,
	// webhooks, workflows.
	for _, f := range files {
		for _, d := range f.Decls {
			if d, ok := d.(*ast.ObjectDecl); ok {
				if _, dup := x.objects[d.Name.Name]; !dup {
					x.objects[d.Name.Name] = &objectSyms{
						sym:   x.declare(f, symObject, d.Name, "", d),
						props: map[string]*symbol{}, assocs: map[string]*symbol{},
					}
				}
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.ObjectDecl:
				x.members(f, x.objects[d.Name.Name], d.Members)
			case *ast.ExtendDecl:
				x.members(f, x.objects[d.Name.Name], d.Members)
			}
		}
	}
	for _, f := range files {
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.EventDecl:
				if _, dup := x.events[d.Name.Name]; dup {
					continue
				}
				ev := &eventSyms{sym: x.declare(f, symEvent, d.Name, "", d), object: d.Object.Name, props: map[string]*symbol{}}
				for _, p := range d.Props {
					s := x.declare(f, symEventProp, p.Name, d.Name.Name, p)
					s.typ = text(f.Src, p.Type)
					if _, dup := ev.props[s.name]; !dup {
						ev.props[s.name] = s
						ev.list = append(ev.list, s)
					}
				}
				x.events[d.Name.Name] = ev
			case *ast.WebhookDecl:
				if _, dup := x.hooks[d.Name.Name]; dup {
					continue
				}
				h := &hookSyms{sym: x.declare(f, symHook, d.Name, "", d), object: d.Object.Name}
				for _, p := range d.Props {
					s := x.declare(f, symHookProp, p.Name, d.Name.Name, p)
					s.typ = text(f.Src, p.Type)
					h.list = append(h.list, s)
				}
				x.hooks[d.Name.Name] = h
			case *ast.WorkflowDecl:
				if _, dup := x.flows[d.Name.Name]; dup {
					continue
				}
				fl := &flowSyms{sym: x.declare(f, symWorkflow, d.Name, "", d), decl: d, labels: map[string]*symbol{}, outputs: map[string]*symbol{}}
				for _, it := range d.Items {
					if on, ok := it.(*ast.OnSetting); ok && fl.object == "" {
						fl.object = on.Object.Name
					}
				}
				x.flows[d.Name.Name] = fl
			}
		}
	}
	// References.
	for _, f := range files {
		for _, d := range f.Decls {
			x.decl(f, d)
		}
	}
	for name, occ := range x.occ {
		sort.SliceStable(occ, func(i, j int) bool { return occ[i].span.Pos.Offset < occ[j].span.Pos.Offset })
		x.occ[name] = occ
	}
	return x
}

func (x *index) declare(f *ast.File, k symKind, n *ast.Name, owner string, node ast.Node) *symbol {
	s := &symbol{kind: k, name: n.Name, owner: owner, file: f.Name, decl: n.Span, node: node}
	x.add(f, n.Span, s, true)
	return s
}

func (x *index) add(f *ast.File, sp ast.Span, s *symbol, decl bool) {
	if s == nil || sp.Pos.Line == 0 {
		return
	}
	x.occ[f.Name] = append(x.occ[f.Name], occurrence{span: sp, sym: s, decl: decl})
}

func (x *index) members(f *ast.File, o *objectSyms, members []*ast.Member) {
	for _, m := range members {
		if m.Prop != nil {
			if o == nil {
				continue
			}
			s := x.declare(f, symProp, m.Prop.Name, o.sym.name, m.Prop)
			s.typ, s.unique = text(f.Src, m.Prop.Type), m.Prop.Unique
			if _, dup := o.props[s.name]; !dup {
				o.props[s.name] = s
				o.list = append(o.list, s)
			}
			continue
		}
		for _, a := range m.Assocs {
			if t, ok := x.objects[a.Name.Name]; ok {
				x.add(f, a.Name.Span, t.sym, false)
			}
			if o == nil {
				continue
			}
			card := a.Cardinality
			if card == "" {
				card = "many"
			}
			s := &symbol{kind: symAssoc, name: a.Name.Name, owner: o.sym.name, file: f.Name, decl: a.Name.Span, node: a, typ: card, target: a.Name.Name}
			if _, dup := o.assocs[s.name]; !dup {
				o.assocs[s.name] = s
			}
		}
	}
}

// text is the source text of a node.
func text(src string, n ast.Node) string {
	s, e := n.Start().Offset, n.End().Offset
	if s < 0 || e > len(src) || s > e {
		return ""
	}
	return strings.TrimSpace(src[s:e])
}

func (x *index) object(f *ast.File, n *ast.Name) *objectSyms {
	o := x.objects[n.Name]
	if o != nil {
		x.add(f, n.Span, o.sym, false)
	}
	return o
}

func (x *index) event(f *ast.File, n *ast.Name) *eventSyms {
	ev := x.events[n.Name]
	if ev != nil {
		x.add(f, n.Span, ev.sym, false)
	}
	return ev
}

func (x *index) hook(f *ast.File, n *ast.Name) *hookSyms {
	h := x.hooks[n.Name]
	if h != nil {
		x.add(f, n.Span, h.sym, false)
	}
	return h
}

func (x *index) workflow(f *ast.File, n *ast.Name) *flowSyms {
	fl := x.flows[n.Name]
	if fl != nil {
		x.add(f, n.Span, fl.sym, false)
	}
	return fl
}

// scope is what the names of an expression may refer to, as in the
// compiler's resolver.
type scope struct {
	obj     *objectSyms
	event   *eventSyms
	outputs map[string]*symbol
	records map[string]*symbol // a test's records
	body    bool               // an incoming webhook's request body
}

func (x *index) decl(f *ast.File, d ast.Decl) {
	switch d := d.(type) {
	case *ast.ExtendDecl:
		x.object(f, d.Name)
	case *ast.EventDecl:
		x.object(f, d.Object)
	case *ast.WebhookDecl:
		if o := x.object(f, d.Object); o != nil {
			x.add(f, d.MatchKey.Span, o.props[d.MatchKey.Name], false)
		}
		s := &scope{body: true}
		x.expr(f, s, d.MatchVal)
		for _, p := range d.Props {
			x.expr(f, s, p.Value)
		}
	case *ast.WorkflowDecl:
		x.flow(f, d)
	case *ast.TestDecl:
		x.test(f, d)
	}
}

func (x *index) flow(f *ast.File, d *ast.WorkflowDecl) {
	fl := x.flows[d.Name.Name]
	if fl == nil || fl.decl != d {
		// A duplicate: resolve its body as its own workflow.
		fl = &flowSyms{sym: &symbol{kind: symWorkflow, name: d.Name.Name, file: f.Name, decl: d.Name.Span, node: d}, decl: d, labels: map[string]*symbol{}, outputs: map[string]*symbol{}}
	}
	s := &scope{outputs: fl.outputs}
	for _, it := range d.Items {
		if on, ok := it.(*ast.OnSetting); ok {
			if o := x.object(f, on.Object); o != nil && s.obj == nil {
				s.obj = o
			}
		}
	}
	for _, it := range d.Items {
		switch it := it.(type) {
		case *ast.FilterTrigger:
			x.expr(f, s, it.Cond)
		case *ast.EventTrigger:
			es := *s
			es.event = x.event(f, it.Event)
			x.expr(f, &es, it.Where)
		case *ast.WebhookTrigger:
			x.hook(f, it.Hook)
		case *ast.ScheduleTrigger:
			x.expr(f, s, it.Where)
		case *ast.DateTrigger:
			x.expr(f, s, it.Date)
		case *ast.ReenrollSetting:
			for _, n := range it.Names {
				switch it.Kind {
				case "change":
					if s.obj != nil {
						x.add(f, n.Span, s.obj.props[n.Name], false)
					}
				case "event":
					x.event(f, n)
				case "webhook":
					x.hook(f, n)
				}
			}
		case *ast.UnenrollSetting:
			x.expr(f, s, it.Cond)
		case *ast.GoalSetting:
			x.expr(f, s, it.Cond)
		case *ast.SuppressSetting:
			x.expr(f, s, it.Cond)
		case *ast.Step:
			x.step(f, fl, s, it)
		}
	}
}

func (x *index) steps(f *ast.File, fl *flowSyms, s *scope, b *ast.Block) {
	if b == nil {
		return
	}
	for _, st := range b.Steps {
		x.step(f, fl, s, st)
	}
}

func (x *index) step(f *ast.File, fl *flowSyms, s *scope, st *ast.Step) {
	if st.Label != nil {
		l := &symbol{kind: symLabel, name: st.Label.Name, owner: fl.sym.name, file: f.Name, decl: st.Label.Span, node: st}
		if prev, ok := fl.labels[l.name]; ok {
			l = prev
		} else {
			fl.labels[l.name] = l
		}
		x.add(f, st.Label.Span, l, true)
	}
	output := func(n *ast.Name, kind string) {
		if n == nil {
			return
		}
		o := &symbol{kind: symOutput, name: n.Name, owner: fl.sym.name, file: f.Name, decl: n.Span, node: st, target: kind}
		if _, dup := s.outputs[n.Name]; !dup {
			s.outputs[n.Name] = o
		}
		x.add(f, n.Span, o, true)
	}
	switch b := st.Body.(type) {
	case *ast.SetStep:
		x.target(f, s, b.Target)
		x.expr(f, s, b.Value)
	case *ast.IncrementStep:
		x.target(f, s, b.Target)
		x.expr(f, s, b.By)
	case *ast.ClearStep:
		for _, t := range b.Targets {
			x.target(f, s, t)
		}
	case *ast.CopyStep:
		x.expr(f, s, b.From)
		x.target(f, s, b.To)
	case *ast.DelayStep:
		x.expr(f, s, b.X)
	case *ast.WaitEventStep:
		es := *s
		es.event = x.event(f, b.Event)
		x.expr(f, &es, b.Where)
		x.expr(f, s, b.Timeout)
		x.steps(f, fl, s, b.Else)
	case *ast.WaitUntilStep:
		x.expr(f, s, b.Cond)
		x.expr(f, s, b.Timeout)
		x.steps(f, fl, s, b.Else)
	case *ast.IfStep:
		x.expr(f, s, b.Cond)
		x.steps(f, fl, s, b.Then)
		for _, ei := range b.ElseIf {
			x.expr(f, s, ei.Cond)
			x.steps(f, fl, s, ei.Then)
		}
		x.steps(f, fl, s, b.Else)
	case *ast.BranchStep:
		x.expr(f, s, b.On)
		for _, a := range b.Arms {
			for _, v := range a.Values {
				x.expr(f, s, v)
			}
			x.steps(f, fl, s, a.Body)
		}
		x.steps(f, fl, s, b.Else)
	case *ast.SplitStep:
		for _, a := range b.Arms {
			x.steps(f, fl, s, a.Body)
		}
	case *ast.AssignStep:
		x.target(f, s, b.Target)
		x.expr(f, s, b.Value)
	case *ast.CreateTaskStep:
		x.expr(f, s, b.Title)
		x.target(f, s, b.For)
		x.expr(f, s, b.Due)
	case *ast.CreateStep:
		o := x.object(f, b.Object)
		x.fields(f, s, b.Fields, func(n string) *symbol {
			if o == nil {
				return nil
			}
			return o.props[n]
		})
		output(b.As, b.Object.Name)
	case *ast.NotifyStep:
		x.expr(f, s, b.To)
		x.expr(f, s, b.Message)
	case *ast.SendEmailStep:
		x.expr(f, s, b.Template)
		x.expr(f, s, b.To)
	case *ast.WebhookStep:
		x.expr(f, s, b.URL)
		if b.Sign != nil {
			x.expr(f, s, b.Sign.Secret)
		}
		x.expr(f, s, b.Timeout)
		x.expr(f, s, b.Rate)
		output(b.As, "webhook")
	case *ast.CodeStep:
		x.expr(f, s, b.Timeout)
		output(b.As, "code")
	case *ast.EnrollInStep:
		x.workflow(f, b.Workflow)
	}
}

// fields resolves the names of an object literal with field, and its values in s.
func (x *index) fields(f *ast.File, s *scope, lit *ast.ObjectLit, field func(string) *symbol) {
	if lit == nil {
		return
	}
	for _, fv := range lit.Fields {
		x.add(f, fv.Name.Span, field(fv.Name.Name), false)
		if fv.Object != nil {
			x.fields(f, s, fv.Object, func(string) *symbol { return nil })
		}
		x.expr(f, s, fv.Value)
	}
}

// target resolves a property path written as an assignment target.
func (x *index) target(f *ast.File, s *scope, p *ast.PropPath) {
	if p == nil || s.obj == nil {
		return
	}
	spans := partSpans(f.Src, p)
	if len(spans) != len(p.Parts) {
		return
	}
	if prop, ok := s.obj.props[p.Parts[0]]; ok {
		x.add(f, spans[0], prop, false)
		return
	}
	if a, ok := s.obj.assocs[p.Parts[0]]; ok {
		x.add(f, spans[0], a, false)
		if t := x.objects[a.target]; t != nil && len(p.Parts) > 1 {
			x.add(f, spans[1], t.props[p.Parts[1]], false)
		}
	}
}

// partSpans finds the span of each part of a property path in the source:
// the path is its parts joined by dots, with only blanks between.
func partSpans(src string, p *ast.PropPath) []ast.Span {
	var spans []ast.Span
	pos := p.Pos
	end := p.EndPos.Offset
	if end > len(src) || pos.Offset > end {
		return nil
	}
	for _, part := range p.Parts {
		i := strings.Index(src[pos.Offset:end], part)
		if i < 0 {
			return nil
		}
		pos.Advance(src[pos.Offset : pos.Offset+i])
		start := pos
		pos.Advance(part)
		spans = append(spans, ast.Span{Pos: start, EndPos: pos})
	}
	return spans
}

// expr resolves the names in an expression.
func (x *index) expr(f *ast.File, s *scope, e ast.Expr) {
	if e == nil {
		return
	}
	ast.Inspect(e, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Path:
			x.path(f, s, n)
			return false
		case *ast.Call:
			x.add(f, n.Fn.Span, x.funcs[n.Fn.Name], false)
		}
		return true
	})
}

func (x *index) path(f *ast.File, s *scope, p *ast.Path) {
	first := p.Parts[0]
	name := first.Name
	second := func(o *objectSyms) {
		if o != nil && len(p.Parts) > 1 {
			x.add(f, p.Parts[1].Span, o.props[p.Parts[1].Name], false)
		}
	}
	switch {
	case s.records != nil:
		if r, ok := s.records[name]; ok {
			x.add(f, first.Span, r, false)
			second(x.objects[r.target])
		}
		return
	case s.body:
		return
	}
	if s.event != nil {
		if prop, ok := s.event.props[name]; ok {
			x.add(f, first.Span, prop, false)
			return
		}
	}
	if s.obj != nil {
		if prop, ok := s.obj.props[name]; ok {
			x.add(f, first.Span, prop, false)
			return
		}
		if a, ok := s.obj.assocs[name]; ok {
			x.add(f, first.Span, a, false)
			second(x.objects[a.target])
			return
		}
	}
	if out, ok := s.outputs[name]; ok {
		x.add(f, first.Span, out, false)
		second(x.objects[out.target])
	}
}

func (x *index) test(f *ast.File, d *ast.TestDecl) {
	records := map[string]*symbol{}
	s := &scope{records: records}
	record := func(r *ast.RecordRef, typ string) {
		if r == nil {
			return
		}
		id := string(r.ID)
		rec, ok := records[id]
		if !ok && typ != "" {
			rec = &symbol{kind: symRecord, name: id, owner: string(d.Name.Value), file: f.Name, decl: r.Span, node: r, target: typ}
			records[id] = rec
			x.add(f, r.Span, rec, true)
			return
		}
		x.add(f, r.Span, rec, false)
	}
	objFields := func(o *objectSyms) func(string) *symbol {
		return func(n string) *symbol {
			if o == nil {
				return nil
			}
			return o.props[n]
		}
	}
	for _, st := range d.Stmts {
		switch st := st.(type) {
		case *ast.AdvanceStmt:
			x.expr(f, s, st.By)
		case *ast.UpsertStmt:
			o := x.object(f, st.Object)
			record(st.Record, st.Object.Name)
			x.fields(f, s, st.Fields, objFields(o))
		case *ast.DeleteStmt:
			x.object(f, st.Object)
			record(st.Record, st.Object.Name)
		case *ast.EventStmt:
			ev := x.event(f, st.Event)
			typ := ""
			if ev != nil {
				typ = ev.object
			}
			record(st.Record, typ)
			x.fields(f, s, st.Fields, func(n string) *symbol {
				if ev == nil {
					return nil
				}
				return ev.props[n]
			})
		case *ast.AssociateStmt:
			x.object(f, st.Object)
			record(st.Record, st.Object.Name)
			x.object(f, st.ToObject)
			record(st.To, st.ToObject.Name)
		case *ast.HookStmt:
			x.hook(f, st.Hook)
			x.fields(f, s, st.Body, func(string) *symbol { return nil })
		case *ast.EnrollStmt:
			record(st.Record, "")
			x.workflow(f, st.Workflow)
		case *ast.EnableStmt:
			x.workflow(f, st.Workflow)
		case *ast.ExpectEnrollment:
			record(st.Record, "")
			if fl := x.workflow(f, st.Workflow); fl != nil && st.AtStep != nil {
				x.add(f, st.AtStep.Span, fl.labels[string(st.AtStep.Value)], false)
			}
		case *ast.ExpectWebhook:
			x.expr(f, s, st.URL)
			x.expr(f, s, st.Count)
		case *ast.ExpectEmail:
			x.expr(f, s, st.Template)
			record(st.To, "")
			x.expr(f, s, st.Count)
		case *ast.ExpectCreated:
			o := x.object(f, st.Object)
			x.expr(f, &scope{obj: o}, st.Where)
			x.expr(f, s, st.Count)
		case *ast.ExpectExpr:
			x.expr(f, s, st.Cond)
		}
	}
}

// at returns the occurrence at byte offset off of the named file: the one
// whose span holds off, or ends at it (the cursor just after a name).
func (x *index) at(file string, off int) (occurrence, bool) {
	occ := x.occ[file]
	i := sort.Search(len(occ), func(i int) bool { return occ[i].span.EndPos.Offset >= off })
	for ; i < len(occ) && occ[i].span.Pos.Offset <= off; i++ {
		if off <= occ[i].span.EndPos.Offset {
			return occ[i], true
		}
	}
	return occurrence{}, false
}

// refs returns every occurrence of s, declarations included, by file.
func (x *index) refs(s *symbol) map[string][]occurrence {
	out := map[string][]occurrence{}
	for file, occ := range x.occ {
		for _, o := range occ {
			if o.sym == s {
				out[file] = append(out[file], o)
			}
		}
	}
	return out
}
