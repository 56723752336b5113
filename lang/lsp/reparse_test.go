package lsp

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/wflang/wf/internal/wfgen"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/parser"
)

// TestReparseMatchesFullParse applies random edits to a generated file and
// checks after each that the incremental parse equals a parse of the whole
// text: the same tree, positions included, comments and diagnostics.
func TestReparseMatchesFullParse(t *testing.T) {
	snippets := []string{"x", " ", "\n", "}", "{", "\"", "é", "😀", "workflow w {\n", "set score = 1\n",
		"// note\n", "  step zz: stop\n", "event", "test \"t\" {\n", "/*", "*/", "\n}\n", "scroe", "{{email}}"}
	r := rand.New(rand.NewPCG(9, 4))
	src := wfgen.Program(300)
	f, diags := parser.ParseFile("gen.wf", src)
	incremental := 0
	const edits = 600
	for i := range edits {
		s := r.IntN(len(src) + 1)
		for s < len(src) && !utf8.RuneStart(src[s]) {
			s--
		}
		e := s
		text := snippets[r.IntN(len(snippets))]
		switch r.IntN(3) {
		case 0: // delete
			e = min(len(src), s+r.IntN(20))
			text = ""
		case 1: // replace
			e = min(len(src), s+r.IntN(8))
		}
		for e < len(src) && !utf8.RuneStart(src[e]) {
			e++
		}
		old := src
		src = old[:s] + text + old[e:]
		got, ok := reparse(f, diags, old, src, s, e, text)
		if !ok {
			f, diags = parser.ParseFile("gen.wf", src)
			continue
		}
		incremental++
		diags = got
		want, wantDiags := parser.ParseFile("gen.wf", src)
		if d := cmp.Diff(want, f); d != "" {
			t.Fatalf("edit %d (%q at %d..%d): tree differs from a full parse (-full +incremental):\n%s", i, text, s, e, firstLines(d, 40))
		}
		if d := cmp.Diff(sortDiags(wantDiags), sortDiags(diags)); d != "" {
			t.Fatalf("edit %d (%q at %d..%d): diagnostics differ (-full +incremental):\n%s", i, text, s, e, d)
		}
	}
	if incremental < edits/2 {
		t.Errorf("only %d of %d edits were re-parsed incrementally", incremental, edits)
	}
	t.Logf("%d of %d edits re-parsed incrementally", incremental, edits)
}

func sortDiags(l diag.List) diag.List {
	l = slices.Clone(l)
	slices.SortStableFunc(l, func(a, b diag.Diagnostic) int {
		if a.Pos.Offset != b.Pos.Offset {
			return a.Pos.Offset - b.Pos.Offset
		}
		return strings.Compare(a.Message, b.Message)
	})
	return l
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], "…")
	}
	return strings.Join(lines, "\n")
}
