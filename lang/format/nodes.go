package format

import (
	"strings"
	"unicode/utf8"

	"github.com/wflang/wf/lang/ast"
)

// ---- Declarations ----

func (p *printer) decl(d ast.Decl) {
	switch d := d.(type) {
	case *ast.ObjectDecl:
		p.tok("object", off(d))
		p.members(d.Name, d.Members, d)
	case *ast.ExtendDecl:
		p.tok("extend", off(d))
		p.members(d.Name, d.Members, d)
	case *ast.EventDecl:
		p.tok("event", off(d))
		p.sp()
		p.name(d.Name)
		p.kw("on", end(d.Name))
		p.sp()
		p.name(d.Object)
		if p.emptyBody(len(d.Props), end(d.Object), d) {
			return
		}
		p.openBrace(p.after(end(d.Object)))
		for _, pd := range d.Props {
			p.propDecl(pd)
			p.newline()
		}
		p.closeBrace(p.closeOf(d))
	case *ast.WebhookDecl:
		p.tok("webhook", off(d))
		p.sp()
		p.name(d.Name)
		brace := p.after(end(d.Name))
		p.openBrace(brace)
		p.kw("match", shift(brace, 1))
		p.sp()
		p.name(d.Object)
		p.kw("by", end(d.Object))
		p.sp()
		p.name(d.MatchKey)
		p.kw("=", end(d.MatchKey))
		p.sp()
		p.expr(d.MatchVal, 0)
		if len(d.Props) > 0 {
			p.newline()
			at := p.kw("props", end(d.MatchVal))
			p.openBrace(p.after(at))
			for _, hp := range d.Props {
				p.name(hp.Name)
				p.tok(":", p.after(end(hp.Name)))
				p.sp()
				p.typeExpr(hp.Type)
				p.kw("=", end(hp.Type))
				p.sp()
				p.expr(hp.Value, 0)
				p.newline()
			}
			p.closeBrace(p.before(p.closeOf(d)))
		}
		p.closeBrace(p.closeOf(d))
	case *ast.WorkflowDecl:
		p.tok("workflow", off(d))
		p.sp()
		p.name(d.Name)
		if p.emptyBody(len(d.Items), end(d.Name), d) {
			return
		}
		p.openBrace(p.after(end(d.Name)))
		for _, it := range d.Items {
			p.item(it)
			p.newline()
		}
		p.closeBrace(p.closeOf(d))
	case *ast.TestDecl:
		p.tok("test", off(d))
		p.sp()
		p.textLit(d.Name)
		if p.emptyBody(len(d.Stmts), end(d.Name), d) {
			return
		}
		p.openBrace(p.after(end(d.Name)))
		for _, s := range d.Stmts {
			p.testStmt(s)
			p.newline()
		}
		p.closeBrace(p.closeOf(d))
	}
}

// members prints the name and body of an object or extend declaration.
func (p *printer) members(name *ast.Name, members []*ast.Member, d ast.Node) {
	p.sp()
	p.name(name)
	if p.emptyBody(len(members), end(name), d) {
		return
	}
	p.openBrace(p.after(end(name)))
	for _, m := range members {
		if m.Prop != nil {
			p.propDecl(m.Prop)
		} else {
			p.tok("assoc", off(m))
			p.sp()
			list(p, m.Assocs, func(a *ast.AssocDecl) {
				p.name(a.Name)
				if a.Cardinality != "" {
					p.kw(a.Cardinality, end(a.Name))
				}
			}, endNode)
		}
		p.newline()
	}
	p.closeBrace(p.closeOf(d))
}

func (p *printer) propDecl(d *ast.PropDecl) {
	p.name(d.Name)
	p.tok(":", p.after(end(d.Name)))
	p.sp()
	p.typeExpr(d.Type)
	if d.Unique {
		p.kw("unique", end(d.Type))
	}
}

func (p *printer) typeExpr(t *ast.TypeExpr) {
	from := off(t)
	p.tok(t.Name, from)
	if len(t.Options) == 0 {
		return
	}
	p.tok("(", p.after(shift(from, len(t.Name))))
	list(p, t.Options, p.textLit, endNode)
	p.tok(")", p.before(end(t)))
}

// ---- Workflow items ----

