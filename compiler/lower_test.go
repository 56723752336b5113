package compiler

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// decls are the declarations the lowering tests compile against.
const decls = `
extend contact {
  plan: enum("free", "pro", "enterprise")
  tags: set("beta", "vip")
  renews_on: date
}
event form_submitted on contact {
  form_id: string
}
`

// mustCompile compiles src (after decls) and fails on any diagnostic or an
// invalid program.
func mustCompile(t testing.TB, src string) *bytecode.Program {
	t.Helper()
	p, diags := CompileSource("test.wf", decls+src)
	if len(diags) > 0 {
		t.Fatalf("diagnostics:\n%v", diags)
	}
	if err := p.Validate(); err != nil {
		t.Fatalf("invalid program: %v", err)
	}
	return p
}

// listing renders expression x's code one instruction a line, with the
// operands resolved: `PROP score`, `CONST "lead"`, `ANDJ @6` (a jump
// target relative to the expression's start).
func listing(p *bytecode.Program, x int) []string {
	e := p.Exprs[x]
	var out []string
	for _, in := range p.Code[e.Start:e.End] {
		o, arg := in.Op(), in.Arg()
		s := o.String()
		switch o {
		case bytecode.CONST:
			s += " " + show(p.Consts[arg])
		case bytecode.PROP:
			s += " " + p.Types[0].Props[arg].Name
		case bytecode.EVENT:
			s += " " + p.Events[0].Props[arg].Name
		case bytecode.ASSOC:
			a := p.Paths[arg]
			s += " " + p.Types[0].Assocs[a.Assoc].Name + "." + p.Types[a.Type].Props[a.Slot].Name
		case bytecode.OUTPUT:
			s += " " + p.Outputs[arg].Name + "." + strings.Join(p.Outputs[arg].Path, ".")
		case bytecode.REF:
			r := p.Refs[arg]
			s += " " + r.Record + "." + p.Types[r.Type].Props[r.Slot].Name
		case bytecode.INLIST, bytecode.NOTINLIST:
			var vs []string
			for _, v := range p.Lists[arg] {
				vs = append(vs, show(v))
			}
			s += " [" + strings.Join(vs, " ") + "]"
		case bytecode.MATCHES:
			s += " " + strconv.Quote(p.Regexps[arg])
		case bytecode.CALL:
			fn, n := in.CallArgs()
			s += fmt.Sprintf(" %s/%d", p.Funcs[fn], n)
		case bytecode.JMP, bytecode.JMPF, bytecode.ANDJ, bytecode.ORJ:
			s += fmt.Sprintf(" @%d", arg-e.Start)
		case bytecode.CONCAT:
			s += fmt.Sprintf(" %d", arg)
		}
		out = append(out, s)
	}
	return out
}

func show(v value.Value) string {
	switch v.K {
	case value.String:
		return strconv.Quote(v.S)
	case value.Empty:
		return "empty"
	}
	return v.String()
}

