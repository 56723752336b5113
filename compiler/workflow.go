package compiler

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // time zones load on every system

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/value"
)

// maxWebhookTriggers is the most `enroll when webhook` triggers a workflow
// may have (SPEC 2.3).
const maxWebhookTriggers = 10

// days maps day names, long and short, to 0 (Sunday) .. 6.
var days = map[string]int{
	"sunday": 0, "monday": 1, "tuesday": 2, "wednesday": 3, "thursday": 4, "friday": 5, "saturday": 6,
	"sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6,
}

var scheduleWords = append(sortedKeys(days), "day", "weekday", "month")

func (c *compiler) declareWorkflow(d *ast.WorkflowDecl) {
	name := d.Name.Name
	if prev, ok := c.flows[name]; ok {
		c.duplicate(d.Name, "workflow", name, prev.pos)
		return
	}
	fi := &flowInfo{pos: d.Name.Pos}
	for _, it := range d.Items {
		if on, ok := it.(*ast.OnSetting); ok {
			fi.obj = on.Object.Name
			break
		}
	}
	c.flows[name] = fi
}

// flow is the state of one workflow's compilation.
type flow struct {
	c       *compiler
	w       *bytecode.Workflow
	obj     *objInfo
	s       *scope
	labels  map[string]ast.Position
	outPos  map[string]ast.Position
	nHooks  int
	setting map[string]ast.Node // settings that may appear once
}

func (c *compiler) workflow(d *ast.WorkflowDecl) {
	w := &bytecode.Workflow{
		Name: d.Name.Name, File: c.file.Name, Line: d.Name.Pos.Line, Object: -1,
		Unenroll: bytecode.NoExpr, Goal: bytecode.NoExpr, Suppress: bytecode.NoExpr, Entry: -1,
	}
	f := &flow{c: c, w: w, labels: map[string]ast.Position{}, outPos: map[string]ast.Position{}, setting: map[string]ast.Node{}}
	var on *ast.OnSetting
	for _, it := range d.Items {
		if o, ok := it.(*ast.OnSetting); ok {
			if on != nil {
				c.errorf(o, "duplicate-setting", "workflow `%s` already says `on %s` at line %d; a workflow runs on one object type", w.Name, on.Object.Name, on.Pos.Line)
				continue
			}
			on = o
		}
	}
	if on == nil {
		dg := c.errorf(d.Name, "missing-on", "workflow `%s` does not say which object type it enrolls", w.Name)
		dg.Hint = "add a line such as `on contact`"
	} else if f.obj = c.lookupObject(on.Object); f.obj != nil {
		w.Object = f.obj.idx
	}
	f.s = &scope{obj: f.obj, outputs: map[string]*output{}, lenient: f.obj == nil}
	var steps []*ast.Step
	for _, it := range d.Items {
		if st, ok := it.(*ast.Step); ok {
			steps = append(steps, st)
			continue
		}
		f.setting1(it)
	}
	slices.Sort(w.Reenroll)
	w.Reenroll = slices.Compact(w.Reenroll)
	slices.Sort(w.ReenrollEvents)
	w.ReenrollEvents = slices.Compact(w.ReenrollEvents)
	slices.Sort(w.ReenrollHooks)
	w.ReenrollHooks = slices.Compact(w.ReenrollHooks)
	if len(steps) > 0 {
		w.Entry = 0
	}
	f.block(steps, "", -1)

	var reads []int
	for _, t := range w.Triggers {
		if t.Kind != bytecode.TriggerEvent && t.Expr != bytecode.NoExpr {
			reads = append(reads, c.prog.Exprs[t.Expr].Reads...)
		}
	}
	for _, x := range []int{w.Unenroll, w.Goal, w.Suppress} {
		if x != bytecode.NoExpr {
			reads = append(reads, c.prog.Exprs[x].Reads...)
		}
	}
	slices.Sort(reads)
	w.Reads = slices.Compact(reads)
	if c.flows[w.Name].pos == d.Name.Pos {
		c.prog.Workflows = append(c.prog.Workflows, w)
	}
}

// once reports a second occurrence of a setting that may appear only once.
func (f *flow) once(n ast.Node, what string) bool {
	if prev, ok := f.setting[what]; ok {
		f.c.errorf(n, "duplicate-setting", "workflow `%s` already has %s at line %d", f.w.Name, what, prev.Start().Line)
		return false
	}
	f.setting[what] = n
	return true
}

