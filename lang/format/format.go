// Package format prints .wf syntax trees in wf's one canonical layout, the
// layout `wf fmt` writes and the language server's formatting applies.
//
// The layout: two spaces of indentation; one declaration, member, setting,
// step, arm, field or test statement per line; `{` on the line that opens a
// block and `} else {`; branch and split arms one per line with their `=>`
// aligned; blank lines between lines kept, at most one, and never right
// after `{` or before `}`. Expressions keep the parentheses the author
// wrote (and gain the ones precedence requires, for trees built by hand);
// strings are re-quoted canonically while the templates in them are kept
// as written; numbers, durations, dates, times and backtick code are kept
// as written. Every comment stays where it was: before the line it
// preceded, at the end of the line it ended, or between the tokens it sat
// between. Formatting is idempotent.
//
// Where the source leaves a choice, it decides: an object literal or a
// block of one simple step stays on one line when it was written on one
// line, and is one field or step per line otherwise.
//
// The package formats syntax only: it does not resolve names or check
// types, and it refuses a file with syntax errors rather than print part of
// it.
package format

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/parser"
	"github.com/wflang/wf/lang/scanner"
)

// Source parses src and returns it formatted. When src has syntax errors it
// returns nil and the diagnostics, a diag.List.
func Source(filename string, src []byte) ([]byte, error) {
	f, diags := parser.ParseFile(filename, string(src))
	if diags.HasErrors() {
		return nil, diags
	}
	return File(f), nil
}

// File returns the canonical text of a parsed file, with the comments of
// its source (f.Src). A tree built by hand, without source, prints without
// comments.
func File(f *ast.File) []byte {
	p := newPrinter(f.Src, len(f.Src))
	for _, d := range f.Decls {
		p.decl(d)
		p.newline()
	}
	p.flushBefore(len(f.Src)+1, 0)
	out := p.alignTrailing()
	for len(out) > 0 && out[len(out)-1] == '\n' {
		out = out[:len(out)-1]
	}
	if len(out) > 0 {
		out = append(out, '\n')
	}
	return out
}

// token is a token of the source that is neither whitespace nor a comment.
type token struct {
	off, end      int // byte offsets: first byte, one past the last
	line, endLine int // the lines of its first and last character
}

// comment is a comment of the source.
type comment struct {
	text          string // trailing blanks of a line comment removed
	off, end      int
	line, endLine int
	block         bool
}

// printer writes the canonical text. It is given, token by token, what to
// print and the source offset of the token it stands for (-1 for none);
// before each token it prints the comments that came before that token in
// the source.
type printer struct {
	src      string
	toks     []token
	comments []comment
	next     int // the next comment to print

	out       []byte
	indent    int
	lineStart bool // nothing printed yet on the current line
	space     bool // a space is due before the next token
	open      bool // at the start of a block or of the file: no blank line
	noBlank   bool // the next line is a closing brace: no blank line
	trailing  []trailing
	last      int // index in toks of the last token printed, -1 for none
	lastLine  int // source line where the last token or comment printed ends
}

func newPrinter(src string, capacity int) *printer {
	p := &printer{src: src, lineStart: true, open: true, last: -1}
	p.out = make([]byte, 0, capacity+capacity/8)
	s := scanner.New("", src)
	for {
		t := s.Scan()
		if t.EOF() {
			break
		}
		end := t.Pos.Offset + len(t.Value)
		endLine := t.Pos.Line + strings.Count(t.Value, "\n")
		switch t.Type {
		case scanner.Whitespace:
		case scanner.Comment:
			c := comment{text: t.Value, off: t.Pos.Offset, end: end, line: t.Pos.Line, endLine: endLine}
			if strings.HasPrefix(t.Value, "/*") {
				c.block = true
			} else {
				c.text = strings.TrimRight(t.Value, " \t\r")
			}
			p.comments = append(p.comments, c)
		default:
			p.toks = append(p.toks, token{off: t.Pos.Offset, end: end, line: t.Pos.Line, endLine: endLine})
		}
	}
	return p
}

