package format

import (
	"bytes"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/parser"
	"github.com/wflang/wf/lang/scanner"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden formats each testdata/*.input and compares the result with
// the .golden file beside it; the golden text must format to itself.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/*.input")
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	for _, in := range inputs {
		t.Run(filepath.Base(in), func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Source(in, src)
			if err != nil {
				t.Fatal(err)
			}
			goldenPath := strings.TrimSuffix(in, ".input") + ".golden"
			if *update {
				if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(goldenPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got):\n%s", goldenPath, diff)
			}
			checkRoundTrip(t, in, src)
		})
	}
}

// TestRepoFiles formats every .wf file of the repository that parses:
// the result parses to the same tree and the same comments, and
// formatting it again changes nothing. Files with syntax errors are
// refused.
func TestRepoFiles(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "../.." || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".wf") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if _, diags := parser.ParseFile(path, string(src)); diags.HasErrors() {
			out, err := Source(path, src)
			if out != nil || err == nil {
				t.Errorf("%s: has syntax errors but was formatted", path)
			}
			return nil
		}
		checkRoundTrip(t, path, src)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 20 {
		t.Errorf("found only %d .wf files", n)
	}
}

// checkRoundTrip formats src, which parses, and checks that the result
// parses to the same tree modulo positions, keeps every comment, and is a
// fixed point of formatting.
func checkRoundTrip(t *testing.T, name string, src []byte) {
	t.Helper()
	f, diags := parser.ParseFile(name, string(src))
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags)
	}
	once := File(f)
	g, diags := parser.ParseFile(name, string(once))
	if diags.HasErrors() {
		t.Fatalf("%s: the formatted text does not parse: %v\n%s", name, diags, once)
	}
	if diff := cmp.Diff(dump(f), dump(g)); diff != "" {
		t.Errorf("%s: formatting changed the tree (-before +after):\n%s", name, diff)
	}
	if diff := cmp.Diff(commentTexts(string(src)), commentTexts(string(once))); diff != "" {
		t.Errorf("%s: formatting changed the comments (-before +after):\n%s", name, diff)
	}
	twice := File(g)
	if diff := cmp.Diff(string(once), string(twice)); diff != "" {
		t.Errorf("%s: formatting is not idempotent (-once +twice):\n%s", name, diff)
	}
}

var positions = regexp.MustCompile(` \d+:\d+-\d+:\d+| OpPos=\d+:\d+`)

// dump is ast.Fprint's dump of f without positions.
func dump(f *ast.File) string {
	var b bytes.Buffer
	if err := ast.Fprint(&b, f); err != nil {
		panic(err)
	}
	return positions.ReplaceAllString(b.String(), "")
}

// commentTexts lists the comments of src, line comments without trailing
// blanks.
func commentTexts(src string) []string {
	var out []string
	for _, tok := range scanner.Tokens("", src) {
		if tok.Type == scanner.Comment {
			out = append(out, strings.TrimRight(tok.Value, " \t\r"))
		}
	}
	return out
}

func TestRefusesSyntaxErrors(t *testing.T) {
	src := []byte("workflow w {\n  on contact\n  set x =\n}\n")
	out, err := Source("bad.wf", src)
	if out != nil {
		t.Errorf("formatted a file with a syntax error:\n%s", out)
	}
	list, ok := err.(diag.List)
	if !ok || len(list) == 0 {
		t.Fatalf("error %v (%T), want a diag.List", err, err)
	}
	if got := list[0].String(); !strings.HasPrefix(got, "bad.wf:4:1: ") {
		t.Errorf("diagnostic %q, want one at bad.wf:4:1", got)
	}
}

func TestEmpty(t *testing.T) {
	for _, src := range []string{"", "\n\n", "  \n"} {
		out, err := Source("e.wf", []byte(src))
		if err != nil || len(out) != 0 {
			t.Errorf("Source(%q) = %q, %v; want empty", src, out, err)
		}
	}
	out, _ := Source("c.wf", []byte("\n\n// only a comment   \n\n\n"))
	if string(out) != "// only a comment\n" {
		t.Errorf("got %q", out)
	}
}

// TestHandBuilt prints trees without source: parentheses come from
// precedence.
func TestHandBuilt(t *testing.T) {
	path := func(s string) *ast.Path { return &ast.Path{Parts: []*ast.Name{{Name: s}}} }
	bin := func(op string, x, y ast.Expr) *ast.BinaryExpr { return &ast.BinaryExpr{Op: op, X: x, Y: y} }
	num := func(s string) *ast.NumberLit { return &ast.NumberLit{Raw: s} }
	tests := []struct {
		x    ast.Expr
		want string
	}{
		{bin("and", bin("or", path("a"), path("b")), path("c")), "(a or b) and c"},
		{bin("or", path("a"), bin("and", path("b"), path("c"))), "a or b and c"},
		{bin("-", num("1"), bin("-", num("2"), num("3"))), "1 - (2 - 3)"},
		{bin("-", bin("-", num("1"), num("2")), num("3")), "1 - 2 - 3"},
		{bin("*", bin("+", num("1"), num("2")), num("3")), "(1 + 2) * 3"},
		{bin("==", bin("==", path("a"), path("b")), path("c")), "(a == b) == c"},
		{&ast.UnaryExpr{Op: "not", X: bin("and", path("a"), path("b"))}, "not (a and b)"},
		{&ast.UnaryExpr{Op: "-", X: bin("+", path("a"), path("b"))}, "-(a + b)"},
		{&ast.OrEmpty{X: bin("and", path("a"), bin(">", path("s"), num("5")))}, "(a and s > 5) or empty"},
		{&ast.IsExpr{X: bin("+", path("a"), num("1")), Known: true}, "a + 1 is known"},
		{&ast.StringLit{Value: "say \"hi\""}, `"say \"hi\""`},
	}
	for _, tt := range tests {
		f := &ast.File{Decls: []ast.Decl{&ast.WorkflowDecl{Name: &ast.Name{Name: "w"}, Items: []ast.Item{
			&ast.Step{Body: &ast.SetStep{Target: &ast.PropPath{Parts: []string{"x"}}, Value: tt.x}},
		}}}}
		want := fmt.Sprintf("workflow w {\n  set x = %s\n}\n", tt.want)
		if got := string(File(f)); got != want {
			t.Errorf("got\n%s\nwant\n%s", got, want)
		}
	}
}

// FuzzFormat: whatever parses formats to text that parses to the same
// tree and comments, and formats to itself.
func FuzzFormat(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.input")
	more, _ := filepath.Glob("../../examples/*/*.wf")
	conf, _ := filepath.Glob("../../conformance/*.wf")
	for _, p := range append(append(paths, more...), conf...) {
		if src, err := os.ReadFile(p); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("workflow w { set x = - - a // c\n}"))
	f.Fuzz(func(t *testing.T, src []byte) {
		if _, diags := parser.ParseFile("fuzz.wf", string(src)); diags.HasErrors() {
			return
		}
		checkRoundTrip(t, "fuzz.wf", src)
	})
}