func TestLowerExpr(t *testing.T) {
	tests := []struct {
		cond  string
		code  []string
		reads []string
		assoc bool
	}{
		// Folding of constant subtrees.
		{cond: `score > 2 * 3 + 1`, code: []string{"PROP score", "CONST 7", "GTNUM"}, reads: []string{"score"}},
		{cond: `1 + 2 == 3 and "b" > "a"`, code: []string{"CONST true"}},
		{cond: `renews_on < 2026-01-10 - 7d`, code: []string{"PROP renews_on", "CONST 2026-01-03", "LT"}, reads: []string{"renews_on"}},
		{cond: `createdate > 2026-01-10T10:00:00Z + 2h`, code: []string{"PROP createdate", "CONST 2026-01-10T12:00:00Z", "GT"}, reads: []string{"createdate"}},
		{cond: `"a{{1 + 1}}b" == lower("A2B")`, code: []string{"CONST true"}},
		{cond: `"x" in ["x", "y"] and 10 % 4 == 2`, code: []string{"CONST true"}},
		{cond: `-score < -1`, code: []string{"PROP score", "NEG", "CONST -1", "LTNUM"}, reads: []string{"score"}},
		{cond: `false and email_opt_out`, code: []string{"CONST false"}},
		{cond: `true and email_opt_out`, code: []string{"PROP email_opt_out", "TOBOOL"}, reads: []string{"email_opt_out"}},
		// Typed comparisons when both static types are known.
		{cond: `lifecyclestage == "lead"`, code: []string{"PROP lifecyclestage", `CONST "lead"`, "EQSTR"}, reads: []string{"lifecyclestage"}},
		{cond: `email != firstname`, code: []string{"PROP email", "PROP firstname", "NESTR"}, reads: []string{"email", "firstname"}},
		{cond: `score != 1`, code: []string{"PROP score", "CONST 1", "NE"}, reads: []string{"score"}},
		{cond: `score == 1`, code: []string{"PROP score", "CONST 1", "EQNUM"}, reads: []string{"score"}},
		{cond: `score <= 1`, code: []string{"PROP score", "CONST 1", "LENUM"}, reads: []string{"score"}},
		{cond: `email < "m"`, code: []string{"PROP email", `CONST "m"`, "LT"}, reads: []string{"email"}},
		{cond: `createdate < now`, code: []string{"PROP createdate", "NOW", "LT"}, reads: []string{"createdate"}},
		{cond: `renews_on >= today`, code: []string{"PROP renews_on", "TODAY", "GE"}, reads: []string{"renews_on"}},
		// Short circuits; TOBOOL only where the operand may be empty or not a bool.
		{cond: `score >= 50 and email_opt_out`, code: []string{"PROP score", "CONST 50", "GENUM", "ANDJ @6", "PROP email_opt_out", "TOBOOL"}, reads: []string{"score", "email_opt_out"}},
		{cond: `email_opt_out or score < 3`, code: []string{"PROP email_opt_out", "ORJ @5", "PROP score", "CONST 3", "LTNUM"}, reads: []string{"score", "email_opt_out"}},
		{cond: `score > 1 and score < 5 or email == "a"`, code: []string{"PROP score", "CONST 1", "GTNUM", "ANDJ @7", "PROP score", "CONST 5", "LTNUM", "ORJ @11", "PROP email", `CONST "a"`, "EQSTR"}, reads: []string{"email", "score"}},
		{cond: `not (score > 1)`, code: []string{"PROP score", "CONST 1", "GTNUM", "NOT"}, reads: []string{"score"}},
		// Lists, or empty, templates, strings, calls, associations.
		{cond: `country in ["NL", "DE"]`, code: []string{"PROP country", `INLIST ["NL" "DE"]`}, reads: []string{"country"}},
		{cond: `score not in [1, 2]`, code: []string{"PROP score", "NOTINLIST [1 2]"}, reads: []string{"score"}},
		{cond: `score > 5 or empty`, code: []string{"PROP score", "CONST 5", "GTNUM", "ORJ @6", "PROP score", "ISEMPTY"}, reads: []string{"score"}},
		{cond: `"{{firstname}} x" == "a"`, code: []string{"PROP firstname", `CONST " x"`, "CONCAT 2", `CONST "a"`, "EQSTR"}, reads: []string{"firstname"}},
		{cond: `email matches "^a.*@acme"`, code: []string{"PROP email", `MATCHES "^a.*@acme"`}, reads: []string{"email"}},
		{cond: `tags contains "vip"`, code: []string{"PROP tags", `CONST "vip"`, "CONTAINS"}, reads: []string{"tags"}},
		{cond: `"vip" in tags`, code: []string{`CONST "vip"`, "PROP tags", "IN"}, reads: []string{"tags"}},
		{cond: `lower(email) ends_with "@acme.com"`, code: []string{"PROP email", "CALL lower/1", `CONST "@acme.com"`, "ENDS"}, reads: []string{"email"}},
		{cond: `company.name == "Acme" and score is known`, code: []string{"ASSOC company.name", `CONST "Acme"`, "EQSTR", "ANDJ @6", "PROP score", "ISKNOWN"}, reads: []string{"score"}, assoc: true},
		{cond: `email is not empty`, code: []string{"PROP email", "ISKNOWN"}, reads: []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			p := mustCompile(t, "workflow w {\n  on contact\n  enroll when "+tt.cond+"\n}\n")
			x := p.Workflows[0].Triggers[0].Expr
			if diff := cmp.Diff(tt.code, listing(p, x)); diff != "" {
				t.Errorf("code (-want +got):\n%s", diff)
			}
			e := p.Exprs[x]
			var reads []string
			for _, s := range e.Reads {
				reads = append(reads, p.Types[0].Props[s].Name)
			}
			wantReads := slotsOrder(p, tt.reads)
			if diff := cmp.Diff(wantReads, reads); diff != "" {
				t.Errorf("reads (-want +got):\n%s", diff)
			}
			if e.ReadsAssoc != tt.assoc {
				t.Errorf("ReadsAssoc = %v, want %v", e.ReadsAssoc, tt.assoc)
			}
			if e.Type.Kind != value.TBool {
				t.Errorf("type %s, want bool", e.Type)
			}
			if e.Text != tt.cond || e.Line != 12 || e.Col != 15 {
				t.Errorf("text %q at %d:%d, want %q at 12:15", e.Text, e.Line, e.Col, tt.cond)
			}
		})
	}
}

