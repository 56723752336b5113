// Package bench measures wf's expression VM against expr
// (github.com/expr-lang/expr), cel-go (cel.dev/cel-go) and plain Go on the
// same rules over the same records. It is its own module so that expr and
// cel-go stay out of wf's go.mod; run.sh turns its output into
// BENCHMARKS.md.
package bench

import (
	_ "embed"
	"fmt"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
	"github.com/expr-lang/expr"
	exprvm "github.com/expr-lang/expr/vm"
	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/vm"
	"github.com/wflang/wf/value"
)

//go:embed rules.wf
var rulesWF string

// The records, as plain Go structs. Native Go reads them directly, expr
// reads them through its struct environment (the `expr` tags name the
// fields as the rules do), and wf and cel-go get them converted once, before
// timing, to their own value representations.
type (
	Flight struct {
		Origin  string  `expr:"origin"`
		Country string  `expr:"country"`
		Value   float64 `expr:"value"`
		Adults  float64 `expr:"adults"`
	}
	Contact struct {
		Email     string   `expr:"email"`
		Firstname string   `expr:"firstname"`
		Country   string   `expr:"country"`
		Company   *Company `expr:"company"`
	}
	Company struct {
		Industry          string  `expr:"industry"`
		NumberOfEmployees float64 `expr:"numberofemployees"`
	}
	// Deal is expr's environment as well as the record, so it carries
	// `now` and the rule's constant date: expr evaluates date("…") on
	// every run rather than folding it, so the fastest expr rule reads the
	// date from its environment.
	Deal struct {
		CloseDate  time.Time `expr:"closedate"`
		CreateDate time.Time `expr:"createdate"`
		Now        time.Time `expr:"now"`
		Cutoff     time.Time `expr:"cutoff"`
	}
)

// now is the fixed evaluation time of the date rule.
var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

var cutoff = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Eight records per rule (so the loops pick one with i&7), between them taking every path through the rule.
var (
	flights = []Flight{
		{"MOW", "RU", 150, 2}, {"LED", "RU", 50, 1}, {"LED", "FI", 500, 2}, {"MOW", "RU", 20, 3},
		{"AMS", "NL", 100, 1}, {"LED", "RU", 99, 2}, {"MOW", "DE", 10, 1}, {"BER", "DE", 120, 4},
	}
	contacts = []Contact{
		{"ann@acme.com", "Ann", "NL", &Company{"software", 120}},
		{"adam@example.org", "Adam", "DE", &Company{"software", 12}},
		{"alice@acme.com", "Alice", "US", &Company{"retail", 800}},
		{"bob@acme.com", "Bob", "GB", &Company{"software", 51}},
		{"anna@corp.io", "Anna", "FR", &Company{"software", 50}},
		{"axel@example.com", "Axel", "BE", &Company{"banking", 3000}},
		{"aino@acme.com.evil", "Aino", "FI", &Company{"software", 5000}},
		{"ari@acme.com", "Ari", "GB", &Company{"hardware", 70}},
	}
	deals = []Deal{
		{now.Add(24 * time.Hour), cutoff.Add(-time.Hour), now, cutoff},
		{now.Add(-time.Hour), cutoff.Add(-48 * time.Hour), now, cutoff},
		{now.Add(29 * 24 * time.Hour), cutoff.Add(-time.Millisecond), now, cutoff},
		{now.Add(31 * 24 * time.Hour), cutoff.Add(-time.Hour), now, cutoff},
		{now.Add(10 * 24 * time.Hour), cutoff, now, cutoff},
		{now, cutoff.AddDate(-1, 0, 0), now, cutoff},
		{now.Add(30 * 24 * time.Hour), cutoff.AddDate(0, -2, 0), now, cutoff},
		{now.Add(12 * time.Hour), cutoff.Add(time.Hour), now, cutoff},
	}
)

// The rules in Go: the floor every engine is measured against.
func classicGo(f *Flight) bool {
	return (f.Origin == "MOW" || f.Country == "RU") && (f.Value >= 100 || f.Adults == 1)
}

func stringsGo(c *Contact) bool {
	if !(strings.HasSuffix(c.Email, "@acme.com") || strings.Contains(c.Email, "example")) || !strings.HasPrefix(c.Firstname, "A") {
		return false
	}
	switch c.Country {
	case "NL", "DE", "BE", "FR", "GB":
		return true
	}
	return false
}

func datesGo(d *Deal) bool {
	return !d.CloseDate.Before(d.Now) && !d.CloseDate.After(d.Now.Add(30*24*time.Hour)) && d.CreateDate.Before(cutoff)
}

func assocGo(c *Contact) bool {
	return c.Company.Industry == "software" && c.Company.NumberOfEmployees > 50
}