// setting1 compiles one setting or trigger.
func (f *flow) setting1(it ast.Item) {
	c, w, s := f.c, f.w, f.s
	trigger := func(n ast.Node, k bytecode.TriggerKind) *bytecode.Trigger {
		w.Triggers = append(w.Triggers, bytecode.Trigger{
			Kind: k, Expr: bytecode.NoExpr, Event: -1, Hook: -1, Assoc: -1, At: -1,
			Text: c.text(n), Line: n.Start().Line, Col: n.Start().Column,
		})
		return &w.Triggers[len(w.Triggers)-1]
	}
	switch it := it.(type) {
	case *ast.OnSetting:
	case *ast.FilterTrigger:
		x := c.cond(s, it.Cond, "an enrollment trigger")
		trigger(it, bytecode.TriggerFilter).Expr = x
	case *ast.EventTrigger:
		ev := c.lookupEvent(it.Event)
		t := trigger(it, bytecode.TriggerEvent)
		es := *s
		if ev != nil {
			t.Event = ev.idx
			t.Assoc = f.occurrence(it.Event, "event", ev.obj)
			es.event = ev
		} else {
			es.lenient = true
		}
		if it.Where != nil {
			t.Expr = c.cond(&es, it.Where, "the where clause")
		}
	case *ast.WebhookTrigger:
		f.nHooks++
		if f.nHooks == maxWebhookTriggers+1 {
			c.errorf(it, "too-many-webhooks", "workflow `%s` has more than %d webhook triggers", w.Name, maxWebhookTriggers)
		}
		h := c.lookupHook(it.Hook)
		t := trigger(it, bytecode.TriggerWebhook)
		if h != nil {
			t.Hook = h.idx
			t.Assoc = f.occurrence(it.Hook, "webhook", h.obj)
		}
	case *ast.ScheduleTrigger:
		f.schedule(it, trigger(it, bytecode.TriggerSchedule))
	case *ast.DateTrigger:
		t := trigger(it, bytecode.TriggerDate)
		x := c.expr(s, it.Date)
		if !x.bad && !anyOr(x.typ, value.Type.IsTime) {
			c.errorf(it.Date, "type-mismatch", "enroll on date needs a date or datetime, not %s", typeName(x.typ))
		}
		t.Expr = c.emitExpr(it.Date, x)
		c.checkTime(it.At)
		t.At = timeOfDay(it.At)
	case *ast.EnrollExisting:
		w.EnrollExisting = true
	case *ast.ReenrollSetting:
		f.reenroll(it)
	case *ast.UnenrollSetting:
		if f.once(it, "an unenroll condition") {
			w.Unenroll = c.cond(s, it.Cond, "the unenroll condition")
		}
	case *ast.GoalSetting:
		if f.once(it, "a goal") {
			w.Goal = c.cond(s, it.Cond, "the goal")
		}
	case *ast.SuppressSetting:
		if f.once(it, "a suppression condition") {
			w.Suppress = c.cond(s, it.Cond, "the suppression condition")
		}
	case *ast.TimezoneSetting:
		if !f.once(it, "a time zone") {
			return
		}
		zone := string(it.Zone.Value)
		if !validZone(zone) {
			dg := c.errorf(it.Zone, "timezone", "unknown time zone %q", zone)
			dg.Hint = "use an IANA name such as \"Europe/Amsterdam\" or \"UTC\""
			return
		}
		w.Timezone = zone
	case *ast.RunWindow:
		if f.once(it, "a run window") {
			f.window(it)
		}
	case *ast.Bad:
		c.bad = true
	}
}

// zones caches which time zone names load: loading one reads and parses
// the zone database.
var zones sync.Map // string → bool

// validZone reports whether zone names a time zone (not the empty string,
// which time.LoadLocation takes for UTC).
func validZone(zone string) bool {
	if ok, found := zones.Load(zone); found {
		return ok.(bool)
	}
	_, err := time.LoadLocation(zone)
	ok := err == nil && zone != ""
	zones.Store(zone, ok)
	return ok
}

// occurrence checks that an event or webhook on type o may enroll the
// workflow's records: o is the workflow's type, or one it is associated
// with (then the associated records enroll). It returns the association
// index, or -1.
func (f *flow) occurrence(n *ast.Name, what string, o *objInfo) int {
	if f.obj == nil || o == nil || o == f.obj {
		return -1
	}
	for i, a := range f.obj.t.Assocs {
		if a.Target == o.idx {
			return i
		}
	}
	dg := f.c.errorf(n, "object-mismatch", "%s `%s` happens on %s, but workflow `%s` enrolls %s records, which have no association with %s", what, n.Name, o.t.Name, f.w.Name, f.obj.t.Name, o.t.Name)
	dg.Hint = fmt.Sprintf("declare one with `extend %s { assoc %s }`", f.obj.t.Name, o.t.Name)
	return -1
}

