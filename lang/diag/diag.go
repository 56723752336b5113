// Package diag holds the diagnostics that every stage of wf reports: a
// source range, a severity, a stable code, a message and an optional hint.
// A List collects them, sorts them by position and prints them as
// `file:line:col: message`, like go/scanner.ErrorList.
package diag

import (
	"fmt"
	"sort"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"
)

// Severity says whether a diagnostic stops compilation.
type Severity int

const (
	Error Severity = iota
	Warning
)

func (s Severity) String() string {
	if s == Warning {
		return "warning"
	}
	return "error"
}

// Diagnostic is one finding about the source.
type Diagnostic struct {
	Pos      lexer.Position // first character
	End      lexer.Position // just after the last character
	Severity Severity
	Code     string // stable identifier, e.g. "syntax", "unknown-property"
	Message  string
	Hint     string // a suggested fix, when one is obvious
}

// String formats the diagnostic as `file:line:col: message`, with the hint
// appended in parentheses.
func (d Diagnostic) String() string {
	var b strings.Builder
	b.WriteString(d.Pos.String())
	b.WriteString(": ")
	if d.Severity == Warning {
		b.WriteString("warning: ")
	}
	b.WriteString(d.Message)
	if d.Hint != "" {
		b.WriteString(" (")
		b.WriteString(d.Hint)
		b.WriteString(")")
	}
	return b.String()
}

// List is a list of diagnostics. The zero value is ready to use.
type List []Diagnostic

// Add appends a diagnostic.
func (l *List) Add(d Diagnostic) { *l = append(*l, d) }

// Errorf appends an error with a code over the range [pos, end).
func (l *List) Errorf(pos, end lexer.Position, code, format string, args ...any) *Diagnostic {
	*l = append(*l, Diagnostic{Pos: pos, End: end, Code: code, Message: fmt.Sprintf(format, args...)})
	return &(*l)[len(*l)-1]
}

// Warnf appends a warning with a code over the range [pos, end).
func (l *List) Warnf(pos, end lexer.Position, code, format string, args ...any) *Diagnostic {
	*l = append(*l, Diagnostic{Pos: pos, End: end, Severity: Warning, Code: code, Message: fmt.Sprintf(format, args...)})
	return &(*l)[len(*l)-1]
}

// HasErrors reports whether the list holds an error (not only warnings).
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Sort orders the list by file, then offset, then message, and drops exact
// duplicates.
func (l *List) Sort() {
	s := *l
	sort.SliceStable(s, func(i, j int) bool {
		a, b := s[i], s[j]
		if a.Pos.Filename != b.Pos.Filename {
			return a.Pos.Filename < b.Pos.Filename
		}
		if a.Pos.Offset != b.Pos.Offset {
			return a.Pos.Offset < b.Pos.Offset
		}
		return a.Message < b.Message
	})
	out := s[:0]
	for i, d := range s {
		if i > 0 && d == out[len(out)-1] {
			continue
		}
		out = append(out, d)
	}
	*l = out
}

// Error implements error: every diagnostic on its own line.
func (l List) Error() string {
	var b strings.Builder
	for i, d := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// Err returns the list as an error if it holds any error, else nil.
func (l List) Err() error {
	if l.HasErrors() {
		return l
	}
	return nil
}
