package parser

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/wflang/wf/internal/errtest"
	"github.com/wflang/wf/internal/wfgen"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// dump renders a parse result as the golden files hold it: the tree, then
// the comments and the diagnostics, if any.
func dump(t testing.TB, f *ast.File, diags diag.List) string {
	var b strings.Builder
	if err := ast.Fprint(&b, f); err != nil {
		t.Fatal(err)
	}
	for _, c := range f.Comments {
		fmt.Fprintf(&b, "comment %d:%d %q\n", c.Pos.Line, c.Pos.Column, c.Value)
	}
	for _, d := range diags {
		fmt.Fprintf(&b, "diagnostic %d:%d-%d:%d %s\n", d.Pos.Line, d.Pos.Column, d.End.Line, d.End.Column, d.String()[len(d.Pos.String())+2:])
	}
	return b.String()
}

// TestGolden parses each testdata/*.wf and compares the tree with the
// testdata/*.golden next to it. Run `go test -update` to rewrite them.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.wf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := ParseFile(filepath.Base(name), string(src))
			got := dump(t, f, diags)
			golden := strings.TrimSuffix(name, ".wf") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("parse tree differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestErrors parses each testdata/errors/*.wf and matches its diagnostics
// with the `// ERROR "regexp"` comments on the lines where they are
// reported: every diagnostic must match exactly one comment on its line,
// and every comment one diagnostic. The comments are found in the raw
// text, so one can follow an unterminated string.
func TestErrors(t *testing.T) {
	files, err := filepath.Glob("testdata/errors/*.wf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			_, diags := ParseFile(name, string(src))
			checkDiagPositions(t, string(src), diags)
			errtest.Check(t, name, string(src), diags)
		})
	}
}

// checkDiagPositions fails unless every diagnostic has a range within src
// whose offsets agree with its lines and columns.
func checkDiagPositions(t testing.TB, src string, diags diag.List) {
	t.Helper()
	for _, d := range diags {
		if msg := checkPos(src, d.Pos); msg != "" {
			t.Errorf("diagnostic %q: start: %s", d.Message, msg)
		}
		if msg := checkPos(src, d.End); msg != "" {
			t.Errorf("diagnostic %q: end: %s", d.Message, msg)
		}
		if d.End.Offset < d.Pos.Offset {
			t.Errorf("diagnostic %q: ends (%s) before it starts (%s)", d.Message, d.End, d.Pos)
		}
		if d.Message == "" {
			t.Errorf("%s: diagnostic without a message", d.Pos)
		}
	}
	for i := 1; i < len(diags); i++ {
		if diags[i].Pos.Offset < diags[i-1].Pos.Offset {
			t.Errorf("diagnostics out of order: %s after %s", diags[i].Pos, diags[i-1].Pos)
		}
		if diags[i] == diags[i-1] {
			t.Errorf("diagnostic reported twice: %s", diags[i])
		}
	}
}

// checkPos returns what is wrong with pos as a position in src, or "".
func checkPos(src string, pos ast.Position) string {
	if pos.Offset < 0 || pos.Offset > len(src) {
		return fmt.Sprintf("offset %d outside the source (0-%d)", pos.Offset, len(src))
	}
	line := 1 + strings.Count(src[:pos.Offset], "\n")
	col := 1 + utf8.RuneCountInString(src[strings.LastIndexByte(src[:pos.Offset], '\n')+1:pos.Offset])
	if pos.Line != line || pos.Column != col {
		return fmt.Sprintf("offset %d is %d:%d, not %d:%d", pos.Offset, line, col, pos.Line, pos.Column)
	}
	return ""
}

// TestPositions checks the span of every node of every testdata file:
// within the file, its offsets agreeing with its lines and columns, not
// starting or ending in whitespace, and inside its parent's span.
func TestPositions(t *testing.T) {
	files, err := filepath.Glob("testdata/*.wf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata: %v", err)
	}
	files = append(files, "gen.wf")
	for _, name := range files {
		t.Run(filepath.Base(name), func(t *testing.T) {
			var src string
			if name == "gen.wf" {
				src = wfgen.Program(2000)
			} else {
				b, err := os.ReadFile(name)
				if err != nil {
					t.Fatal(err)
				}
				src = string(b)
			}
			f, _ := ParseFile(name, src)
			checkSpans(t, src, f)
		})
	}
}