func (f *flow) schedule(it *ast.ScheduleTrigger, t *bytecode.Trigger) {
	c := f.c
	month := false
	for _, n := range it.Every {
		switch n.Name {
		case "day":
			t.Days = append(t.Days, 0, 1, 2, 3, 4, 5, 6)
		case "weekday":
			t.Days = append(t.Days, 1, 2, 3, 4, 5)
		case "month":
			month = true
		default:
			d, ok := days[n.Name]
			if !ok {
				dg := c.errorf(n, "schedule", "unknown day `%s` in enroll every", n.Name)
				didYouMean(dg, n.Name, scheduleWords)
				if dg.Hint == "" {
					dg.Hint = "use monday..sunday, mon..sun, day, weekday or month"
				}
				continue
			}
			t.Days = append(t.Days, d)
		}
	}
	slices.Sort(t.Days)
	t.Days = slices.Compact(t.Days)
	switch {
	case month && len(it.Every) > 1:
		c.errorf(it, "schedule", "enroll every month cannot be combined with days of the week")
	case month && it.OnDay == "":
		dg := c.errorf(it, "schedule", "enroll every month needs the day of the month")
		dg.Hint = "as in `enroll every month on 1 at 09:00`"
	case month:
		n, err := strconv.Atoi(it.OnDay)
		if err != nil || n < 1 || n > 31 {
			c.errorf(it, "schedule", "day of the month %s is not between 1 and 31", it.OnDay)
		} else {
			t.MonthDay = n
		}
	case it.OnDay != "":
		c.errorf(it, "schedule", "`on %s` picks a day of the month; it needs `enroll every month`", it.OnDay)
	}
	c.checkTime(it.At)
	t.At = timeOfDay(it.At)
	if it.Where != nil {
		t.Expr = c.cond(f.s, it.Where, "the where clause")
	}
}

func (f *flow) reenroll(it *ast.ReenrollSetting) {
	c, w := f.c, f.w
	for _, n := range it.Names {
		switch it.Kind {
		case "change":
			if f.obj == nil {
				continue
			}
			slot, ok := f.obj.props[n.Name]
			if !ok {
				dg := c.errorf(n, "unknown-property", "unknown property `%s` of %s", n.Name, f.obj.t.Name)
				didYouMean(dg, n.Name, propNames(f.obj))
				continue
			}
			w.Reenroll = append(w.Reenroll, slot)
		case "event":
			if ev := c.lookupEvent(n); ev != nil {
				f.occurrence(n, "event", ev.obj)
				w.ReenrollEvents = append(w.ReenrollEvents, ev.idx)
			}
		case "webhook":
			if h := c.lookupHook(n); h != nil {
				f.occurrence(n, "webhook", h.obj)
				w.ReenrollHooks = append(w.ReenrollHooks, h.idx)
			}
		}
	}
}

func (f *flow) window(it *ast.RunWindow) {
	c := f.c
	win := &bytecode.Window{}
	for _, r := range it.Days {
		from, ok1 := f.day(r.From)
		to, ok2 := from, true
		if r.To != nil {
			to, ok2 = f.day(r.To)
		}
		if !ok1 || !ok2 {
			continue
		}
		for d := from; ; d = (d + 1) % 7 {
			win.Days = append(win.Days, d)
			if d == to {
				break
			}
		}
	}
	slices.Sort(win.Days)
	win.Days = slices.Compact(win.Days)
	c.checkTime(it.From)
	c.checkTime(it.To)
	win.From, win.To = timeOfDay(it.From), timeOfDay(it.To)
	if win.From >= win.To {
		c.diags.Errorf(it.From.Pos, it.To.EndPos, "run-window", "the run window must end after it starts: %s..%s", it.From.Text, it.To.Text)
	}
	f.w.Window = win
}

func (f *flow) day(n *ast.Name) (int, bool) {
	d, ok := days[n.Name]
	if !ok {
		dg := f.c.errorf(n, "day", "unknown day `%s`", n.Name)
		didYouMean(dg, n.Name, sortedKeys(days))
		if dg.Hint == "" {
			dg.Hint = "use mon, tue, wed, thu, fri, sat or sun"
		}
	}
	return d, ok
}

// ---- steps ----

// size is the number of step-table entries st takes, its nested steps included.
func size(st *ast.Step) int {
	n := 1
	for _, b := range childBlocks(st) {
		if b != nil {
			for _, s := range b.Steps {
				n += size(s)
			}
		}
	}
	return n
}

// childBlocks lists the blocks nested in a step, in source order.
func childBlocks(st *ast.Step) []*ast.Block {
	switch b := st.Body.(type) {
	case *ast.IfStep:
		bs := []*ast.Block{b.Then}
		for _, ei := range b.ElseIf {
			bs = append(bs, ei.Then)
		}
		return append(bs, b.Else)
	case *ast.BranchStep:
		var bs []*ast.Block
		for _, a := range b.Arms {
			bs = append(bs, a.Body)
		}
		return append(bs, b.Else)
	case *ast.SplitStep:
		var bs []*ast.Block
		for _, a := range b.Arms {
			bs = append(bs, a.Body)
		}
		return bs
	case *ast.WaitEventStep:
		return []*ast.Block{b.Else}
	case *ast.WaitUntilStep:
		return []*ast.Block{b.Else}
	}
	return nil
}

