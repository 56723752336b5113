package compiler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/parser"
)

const specExamples = "../lang/parser/testdata/spec_examples.wf"

// parseFiles parses files from disk, failing the test on syntax errors.
func parseFiles(t testing.TB, names ...string) []*ast.File {
	t.Helper()
	var files []*ast.File
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, parseSource(t, name, string(src)))
	}
	return files
}

func parseSource(t testing.TB, name, src string) *ast.File {
	t.Helper()
	f, diags := parser.ParseFile(name, src)
	if len(diags) > 0 {
		t.Fatalf("%s does not parse:\n%v", name, diags)
	}
	return f
}

// TestSpecExamples compiles the examples of the spec: their only error is
// the placeholder step, and without it they compile to a valid program.
func TestSpecExamples(t *testing.T) {
	files := parseFiles(t, specExamples, "testdata/valid/spec_support.wf")
	p, diags := Compile(files)
	if p != nil || len(diags) != 1 || diags[0].Code != "placeholder" {
		t.Fatalf("want exactly the placeholder error, got %v", diags)
	}
	src, err := os.ReadFile(specExamples)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, line := range strings.Split(string(src), "\n") {
		if !strings.Contains(line, "placeholder \"") {
			kept = append(kept, line)
		}
	}
	files[0] = parseSource(t, specExamples, strings.Join(kept, "\n"))
	p, diags = Compile(files)
	if len(diags) > 0 {
		t.Fatalf("diagnostics without the placeholder:\n%v", diags)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	again, _ := Compile(files)
	if diff := cmp.Diff(p, again); diff != "" {
		t.Errorf("compiling twice gives different programs (-first +second):\n%s", diff)
	}
	w := p.Workflows[0]
	if w.Name != "welcome_leads" || len(w.Triggers) != 5 || len(w.Steps) != 26 || w.Placeholders != 0 {
		t.Errorf("welcome_leads: %d triggers, %d steps", len(w.Triggers), len(w.Steps))
	}
	if p.Workflows[0].Triggers[2].Assoc < 0 {
		t.Errorf("the webhook trigger on deal should enroll the deal's contacts through an association")
	}
	for i, e := range p.Exprs {
		if e.Text == "" || e.Line == 0 {
			t.Errorf("expression %d has no text or position: %+v", i, e)
		}
	}
}

// TestHashStable checks that a workflow's hash ignores unrelated edits
// (declarations before it that shift positions and pools) and changes when
// its behaviour does.
func TestHashStable(t *testing.T) {
	const w = `
workflow w {
  on contact
  enroll when score > 10 and country in ["NL", "DE"]
  if company.name == "Acme" { send email "acme" } else { delay 2d }
  webhook post "https://x.example" as hook
  set owner = hook.body.owner
}
`
	hash := func(src string) string {
		t.Helper()
		p := mustCompile(t, src)
		for _, wf := range p.Workflows {
			if wf.Name == "w" {
				return wf.Hash
			}
		}
		t.Fatal("no workflow w")
		return ""
	}
	base := hash(w)
	if len(base) != 64 {
		t.Fatalf("hash %q is not hex SHA-256", base)
	}
	unrelated := `
// Other declarations first: they add constants, lists, outputs and code.
extend contact { extra: string }
workflow other {
  on contact
  enroll when country in ["BE"] and firstname == "x"
  webhook post "https://y.example" as h2
  set lastname = h2.body.name
}
`
	if got := hash(unrelated + w); got != base {
		t.Errorf("an unrelated edit changed the hash")
	}
	for _, changed := range []string{
		strings.Replace(w, "score > 10", "score > 11", 1),
		strings.Replace(w, `"DE"`, `"FR"`, 1),
		strings.Replace(w, "delay 2d", "delay 3d", 1),
		strings.Replace(w, "company.name", "company.industry", 1),
		strings.Replace(w, "hook.body.owner", "hook.body.user", 1),
		strings.Replace(w, "  set owner", "  step assign_owner: set owner", 1),
	} {
		if hash(changed) == base {
			t.Errorf("the hash did not change for:\n%s", changed)
		}
	}
}

func TestCompileFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("b.wf", "workflow b {\n  on contact\n}\n")
	write("a.wf", "workflow a {\n  on contact\n  enroll in b\n}\n")
	write("notes.txt", "not wf")
	write("sub/c.wf", "workflow c {\n  on deal\n  set dealname = 1\n}\n")

	names := func(p *bytecode.Program) []string {
		var out []string
		for _, w := range p.Workflows {
			out = append(out, w.Name)
		}
		return out
	}
	p, diags, err := CompileFiles(dir)
	if err != nil || len(diags) > 0 {
		t.Fatalf("CompileFiles(dir): %v %v", err, diags)
	}
	if diff := cmp.Diff([]string{"a", "b"}, names(p)); diff != "" {
		t.Errorf("workflows (-want +got):\n%s", diff)
	}
	p, diags, err = CompileFiles(dir + "/...")
	if err != nil || p != nil || len(diags) != 1 || !strings.HasSuffix(diags[0].Pos.Filename, filepath.Join("sub", "c.wf")) {
		t.Errorf("CompileFiles(dir/...): want the error in sub/c.wf, got %v %v", err, diags)
	}
	p, diags, err = CompileFiles(filepath.Join(dir, "b.wf"), filepath.Join(dir, "a.wf"))
	if err != nil || len(diags) > 0 {
		t.Fatalf("CompileFiles(files): %v %v", err, diags)
	}
	if diff := cmp.Diff([]string{"a", "b"}, names(p)); diff != "" {
		t.Errorf("files are not compiled in sorted order (-want +got):\n%s", diff)
	}
	if _, _, err := CompileFiles(filepath.Join(dir, "missing.wf")); err == nil {
		t.Error("no error for a missing file")
	}
	write("broken/x.wf", "workflow {\n")
	p, diags, err = CompileFiles(filepath.Join(dir, "broken"))
	if err != nil || p != nil || len(diags) == 0 || diags[0].Code != "syntax" {
		t.Errorf("a syntax error: got %v, %v, %v", p, diags, err)
	}
}

// TestBadNodes checks that statements the parser skipped (ast.Bad) add no
// diagnostic of their own and that no program is made from such a tree.
func TestBadNodes(t *testing.T) {
	src := `workflow w {
  on contact
  set = 1
  if score > 1 {
    set score = 
  }
  set score = 2
}
test "t" {
  upsert contact c1 { score: }
  expect c1.score == 2
}
`
	f, pdiags := parser.ParseFile("bad.wf", src)
	if len(pdiags) != 3 || len(f.Decls) != 2 {
		t.Fatalf("parse: %d declarations, diagnostics %v", len(f.Decls), pdiags)
	}
	prog, diags := Compile([]*ast.File{f})
	if prog != nil {
		t.Error("Compile made a program from a tree with ast.Bad nodes")
	}
	if len(diags) != 0 {
		t.Errorf("Compile reported %v, want nothing more than the parser", diags)
	}
	prog, diags = CompileSource("bad.wf", src)
	if prog != nil || len(diags) != 3 {
		t.Errorf("CompileSource: program %v, diagnostics %v", prog != nil, diags)
	}
}
