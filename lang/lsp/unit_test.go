package lsp

import (
	"strings"
	"testing"

	"github.com/alecthomas/participle/v2/lexer"
	"github.com/google/go-cmp/cmp"
	"go.lsp.dev/protocol"

	"github.com/wflang/wf/lang/parser"
)

func TestPositionConversion(t *testing.T) {
	// é is 2 bytes and 1 UTF-16 unit; 😀 is 4 bytes and 2 units; 中 3 bytes, 1 unit.
	src := "ab\né😀x\n中\n\nlast"
	x := newLineIndex(src)
	for _, tc := range []struct {
		off  int
		line int // 1-based, participle's
		col  int // 1-based runes
		want protocol.Position
	}{
		{0, 1, 1, protocol.Position{Line: 0, Character: 0}},
		{2, 1, 3, protocol.Position{Line: 0, Character: 2}},  // end of line 1
		{3, 2, 1, protocol.Position{Line: 1, Character: 0}},  // é
		{5, 2, 2, protocol.Position{Line: 1, Character: 1}},  // 😀
		{9, 2, 3, protocol.Position{Line: 1, Character: 3}},  // x
		{11, 3, 1, protocol.Position{Line: 2, Character: 0}}, // 中
		{14, 3, 2, protocol.Position{Line: 2, Character: 1}}, // end of line 3
		{16, 5, 1, protocol.Position{Line: 4, Character: 0}}, // last
		{20, 5, 5, protocol.Position{Line: 4, Character: 4}}, // end of file
	} {
		p := lexer.Position{Offset: tc.off, Line: tc.line, Column: tc.col}
		if got := x.fromAST(p); got != tc.want {
			t.Errorf("fromAST(%d:%d @%d) = %+v, want %+v", tc.line, tc.col, tc.off, got, tc.want)
		}
		if got := x.offset(tc.want); got != tc.off {
			t.Errorf("offset(%+v) = %d, want %d", tc.want, got, tc.off)
		}
		// A stale offset: line and column are used.
		p.Offset = -1
		if got := x.fromAST(p); got != tc.want {
			t.Errorf("fromAST(%d:%d, no offset) = %+v, want %+v", tc.line, tc.col, got, tc.want)
		}
	}
	// Clamping: past a line's end, past the last line; inside a surrogate pair.
	if got := x.offset(protocol.Position{Line: 0, Character: 40}); got != 2 {
		t.Errorf("offset past the end of a line = %d, want 2", got)
	}
	if got := x.offset(protocol.Position{Line: 9, Character: 0}); got != len(src) {
		t.Errorf("offset past the last line = %d, want %d", got, len(src))
	}
	if got := x.offset(protocol.Position{Line: 1, Character: 2}); got != 9 {
		t.Errorf("offset in the middle of 😀 = %d, want 9 (the next character)", got)
	}
	// A diagnostic range as the parser makes it, on a line with non-ASCII text.
	src2 := "workflow w {\n  notify \"ç😀\" \"m\" & x\n}\n"
	_, diags := parser.ParseFile("t.wf", src2)
	if len(diags) == 0 {
		t.Fatal("no syntax error")
	}
	r := newLineIndex(src2).rangeOf(diags[0].Pos, diags[0].End)
	amp := strings.Index(src2, "&")
	want := protocol.Range{Start: protocol.Position{Line: 1, Character: 19}, End: protocol.Position{Line: 1, Character: 20}}
	if p := posAt(src2, amp); p.Line != 1 || p.Character != 19 {
		t.Fatalf("the test's own count: %+v", p)
	}
	if r != want {
		t.Errorf("range of %v = %+v, want %+v", diags[0], r, want)
	}
}

func TestCompletionContext(t *testing.T) {
	const wf = `event form_submitted on contact {
  form_id: string
}

workflow w {
  on contact
  enroll when event form_submitted where |EVWHERE
  set |SET
  if score > 1 {
    |STEP
    create deal { dealname: "x", |CREATE }
  }
  |ITEM
  x = company.|DOT
  enroll in |ENROLLIN
  wait for event |WAITEV
  reenroll on change score, |REENROLL
  notify "a" "{{|TMPL" // not closed
  send email "welcome-1" // a comment |COMMENT
}

test "t" {
  upsert contact c1 { |UPSERT }
  event form_submitted c2 { form_id: "x" }
  |STMT
  expect c1.|RECORD
  expect enrolled c1 in |EXPECTIN
}

|TOP`
	markers := map[string]int{}
	var b strings.Builder
	for rest := wf; ; {
		i := strings.IndexByte(rest, '|')
		if i < 0 {
			b.WriteString(rest)
			break
		}
		b.WriteString(rest[:i])
		rest = rest[i+1:]
		j := 0
		for j < len(rest) && rest[j] >= 'A' && rest[j] <= 'Z' {
			j++
		}
		markers[rest[:j]] = b.Len()
		rest = rest[j:]
	}
	src := b.String()
	type want struct {
		kind      compKind
		object    string
		event     string
		qualifier []string
	}
	for name, w := range map[string]want{
		"EVWHERE":  {kind: compExpr, object: "contact", event: "form_submitted"},
		"SET":      {kind: compProp, object: "contact"},
		"STEP":     {kind: compStep, object: "contact"},
		"CREATE":   {kind: compProp, object: "deal"},
		"ITEM":     {kind: compItem, object: "contact"},
		"DOT":      {kind: compField, object: "contact", qualifier: []string{"company"}},
		"ENROLLIN": {kind: compWorkflowName, object: "contact"},
		"WAITEV":   {kind: compEventName, object: "contact"},
		"REENROLL": {kind: compProp, object: "contact"},
		"TMPL":     {kind: compNone},
		"COMMENT":  {kind: compNone},
		"UPSERT":   {kind: compProp, object: "contact"},
		"STMT":     {kind: compTestStmt},
		"RECORD":   {kind: compField, qualifier: []string{"c1"}},
		"EXPECTIN": {kind: compWorkflowName},
		"TOP":      {kind: compDecl},
	} {
		c := completionContext(src, markers[name])
		got := want{kind: c.kind, object: c.object, event: c.event, qualifier: c.qualifier}
		if d := cmp.Diff(w, got, cmp.AllowUnexported(want{})); d != "" {
			t.Errorf("%s: context (-want +got):\n%s", name, d)
		}
	}
	// The test's records are known to completion after a dot.
	c := completionContext(src, markers["RECORD"])
	if c.records["c1"] != "contact" || c.recordEvents["c2"] != "form_submitted" {
		t.Errorf("records %v, event records %v", c.records, c.recordEvents)
	}
}

func TestQuickFix(t *testing.T) {
	for hint, want := range map[string]string{
		"did you mean `score`?":    "score",
		`did you mean "workflow"?`: "workflow",
		"write `plan`":             "plan",
		"the workflow x that starts at line 3 is not complete; did you mean \"workflow\"?": "workflow",
		"as in `enroll every month on 1 at 09:00`":                                         "",
		"add a line such as `on contact`":                                                  "",
	} {
		got, ok := quickFix(hint)
		if got != want || ok != (want != "") {
			t.Errorf("quickFix(%q) = %q, %v; want %q", hint, got, ok, want)
		}
	}
}
