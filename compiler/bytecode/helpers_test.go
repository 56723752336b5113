package bytecode

import (
	"time"

	"github.com/wflang/wf/value"
)

// addExpr appends an expression to p: its code, with jump operands given
// relative to the expression's first instruction, and a MaxStack computed
// on the fall-through path. It returns the expression's index.
func addExpr(p *Program, text string, typ value.Type, reads []int, code ...Instr) int {
	start := len(p.Code)
	depth, maxDepth := 0, 0
	for _, in := range code {
		switch in.Op() {
		case JMP, JMPF, ANDJ, ORJ:
			in = Make(in.Op(), in.Arg()+start)
		}
		p.Code = append(p.Code, in)
		depth += StackEffect(in)
		maxDepth = max(maxDepth, depth)
	}
	p.Exprs = append(p.Exprs, Expr{
		Start: start, End: len(p.Code), MaxStack: maxDepth, Type: typ, Reads: reads,
		Text: text, Line: 10 + len(p.Exprs), Col: 3,
	})
	return len(p.Exprs) - 1
}

// fullProgram builds a program that sets every field of every table, with
// both nil and empty slices, for the encoding and disassembly tests.
func fullProgram() *Program {
	setType := value.Type{Kind: value.TSet, Options: []string{"beta", "vip"}}
	p := &Program{
		Version: Version,
		Types: []*ObjectType{
			{Name: "contact", Props: []Prop{
				{Name: "email", Type: value.StringType, Unique: true},
				{Name: "score", Type: value.NumberType},
				{Name: "country", Type: value.StringType},
				{Name: "tags", Type: setType},
				{Name: "renews_on", Type: value.DateType},
				{Name: "plan", Type: value.Type{Kind: value.TEnum, Options: []string{"free", "pro"}}},
			}, Assocs: []Assoc{{Name: "company", Target: 1}, {Name: "deals", Target: 2, Many: true}}},
			{Name: "company", Props: []Prop{{Name: "name", Type: value.StringType}, {Name: "domain_contact", Type: value.StringType}}},
			{Name: "deal", Props: []Prop{{Name: "order_id", Type: value.StringType, Unique: true}, {Name: "amount", Type: value.NumberType}}, Assocs: []Assoc{}},
		},
		Events: []*EventType{{Name: "page_viewed", Object: 1, Props: []Prop{{Name: "url", Type: value.URLType}}}, {Name: "form_submitted", Object: 0, Props: []Prop{{Name: "form_id", Type: value.StringType}, {Name: "amount", Type: value.NumberType}}}},
		Consts: []value.Value{
			value.Num(50), value.Str("NL"), value.True, value.Time(time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC)),
			{K: value.Date, N: 20458}, value.Dur(7 * 24 * time.Hour), value.SetOf([]string{"vip", "beta"}), {},
			value.Str("pro"), value.Num(1.5), value.Str("@acme.com"), value.Dur(90 * time.Minute),
		},
		Lists:   [][]value.Value{{value.Str("NL"), value.Str("DE")}, {}, nil},
		Regexps: []string{`^[a-z]+@acme\.com$`},
		Funcs:   []string{"lower"},
		Paths:   []AssocPath{{Assoc: 0, Type: 1, Slot: 0}, {Assoc: 1, Type: 2, Slot: 1}},
		Outputs: []OutputPath{{Name: "hook", Path: []string{"body", "tier"}}, {Name: "body", Path: []string{"order", "id"}}},
		Refs:    []RecordRef{{Record: "c1", Type: 0, Slot: 1}, {Record: "co1", Type: 1, Slot: 1}},
	}
	bl := value.BoolType
	// e0: score > 50 and country in ["NL", "DE"]
	e0 := addExpr(p, `score > 50 and country in ["NL", "DE"]`, bl, []int{1, 2},
		Make(PROP, 1), Make(CONST, 0), Make(GTNUM, 0), Make(ANDJ, 6),
		Make(PROP, 2), Make(INLIST, 0))
	// e1: form_id == "NL" or lower(email) matches r0
	e1 := addExpr(p, `form_id == "NL" or lower(email) matches "^[a-z]+@acme\.com$"`, bl, []int{0},
		Make(EVENT, 0), Make(CONST, 1), Make(EQSTR, 0), Make(ORJ, 7),
		Make(PROP, 0), MakeCall(0, 1), Make(MATCHES, 0))
	// e2: renews_on - 7d
	e2 := addExpr(p, `renews_on - 7d`, value.DateType, []int{4}, Make(PROP, 4), Make(CONST, 5), Make(SUB, 0))
	// e3: "Lead {{email}} at {{company.name}}"
	e3 := addExpr(p, `"Lead {{email}} at {{company.name}}"`, value.StringType, []int{0},
		Make(CONST, 1), Make(PROP, 0), Make(ASSOC, 0), Make(CONCAT, 3))
	p.Exprs[e3].ReadsAssoc = true
	// e4: hook.body.tier
	e4 := addExpr(p, `hook.body.tier`, value.AnyType, nil, Make(OUTPUT, 0))
	// e5: c1.score >= 1.5
	e5 := addExpr(p, `c1.score >= 1.5`, bl, nil, Make(REF, 0), Make(CONST, 9), Make(GE, 0))
	// e6: body.order.id
	e6 := addExpr(p, `body.order.id`, value.AnyType, nil, Make(OUTPUT, 1))
	// e7: not (tags contains "vip") and country is known
	e7 := addExpr(p, `not (tags contains "vip") and country is known`, bl, []int{2, 3},
		Make(PROP, 3), Make(CONST, 1), Make(CONTAINS, 0), Make(NOT, 0), Make(ANDJ, 7),
		Make(PROP, 2), Make(ISKNOWN, 0))
	// e8: now + 90m
	e8 := addExpr(p, `now + 90m`, value.DateTimeType, nil, Make(NOW, 0), Make(CONST, 11), Make(ADD, 0))
	// e9: plan
	e9 := addExpr(p, `plan`, p.Types[0].Props[5].Type, []int{5}, Make(PROP, 5))
	// e10: 7d
	e10 := addExpr(p, `7d`, value.DurationType, nil, Make(CONST, 5))
	// e11: an expression no step refers to, with every remaining opcode.
	addExpr(p, `every other opcode`, value.AnyType, nil,
		Make(NOP, 0), Make(TODAY, 0), Make(POP, 0), Make(CONST, 0), Make(JMPF, 5), Make(CONST, 7),
		Make(TOBOOL, 0), Make(NEG, 0), Make(CONST, 0), Make(EQ, 0), Make(CONST, 0), Make(NE, 0),
		Make(CONST, 0), Make(LT, 0), Make(CONST, 0), Make(LE, 0), Make(CONST, 0), Make(GT, 0),
		Make(CONST, 0), Make(EQNUM, 0), Make(CONST, 0), Make(LTNUM, 0), Make(CONST, 0), Make(LENUM, 0),
		Make(CONST, 0), Make(GENUM, 0), Make(CONST, 0), Make(NESTR, 0), Make(NOTINLIST, 1),
		Make(CONST, 0), Make(IN, 0), Make(CONST, 0), Make(NOTIN, 0), Make(CONST, 0), Make(STARTS, 0),
		Make(CONST, 0), Make(ENDS, 0), Make(ISEMPTY, 0), Make(CONST, 0), Make(MUL, 0), Make(CONST, 0),
		Make(DIV, 0), Make(CONST, 0), Make(MOD, 0), Make(JMP, 46), Make(CONST, 2))

	p.Hooks = []*HookType{{Name: "ping", Object: 1, MatchKey: 1, MatchVal: NoExpr}, {Name: "order_paid", Object: 2, MatchKey: 0, MatchVal: e6,
		Props: []HookProp{{Name: "amount", Type: value.NumberType, Expr: e6}}}}
	p.Workflows = []*Workflow{{
		Name: "welcome_leads", File: "welcome.wf", Line: 3, Hash: "3f2a", Object: 0,
		Triggers: []Trigger{
			{Kind: TriggerFilter, Expr: e0, At: -1, Text: `enroll when score > 50 and country in ["NL", "DE"]`, Line: 5, Col: 3},
			{Kind: TriggerEvent, Expr: e1, Event: 1, Assoc: -1, At: -1, Text: "enroll when event form_submitted where …", Line: 6, Col: 3},
			{Kind: TriggerWebhook, Expr: NoExpr, Hook: 1, Assoc: 1, At: -1, Line: 7, Col: 3},
			{Kind: TriggerSchedule, Expr: e0, Days: []int{1}, At: 9 * 3600, Line: 8, Col: 3},
			{Kind: TriggerSchedule, Expr: NoExpr, Days: []int{}, MonthDay: 15, At: 9*3600 + 30, Line: 9, Col: 3},
			{Kind: TriggerDate, Expr: e2, At: -1, Line: 10, Col: 3},
		},
		EnrollExisting: true,
		Reenroll:       []int{1, 2},
		ReenrollEvents: []int{1},
		ReenrollHooks:  []int{1},
		Unenroll:       e7,
		Goal:           e9,
		Suppress:       NoExpr,
		Timezone:       "Europe/Amsterdam",
		Window:         &Window{Days: []int{1, 2, 3, 4, 5}, From: 9 * 3600, To: 17 * 3600},
		Entry:          0,
		Reads:          []int{1, 2, 3, 5},
		Placeholders:   1,
		Steps: []Step{
			{ID: "1", Kind: StepSet, Line: 20, Next: 1, Target: Target{Assoc: -1, Type: 0, Slot: 2}, Expr: e3, Timeout: NoExpr, Else: -1, List: -1},
			{ID: "2", Kind: StepCopy, Line: 21, Next: 2, Target: Target{Assoc: 0, Type: 1, Slot: 1}, Expr: e3, Timeout: NoExpr, Else: -1, List: -1},
			{ID: "wait", Kind: StepWaitEvent, Line: 22, Col: 3, Next: 3, Suspends: true, Expr: e1, Event: 1, Timeout: e10, Else: 4, List: -1},
			{ID: "4", Kind: StepIf, Line: 25, Next: 7, Timeout: NoExpr, Expr: NoExpr,
				Arms: []Arm{{Expr: e0, Next: 4}, {Expr: e5, Next: 5}}, Else: 6, List: -1},
			{ID: "4.then.1", Kind: StepAssign, Line: 26, Next: 7, Target: Target{Assoc: -1, Type: 0, Slot: 0}, Expr: NoExpr, Timeout: NoExpr, Else: -1, Strs: []string{"round_robin"}, List: 0},
			{ID: "4.elif1.1", Kind: StepClear, Line: 28, Next: 7, Targets: []Target{{Assoc: -1, Type: 0, Slot: 2}, {Assoc: -1, Type: 0, Slot: 3}}, Expr: NoExpr, Timeout: NoExpr, Else: -1, List: -1},
			{ID: "4.else.1", Kind: StepNotify, Line: 30, Next: 7, Expr: NoExpr, Timeout: NoExpr, Args: []int{e3, e3}, Else: -1, List: -1},
			{ID: "5", Kind: StepBranch, Line: 32, Next: 9, Expr: e9, Timeout: NoExpr,
				Arms: []Arm{{Values: []int{8}, Next: 8}, {Values: []int{}, Next: 9}}, Else: 9, List: -1},
			{ID: "5.pro.1", Kind: StepCreate, Line: 33, Next: 9, Name: "deal", Expr: NoExpr, Timeout: NoExpr, Args: []int{e4}, Slots: []int{1}, Else: -1, List: -1},
			{ID: "6", Kind: StepSplit, Line: 35, Next: 10, Expr: NoExpr, Timeout: NoExpr,
				Arms: []Arm{{Percent: 25, Next: 10}, {Percent: 75, Next: 10}}, Else: -1, List: -1},
			{ID: "7", Kind: StepDelayUntil, Line: 36, Next: 11, Suspends: true, Expr: e2, At: 9 * 3600, Timeout: NoExpr, Else: -1, List: -1},
			{ID: "8", Kind: StepWebhook, Line: 37, Next: 12, Suspends: true, Name: "POST", Expr: NoExpr, Timeout: NoExpr, Args: []int{e3, e8}, Strs: []string{"HOOK_SECRET", "hubspot"}, Else: -1, List: -1, As: "hook"},
			{ID: "8b", Kind: StepCode, Line: 39, Next: 13, Suspends: true, Name: "js", Expr: NoExpr, Timeout: NoExpr, Strs: []string{"return {tier: 'large'}"}, Else: -1, List: -1,
				As: "enrich", Outputs: []Prop{{Name: "tier", Type: value.StringType}, {Name: "score", Type: value.NumberType}}},
			{ID: "9", Kind: StepPlaceholder, Line: 40, Next: -1, Expr: NoExpr, Timeout: NoExpr, Strs: []string{"Ask legal"}, Else: -1, List: -1},
		},
	}, {
		Name: "empty", File: "empty.wf", Line: 1, Object: 1, Unenroll: NoExpr, Goal: NoExpr, Suppress: NoExpr,
		Entry: -1, Steps: []Step{}, Triggers: nil,
	}}
	p.Tests = []*Test{{Name: "pro leads get a deal", File: "welcome_test.wf", Line: 1, Stmts: []TestStmt{
		{Kind: TestAt, Line: 2, Time: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC).UnixMilli(), Expr: NoExpr, Count: -1},
		{Kind: TestUpsert, Line: 3, Type: 0, Record: "c1", Fields: []Field{{Name: "score", Slot: 1, Value: value.Num(60)}, {Name: "tags", Slot: 3, Value: value.SetOf([]string{"vip"})}}, Expr: NoExpr, Count: -1},
		{Kind: TestEvent, Line: 4, Col: 3, Event: 1, Record: "c1", Fields: []Field{{Name: "form_id", Value: value.Str("demo")}}, Expr: NoExpr, Count: -1},
		{Kind: TestAssociate, Line: 5, Type: 0, Record: "c1", ToType: 1, To: "co1", Label: "primary", Expr: NoExpr, Count: -1},
		{Kind: TestAdvance, Line: 6, Time: (50 * time.Hour).Milliseconds(), Expr: NoExpr, Count: -1},
		{Kind: TestExpect, Line: 7, Text: "expect c1.score >= 1.5", Expr: e5, Count: -1},
		{Kind: TestExpectEnrollment, Line: 8, Record: "c1", Workflow: "welcome_leads", State: "enrolled", Not: true, Step: "wait", Expr: NoExpr, Count: -1},
		{Kind: TestExpectWebhook, Line: 9, Str: "https://hooks.example.com/lead", Count: 1, Expr: NoExpr},
		{Kind: TestExpectCreated, Line: 10, Type: 2, Expr: NoExpr, Count: 2},
		{Kind: TestHook, Line: 11, Hook: 1, Fields: []Field{}, Expr: NoExpr, Count: -1},
	}}}
	return p
}