// rule is one benchmark rule in the languages of expr and cel-go; its wf
// source is the workflow of the same name in rules.wf.
type rule struct {
	name      string
	expr, cel string
	celVars   []cel.EnvOption
}

var rules = []rule{
	{
		name:    "classic",
		expr:    `(origin == "MOW" || country == "RU") && (value >= 100 || adults == 1)`,
		cel:     `(origin == "MOW" || country == "RU") && (value >= 100.0 || adults == 1.0)`,
		celVars: []cel.EnvOption{cel.Variable("origin", cel.StringType), cel.Variable("country", cel.StringType), cel.Variable("value", cel.DoubleType), cel.Variable("adults", cel.DoubleType)},
	},
	{
		name:    "strings",
		expr:    `(email endsWith "@acme.com" || email contains "example") && firstname startsWith "A" && country in ["NL", "DE", "BE", "FR", "GB"]`,
		cel:     `(email.endsWith("@acme.com") || email.contains("example")) && firstname.startsWith("A") && country in ["NL", "DE", "BE", "FR", "GB"]`,
		celVars: []cel.EnvOption{cel.Variable("email", cel.StringType), cel.Variable("firstname", cel.StringType), cel.Variable("country", cel.StringType)},
	},
	{
		name:    "dates",
		expr:    `closedate >= now && closedate <= now + duration("720h") && createdate < cutoff`,
		cel:     `closedate >= now && closedate <= now + duration("720h") && createdate < timestamp("2026-01-01T00:00:00Z")`,
		celVars: []cel.EnvOption{cel.Variable("closedate", cel.TimestampType), cel.Variable("createdate", cel.TimestampType), cel.Variable("now", cel.TimestampType)},
	},
	{
		name:    "assoc",
		expr:    `company.industry == "software" && company.numberofemployees > 50`,
		cel:     `company.industry == "software" && company.numberofemployees > 50.0`,
		celVars: []cel.EnvOption{cel.Variable("company", cel.MapType(cel.StringType, cel.DynType))},
	},
}

// ---- wf ----

// wfProgram compiles rules.wf and returns the program with the trigger
// expression of each workflow by name.
func wfProgram(tb testing.TB) (*bytecode.Program, map[string]int) {
	tb.Helper()
	p, diags := compiler.CompileSource("rules.wf", rulesWF)
	if p == nil || diags.HasErrors() {
		tb.Fatalf("compiling rules.wf:\n%v", diags)
	}
	exprs := map[string]int{}
	for _, w := range p.Workflows {
		exprs[w.Name] = w.Triggers[0].Expr
	}
	return p, exprs
}

// props lays out named values in the slots of object type name.
func props(tb testing.TB, p *bytecode.Program, name string, vals map[string]value.Value) []value.Value {
	for _, t := range p.Types {
		if t.Name != name {
			continue
		}
		out := make([]value.Value, len(t.Props))
		for i, pr := range t.Props {
			out[i] = vals[pr.Name]
			delete(vals, pr.Name)
		}
		if len(vals) > 0 {
			tb.Fatalf("type %s has no properties %v", name, vals)
		}
		return out
	}
	tb.Fatalf("no type %s", name)
	return nil
}

// companyResolver is the engine's part in reading `company.x`: the
// contact's company record, by slot.
type companyResolver struct {
	paths   []bytecode.AssocPath
	company []value.Value
}

func (r *companyResolver) Assoc(path int) value.Value { return r.company[r.paths[path].Slot] }
func (r *companyResolver) Output(int) value.Value     { return value.Value{} }
func (r *companyResolver) Ref(int) value.Value        { return value.Value{} }

// wfEnvs returns the VM environments of a rule's records.
func wfEnvs(tb testing.TB, p *bytecode.Program, rule string) []vm.Env {
	var envs []vm.Env
	switch rule {
	case "classic":
		for _, f := range flights {
			envs = append(envs, vm.Env{Props: props(tb, p, "flight", map[string]value.Value{
				"origin": value.Str(f.Origin), "country": value.Str(f.Country), "value": value.Num(f.Value), "adults": value.Num(f.Adults),
			})})
		}
	case "strings", "assoc":
		for _, c := range contacts {
			company := props(tb, p, "company", map[string]value.Value{
				"industry": value.Str(c.Company.Industry), "numberofemployees": value.Num(c.Company.NumberOfEmployees),
			})
			envs = append(envs, vm.Env{
				Props: props(tb, p, "contact", map[string]value.Value{
					"email": value.Str(c.Email), "firstname": value.Str(c.Firstname), "country": value.Str(c.Country),
				}),
				Resolver: &companyResolver{paths: p.Paths, company: company},
			})
		}
	case "dates":
		for _, d := range deals {
			envs = append(envs, vm.Env{Props: props(tb, p, "deal", map[string]value.Value{
				"closedate": value.Time(d.CloseDate), "createdate": value.Time(d.CreateDate),
			}), Now: d.Now})
		}
	default:
		tb.Fatalf("no records for rule %s", rule)
	}
	return envs
}

