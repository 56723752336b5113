// Package errtest checks diagnostics against expectations written in the
// source, as go/types' tests do: a comment `// ERROR "regexp"` on a line
// expects a diagnostic reported on that line whose message (with its hint
// in parentheses) matches the regexp. `// ERROR col=9 "regexp"` also pins
// the column; the regexp may be a Go string in double quotes or backquotes,
// and several may follow one another on one line. Comments are found in
// the raw text, so one can follow an unterminated string.
//
// The parser's, the checker's and the conformance suite's error tests all
// use it, so adding an error test is adding two lines to a .wf file.
package errtest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wflang/wf/lang/diag"
)

var errorRE = regexp.MustCompile(`ERROR (?:col=(\d+) )?("(?:[^"\\]|\\.)*"|` + "`[^`]*`)")

// Want is one expected diagnostic.
type Want struct {
	Line, Col int // Col 0: any column
	RE        *regexp.Regexp
	matched   bool
}

// Parse returns the expectations written in src. A malformed ERROR comment
// fails the test.
func Parse(t testing.TB, name, src string) []*Want {
	t.Helper()
	var wants []*Want
	for i, line := range strings.Split(src, "\n") {
		_, comment, ok := strings.Cut(line, "// ERROR")
		if !ok {
			continue
		}
		for _, m := range errorRE.FindAllStringSubmatch("ERROR"+comment, -1) {
			pattern, err := strconv.Unquote(m[2])
			if err != nil {
				t.Fatalf("%s:%d: bad ERROR comment: %v", name, i+1, err)
			}
			re, err := regexp.Compile(pattern)
			if err != nil {
				t.Fatalf("%s:%d: bad ERROR pattern: %v", name, i+1, err)
			}
			w := &Want{Line: i + 1, RE: re}
			if m[1] != "" {
				w.Col, _ = strconv.Atoi(m[1])
			}
			wants = append(wants, w)
		}
	}
	return wants
}

// Check matches diags against the expectations written in src: every
// diagnostic must match exactly one expectation on its line, and every
// expectation one diagnostic. A file with no expectation fails: an error
// test that expects nothing tests nothing.
func Check(t testing.TB, name, src string, diags diag.List) {
	t.Helper()
	wants := Parse(t, name, src)
	if len(wants) == 0 {
		t.Fatalf("%s has no ERROR comments", name)
	}
diagnostics:
	for _, d := range diags {
		text := d.Message
		if d.Hint != "" {
			text += " (" + d.Hint + ")"
		}
		for _, w := range wants {
			if !w.matched && w.Line == d.Pos.Line && (w.Col == 0 || w.Col == d.Pos.Column) && w.RE.MatchString(text) {
				w.matched = true
				continue diagnostics
			}
		}
		t.Errorf("%s: unexpected diagnostic: %s", d.Pos, text)
	}
	for _, w := range wants {
		if !w.matched {
			where := fmt.Sprintf("%s:%d", name, w.Line)
			if w.Col != 0 {
				where += fmt.Sprintf(":%d", w.Col)
			}
			t.Errorf("%s: no diagnostic matches %q", where, w.RE)
		}
	}
	if t.Failed() {
		t.Logf("all diagnostics:\n%v", diags)
	}
}