// ---- Source positions ----

// index returns the index of the first token at or after offset off.
func (p *printer) index(off int) int {
	return sort.Search(len(p.toks), func(i int) bool { return p.toks[i].off >= off })
}

// after returns the offset of the first token at or after off, or -1.
func (p *printer) after(off int) int {
	if off < 0 {
		return -1
	}
	if i := p.index(off); i < len(p.toks) {
		return p.toks[i].off
	}
	return -1
}

// before returns the offset of the last token that starts before off, or -1.
func (p *printer) before(off int) int {
	if off < 0 {
		return -1
	}
	if i := p.index(off); i > 0 {
		return p.toks[i-1].off
	}
	return -1
}

// afterIs returns the offset of the first token at or after off when its
// text is s, else -1.
func (p *printer) afterIs(off int, s string) int {
	if o := p.after(off); o >= 0 && strings.HasPrefix(p.src[o:], s) {
		return o
	}
	return -1
}

// hasComment reports whether a comment (a line comment, with lineOnly)
// lies within [from, to).
func (p *printer) hasComment(from, to int, lineOnly bool) bool {
	i := sort.Search(len(p.comments), func(i int) bool { return p.comments[i].off >= from })
	for ; i < len(p.comments) && p.comments[i].off < to; i++ {
		if !lineOnly || !p.comments[i].block {
			return true
		}
	}
	return false
}

func off(n ast.Node) int {
	if n == nil || n.Start().Line == 0 {
		return -1
	}
	return n.Start().Offset
}

func end(n ast.Node) int {
	if n == nil || n.End().Line == 0 {
		return -1
	}
	return n.End().Offset
}

// oneLine reports whether the node was written on one source line.
func oneLine(n ast.Node) bool { return n.Start().Line == n.End().Line }

// ---- Output ----

// sp asks for a space before the next token.
func (p *printer) sp() { p.space = true }

func (p *printer) writeIndent(n int) {
	for range n {
		p.out = append(p.out, "  "...)
	}
}

// write prints s at the current place, after the indentation or the space
// that is due.
func (p *printer) write(s string) {
	if p.lineStart {
		p.writeIndent(p.indent)
		p.lineStart = false
	} else if p.space {
		p.out = append(p.out, ' ')
	}
	p.space = false
	p.out = append(p.out, s...)
}

// tok prints s, which stands for the source token at offset at (-1: none).
func (p *printer) tok(s string, at int) { p.text(s, at, at+1) }

// text prints s, which stands for the source tokens in [from, to).
func (p *printer) text(s string, from, to int) {
	if from < 0 {
		p.write(s)
		p.noBlank = false
		return
	}
	i := p.index(from)
	line := 0
	if i < len(p.toks) {
		line = p.toks[i].line
	}
	p.flushBefore(from, line)
	if p.lineStart && !p.noBlank && !p.open && p.lastLine > 0 && line > p.lastLine+1 {
		p.out = append(p.out, '\n')
	}
	p.write(s)
	p.open, p.noBlank = false, false
	if j := p.index(to) - 1; j >= 0 && j >= i {
		p.last = j
		p.lastLine = p.toks[j].endLine
	}
}

// flushBefore prints the comments that start before offset at; line is
// the source line of the token at at. At the start of a line each comment
// gets a line of its own (a block comment followed by the token on its
// line stays before it); within a line, a block comment stays between the
// tokens around it and a line comment ends the line, which continues
// indented.
func (p *printer) flushBefore(at, line int) {
	for p.next < len(p.comments) && p.comments[p.next].off < at {
		c := p.comments[p.next]
		p.next++
		if p.lineStart {
			if !p.open && p.lastLine > 0 && c.line > p.lastLine+1 {
				p.out = append(p.out, '\n')
			}
			p.writeIndent(p.indent)
			p.out = append(p.out, c.text...)
			p.open = false
			p.lastLine = c.endLine
			if c.block && c.endLine == line {
				p.lineStart, p.space = false, true
				continue
			}
			p.out = append(p.out, '\n')
			continue
		}
		if n := len(p.out); p.space || n > 0 && p.out[n-1] != ' ' && p.out[n-1] != '(' && p.out[n-1] != '[' {
			p.out = append(p.out, ' ')
		}
		p.out = append(p.out, c.text...)
		p.lastLine = c.endLine
		p.space = true
		if !c.block {
			p.out = append(p.out, '\n')
			p.writeIndent(p.indent + 1)
			p.space = false
		}
	}
}