// checkSpans fails unless every node under f has a well-formed span.
func checkSpans(t testing.TB, src string, f *ast.File) {
	t.Helper()
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		n++
		start, end := node.Start(), node.End()
		where := fmt.Sprintf("%T at %s-%d:%d", node, start, end.Line, end.Column)
		if msg := checkPos(src, start); msg != "" {
			t.Errorf("%s: start: %s", where, msg)
			return false
		}
		if msg := checkPos(src, end); msg != "" {
			t.Errorf("%s: end: %s", where, msg)
			return false
		}
		if start.Filename != f.Name || end.Filename != f.Name {
			t.Errorf("%s: file name %q, %q, not %q", where, start.Filename, end.Filename, f.Name)
		}
		if end.Offset < start.Offset {
			t.Errorf("%s: ends before it starts", where)
			return false
		}
		if _, ok := node.(*ast.File); !ok {
			if end.Offset == start.Offset {
				t.Errorf("%s: empty span", where)
			} else if _, part := node.(*ast.StringLit); part && src[start.Offset] != '"' {
				// Literal text of a template: spaces are part of it.
			} else if isSpace(src[start.Offset]) || isSpace(src[end.Offset-1]) {
				t.Errorf("%s: span %q starts or ends with whitespace", where, src[start.Offset:end.Offset])
			}
		}
		// Direct children lie inside the node.
		ast.Inspect(node, func(c ast.Node) bool {
			if c == node {
				return true
			}
			if c.Start().Offset < start.Offset || c.End().Offset > end.Offset {
				t.Errorf("%s: child %T at %s-%d:%d is outside it", where, c, c.Start(), c.End().Line, c.End().Column)
			}
			return false
		})
		return true
	})
	if n < 2 && strings.TrimSpace(src) != "" && len(f.Decls) > 0 {
		t.Errorf("Inspect visited %d nodes", n)
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// TestRecovery checks that parsing resumes at each declaration keyword at
// the start of a line after an error, keeping the good declarations.
func TestRecovery(t *testing.T) {
	src := `workflow a {
  set x =
}
object ok1 { x: string }
workflow b {
  stop
event ok2 on contact { y: number }
test "c" {
  expect
}
workflow ok3 { stop }
`
	f, diags := ParseFile("r.wf", src)
	var names []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.ObjectDecl:
			names = append(names, d.Name.Name)
		case *ast.EventDecl:
			names = append(names, d.Name.Name)
		case *ast.WorkflowDecl:
			names = append(names, d.Name.Name)
		}
	}
	// Workflow a is kept: its broken step is skipped. Workflow b is
	// cut short by the next declaration, and so left out.
	if diff := cmp.Diff([]string{"a", "ok1", "ok2", "ok3"}, names); diff != "" {
		t.Errorf("declarations kept (-want +got):\n%s", diff)
	}
	var lines []int
	for _, d := range diags {
		lines = append(lines, d.Pos.Line)
	}
	if diff := cmp.Diff([]int{3, 7, 10}, lines); diff != "" {
		t.Errorf("lines of the diagnostics (-want +got):\n%s\n%v", diff, diags)
	}
}

// TestUnindentedStatement checks that a test statement that starts a line
// with a declaration keyword does not cut its test block short.
func TestUnindentedStatement(t *testing.T) {
	src := "test \"t\" {\nevent form_submitted c1 { form_id: \"x\" } // a comment\nevent form_submitted c2\n}\n// after\nworkflow w { stop }\n"
	f, diags := ParseFile("u.wf", src)
	if len(diags) > 0 {
		t.Fatalf("unexpected diagnostics:\n%v", diags)
	}
	if len(f.Decls) != 2 {
		t.Fatalf("got %d declarations, want 2", len(f.Decls))
	}
	if n := len(f.Decls[0].(*ast.TestDecl).Stmts); n != 2 {
		t.Errorf("test block has %d statements, want 2", n)
	}
	var comments []string
	for _, c := range f.Comments {
		comments = append(comments, c.Value)
	}
	if diff := cmp.Diff([]string{"// a comment", "// after"}, comments); diff != "" {
		t.Errorf("comments (-want +got):\n%s", diff)
	}
}