func (p *printer) item(it ast.Item) {
	switch it := it.(type) {
	case *ast.OnSetting:
		p.tok("on", off(it))
		p.sp()
		p.name(it.Object)
	case *ast.FilterTrigger:
		p.kws(off(it), "enroll", "when")
		p.sp()
		p.expr(it.Cond, 0)
	case *ast.EventTrigger:
		p.kws(off(it), "enroll", "when", "event")
		p.sp()
		p.name(it.Event)
		p.where(it.Where, end(it.Event))
	case *ast.WebhookTrigger:
		p.kws(off(it), "enroll", "when", "webhook")
		p.sp()
		p.name(it.Hook)
	case *ast.ScheduleTrigger:
		p.kws(off(it), "enroll", "every")
		p.sp()
		list(p, it.Every, p.name, endNode)
		at := end(it.Every[len(it.Every)-1])
		if it.OnDay != "" {
			at = p.kw("on", at)
			at = p.kw(it.OnDay, at)
		}
		if it.At != nil {
			p.kw("at", at)
			p.sp()
			p.timeOfDay(it.At)
			at = end(it.At)
		}
		p.where(it.Where, at)
	case *ast.DateTrigger:
		p.kws(off(it), "enroll", "on", "date")
		p.sp()
		p.expr(it.Date, 0)
		p.atTime(it.At, end(it.Date))
	case *ast.EnrollExisting:
		p.kws(off(it), "enroll", "existing")
	case *ast.ReenrollSetting:
		p.kws(off(it), "reenroll", "on", it.Kind)
		p.sp()
		list(p, it.Names, p.name, endNode)
	case *ast.UnenrollSetting:
		p.kws(off(it), "unenroll", "when")
		p.sp()
		p.expr(it.Cond, 0)
	case *ast.GoalSetting:
		p.tok("goal", off(it))
		p.sp()
		p.expr(it.Cond, 0)
	case *ast.SuppressSetting:
		p.kws(off(it), "suppress", "when")
		p.sp()
		p.expr(it.Cond, 0)
	case *ast.TimezoneSetting:
		p.tok("timezone", off(it))
		p.sp()
		p.textLit(it.Zone)
	case *ast.RunWindow:
		p.kws(off(it), "run", "on")
		p.sp()
		list(p, it.Days, func(d *ast.DayRange) {
			p.name(d.From)
			if d.To != nil {
				p.tok("..", p.after(end(d.From)))
				p.name(d.To)
			}
		}, endNode)
		p.sp()
		p.timeOfDay(it.From)
		p.tok("..", p.after(end(it.From)))
		p.timeOfDay(it.To)
	case *ast.Step:
		p.step(it)
	}
}

// where prints an optional `where <expr>` that follows offset from.
func (p *printer) where(x ast.Expr, from int) {
	if x != nil {
		p.kw("where", from)
		p.sp()
		p.expr(x, 0)
	}
}

// atTime prints an optional `at 09:00` that follows offset from.
func (p *printer) atTime(t *ast.TimeOfDay, from int) {
	if t != nil {
		p.kw("at", from)
		p.sp()
		p.timeOfDay(t)
	}
}

// ---- Steps ----

func (p *printer) step(s *ast.Step) {
	if s.Label != nil {
		p.tok("step", off(s))
		p.sp()
		p.name(s.Label)
		p.tok(":", p.after(end(s.Label)))
		p.sp()
	}
	p.stepBody(s.Body)
}