// slotsOrder sorts contact property names by slot, as Expr.Reads is.
func slotsOrder(p *bytecode.Program, names []string) []string {
	var out []string
	for _, pr := range p.Types[0].Props {
		for _, n := range names {
			if n == pr.Name {
				out = append(out, n)
				break
			}
		}
	}
	return out
}

func TestLowerPools(t *testing.T) {
	p := mustCompile(t, `
workflow w {
  on contact
  enroll when country in ["NL", "DE"] and email == "a"
  goal country in ["NL", "DE"] and email == "a"
  webhook post "https://x.example" as hook
  if hook.body.tier == "a" and hook.body.tier != "b" { stop }
}
`)
	count := map[value.Value]int{}
	for _, c := range p.Consts {
		count[c]++
		if count[c] > 1 {
			t.Errorf("constant %v is in the pool twice", c)
		}
	}
	if len(p.Lists) != 1 || len(p.Outputs) != 1 {
		t.Errorf("%d lists and %d outputs, want 1 and 1: %v %v", len(p.Lists), len(p.Outputs), p.Lists, p.Outputs)
	}
}

func TestStackLimit(t *testing.T) {
	parts := make([]string, 70)
	for i := range parts {
		parts[i] = "{{firstname}}-"
	}
	_, diags := CompileSource("deep.wf", "workflow w {\n  on contact\n  set owner = \""+strings.Join(parts, "")+"\"\n}\n")
	if len(diags) != 1 || diags[0].Code != "too-complex" {
		t.Fatalf("want one too-complex error, got %v", diags)
	}
}

// stepView is the part of a step the wiring tests look at.
type stepView struct {
	ID       string
	Kind     string
	Next     int
	Arms     []int // each arm's Next
	Else     int
	Suspends bool
}