// block emits steps at the end of the step table; the last continues at after.
func (f *flow) block(steps []*ast.Step, prefix string, after int) {
	for i, st := range steps {
		next := after
		if i < len(steps)-1 {
			next = len(f.w.Steps) + size(st)
		}
		f.step(st, prefix+strconv.Itoa(i+1), next)
	}
}

// sub emits a nested block and returns the index of its first step, or
// empty when the block has none.
func (f *flow) sub(b *ast.Block, prefix string, after, empty int) int {
	if b == nil || len(b.Steps) == 0 {
		return empty
	}
	first := len(f.w.Steps)
	f.block(b.Steps, prefix, after)
	return first
}

func (f *flow) step(st *ast.Step, id string, next int) {
	c := f.c
	if st.Label != nil {
		id = st.Label.Name
		if prev, ok := f.labels[id]; ok {
			c.errorf(st.Label, "duplicate", "step label `%s` is already used at line %d", id, prev.Line)
		} else {
			f.labels[id] = st.Label.Pos
		}
	}
	idx := len(f.w.Steps)
	f.w.Steps = append(f.w.Steps, bytecode.Step{
		ID: id, Line: st.Pos.Line, Col: st.Pos.Column, Next: next,
		Target: noTarget, Expr: bytecode.NoExpr, At: -1, Timeout: bytecode.NoExpr, Event: -1, Else: -1, List: -1,
	})
	// The step's fields are filled in a copy: nested blocks grow the table.
	s := f.w.Steps[idx]
	f.body(st, id, &s)
	f.w.Steps[idx] = s
}

// noTarget is the Target of a step that writes no property.
var noTarget = bytecode.Target{Assoc: -1, Type: -1, Slot: -1}