func (p *printer) stepBody(b ast.StepBody) {
	switch s := b.(type) {
	case *ast.SetStep:
		p.tok("set", off(s))
		p.sp()
		p.propPath(s.Target)
		p.kw("=", end(s.Target))
		p.sp()
		p.expr(s.Value, 0)
	case *ast.IncrementStep:
		p.tok(s.Op, off(s))
		p.sp()
		p.propPath(s.Target)
		if s.By != nil {
			p.kw("by", end(s.Target))
			p.sp()
			p.expr(s.By, 0)
		}
	case *ast.ClearStep:
		p.tok("clear", off(s))
		p.sp()
		list(p, s.Targets, p.propPath, endNode)
	case *ast.CopyStep:
		p.tok("copy", off(s))
		p.sp()
		p.expr(s.From, 0)
		p.kw("to", end(s.From))
		p.sp()
		p.propPath(s.To)
	case *ast.DelayStep:
		at := p.kw("delay", off(s))
		if s.Until {
			p.kw("until", at)
		}
		p.sp()
		p.expr(s.X, 0)
		p.atTime(s.At, end(s.X))
	case *ast.WaitEventStep:
		p.kws(off(s), "wait", "for", "event")
		p.sp()
		p.name(s.Event)
		at := end(s.Event)
		if s.Where != nil {
			p.where(s.Where, at)
			at = end(s.Where)
		}
		p.timeout(s.Timeout, s.Else, at)
	case *ast.WaitUntilStep:
		p.kws(off(s), "wait", "until")
		p.sp()
		p.expr(s.Cond, 0)
		p.timeout(s.Timeout, s.Else, end(s.Cond))
	case *ast.IfStep:
		p.tok("if", off(s))
		p.sp()
		p.expr(s.Cond, 0)
		p.sp()
		p.block(s.Then)
		for _, e := range s.ElseIf {
			p.kws(off(e), "else", "if")
			p.sp()
			p.expr(e.Cond, 0)
			p.sp()
			p.block(e.Then)
		}
		if s.Else != nil {
			p.kw("else", p.before(off(s.Else)))
			p.sp()
			p.block(s.Else)
		}
	case *ast.BranchStep:
		p.kws(off(s), "branch", "on")
		p.sp()
		p.expr(s.On, 0)
		var arms []arm
		for _, a := range s.Arms {
			a := a
			arms = append(arms, arm{width: p.valuesWidth(a.Values), label: func() {
				list(p, a.Values, func(x ast.Expr) { p.expr(x, 0) }, endNode)
			}, arrow: p.after(end(a.Values[len(a.Values)-1])), body: a.Body})
		}
		if s.Else != nil {
			elseAt := p.before(p.before(off(s.Else)))
			arms = append(arms, arm{width: 4, label: func() { p.tok("else", elseAt) },
				arrow: p.before(off(s.Else)), body: s.Else})
		}
		p.arms(p.after(end(s.On)), arms, p.closeOf(s))
	case *ast.SplitStep:
		p.tok("split", off(s))
		var arms []arm
		for _, a := range s.Arms {
			a := a
			arms = append(arms, arm{width: len(a.Percent) + 1, label: func() {
				p.tok(a.Percent, off(a))
				p.tok("%", p.after(shift(off(a), len(a.Percent))))
			}, arrow: p.before(off(a.Body)), body: a.Body})
		}
		p.arms(p.after(shift(off(s), len("split"))), arms, p.closeOf(s))
	case *ast.AssignStep:
		p.tok("assign", off(s))
		p.sp()
		p.propPath(s.Target)
		if s.Strategy != "" {
			p.kw(s.Strategy, end(s.Target))
		}
		p.sp()
		p.expr(s.Value, 0)
	case *ast.CreateTaskStep:
		p.kws(off(s), "create", "task")
		p.sp()
		p.expr(s.Title, 0)
		at := end(s.Title)
		if s.For != nil {
			p.kw("for", at)
			p.sp()
			p.propPath(s.For)
			at = end(s.For)
		}
		if s.Due != nil {
			p.kw("due", at)
			p.sp()
			p.expr(s.Due, 0)
		}
	case *ast.CreateStep:
		p.tok("create", off(s))
		p.sp()
		p.name(s.Object)
		p.sp()
		p.objectLit(s.Fields)
		p.as(s.As, end(s.Fields))
	case *ast.NotifyStep:
		p.tok("notify", off(s))
		p.sp()
		p.expr(s.To, 0)
		p.sp()
		p.expr(s.Message, 0)
	case *ast.SendEmailStep:
		p.kws(off(s), "send", "email")
		p.sp()
		p.expr(s.Template, 0)
		if s.To != nil {
			p.kw("to", end(s.Template))
			p.sp()
			p.expr(s.To, 0)
		}
	case *ast.WebhookStep:
		p.kws(off(s), "webhook", s.Method)
		p.sp()
		p.expr(s.URL, 0)
		at := end(s.URL)
		if s.Sign != nil {
			sat := p.kw("sign", at)
			if s.Sign.Scheme != "" {
				p.kw(s.Sign.Scheme, sat)
			}
			p.sp()
			p.expr(s.Sign.Secret, 0)
			at = end(s.Sign)
		}
		if s.Timeout != nil {
			p.kw("timeout", at)
			p.sp()
			p.expr(s.Timeout, 0)
			at = end(s.Timeout)
		}
		if s.Rate != nil {
			p.kw("rate", at)
			p.sp()
			p.expr(s.Rate, 0)
			at = end(s.Rate)
		}
		p.as(s.As, at)
	case *ast.CodeStep:
		at := p.kws(off(s), "code", s.Lang)
		if s.GoName != nil {
			p.sp()
			p.textLit(s.GoName)
			at = end(s.GoName)
		}
		if len(s.Secrets) > 0 {
			at = p.kw("secrets", at)
			p.sp()
			p.tok("(", p.after(at))
			list(p, s.Secrets, p.textLit, endNode)
			at = p.after(end(s.Secrets[len(s.Secrets)-1]))
			p.tok(")", at)
			at = shift(at, 1)
		}
		if len(s.Outputs) > 0 {
			at = p.kw("outputs", at)
			p.sp()
			p.tok("(", p.after(at))
			list(p, s.Outputs, func(f *ast.Field) {
				p.name(f.Name)
				p.tok(":", p.after(end(f.Name)))
				p.sp()
				p.typeExpr(f.Type)
			}, endNode)
			at = p.after(end(s.Outputs[len(s.Outputs)-1]))
			p.tok(")", at)
			at = shift(at, 1)
		}
		if s.Timeout != nil {
			p.kw("timeout", at)
			p.sp()
			p.expr(s.Timeout, 0)
			at = end(s.Timeout)
		}
		p.as(s.As, at)
		if s.Source != nil {
			p.sp()
			p.text("`"+s.Source.Text+"`", off(s.Source), end(s.Source))
		}
	case *ast.EnrollInStep:
		p.kws(off(s), "enroll", "in")
		p.sp()
		p.name(s.Workflow)
	case *ast.PlaceholderStep:
		p.tok("placeholder", off(s))
		p.sp()
		p.textLit(s.Note)
	case *ast.StopStep:
		p.tok("stop", off(s))
	}
}