func TestParseExpr(t *testing.T) {
	tests := []struct {
		src, want string
	}{
		{"a or b and not c", "(a or (b and (not c)))"},
		{"1 + 2 * 3 - 4 / 5 % 6", "((1 + (2 * 3)) - ((4 / 5) % 6))"},
		{"-a * -2", "((-a) * (-2))"},
		{"not a == b", "(not (a == b))"},
		{"x > 5 or empty", "((x > 5) or empty)"},
		{"a == 1 and x > 5 or empty", "((a == 1) and ((x > 5) or empty))"},
		{"a or x or empty", "((a or x) or empty)"},
		{"x not in [1, 2,]", "(x not in [1, 2])"},
		{"x is not empty and y is known", "((x is not empty) and (y is known))"},
		{"lower(email) ends_with \"@acme.com\"", `(lower(email) ends_with "@acme.com")`},
		{"renews_on - 7d < today", "((renews_on - 7d) < today)"},
		{"(a or b) and c", "(((a or b)) and c)"},
		{"max(1, len([]), f())", "max(1, len([]), f())"},
		{"company.industry contains \"tech\"", `(company.industry contains "tech")`},
		{"a matches \"^x\" or b starts_with \"y\"", `((a matches "^x") or (b starts_with "y"))`},
		{"2026-01-05T08:00:00Z + 1.5h", "(2026-01-05T08:00:00Z + 1.5h)"},
		{"true != false", "(true != false)"},
	}
	for _, tt := range tests {
		x, err := ParseExpr("x.wf", tt.src)
		if err != nil {
			t.Errorf("ParseExpr(%q): %v", tt.src, err)
			continue
		}
		if got := exprString(x); got != tt.want {
			t.Errorf("ParseExpr(%q) = %s, want %s", tt.src, got, tt.want)
		}
	}
	for _, src := range []string{"", "a <", "a < b < c", "(a", "[1, 2", "f(1,", "a is", "a.", "a b", "\"{{\"", "a == \"x\" or"} {
		if x, err := ParseExpr("x.wf", src); err == nil {
			t.Errorf("ParseExpr(%q) = %s, want an error", src, exprString(x))
		}
	}
}

// exprString renders an expression fully parenthesized.
func exprString(x ast.Expr) string {
	switch x := x.(type) {
	case *ast.Path:
		return x.String()
	case *ast.Call:
		var args []string
		for _, a := range x.Args {
			args = append(args, exprString(a))
		}
		return x.Fn.Name + "(" + strings.Join(args, ", ") + ")"
	case *ast.NumberLit:
		return x.Raw
	case *ast.StringLit:
		return strconv.Quote(x.Value)
	case *ast.BoolLit:
		return strconv.FormatBool(x.Value)
	case *ast.DurationLit:
		return x.Raw
	case *ast.DateTimeLit:
		return x.Raw
	case *ast.ListLit:
		var elems []string
		for _, e := range x.Elems {
			elems = append(elems, exprString(e))
		}
		return "[" + strings.Join(elems, ", ") + "]"
	case *ast.ParenExpr:
		return "(" + exprString(x.X) + ")"
	case *ast.UnaryExpr:
		if x.Op == "not" {
			return "(not " + exprString(x.X) + ")"
		}
		return "(" + x.Op + exprString(x.X) + ")"
	case *ast.BinaryExpr:
		return "(" + exprString(x.X) + " " + x.Op + " " + exprString(x.Y) + ")"
	case *ast.IsExpr:
		op := "is "
		if x.Not {
			op += "not "
		}
		if x.Known {
			op += "known"
		} else {
			op += "empty"
		}
		return "(" + exprString(x.X) + " " + op + ")"
	case *ast.OrEmpty:
		return "(" + exprString(x.X) + " or empty)"
	}
	return fmt.Sprintf("%T", x)
}