// ---- expr ----

// exprEnvs returns expr's environments for a rule's records: the structs,
// boxed once before timing. (Boxed struct values run about twice as fast as
// pointers to the structs, which expr reads through reflection with an
// allocation per number read.)
func exprEnvs(rule string) (env any, envs []any) {
	switch rule {
	case "classic":
		for _, f := range flights {
			envs = append(envs, f)
		}
		return Flight{}, envs
	case "strings", "assoc":
		for _, c := range contacts {
			envs = append(envs, c)
		}
		return Contact{}, envs
	case "dates":
		for _, d := range deals {
			envs = append(envs, d)
		}
		return Deal{}, envs
	}
	panic("no records for rule " + rule)
}

// exprProgram compiles a rule with expr's fastest setup: typed against the
// struct environment, with a boolean result.
func exprProgram(tb testing.TB, r rule) (*exprvm.Program, []any) {
	tb.Helper()
	env, envs := exprEnvs(r.name)
	prog, err := expr.Compile(r.expr, expr.Env(env), expr.AsBool())
	if err != nil {
		tb.Fatalf("expr: %s: %v", r.name, err)
	}
	return prog, envs
}

// ---- cel-go ----

// celActivation resolves a rule's variables from values converted to CEL's
// representation before timing: a switch instead of a map lookup, and no
// conversion or allocation per read.
type celActivation struct {
	names []string
	vals  []ref.Val
}

func (a *celActivation) ResolveName(name string) (any, bool) {
	for i, n := range a.names {
		if n == name {
			return a.vals[i], true
		}
	}
	return nil, false
}

func (a *celActivation) Parent() interpreter.Activation { return nil }

func celActivations(rule string) []interpreter.Activation {
	var acts []interpreter.Activation
	add := func(names []string, vals ...ref.Val) { acts = append(acts, &celActivation{names: names, vals: vals}) }
	switch rule {
	case "classic":
		for _, f := range flights {
			add([]string{"origin", "country", "value", "adults"}, types.String(f.Origin), types.String(f.Country), types.Double(f.Value), types.Double(f.Adults))
		}
	case "strings":
		for _, c := range contacts {
			add([]string{"email", "firstname", "country"}, types.String(c.Email), types.String(c.Firstname), types.String(c.Country))
		}
	case "dates":
		for _, d := range deals {
			add([]string{"closedate", "createdate", "now"}, types.Timestamp{Time: d.CloseDate}, types.Timestamp{Time: d.CreateDate}, types.Timestamp{Time: d.Now})
		}
	case "assoc":
		for _, c := range contacts {
			company := types.NewRefValMap(types.DefaultTypeAdapter, map[ref.Val]ref.Val{
				types.String("industry"):          types.String(c.Company.Industry),
				types.String("numberofemployees"): types.Double(c.Company.NumberOfEmployees),
			})
			add([]string{"company"}, company)
		}
	default:
		panic("no records for rule " + rule)
	}
	return acts
}

// celProgram compiles a rule with cel-go's fastest setup: a checked AST
// and a program that folds constants at plan time.
func celProgram(tb testing.TB, r rule) (cel.Program, []interpreter.Activation) {
	tb.Helper()
	env, err := cel.NewEnv(r.celVars...)
	if err != nil {
		tb.Fatal(err)
	}
	ast, iss := env.Compile(r.cel)
	if iss.Err() != nil {
		tb.Fatalf("cel: %s: %v", r.name, iss.Err())
	}
	if ast.OutputType() != cel.BoolType {
		tb.Fatalf("cel: %s: type %v, want bool", r.name, ast.OutputType())
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		tb.Fatal(err)
	}
	return prg, celActivations(r.name)
}

// native returns the Go function of a rule over the i'th record.
func native(rule string) func(i int) bool {
	switch rule {
	case "classic":
		return func(i int) bool { return classicGo(&flights[i]) }
	case "strings":
		return func(i int) bool { return stringsGo(&contacts[i]) }
	case "dates":
		return func(i int) bool { return datesGo(&deals[i]) }
	case "assoc":
		return func(i int) bool { return assocGo(&contacts[i]) }
	}
	panic("no rule " + rule)
}