func (f *flow) body(st *ast.Step, id string, s *bytecode.Step) {
	c, sc := f.c, f.s
	switch b := st.Body.(type) {
	case *ast.SetStep:
		s.Kind = bytecode.StepSet
		t, typ, name := f.target(b.Target)
		s.Target = t
		s.Expr = c.emitExpr(b.Value, c.checkAssign(b.Value, typ, name, c.expr(sc, b.Value)))
	case *ast.IncrementStep:
		f.increment(b, s)
	case *ast.ClearStep:
		s.Kind = bytecode.StepClear
		for _, p := range b.Targets {
			t, _, _ := f.target(p)
			s.Targets = append(s.Targets, t)
		}
		s.Target = s.Targets[0]
	case *ast.CopyStep:
		s.Kind = bytecode.StepCopy
		x := c.expr(sc, b.From)
		t, typ, name := f.target(b.To)
		s.Target = t
		s.Expr = c.emitExpr(b.From, c.checkAssign(b.From, typ, name, x))
	case *ast.DelayStep:
		s.Suspends = true
		if !b.Until {
			s.Kind = bytecode.StepDelay
			s.Expr = f.duration(b.X, "delay")
			if b.At != nil {
				dg := c.errorf(b.At, "delay", "`at` needs `delay until`")
				dg.Hint = "write `delay until <date> at " + b.At.Text + "`"
			}
			return
		}
		s.Kind = bytecode.StepDelayUntil
		x := c.expr(sc, b.X)
		if !x.bad && !anyOr(x.typ, value.Type.IsTime) {
			c.errorf(b.X, "type-mismatch", "delay until needs a date or datetime, not %s", typeName(x.typ))
		}
		s.Expr = c.emitExpr(b.X, x)
		c.checkTime(b.At)
		s.At = timeOfDay(b.At)
	case *ast.WaitEventStep:
		s.Kind, s.Suspends = bytecode.StepWaitEvent, true
		es := *sc
		if ev := c.lookupEvent(b.Event); ev != nil {
			s.Event = ev.idx
			es.event = ev
			if f.obj != nil && ev.obj != nil && ev.obj != f.obj {
				c.errorf(b.Event, "object-mismatch", "event `%s` happens on %s, but workflow `%s` enrolls %s records", ev.t.Name, ev.obj.t.Name, f.w.Name, f.obj.t.Name)
			}
		} else {
			es.lenient = true
		}
		if b.Where != nil {
			s.Expr = c.cond(&es, b.Where, "the where clause")
		}
		f.waitTail(b.Timeout, b.Else, id, s)
	case *ast.WaitUntilStep:
		s.Kind, s.Suspends = bytecode.StepWaitUntil, true
		s.Expr = c.cond(sc, b.Cond, "the condition of wait until")
		f.waitTail(b.Timeout, b.Else, id, s)
	case *ast.IfStep:
		s.Kind = bytecode.StepIf
		s.Arms = append(s.Arms, bytecode.Arm{Expr: c.cond(sc, b.Cond, "the condition of if")})
		for _, ei := range b.ElseIf {
			s.Arms = append(s.Arms, bytecode.Arm{Expr: c.cond(sc, ei.Cond, "the condition of else if")})
		}
		s.Arms[0].Next = f.sub(b.Then, id+".then.", s.Next, s.Next)
		for k, ei := range b.ElseIf {
			s.Arms[k+1].Next = f.sub(ei.Then, fmt.Sprintf("%s.elif%d.", id, k+1), s.Next, s.Next)
		}
		s.Else = f.sub(b.Else, id+".else.", s.Next, -1)
	case *ast.BranchStep:
		f.branch(b, id, s)
	case *ast.SplitStep:
		s.Kind = bytecode.StepSplit
		total := 0.0
		for _, a := range b.Arms {
			p, err := strconv.ParseFloat(a.Percent, 64)
			if err != nil || p <= 0 || p > 100 {
				c.errorf(a, "split-percent", "a split arm needs a percentage above 0 and at most 100, not %s%%", a.Percent)
			}
			total += p
			s.Arms = append(s.Arms, bytecode.Arm{Expr: bytecode.NoExpr, Percent: p})
		}
		if math.Abs(total-100) > 1e-9 {
			c.errorf(b, "split-percent", "split percentages add up to %s%%, not 100%%", value.FormatNumber(total))
		}
		for k, a := range b.Arms {
			s.Arms[k].Next = f.sub(a.Body, fmt.Sprintf("%s.split%d.", id, k+1), s.Next, s.Next)
		}
	case *ast.AssignStep:
		f.assign(b, s)
	case *ast.CreateTaskStep:
		s.Kind = bytecode.StepCreateTask
		s.Args = []int{f.text(b.Title), bytecode.NoExpr}
		if b.Due != nil {
			x := c.expr(sc, b.Due)
			if !x.bad && !anyOr(x.typ, func(t value.Type) bool { return t.Kind == value.TDuration || t.IsTime() }) {
				c.errorf(b.Due, "type-mismatch", "a task is due after a duration or at a date, not %s", article(typeName(x.typ)))
			}
			s.Args[1] = c.emitExpr(b.Due, x)
		}
		if b.For != nil {
			t, typ, name := f.target(b.For)
			if !anyOr(typ, value.Type.IsStringLike) {
				c.errorf(b.For, "type-mismatch", "a task is for a user named by a string property; `%s` is %s", name, article(typeName(typ)))
			}
			s.Target = t
		}
	case *ast.CreateStep:
		f.create(b, s)
	case *ast.NotifyStep:
		s.Kind = bytecode.StepNotify
		s.Args = []int{f.text(b.To), f.text(b.Message)}
	case *ast.SendEmailStep:
		s.Kind = bytecode.StepSendEmail
		x := c.expr(sc, b.Template)
		if !x.bad && !anyOr(x.typ, value.Type.IsStringLike) {
			c.errorf(b.Template, "type-mismatch", "an email template is named by a string, not %s", article(typeName(x.typ)))
		}
		if x.isConst() {
			s.Strs = []string{x.val.String()}
		}
		s.Args = []int{c.emitExpr(b.Template, x), bytecode.NoExpr}
		if b.To != nil {
			s.Args[1] = f.text(b.To)
		}
	case *ast.WebhookStep:
		f.webhook(b, s)
	case *ast.CodeStep:
		f.code(b, s)
	case *ast.EnrollInStep:
		s.Kind = bytecode.StepEnrollIn
		name := b.Workflow.Name
		s.Strs = []string{name}
		if fi, ok := c.flows[name]; !ok {
			dg := c.errorf(b.Workflow, "unknown-workflow", "unknown workflow `%s`", name)
			didYouMean(dg, name, sortedKeys(c.flows))
		} else if f.obj != nil && fi.obj != "" && fi.obj != f.obj.t.Name {
			c.errorf(b.Workflow, "object-mismatch", "workflow `%s` enrolls %s records, not %s", name, fi.obj, f.obj.t.Name)
		}
	case *ast.PlaceholderStep:
		s.Kind = bytecode.StepPlaceholder
		s.Strs = []string{string(b.Note.Value)}
		f.w.Placeholders++
		dg := c.errorf(st, "placeholder", "workflow %s has a placeholder step: %s; a workflow with a placeholder can't be enabled", f.w.Name, b.Note.Value)
		dg.Hint = "replace it with the steps it stands for"
	case *ast.StopStep:
		s.Kind = bytecode.StepStop
		s.Next = -1
	case *ast.Bad:
		// Reported by the parser; it goes on to the next step, so that
		// the steps after it are checked.
		c.bad = true
		s.Kind = bytecode.StepPlaceholder
		s.Strs = []string{""}
	}
}