// timeout prints a wait step's optional `up to D` and `else {…}`.
func (p *printer) timeout(limit ast.Expr, els *ast.Block, at int) {
	if limit != nil {
		p.kws(at, "up", "to")
		p.sp()
		p.expr(limit, 0)
		at = end(limit)
	}
	if els != nil {
		p.kw("else", at)
		p.sp()
		p.block(els)
	}
}

// as prints an optional `as name` that follows offset from.
func (p *printer) as(n *ast.Name, from int) {
	if n != nil {
		p.kw("as", from)
		p.sp()
		p.name(n)
	}
}

// arm is one arm of a branch or split: a label printed `width` characters
// wide, the `=>` at offset arrow, and a block.
type arm struct {
	width int
	label func()
	arrow int
	body  *ast.Block
}

// arms prints the arms of a branch or split between the braces at open
// and close, one per line, their arrows aligned.
func (p *printer) arms(open int, arms []arm, close int) {
	p.openBrace(open)
	w := 0
	for _, a := range arms {
		w = max(w, a.width)
	}
	for _, a := range arms {
		a.label()
		for range w - a.width {
			p.out = append(p.out, ' ')
		}
		p.sp()
		p.tok("=>", a.arrow)
		p.sp()
		p.block(a.body)
		p.newline()
	}
	p.closeBrace(close)
}

// valuesWidth is the printed width of a branch arm's values.
func (p *printer) valuesWidth(xs []ast.Expr) int {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteString(", ")
		}
		q := &printer{src: p.src, lineStart: false, last: -1}
		q.expr(x, 0)
		b.Write(q.out)
	}
	return utf8.RuneCountInString(b.String())
}

// block prints a block of steps: `{}` when empty, on one line when it holds
// one step that holds no block, written on one line without comments, else
// one step per line.
func (p *printer) block(b *ast.Block) {
	from, to := off(b), end(b)
	closeAt := p.closeOf(b)
	if len(b.Steps) == 0 && !p.hasComment(from, to, false) {
		p.tok("{", from)
		p.tok("}", closeAt)
		return
	}
	if len(b.Steps) == 1 && oneLine(b) && simple(b.Steps[0].Body) && !p.hasComment(from, to, false) {
		p.tok("{", from)
		p.sp()
		p.step(b.Steps[0])
		p.sp()
		p.tok("}", closeAt)
		return
	}
	p.openBrace(from)
	for _, s := range b.Steps {
		p.step(s)
		p.newline()
	}
	p.closeBrace(closeAt)
}

// simple reports whether a step holds no block or code.
func simple(s ast.StepBody) bool {
	switch s := s.(type) {
	case *ast.IfStep, *ast.BranchStep, *ast.SplitStep, *ast.CodeStep:
		return false
	case *ast.WaitEventStep:
		return s.Else == nil
	case *ast.WaitUntilStep:
		return s.Else == nil
	}
	return true
}

// objectLit prints `{ a: 1, b: 2 }` when it was written on one line without
// line comments, else one field per line.
func (p *printer) objectLit(o *ast.ObjectLit) {
	from, to := off(o), end(o)
	closeAt := p.closeOf(o)
	if len(o.Fields) == 0 && !p.hasComment(from, to, false) {
		p.tok("{", from)
		p.tok("}", closeAt)
		return
	}
	if oneLine(o) && !p.hasComment(from, to, true) {
		p.tok("{", from)
		p.sp()
		list(p, o.Fields, p.fieldValue, endNode)
		p.sp()
		p.tok("}", closeAt)
		return
	}
	p.openBrace(from)
	for _, f := range o.Fields {
		p.fieldValue(f)
		p.skip(p.afterIs(end(f), ","))
		p.newline()
	}
	p.closeBrace(closeAt)
}