// genFile returns a source of about n lines that uses most constructs.
func genFile(n int) []byte {
	var b strings.Builder
	b.WriteString("// A generated file.\n\nextend contact {\n  tier: string\n  seats: number\n}\n\n")
	for i := 0; b.Len() == 0 || strings.Count(b.String(), "\n") < n; i++ {
		fmt.Fprintf(&b, `workflow w%d {
  on contact
  enroll when lifecyclestage == "lead" and email ends_with "@acme.com" // partners
  reenroll on change lifecyclestage, score
  goal lifecyclestage == "customer"

  set hs_lead_status = "new"
  step warm_%d: delay 2d
  if score >= 50 and country in ["NL", "DE", "BE"] {
    set tier = "fast"
    stop
  } else if country is empty {
    set tier = "research"
  } else {
    set tier = "standard {{firstname}}"
  }
  branch on tier {
    "fast", "research" => { increment seats by 1 + 2 * 3 }
    else => { }
  }
  /* a block comment */
  split { 50%% => { set tier = "a" } 50%% => { set tier = "b" } }
  create deal { dealname: "{{email}} deal", amount: 1000 }
}

test "t%d" {
  at 2026-01-05T08:00:00Z
  upsert contact c1 { email: "a@acme.com", lifecyclestage: "lead", score: 60 }
  advance 2d
  expect c1.tier == "fast"
}

`, i, i, i)
	}
	return []byte(b.String())
}

func BenchmarkFormat(b *testing.B) {
	src := genFile(2000)
	lines := bytes.Count(src, []byte("\n"))
	f, diags := parser.ParseFile("gen.wf", string(src))
	if diags.HasErrors() {
		b.Fatal(diags)
	}
	b.Run("File", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			File(f)
		}
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
	b.Run("Source", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(src)))
		for b.Loop() {
			if _, err := Source("gen.wf", src); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	})
}

func TestGenerated(t *testing.T) { checkRoundTrip(t, "gen.wf", genFile(200)) }