// FuzzParseFile checks that no input makes the parser panic, and that
// every diagnostic and every node of the tree has a sound position.
func FuzzParseFile(f *testing.F) {
	for _, pattern := range []string{"testdata/*.wf", "testdata/errors/*.wf"} {
		files, _ := filepath.Glob(pattern)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(string(b))
		}
	}
	f.Fuzz(func(t *testing.T, src string) {
		file, diags := ParseFile("fuzz.wf", src)
		checkDiagPositions(t, src, diags)
		checkSpans(t, src, file)
		if file.EndPos.Offset != len(src) {
			t.Errorf("file ends at %d, not %d", file.EndPos.Offset, len(src))
		}
	})
}

// TestLargeInputs parses inputs built to trigger quadratic behaviour or
// deep recursion; each must finish well within the time limit.
func TestLargeInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("slow")
	}
	const n = 5000
	inputs := map[string]string{
		"unindented statements": "test \"t\" {\n" + strings.Repeat("event e c1\n", n) + "}\n",
		"unclosed declarations": strings.Repeat("workflow a {\n", n),
		"misspelt keywords":     strings.Repeat("objet\n", n),
		"nested blocks":         "workflow w {\n" + strings.Repeat("if x {\n", n) + strings.Repeat("}\n", n) + "}\n",
		"long expression":       "workflow w {\n  set x = a" + strings.Repeat(" + a", 10*n) + "\n}\n",
		"nested parentheses":    "workflow w {\n  set x = " + strings.Repeat("(", n) + "a" + strings.Repeat(")", n) + "\n}\n",
		"many templates":        "workflow w {\n  set x = \"" + strings.Repeat("{{a}} ", n) + "\"\n}\n",
		"nested templates":      "workflow w {\n  set x = " + strings.Repeat("\"{{", 200) + "a" + strings.Repeat("}}\"", 200) + "\n}\n",
		"unterminated nesting":  "workflow w {\n  set x = " + strings.Repeat("\"{{ ", n) + "\n}\n",
		"broken nested blocks":  "workflow w {\n" + strings.Repeat("if x {\n  set = 1\n", n),
		"broken statements":     "workflow w {\n" + strings.Repeat("  set = 1\n  create deal { a: { b: , } }\n", n) + "}\n",
	}
	for name, src := range inputs {
		t.Run(name, func(t *testing.T) {
			done := make(chan diag.List)
			go func() {
				_, diags := ParseFile("big.wf", src)
				done <- diags
			}()
			select {
			case diags := <-done:
				checkDiagPositions(t, src, diags)
			case <-time.After(20 * time.Second):
				t.Fatal("parse takes too long")
			}
		})
	}
}

func TestFirstTerm(t *testing.T) {
	tests := map[string]string{
		`"}"`:                                   `"}"`,
		`":" TypeExpr "="`:                      `":"`,
		`Expr`:                                  "an expression",
		`Name ("," Name)*`:                      "a name",
		`<datetime>`:                            "a date and time such as 2026-01-05T08:00:00Z",
		`("js" | "go") Text?`:                   `"js" or "go"`,
		`("change" | "event" | "webhook") Name`: `"change", "event" or "webhook"`,
		`(")" | Text ((?= "," <string>) "," Text)* ","? ")")`: `")" or a string`,
		`"\")" Name`: `"\")"`,
	}
	for ebnf, want := range tests {
		if got := firstTerm(ebnf); got != want {
			t.Errorf("firstTerm(%q) = %q, want %q", ebnf, got, want)
		}
	}
}