// skip marks the source token at offset at, which is not printed (a comma
// the layout drops), as printed, so that a comment after it still ends
// its line.
func (p *printer) skip(at int) {
	if at < 0 {
		return
	}
	if i := p.index(at); i < len(p.toks) {
		p.last, p.lastLine = i, p.toks[i].endLine
	}
}

// newline ends the current line, after the comments that follow its last
// token on the same source line.
func (p *printer) newline() {
	if p.lineStart {
		return
	}
	for p.next < len(p.comments) {
		c := p.comments[p.next]
		if c.line != p.lastLine || p.last >= 0 && p.last+1 < len(p.toks) && c.off > p.toks[p.last+1].off {
			break
		}
		p.next++
		if !c.block && !strings.Contains(string(p.out[p.lineAt():]), "\n") {
			p.trailing = append(p.trailing, trailing{line: p.lineAt(), code: len(p.out)})
		}
		p.out = append(p.out, ' ')
		p.out = append(p.out, c.text...)
		p.lastLine = c.endLine
	}
	p.out = append(p.out, '\n')
	p.lineStart, p.space = true, false
}

// openBrace prints the `{` at offset at and starts a block of lines.
func (p *printer) openBrace(at int) {
	p.sp()
	p.tok("{", at)
	p.indent++
	p.newline()
	p.open = true
}

// closeBrace ends a block of lines with the `}` at offset at, after the
// comments before it, indented as the block's lines.
func (p *printer) closeBrace(at int) {
	p.newline()
	line := 0
	if at >= 0 {
		if i := p.index(at); i < len(p.toks) {
			line = p.toks[i].line
		}
		p.flushBefore(at, line)
		if !p.lineStart {
			p.newline()
		}
	}
	p.indent--
	p.noBlank = true
	p.tok("}", at)
}

// closeOf returns the offset of the `}` that ends node n.
func (p *printer) closeOf(n ast.Node) int { return p.before(end(n)) }

// name prints an identifier.
func (p *printer) name(n *ast.Name) { p.text(n.Name, off(n), end(n)) }

// kw prints keyword w, the first token at or after offset from, with a
// space before it, and returns the offset after it.
func (p *printer) kw(w string, from int) int {
	at := p.after(from)
	p.sp()
	p.tok(w, at)
	if at < 0 {
		return -1
	}
	return at + len(w)
}

// kws prints a run of keywords from offset from.
func (p *printer) kws(from int, words ...string) int {
	for _, w := range words {
		from = p.kw(w, from)
	}
	return from
}

// str prints the string literal at [from, to), or value quoted when there
// is no source.
func (p *printer) str(value string, from, to int) {
	s := strconv.Quote(value)
	if from >= 0 && to > from && p.src[from] == '"' {
		s = requote(p.src[from:to])
	}
	p.text(s, from, to)
}