// text compiles an expression whose value is formatted as text: any type.
func (f *flow) text(e ast.Expr) int { return f.c.exprIndex(f.s, e) }

// duration compiles an expression that must be a positive duration.
func (f *flow) duration(e ast.Expr, what string) int {
	c := f.c
	x := c.expr(f.s, e)
	switch {
	case x.bad:
	case !anyOr(x.typ, func(t value.Type) bool { return t.Kind == value.TDuration }):
		dg := c.errorf(e, "type-mismatch", "%s needs a duration, not %s", what, typeName(x.typ))
		dg.Hint = "as in 2d, 4h or 30m"
	case x.isConst() && x.val.N <= 0:
		c.errorf(e, "delay", "%s needs a positive duration, not %s", what, c.text(e))
	}
	return c.emitExpr(e, x)
}

func (f *flow) waitTail(timeout ast.Expr, els *ast.Block, id string, s *bytecode.Step) {
	if timeout != nil {
		s.Timeout = f.duration(timeout, "the time limit of wait")
	} else if els != nil {
		dg := f.c.errorf(els, "wait", "a wait without `up to` never times out, so its else block never runs")
		dg.Hint = "add a limit, as in `up to 3d else { … }`"
	}
	s.Else = f.sub(els, id+".timeout.", s.Next, -1)
}

// target resolves a property written by a step: own or through an association.
func (f *flow) target(p *ast.PropPath) (bytecode.Target, value.Type, string) {
	c, o := f.c, f.obj
	name := strings.Join(p.Parts, ".")
	if o == nil {
		return noTarget, value.AnyType, name
	}
	first := p.Parts[0]
	if slot, ok := o.props[first]; ok {
		if len(p.Parts) > 1 {
			c.errorf(p, "unknown-property", "`%s` is %s property; it has no field `%s`", first, article(typeName(o.prop(slot).Type)), p.Parts[1])
			return noTarget, value.AnyType, name
		}
		return bytecode.Target{Assoc: -1, Type: o.idx, Slot: slot}, o.prop(slot).Type, name
	}
	if ai, ok := o.assocs[first]; ok && len(p.Parts) == 2 {
		a := o.t.Assocs[ai]
		to := c.types[c.prog.Types[a.Target].Name]
		slot, ok := to.props[p.Parts[1]]
		if !ok {
			dg := c.errorf(p, "unknown-property", "unknown property `%s` of %s", p.Parts[1], to.t.Name)
			didYouMean(dg, p.Parts[1], propNames(to))
			return noTarget, value.AnyType, name
		}
		return bytecode.Target{Assoc: ai, Type: a.Target, Slot: slot}, to.prop(slot).Type, name
	} else if ok {
		c.errorf(p, "unknown-property", "`%s` is an association of %s; write `%s.<property>`", first, o.t.Name, first)
		return noTarget, value.AnyType, name
	}
	dg := c.errorf(p, "unknown-property", "unknown property `%s` of %s", first, o.t.Name)
	didYouMean(dg, first, o.memberNames())
	return noTarget, value.AnyType, name
}

func (f *flow) increment(b *ast.IncrementStep, s *bytecode.Step) {
	c := f.c
	s.Kind = bytecode.StepIncrement
	t, typ, name := f.target(b.Target)
	s.Target = t
	if !anyOr(typ, func(t value.Type) bool { return t.Kind == value.TNumber }) {
		c.errorf(b.Target, "type-mismatch", "%s needs a number property; `%s` is %s", b.Op, name, article(typeName(typ)))
	}
	var x *texpr
	text := "1"
	pos := b.End()
	if b.By == nil {
		x = constant(value.Num(1), value.NumberType)
	} else {
		x = c.expr(f.s, b.By)
		text, pos = c.text(b.By), b.By.Start()
		if !x.bad && !anyOr(x.typ, func(t value.Type) bool { return t.Kind == value.TNumber }) {
			c.errorf(b.By, "type-mismatch", "%s needs a number amount, not %s", b.Op, typeName(x.typ))
		}
	}
	if b.Op == "decrement" {
		// A decrement is an increment by the negated amount.
		if x.isConst() {
			x = constant(value.Num(-x.val.N), value.NumberType)
		} else {
			x = op(bytecode.NEG, 0, x.typ, x)
		}
		text = "-(" + text + ")"
	}
	s.Expr = c.emitExprText(x, text, pos)
}