// TestEnginesAgree checks that wf, expr and cel-go give the Go answer on
// every benchmark record of every rule, and that the records do not all
// agree (each rule is true on some and false on others).
func TestEnginesAgree(t *testing.T) {
	p, exprs := wfProgram(t)
	m, err := vm.New(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		envs := wfEnvs(t, p, r.name)
		eprog, eenvs := exprProgram(t, r)
		cprog, acts := celProgram(t, r)
		want := native(r.name)
		counts := map[bool]int{}
		for i := range envs {
			w := want(i)
			counts[w]++
			if got := m.Eval(exprs[r.name], &envs[i]); got != value.BoolOf(w) {
				t.Errorf("%s record %d: wf %v, want %v", r.name, i, got, w)
			}
			if got, err := expr.Run(eprog, eenvs[i]); err != nil || got != w {
				t.Errorf("%s record %d: expr %v (%v), want %v", r.name, i, got, err, w)
			}
			if got, _, err := cprog.Eval(acts[i]); err != nil || got != types.Bool(w) {
				t.Errorf("%s record %d: cel %v (%v), want %v", r.name, i, got, err, w)
			}
		}
		if counts[true] == 0 || counts[false] == 0 {
			t.Errorf("%s: records give %v; want some of each", r.name, counts)
		}
	}
}

// TestWFZeroAllocs checks that wf evaluates every rule without allocating.
func TestWFZeroAllocs(t *testing.T) {
	p, exprs := wfProgram(t)
	m, err := vm.New(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rules {
		envs := wfEnvs(t, p, r.name)
		x := exprs[r.name]
		n := testing.AllocsPerRun(100, func() {
			for i := range envs {
				m.Eval(x, &envs[i])
			}
		})
		if n != 0 {
			t.Errorf("%s: %v allocations per run", r.name, n)
		}
	}
}

var sink int

// BenchmarkRules runs each rule on each engine, as
// BenchmarkRules/<rule>/<engine>. Every engine walks the same eight records
// in the same order, counts the matches the same way and is set up before
// the timer starts.
func BenchmarkRules(b *testing.B) {
	p, exprs := wfProgram(b)
	for _, r := range rules {
		b.Run(r.name+"/wf", func(b *testing.B) {
			m, err := vm.New(p)
			if err != nil {
				b.Fatal(err)
			}
			benchWF(b, m, exprs[r.name], wfEnvs(b, p, r.name))
		})
		b.Run(r.name+"/expr", func(b *testing.B) {
			prog, envs := exprProgram(b, r)
			benchExpr(b, prog, envs)
		})
		b.Run(r.name+"/cel", func(b *testing.B) {
			prg, acts := celProgram(b, r)
			benchCEL(b, prg, acts)
		})
		b.Run(r.name+"/go", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			switch r.name {
			case "classic":
				for i := 0; b.Loop(); i++ {
					if classicGo(&flights[i&7]) {
						n++
					}
				}
			case "strings":
				for i := 0; b.Loop(); i++ {
					if stringsGo(&contacts[i&7]) {
						n++
					}
				}
			case "dates":
				for i := 0; b.Loop(); i++ {
					if datesGo(&deals[i&7]) {
						n++
					}
				}
			case "assoc":
				for i := 0; b.Loop(); i++ {
					if assocGo(&contacts[i&7]) {
						n++
					}
				}
			default:
				b.Fatalf("no Go for rule %s", r.name)
			}
			sink = n
		})
	}
}

func benchWF(b *testing.B, m *vm.VM, x int, envs []vm.Env) {
	b.ReportAllocs()
	n, mask := 0, len(envs)-1
	for i := 0; b.Loop(); i++ {
		if m.Eval(x, &envs[i&mask]).Truthy() {
			n++
		}
	}
	sink = n
}

func benchExpr(b *testing.B, prog *exprvm.Program, envs []any) {
	var v exprvm.VM
	b.ReportAllocs()
	n, mask := 0, len(envs)-1
	for i := 0; b.Loop(); i++ {
		out, err := v.Run(prog, envs[i&mask])
		if err != nil {
			b.Fatal(err)
		}
		if out.(bool) {
			n++
		}
	}
	sink = n
}

func benchCEL(b *testing.B, prg cel.Program, acts []interpreter.Activation) {
	b.ReportAllocs()
	n, mask := 0, len(acts)-1
	for i := 0; b.Loop(); i++ {
		out, _, err := prg.Eval(acts[i&mask])
		if err != nil {
			b.Fatal(err)
		}
		if out == types.True {
			n++
		}
	}
	sink = n
}

func init() {
	for _, recs := range []int{len(flights), len(contacts), len(deals)} {
		if recs != 8 {
			panic(fmt.Sprintf("%d records: the benchmark loops pick one of eight with i&7", recs))
		}
	}
}