func TestStepTable(t *testing.T) {
	p := mustCompile(t, `
workflow w {
  on contact
  enroll when score > 1
  send email "a"
  if score > 1 {
    send email "b"
    send email "c"
  } else if score > 0 {
  } else {
    step inner: send email "d"
  }
  wait until score > 5 up to 1d else { send email "late" }
  branch on lifecyclestage {
    "lead", "subscriber" => { stop }
    "customer" => { }
    else => { send email "e" }
  }
  split { 50% => { send email "x" } 50% => { } }
  step last: delay 1d
}
`)
	w := p.Workflows[0]
	var got []stepView
	for _, s := range w.Steps {
		v := stepView{ID: s.ID, Kind: s.Kind.String(), Next: s.Next, Else: s.Else, Suspends: s.Suspends}
		for _, a := range s.Arms {
			v.Arms = append(v.Arms, a.Next)
		}
		got = append(got, v)
	}
	want := []stepView{
		{ID: "1", Kind: "send email", Next: 1, Else: -1},
		{ID: "2", Kind: "if", Next: 5, Arms: []int{2, 5}, Else: 4},
		{ID: "2.then.1", Kind: "send email", Next: 3, Else: -1},
		{ID: "2.then.2", Kind: "send email", Next: 5, Else: -1},
		{ID: "inner", Kind: "send email", Next: 5, Else: -1},
		{ID: "3", Kind: "wait until", Next: 7, Else: 6, Suspends: true},
		{ID: "3.timeout.1", Kind: "send email", Next: 7, Else: -1},
		{ID: "4", Kind: "branch", Next: 10, Arms: []int{8, 10}, Else: 9},
		{ID: "4.case1.1", Kind: "stop", Next: -1, Else: -1},
		{ID: "4.else.1", Kind: "send email", Next: 10, Else: -1},
		{ID: "5", Kind: "split", Next: 12, Arms: []int{11, 12}, Else: -1},
		{ID: "5.split1.1", Kind: "send email", Next: 12, Else: -1},
		{ID: "last", Kind: "delay", Next: -1, Else: -1, Suspends: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("step table (-want +got):\n%s", diff)
	}
	if w.Entry != 0 {
		t.Errorf("entry %d, want 0", w.Entry)
	}
	branch := w.Steps[7]
	var values [][]string
	for _, a := range branch.Arms {
		var vs []string
		for _, k := range a.Values {
			vs = append(vs, show(p.Consts[k]))
		}
		values = append(values, vs)
	}
	if diff := cmp.Diff([][]string{{`"lead"`, `"subscriber"`}, {`"customer"`}}, values); diff != "" {
		t.Errorf("branch values (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]float64{50, 50}, []float64{w.Steps[10].Arms[0].Percent, w.Steps[10].Arms[1].Percent}); diff != "" {
		t.Errorf("split percentages (-want +got):\n%s", diff)
	}
}

func TestStepFields(t *testing.T) {
	p := mustCompile(t, `
workflow w {
  on contact
  set lifecyclestage = "lead"
  copy email to company.domain_contact
  decrement score by 2
  clear firstname, company.name
  assign owner ["ann", "bob"]
  create deal { dealname: "{{firstname}}", amount: 10 } as d
  webhook post "https://x.example/{{email}}" sign v3 secret("K") timeout 10s rate 5 as hook
  code js secrets ("KEY") outputs (tier: string) as enrich `+"`return {tier: \"a\"}`"+`
  delay until renews_on at 09:30
  wait for event form_submitted where form_id == "x" up to 2d
}
`)
	w := p.Workflows[0]
	contact, company := 0, 1
	slot := func(typ int, name string) int {
		for i, pr := range p.Types[typ].Props {
			if pr.Name == name {
				return i
			}
		}
		t.Fatalf("no property %s", name)
		return -1
	}
	s := w.Steps
	check := func(what string, want, got any) {
		t.Helper()
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", what, diff)
		}
	}
	check("set target", bytecode.Target{Assoc: -1, Type: contact, Slot: slot(contact, "lifecyclestage")}, s[0].Target)
	check("copy target", bytecode.Target{Assoc: 0, Type: company, Slot: slot(company, "domain_contact")}, s[1].Target)
	check("decrement", []string{"CONST -2"}, listing(p, s[2].Expr))
	check("clear", []bytecode.Target{{Assoc: -1, Type: contact, Slot: slot(contact, "firstname")}, {Assoc: 0, Type: company, Slot: slot(company, "name")}}, s[3].Targets)
	check("assign", []any{[]string{"round_robin"}, []value.Value{value.Str("ann"), value.Str("bob")}, bytecode.NoExpr}, []any{s[4].Strs, p.Lists[s[4].List], s[4].Expr})
	check("create", []any{"deal", []int{slot(2, "dealname"), slot(2, "amount")}, "d", 2}, []any{s[5].Name, s[5].Slots, s[5].As, s[5].Target.Type})
	check("webhook", []any{"post", []string{"v3"}, "hook", true, 4}, []any{s[6].Name, s[6].Strs, s[6].As, s[6].Suspends, len(s[6].Args)})
	check("webhook secret", []string{`CONST "K"`, "CALL secret/1"}, listing(p, s[6].Args[1]))
	check("webhook timeout", []string{"CONST 10s"}, listing(p, s[6].Args[2]))
	check("code", []any{"js", []string{`return {tier: "a"}`, "KEY"}, "enrich", []bytecode.Prop{{Name: "tier", Type: value.StringType}}}, []any{s[7].Name, s[7].Strs, s[7].As, s[7].Outputs})
	check("delay until", []any{9*3600 + 30*60, []string{"PROP renews_on"}}, []any{s[8].At, listing(p, s[8].Expr)})
	check("wait for event", []any{0, []string{"EVENT form_id", `CONST "x"`, "EQSTR"}, []string{"CONST 48h0m0s"}}, []any{s[9].Event, listing(p, s[9].Expr), listing(p, s[9].Timeout)})
}

func TestWorkflowSettings(t *testing.T) {
	p := mustCompile(t, `
workflow w {
  on contact
  enroll when score > 1
  enroll when event form_submitted where form_id == "demo" and email == "x"
  enroll every monday, wed at 09:00 where firstname == "a"
  enroll every month on 15
  enroll on date renews_on - 1d at 08:00
  enroll existing
  reenroll on change score, lifecyclestage, score
  reenroll on event form_submitted
  unenroll when lifecyclestage == "customer"
  goal country == "NL"
  suppress when email_opt_out
  timezone "Europe/Amsterdam"
  run on fri..mon, wed 09:00..17:30
}
`)
	w := p.Workflows[0]
	names := func(slots []int) []string {
		var out []string
		for _, s := range slots {
			out = append(out, p.Types[0].Props[s].Name)
		}
		return out
	}
	if diff := cmp.Diff(slotsOrder(p, []string{"score", "firstname", "renews_on", "lifecyclestage", "country", "email_opt_out"}), names(w.Reads)); diff != "" {
		t.Errorf("reads (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(slotsOrder(p, []string{"score", "lifecyclestage"}), names(w.Reenroll)); diff != "" {
		t.Errorf("reenroll (-want +got):\n%s", diff)
	}
	type trig struct {
		Kind     string
		Days     []int
		MonthDay int
		At       int
		Event    int
		Assoc    int
	}
	var got []trig
	for _, tr := range w.Triggers {
		got = append(got, trig{tr.Kind.String(), tr.Days, tr.MonthDay, tr.At, tr.Event, tr.Assoc})
	}
	want := []trig{
		{Kind: "filter", At: -1, Event: -1, Assoc: -1},
		{Kind: "event", At: -1, Event: 0, Assoc: -1},
		{Kind: "schedule", Days: []int{1, 3}, At: 9 * 3600, Event: -1, Assoc: -1},
		{Kind: "schedule", MonthDay: 15, At: -1, Event: -1, Assoc: -1},
		{Kind: "date", At: 8 * 3600, Event: -1, Assoc: -1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("triggers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&bytecode.Window{Days: []int{0, 1, 3, 5, 6}, From: 9 * 3600, To: 17*3600 + 30*60}, w.Window); diff != "" {
		t.Errorf("window (-want +got):\n%s", diff)
	}
	if !w.EnrollExisting || w.Timezone != "Europe/Amsterdam" || len(w.ReenrollEvents) != 1 ||
		w.Unenroll < 0 || w.Goal < 0 || w.Suppress < 0 {
		t.Errorf("settings not compiled: %+v", w)
	}
	if got := p.Exprs[w.Triggers[1].Expr].Reads; len(got) != 1 {
		t.Errorf("an event where clause reads record slots %v, want email's only", got)
	}
}

func TestTestBlock(t *testing.T) {
	p := mustCompile(t, `
workflow w {
  on contact
  send email "hi"
}
test "t" {
  at 2026-01-05T08:00:00Z
  upsert contact c1 { tags: ["vip", "beta"], renews_on: 2026-02-01, createdate: 2026-02-01, score: 3 }
  event form_submitted c1 { form_id: "demo" }
  advance 2d
  expect c1.score + 1 == 4
  expect enrolled c1 in w at "1"
  expect email "hi" to c1 count 1
  expect created deal where amount > 5
}
`)
	tt := p.Tests[0]
	feb1 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	wantFields := []bytecode.Field{
		{Name: "tags", Slot: slotOf(p, 0, "tags"), Value: value.SetOf([]string{"beta", "vip"})},
		{Name: "renews_on", Slot: slotOf(p, 0, "renews_on"), Value: value.DateOf(feb1)},
		{Name: "createdate", Slot: slotOf(p, 0, "createdate"), Value: value.Time(feb1)},
		{Name: "score", Slot: slotOf(p, 0, "score"), Value: value.Num(3)},
	}
	if diff := cmp.Diff(wantFields, tt.Stmts[1].Fields); diff != "" {
		t.Errorf("upsert fields (-want +got):\n%s", diff)
	}
	if got, want := tt.Stmts[0].Time, time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC).UnixMilli(); got != want {
		t.Errorf("at %d, want %d", got, want)
	}
	if got := tt.Stmts[3].Time; got != 2*86400000 {
		t.Errorf("advance %d ms, want 2 days", got)
	}
	if diff := cmp.Diff([]string{"REF c1.score", "CONST 1", "ADD", "CONST 4", "EQNUM"}, listing(p, tt.Stmts[4].Expr)); diff != "" {
		t.Errorf("expect (-want +got):\n%s", diff)
	}
	e := tt.Stmts[5]
	if e.Kind != bytecode.TestExpectEnrollment || e.State != "enrolled" || e.Workflow != "w" || e.Step != "1" || e.Record != "c1" {
		t.Errorf("expect enrolled: %+v", e)
	}
	if e := tt.Stmts[6]; e.Str != "hi" || e.Count != 1 || e.Record != "c1" {
		t.Errorf("expect email: %+v", e)
	}
	created := tt.Stmts[7]
	if created.Type != 2 || p.Exprs[created.Expr].Reads[0] != slotOf(p, 2, "amount") {
		t.Errorf("expect created: %+v reads %v", created, p.Exprs[created.Expr].Reads)
	}
}

func slotOf(p *bytecode.Program, typ int, name string) int {
	for i, pr := range p.Types[typ].Props {
		if pr.Name == name {
			return i
		}
	}
	return -1
}