func (f *flow) branch(b *ast.BranchStep, id string, s *bytecode.Step) {
	c := f.c
	s.Kind = bytecode.StepBranch
	subj := c.expr(f.s, b.On)
	s.Expr = c.emitExpr(b.On, subj)
	seen := map[value.Value]ast.Position{}
	for _, a := range b.Arms {
		arm := bytecode.Arm{Expr: bytecode.NoExpr}
		for _, v := range a.Values {
			x := c.expr(f.s, v)
			if x.bad {
				continue
			}
			if !x.isConst() {
				c.errorf(v, "branch-value", "a branch arm selects by constant values; `%s` is not a constant", c.text(v))
				continue
			}
			if !subj.bad && !compatible(subj.typ, x.typ) {
				c.errorf(v, "branch-value", "branch on %s cannot match %s", article(typeName(subj.typ)), article(typeName(x.typ)))
				continue
			}
			if !subj.bad && !c.checkOption(v, x, subj.typ, c.text(b.On)) {
				continue
			}
			if prev, ok := seen[x.val]; ok {
				c.errorf(v, "branch-value", "value %s already selects the arm at line %d", c.text(v), prev.Line)
				continue
			}
			seen[x.val] = v.Start()
			arm.Values = append(arm.Values, c.constIndex(x.val))
		}
		s.Arms = append(s.Arms, arm)
	}
	for k, a := range b.Arms {
		s.Arms[k].Next = f.sub(a.Body, fmt.Sprintf("%s.case%d.", id, k+1), s.Next, s.Next)
	}
	s.Else = f.sub(b.Else, id+".else.", s.Next, -1)
}

// assignStrategies are the ways `assign` picks from a list; the first is the default.
var assignStrategies = []string{"round_robin", "random", "balanced"}

func (f *flow) assign(b *ast.AssignStep, s *bytecode.Step) {
	c := f.c
	s.Kind = bytecode.StepAssign
	t, typ, name := f.target(b.Target)
	s.Target = t
	if !anyOr(typ, value.Type.IsStringLike) {
		c.errorf(b.Target, "type-mismatch", "assign needs a string property; `%s` is %s", name, article(typeName(typ)))
		typ = value.AnyType
	}
	if l, ok := unparen(b.Value).(*ast.ListLit); ok {
		x := c.listLit(f.s, l)
		if len(l.Elems) == 0 {
			c.errorf(l, "assign", "assign needs at least one candidate")
		}
		for i, v := range x.elems {
			c.checkAssign(l.Elems[i], typ, name, constant(v, constType(v)))
		}
		s.List = c.listIndex(x.elems)
		strategy := b.Strategy
		if strategy == "" {
			strategy = assignStrategies[0]
		}
		s.Strs = []string{strategy}
		return
	}
	if b.Strategy != "" {
		c.errorf(b.Value, "assign", "assign %s picks from a list of candidates, as in [\"ann\", \"bob\"]", b.Strategy)
	}
	s.Expr = c.emitExpr(b.Value, c.checkAssign(b.Value, typ, name, c.expr(f.s, b.Value)))
}

func (f *flow) create(b *ast.CreateStep, s *bytecode.Step) {
	c := f.c
	s.Kind = bytecode.StepCreate
	s.Name = b.Object.Name
	o := c.lookupObject(b.Object)
	fs := *f.s
	if o != nil {
		s.Target = bytecode.Target{Assoc: -1, Type: o.idx, Slot: -1}
	}
	seen := map[string]ast.Position{}
	for _, fv := range b.Fields.Fields {
		if c.nested(fv) {
			continue
		}
		x := c.expr(&fs, fv.Value)
		if prev, ok := seen[fv.Name.Name]; ok {
			c.errorf(fv.Name, "duplicate", "field `%s` is already set at line %d", fv.Name.Name, prev.Line)
			continue
		}
		seen[fv.Name.Name] = fv.Name.Pos
		if o == nil {
			continue
		}
		slot, ok := o.props[fv.Name.Name]
		if !ok {
			dg := c.errorf(fv.Name, "unknown-property", "unknown property `%s` of %s", fv.Name.Name, o.t.Name)
			didYouMean(dg, fv.Name.Name, propNames(o))
			continue
		}
		x = c.checkAssign(fv.Value, o.prop(slot).Type, fv.Name.Name, x)
		s.Args = append(s.Args, c.emitExpr(fv.Value, x))
		s.Slots = append(s.Slots, slot)
	}
	if b.As != nil && o != nil {
		f.declareOutput(b.As, s, &output{kind: bytecode.StepCreate, obj: o})
	}
}

// signSchemes are the webhook signature schemes; the first is the default.
var signSchemes = []string{"hubspot", "v3", "standard"}