// requote returns the canonical form of the string literal raw: its text
// quoted by strconv.Quote, the templates in it as written. Text next to a
// brace is left as written, so that no template appears or disappears.
func requote(raw string) string {
	if !strings.Contains(raw, "{{") {
		v, err := strconv.Unquote(raw)
		if err != nil {
			return raw
		}
		q := strconv.Quote(v)
		if strings.Contains(q, "{{") {
			return raw
		}
		return q
	}
	var b strings.Builder
	b.WriteByte('"')
	body := raw[1 : len(raw)-1]
	for body != "" {
		i := strings.Index(body, "{{")
		if i < 0 {
			i = len(body)
		}
		if i > 0 {
			lit := body[:i]
			v, err := strconv.Unquote(`"` + lit + `"`)
			if err != nil || strings.ContainsAny(v, "{}") || strings.HasSuffix(lit, "{") {
				b.WriteString(lit)
			} else {
				q := strconv.Quote(v)
				b.WriteString(q[1 : len(q)-1])
			}
			body = body[i:]
			continue
		}
		j, ok := scanner.TemplateEnd(body, 2)
		if !ok {
			return raw
		}
		b.WriteString(body[:j])
		body = body[j:]
	}
	b.WriteByte('"')
	return b.String()
}

// textLit prints a plain string literal.
func (p *printer) textLit(t *ast.Text) { p.str(string(t.Value), off(t), end(t)) }

// timeOfDay prints a time of day as written.
func (p *printer) timeOfDay(t *ast.TimeOfDay) { p.text(t.Text, off(t), end(t)) }

// propPath prints a property path written as a target.
func (p *printer) propPath(t *ast.PropPath) {
	p.text(strings.Join(t.Parts, "."), off(t), end(t))
}

// recordRef prints a record id: bare when written as a name, else quoted.
func (p *printer) recordRef(r *ast.RecordRef) {
	from, to := off(r), end(r)
	if from >= 0 && p.src[from] != '"' || from < 0 && isIdent(string(r.ID)) {
		p.text(string(r.ID), from, to)
		return
	}
	p.str(string(r.ID), from, to)
}

func isIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// list prints items separated by ", ", using the source's commas.
func list[T any](p *printer, items []T, each func(T), endOf func(T) int) {
	for i, it := range items {
		if i > 0 {
			p.tok(",", p.afterIs(endOf(items[i-1]), ","))
			p.sp()
		}
		each(it)
	}
}

func endNode[T ast.Node](n T) int { return end(n) }

// shift returns offset at moved by n, or -1 when at is -1.
func shift(at, n int) int {
	if at < 0 {
		return -1
	}
	return at + n
}

// trailing is a line comment that ends a line of code: the offsets in the
// output of the line's start and of the end of its code.
type trailing struct{ line, code int }

// lineAt returns the output offset where the current line starts.
func (p *printer) lineAt() int {
	return bytes.LastIndexByte(p.out, '\n') + 1
}

// alignTrailing returns the output with the line comments that end
// consecutive lines of the same indentation aligned one space after the
// longest line of code, as gofmt aligns them.
func (p *printer) alignTrailing() []byte {
	if len(p.trailing) < 2 {
		return p.out
	}
	out := make([]byte, 0, len(p.out)+len(p.out)/16)
	copied := 0
	for i := 0; i < len(p.trailing); {
		j := i + 1
		for j < len(p.trailing) && p.nextLine(p.trailing[j-1]) == p.trailing[j].line &&
			p.indentOf(p.trailing[j].line) == p.indentOf(p.trailing[i].line) {
			j++
		}
		w := 0
		for _, t := range p.trailing[i:j] {
			w = max(w, utf8.RuneCount(p.out[t.line:t.code]))
		}
		for _, t := range p.trailing[i:j] {
			out = append(out, p.out[copied:t.code]...)
			for range w - utf8.RuneCount(p.out[t.line:t.code]) {
				out = append(out, ' ')
			}
			copied = t.code
		}
		i = j
	}
	return append(out, p.out[copied:]...)
}

// nextLine returns the output offset of the line after t's.
func (p *printer) nextLine(t trailing) int {
	return t.code + bytes.IndexByte(p.out[t.code:], '\n') + 1
}

func (p *printer) indentOf(line int) int {
	n := 0
	for line+n < len(p.out) && p.out[line+n] == ' ' {
		n++
	}
	return n
}
