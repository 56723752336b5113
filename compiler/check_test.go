package compiler

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/parser"
)

// errorComment is an expected diagnostic: `// ERROR "regexp"`, matched
// against the message and hint of a diagnostic reported on its line.
var errorComment = regexp.MustCompile(`ERROR "((?:[^"\\]|\\.)*)"`)

type expectation struct {
	line int
	re   *regexp.Regexp
	seen bool
}

// TestCheck compiles each file of testdata/check on its own and matches
// every diagnostic to exactly one ERROR comment on its line, and every
// ERROR comment to one diagnostic.
func TestCheck(t *testing.T) {
	names, err := filepath.Glob("testdata/check/*.wf")
	if err != nil || len(names) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := parser.ParseFile(name, string(src))
			prog, cdiags := Compile([]*ast.File{f})
			diags = append(diags, cdiags...)
			wants := expectations(t, string(src))
			if len(wants) == 0 {
				t.Fatal("the file expects no error")
			}
			if prog != nil {
				t.Error("Compile returned a program along with errors")
			}
			for _, d := range diags {
				if !match(wants, d) {
					t.Errorf("unexpected diagnostic %s [%s]", d, d.Code)
				}
				if d.Code == "" {
					t.Errorf("diagnostic without a code: %s", d)
				}
				if d.End.Offset < d.Pos.Offset || d.End.Line == 0 {
					t.Errorf("diagnostic with a bad range %v-%v: %s", d.Pos, d.End, d)
				}
			}
			for _, w := range wants {
				if !w.seen {
					t.Errorf("%s:%d: missing diagnostic matching %q", name, w.line, w.re)
				}
			}
		})
	}
}

func expectations(t *testing.T, src string) []*expectation {
	var wants []*expectation
	for i, line := range strings.Split(src, "\n") {
		for _, m := range errorComment.FindAllStringSubmatch(line, -1) {
			pat, err := strconv.Unquote(`"` + m[1] + `"`)
			if err != nil {
				t.Fatalf("line %d: bad ERROR comment: %v", i+1, err)
			}
			re, err := regexp.Compile(pat)
			if err != nil {
				t.Fatalf("line %d: bad ERROR pattern: %v", i+1, err)
			}
			wants = append(wants, &expectation{line: i + 1, re: re})
		}
	}
	return wants
}

// match marks the first unmatched expectation on d's line that matches it.
func match(wants []*expectation, d diag.Diagnostic) bool {
	text := d.Message
	if d.Hint != "" {
		text += " (" + d.Hint + ")"
	}
	for _, w := range wants {
		if !w.seen && w.line == d.Pos.Line && w.re.MatchString(text) {
			w.seen = true
			return true
		}
	}
	return false
}