// TestConcurrent parses from several goroutines at once, for the race
// detector: the parser shares its grammar and tables between parses.
func TestConcurrent(t *testing.T) {
	src, err := os.ReadFile("testdata/spec_examples.wf")
	if err != nil {
		t.Fatal(err)
	}
	want, _ := ParseFile("spec.wf", string(src))
	done := make(chan *ast.File)
	for range 4 {
		go func() {
			f, _ := ParseFile("spec.wf", string(src))
			done <- f
		}()
	}
	for range 4 {
		if diff := cmp.Diff(dump(t, want, nil), dump(t, <-done, nil)); diff != "" {
			t.Errorf("concurrent parse differs:\n%s", diff)
		}
	}
}

// TestStatementRecovery checks that a broken step, nested step or test
// statement is kept as an ast.Bad, and the rest of its declaration parsed.
func TestStatementRecovery(t *testing.T) {
	src := `workflow w {
  on contact
  set = 1
  if x {
    create deal { a: { b: } }
    set y = 2
  }
  stop
}
test "t" {
  upsert contact c1 { x: }
  expect c1.x == 1
}
workflow after { stop }
`
	f, diags := ParseFile("s.wf", src)
	var lines []int
	for _, d := range diags {
		lines = append(lines, d.Pos.Line)
	}
	if diff := cmp.Diff([]int{3, 5, 11}, lines); diff != "" {
		t.Errorf("lines of the diagnostics (-want +got):\n%s\n%v", diff, diags)
	}
	if len(f.Decls) != 3 {
		t.Fatalf("%d declarations, want 3", len(f.Decls))
	}
	kinds := func(n ast.Node) []string {
		var out []string
		switch n := n.(type) {
		case *ast.WorkflowDecl:
			for _, it := range n.Items {
				out = append(out, fmt.Sprintf("%T", it))
			}
		case *ast.Block:
			for _, st := range n.Steps {
				out = append(out, fmt.Sprintf("%T", st.Body))
			}
		case *ast.TestDecl:
			for _, s := range n.Stmts {
				out = append(out, fmt.Sprintf("%T", s))
			}
		}
		return out
	}
	w := f.Decls[0].(*ast.WorkflowDecl)
	if diff := cmp.Diff([]string{"*ast.OnSetting", "*ast.Bad", "*ast.Step", "*ast.Step"}, kinds(w)); diff != "" {
		t.Errorf("workflow items (-want +got):\n%s", diff)
	}
	if bad := w.Items[1]; bad.Start().Line != 3 || bad.Start().Column != 3 || bad.End().Line != 3 || bad.End().Column != 10 {
		t.Errorf("Bad item spans %v-%v, want 3:3-3:10", bad.Start(), bad.End())
	}
	then := w.Items[2].(*ast.Step).Body.(*ast.IfStep).Then
	if diff := cmp.Diff([]string{"*ast.Bad", "*ast.SetStep"}, kinds(then)); diff != "" {
		t.Errorf("steps of the block (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"*ast.Bad", "*ast.ExpectExpr"}, kinds(f.Decls[1])); diff != "" {
		t.Errorf("test statements (-want +got):\n%s", diff)
	}
	if w, ok := f.Decls[2].(*ast.WorkflowDecl); !ok || w.Name.Name != "after" {
		t.Errorf("last declaration %#v", f.Decls[2])
	}
	checkSpans(t, src, f)
}

// TestStatementRecoveryCutShort checks that a statement whose skip reaches
// the end of its declaration's tokens is not recovered from: the
// declaration is cut short (a missing "}"), and reported as before.
func TestStatementRecoveryCutShort(t *testing.T) {
	src := `workflow w {
  set = 1
  create deal { a: ,
workflow after { stop }
`
	f, diags := ParseFile("s.wf", src)
	if len(f.Decls) != 1 {
		t.Fatalf("%d declarations, want 1 (after)", len(f.Decls))
	}
	var lines []int
	for _, d := range diags {
		lines = append(lines, d.Pos.Line)
	}
	// The broken set is still reported, and then the create.
	if diff := cmp.Diff([]int{2, 3}, lines); diff != "" {
		t.Errorf("lines of the diagnostics (-want +got):\n%s\n%v", diff, diags)
	}
}