func (f *flow) webhook(b *ast.WebhookStep, s *bytecode.Step) {
	c := f.c
	s.Kind, s.Suspends = bytecode.StepWebhook, true
	s.Name = b.Method
	x := c.expr(f.s, b.URL)
	if !x.bad && !anyOr(x.typ, value.Type.IsStringLike) {
		c.errorf(b.URL, "type-mismatch", "a webhook URL is a string, not %s", article(typeName(x.typ)))
	}
	if x.isConst() && !strings.HasPrefix(x.val.S, "https://") && !strings.HasPrefix(x.val.S, "http://") {
		c.errorf(b.URL, "webhook", "webhook URL %q must start with https:// (or http:// for local development)", x.val.S)
	}
	s.Args = []int{c.emitExpr(b.URL, x), bytecode.NoExpr, bytecode.NoExpr, bytecode.NoExpr}
	s.Strs = []string{""}
	if b.Sign != nil {
		s.Strs[0] = b.Sign.Scheme
		if s.Strs[0] == "" {
			s.Strs[0] = signSchemes[0]
		}
		sx := c.expr(f.s, b.Sign.Secret)
		if !sx.bad && !anyOr(sx.typ, value.Type.IsStringLike) {
			c.errorf(b.Sign.Secret, "type-mismatch", "a signing secret is a string, not %s", article(typeName(sx.typ)))
		}
		s.Args[1] = c.emitExpr(b.Sign.Secret, sx)
	}
	if b.Timeout != nil {
		s.Args[2] = f.duration(b.Timeout, "the webhook timeout")
	}
	if b.Rate != nil {
		r := c.expr(f.s, b.Rate)
		switch {
		case r.bad:
		case !anyOr(r.typ, func(t value.Type) bool { return t.Kind == value.TNumber }):
			c.errorf(b.Rate, "type-mismatch", "a webhook rate is a number of requests per second, not %s", article(typeName(r.typ)))
		case r.isConst() && r.val.N <= 0:
			c.errorf(b.Rate, "webhook", "a webhook rate must be above 0")
		}
		s.Args[3] = c.emitExpr(b.Rate, r)
	}
	if b.As != nil {
		f.declareOutput(b.As, s, &output{kind: bytecode.StepWebhook})
	}
}

func (f *flow) code(b *ast.CodeStep, s *bytecode.Step) {
	c := f.c
	s.Kind, s.Suspends = bytecode.StepCode, true
	s.Name = b.Lang
	src := ""
	switch {
	case b.Lang == "js" && b.Source == nil:
		c.errorf(b, "code", "code js needs its source in backticks")
	case b.Lang == "js" && b.GoName != nil:
		c.errorf(b.GoName, "code", "code js runs the source in backticks; a name is for code go")
	case b.Lang == "js":
		src = strings.TrimSuffix(strings.TrimPrefix(b.Source.Text, "`"), "`")
	case b.GoName == nil:
		dg := c.errorf(b, "code", "code go needs the name of a registered Go function")
		dg.Hint = "as in `code go \"enrich_company\"`"
	case b.Source != nil:
		c.errorf(b.Source, "code", "code go runs a registered Go function; it takes no source")
	default:
		src = string(b.GoName.Value)
	}
	s.Strs = []string{src}
	for _, sec := range b.Secrets {
		s.Strs = append(s.Strs, string(sec.Value))
	}
	s.Args = []int{bytecode.NoExpr}
	if b.Timeout != nil {
		s.Args[0] = f.duration(b.Timeout, "the code timeout")
	}
	var fields map[string]value.Type
	if len(b.Outputs) > 0 {
		fields = map[string]value.Type{}
	}
	for _, o := range b.Outputs {
		typ, _ := c.propType(o.Type)
		c.checkPropName(o.Name)
		if _, dup := fields[o.Name.Name]; dup {
			c.errorf(o.Name, "duplicate", "output `%s` is declared twice", o.Name.Name)
			continue
		}
		fields[o.Name.Name] = typ
		s.Outputs = append(s.Outputs, bytecode.Prop{Name: o.Name.Name, Type: typ})
	}
	if b.As != nil {
		f.declareOutput(b.As, s, &output{kind: bytecode.StepCode, fields: fields})
	}
}

// declareOutput makes `as NAME` visible to the steps that follow.
func (f *flow) declareOutput(n *ast.Name, s *bytecode.Step, out *output) {
	c := f.c
	name := n.Name
	s.As = name
	if prev, ok := f.outPos[name]; ok {
		c.errorf(n, "duplicate", "output `%s` is already declared at line %d", name, prev.Line)
		return
	}
	if f.obj != nil {
		if _, ok := f.obj.props[name]; ok {
			c.errorf(n, "duplicate", "output `%s` has the name of a property of %s; pick another name", name, f.obj.t.Name)
			return
		}
		if _, ok := f.obj.assocs[name]; ok {
			c.errorf(n, "duplicate", "output `%s` has the name of an association of %s; pick another name", name, f.obj.t.Name)
			return
		}
	}
	if name == "now" || name == "today" {
		c.errorf(n, "duplicate", "output `%s` would hide the builtin `%s`; pick another name", name, name)
		return
	}
	f.outPos[name] = n.Pos
	f.s.outputs[name] = out
}