func (p *printer) fieldValue(f *ast.FieldValue) {
	p.name(f.Name)
	p.tok(":", p.after(end(f.Name)))
	p.sp()
	if f.Object != nil {
		p.objectLit(f.Object)
	} else {
		p.expr(f.Value, 0)
	}
}

// ---- Test statements ----

func (p *printer) testStmt(s ast.TestStmt) {
	switch s := s.(type) {
	case *ast.AtStmt:
		at := p.kw("at", off(s))
		p.kw(s.Time, at)
	case *ast.AdvanceStmt:
		p.tok("advance", off(s))
		p.sp()
		p.expr(s.By, 0)
	case *ast.UpsertStmt:
		p.tok("upsert", off(s))
		p.sp()
		p.name(s.Object)
		p.sp()
		p.recordRef(s.Record)
		p.sp()
		p.objectLit(s.Fields)
	case *ast.DeleteStmt:
		p.tok("delete", off(s))
		p.sp()
		p.name(s.Object)
		p.sp()
		p.recordRef(s.Record)
	case *ast.EventStmt:
		p.tok("event", off(s))
		p.sp()
		p.name(s.Event)
		p.sp()
		p.recordRef(s.Record)
		if s.Fields != nil {
			p.sp()
			p.objectLit(s.Fields)
		}
	case *ast.AssociateStmt:
		p.tok("associate", off(s))
		p.sp()
		p.name(s.Object)
		p.sp()
		p.recordRef(s.Record)
		p.kw("to", end(s.Record))
		p.sp()
		p.name(s.ToObject)
		p.sp()
		p.recordRef(s.To)
		if s.Label != nil {
			p.kw("as", end(s.To))
			p.sp()
			p.textLit(s.Label)
		}
	case *ast.HookStmt:
		p.tok("hook", off(s))
		p.sp()
		p.name(s.Hook)
		p.sp()
		p.objectLit(s.Body)
	case *ast.EnrollStmt:
		p.tok("enroll", off(s))
		p.sp()
		p.recordRef(s.Record)
		p.kw("in", end(s.Record))
		p.sp()
		p.name(s.Workflow)
	case *ast.EnableStmt:
		p.tok("enable", off(s))
		p.sp()
		p.name(s.Workflow)
	case *ast.ExpectEnrollment:
		at := p.kw("expect", off(s))
		if s.Not {
			at = p.kw("not", at)
		}
		p.kw(s.State, at)
		p.sp()
		p.recordRef(s.Record)
		in := "in"
		if o := p.after(end(s.Record)); o >= 0 && strings.HasPrefix(p.src[o:], "from") {
			in = "from"
		}
		p.kw(in, end(s.Record))
		p.sp()
		p.name(s.Workflow)
		if s.AtStep != nil {
			p.kw("at", end(s.Workflow))
			p.sp()
			p.textLit(s.AtStep)
		}
	case *ast.ExpectWebhook:
		p.kws(off(s), "expect", "webhook")
		p.sp()
		p.expr(s.URL, 0)
		p.count(s.Count, end(s.URL))
	case *ast.ExpectEmail:
		p.kws(off(s), "expect", "email")
		p.sp()
		p.expr(s.Template, 0)
		at := end(s.Template)
		if s.To != nil {
			p.kw("to", at)
			p.sp()
			p.recordRef(s.To)
			at = end(s.To)
		}
		p.count(s.Count, at)
	case *ast.ExpectCreated:
		p.kws(off(s), "expect", "created")
		p.sp()
		p.name(s.Object)
		at := end(s.Object)
		if s.Where != nil {
			p.where(s.Where, at)
			at = end(s.Where)
		}
		p.count(s.Count, at)
	case *ast.ExpectExpr:
		p.tok("expect", off(s))
		p.sp()
		p.expr(s.Cond, 0)
	}
}

// count prints an optional `count N` that follows offset from.
func (p *printer) count(x ast.Expr, from int) {
	if x != nil {
		p.kw("count", from)
		p.sp()
		p.expr(x, 0)
	}
}

// emptyBody prints `{}` for a declaration body of n lines that is empty
// and holds no comments, from the first token after offset from to the
// end of d, and reports whether it did.
func (p *printer) emptyBody(n, from int, d ast.Node) bool {
	if n > 0 || p.hasComment(from, end(d), false) {
		return false
	}
	p.sp()
	p.tok("{", p.after(from))
	p.tok("}", p.closeOf(d))
	return true
}
