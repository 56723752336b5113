package lsp

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/parser"
	"github.com/wflang/wf/lang/scanner"
)

// reparse updates the parse of a file after an edit, re-parsing only the
// declarations the edit touched (PARSING.md: one declaration takes well
// under a millisecond, a 2,000-line file tens of them).
//
// The parser cuts a file into chunks at declaration keywords in column 1
// and parses each on its own, so the stretch from the start of a
// column-1 declaration to the start of the next one parses the same alone
// as within the file. reparse picks the smallest such stretch around the
// edit, parses it (after as many newlines as precede it, so that lines and
// the line numbers in messages are the file's), moves the new nodes and
// diagnostics to the stretch's offset, moves the ones after it by the
// edit's length, and splices. It gives up (ok false), leaving the caller to
// parse the whole file, where the stretch might not parse as it would in
// the file: when the edit touches the keyword that starts the stretch, and
// when the stretch's last declaration runs into the next one (the parser
// then reads on through it, which a stretch cannot), and when a token
// being written (a block comment, a code literal) runs past the stretch.
//
// f and diags are the parse of old; the edit replaced old[s:e] with text,
// giving src. f is updated in place (the caller owns it); the returned
// list replaces diags.
func reparse(f *ast.File, diags diag.List, old, src string, s, e int, text string) (diag.List, bool) {
	b0, kwEnd, b1 := 0, 0, len(old)
	for _, d := range f.Decls {
		p := d.Start()
		if p.Column != 1 {
			continue
		}
		switch {
		case p.Offset <= s:
			b0 = p.Offset
			kwEnd = p.Offset + len(declKeyword(d))
		case p.Offset > e && p.Offset < b1:
			b1 = p.Offset
		}
	}
	if b0 > 0 && s <= kwEnd {
		return nil, false
	}
	delta := len(text) - (e - s)
	dLines := strings.Count(text, "\n") - strings.Count(old[s:e], "\n")
	end := b1 + delta // the stretch's end in src
	lines := strings.Count(src[:b0], "\n")
	if !tokenBoundary(src, lexer.Position{Offset: b0, Line: lines + 1, Column: 1}, end) {
		return nil, false
	}

	nf, nd := parser.ParseFile(f.Name, strings.Repeat("\n", lines)+src[b0:end])
	shift := b0 - lines // from the padded stretch's offsets to src's
	for _, d := range nd {
		if b1 < len(old) && d.Pos.Offset+shift >= end {
			return nil, false
		}
	}

	// Declarations.
	var decls []ast.Decl
	i := 0
	for ; i < len(f.Decls) && f.Decls[i].Start().Offset < b0; i++ {
		decls = append(decls, f.Decls[i])
	}
	for _, d := range nf.Decls {
		shiftNode(d, shift, 0)
		decls = append(decls, d)
	}
	for ; i < len(f.Decls); i++ {
		if d := f.Decls[i]; d.Start().Offset >= b1 {
			shiftNode(d, delta, dLines)
			decls = append(decls, d)
		}
	}
	f.Decls = decls

	// Comments.
	var comments []lexer.Token
	for _, c := range f.Comments {
		if c.Pos.Offset < b0 {
			comments = append(comments, c)
		}
	}
	for _, c := range nf.Comments {
		shiftPos(&c.Pos, shift, 0)
		comments = append(comments, c)
	}
	for _, c := range f.Comments {
		if c.Pos.Offset >= b1 {
			shiftPos(&c.Pos, delta, dLines)
			comments = append(comments, c)
		}
	}
	f.Comments = comments

	// Diagnostics: a diagnostic at b0 belongs to the declaration before the
	// stretch (it ran into the keyword at b0), one at b1 to the stretch.
	var out diag.List
	for _, d := range diags {
		switch off := d.Pos.Offset; {
		case off < b0 || off == b0 && b0 > 0:
			out = append(out, d)
		case off > b1:
			shiftPos(&d.Pos, delta, dLines)
			shiftPos(&d.End, delta, dLines)
			if dLines != 0 {
				d.Message, d.Hint = shiftLineRefs(d.Message, dLines), shiftLineRefs(d.Hint, dLines)
			}
			out = append(out, d)
		}
	}
	for _, d := range nd {
		shiftPos(&d.Pos, shift, 0)
		shiftPos(&d.End, shift, 0)
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b diag.Diagnostic) int { return a.Pos.Offset - b.Pos.Offset })

	f.Src = src
	if b1 == len(old) {
		f.EndPos = nf.EndPos
		shiftPos(&f.EndPos, shift, 0)
	} else {
		shiftPos(&f.EndPos, delta, dLines)
	}
	return out, true
}

// lineRef is how a syntax message names the line where the broken
// declaration starts ("the workflow x that starts at line 12 is not
// complete"): the declaration is the diagnostic's own, so its line moves
// with it.
var lineRef = regexp.MustCompile(`starts at line (\d+)`)

func shiftLineRefs(s string, dLines int) string {
	return lineRef.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(m[len("starts at line "):])
		return "starts at line " + strconv.Itoa(n+dLines)
	})
}

// tokenBoundary reports whether scanning src from start, a token
// boundary, meets one at end: no token (a block comment or a code literal
// being written) runs across it.
func tokenBoundary(src string, start lexer.Position, end int) bool {
	if end == len(src) {
		return true
	}
	sc := scanner.NewAt(src, start)
	for {
		t := sc.Scan()
		if t.EOF() || t.Pos.Offset > end {
			return false
		}
		if t.Pos.Offset == end {
			return true
		}
	}
}

// declKeyword is the keyword a declaration starts with.
func declKeyword(d ast.Decl) string {
	switch d.(type) {
	case *ast.ObjectDecl:
		return "object"
	case *ast.ExtendDecl:
		return "extend"
	case *ast.EventDecl:
		return "event"
	case *ast.WebhookDecl:
		return "webhook"
	case *ast.WorkflowDecl:
		return "workflow"
	case *ast.TestDecl:
		return "test"
	}
	return ""
}

// shiftPos moves a position by a number of bytes and lines; its column
// stays, as reparse only moves whole lines. The zero Position (a node
// participle did not finish) stays zero.
func shiftPos(p *lexer.Position, dOff, dLines int) {
	if p.Line == 0 {
		return
	}
	p.Offset += dOff
	p.Line += dLines
}

var (
	spanType     = reflect.TypeFor[ast.Span]()
	positionType = reflect.TypeFor[ast.Position]()
)

// shiftNode moves every position in the tree rooted at n. Every node type
// embeds ast.Span; BinaryExpr also holds OpPos.
func shiftNode(n ast.Node, dOff, dLines int) {
	if dOff == 0 && dLines == 0 {
		return
	}
	ast.Inspect(n, func(n ast.Node) bool {
		v := reflect.ValueOf(n)
		if v.Kind() != reflect.Pointer {
			return true
		}
		v = v.Elem()
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			switch f.Type() {
			case spanType:
				sp := f.Addr().Interface().(*ast.Span)
				shiftPos(&sp.Pos, dOff, dLines)
				shiftPos(&sp.EndPos, dOff, dLines)
			case positionType:
				shiftPos(f.Addr().Interface().(*ast.Position), dOff, dLines)
			}
		}
		return true
	})
}
