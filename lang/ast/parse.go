package ast

import (
	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/lang/scanner"
)

// The leaf nodes below, one or a few tokens each, are the grammar's most
// frequent structs. They implement participle.Parseable: parsing them by
// hand spares each one participle's generic per-struct work (a dozen
// allocations for a single identifier), about a tenth of a parse. Like
// participle, each returns participle.NextMatch when the next token cannot
// start it, and sets its span: EndPos is the start of the raw token after
// its last one, which is whitespace or a comment when there is any.

// Parse implements participle.Parseable.
func (n *Name) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != scanner.Ident {
		return participle.NextMatch
	}
	lex.Next()
	n.Span = Span{Pos: t.Pos, EndPos: lex.RawPeek().Pos}
	n.Name = t.Value
	return nil
}

// Parse implements participle.Parseable.
func (p *PropPath) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != scanner.Ident {
		return participle.NextMatch
	}
	lex.Next()
	p.Parts = []string{t.Value}
	for n := lex.Peek(); n.Type == scanner.Punct && n.Value == "."; n = lex.Peek() {
		lex.Next()
		part := lex.Peek()
		if part.Type != scanner.Ident {
			return &participle.UnexpectedTokenError{Unexpected: *part, Expect: "Name"}
		}
		lex.Next()
		p.Parts = append(p.Parts, part.Value)
	}
	p.Span = Span{Pos: t.Pos, EndPos: lex.RawPeek().Pos}
	return nil
}

// Parse implements participle.Parseable.
func (x *Text) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != scanner.String {
		return participle.NextMatch
	}
	if err := x.Value.Capture([]string{t.Value}); err != nil {
		return participle.Errorf(t.Pos, "invalid string literal %s", t.Value)
	}
	lex.Next()
	x.Span = Span{Pos: t.Pos, EndPos: lex.RawPeek().Pos}
	return nil
}

// Parse implements participle.Parseable.
func (d *TimeOfDay) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != scanner.Time {
		return participle.NextMatch
	}
	lex.Next()
	d.Span = Span{Pos: t.Pos, EndPos: lex.RawPeek().Pos}
	d.Text = t.Value
	return nil
}

// Parse implements participle.Parseable.
func (r *RecordRef) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != scanner.Ident && t.Type != scanner.String {
		return participle.NextMatch
	}
	if err := r.ID.Capture([]string{t.Value}); err != nil {
		return participle.Errorf(t.Pos, "invalid string literal %s", t.Value)
	}
	lex.Next()
	r.Span = Span{Pos: t.Pos, EndPos: lex.RawPeek().Pos}
	return nil
}

// Parse implements participle.Parseable.
func (r *RawSource) Parse(lex *lexer.PeekingLexer) error {
	t := lex.Peek()
	if t.Type != scanner.RawString {
		return participle.NextMatch
	}
	lex.Next()
	r.Span = Span{Pos: t.Pos, EndPos: lex.RawPeek().Pos}
	r.Text = t.Value[1 : len(t.Value)-1]
	return nil
}

var (
	_ participle.Parseable = (*RawSource)(nil)
	_ participle.Parseable = (*Name)(nil)
	_ participle.Parseable = (*PropPath)(nil)
	_ participle.Parseable = (*Text)(nil)
	_ participle.Parseable = (*TimeOfDay)(nil)
	_ participle.Parseable = (*RecordRef)(nil)
)
