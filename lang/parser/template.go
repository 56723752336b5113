package parser

import (
	"strconv"
	"strings"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/scanner"
)

// parseStringLit unquotes a string token and, when it holds `{{expr}}`
// templates, parses each expression with positions inside the file.
func parseStringLit(t *lexer.Token) (ast.Expr, error) {
	raw := t.Value
	end := t.Pos
	end.Advance(raw)
	lit := &ast.StringLit{Span: ast.Span{Pos: t.Pos, EndPos: end}}
	if !strings.Contains(raw, "{{") {
		val, err := strconv.Unquote(raw) // fails only on a bad escape
		if err != nil {
			return nil, participle.Errorf(t.Pos, "invalid string literal %s: bad escape sequence", raw)
		}
		lit.Value = val
		return lit, nil
	}
	body := raw[1 : len(raw)-1]
	pos := t.Pos
	pos.Advance(`"`)
	var value strings.Builder
	for body != "" {
		i := strings.Index(body, "{{")
		if i < 0 {
			i = len(body)
		}
		if i > 0 {
			text, err := strconv.Unquote(`"` + body[:i] + `"`)
			if err != nil {
				return nil, participle.Errorf(pos, "invalid string literal: bad escape sequence")
			}
			start := pos
			pos.Advance(body[:i])
			lit.Parts = append(lit.Parts, &ast.StringLit{Span: ast.Span{Pos: start, EndPos: pos}, Value: text})
			value.WriteString(text)
			body = body[i:]
			continue
		}
		j, ok := scanner.TemplateEnd(body, 2)
		if !ok {
			return nil, participle.Errorf(pos, `template "{{" is not closed with "}}"`)
		}
		innerPos := pos
		innerPos.Advance("{{")
		x, err := parseTemplateExpr(innerPos, body[2:j-2])
		if err != nil {
			return nil, err
		}
		lit.Parts = append(lit.Parts, x)
		value.WriteString(body[:j])
		pos.Advance(body[:j])
		body = body[j:]
	}
	lit.Value = value.String()
	return lit, nil
}

// parseTemplateExpr parses src, the text between {{ and }} that starts at
// base, as one expression.
func parseTemplateExpr(base lexer.Position, src string) (ast.Expr, error) {
	// Scan src from base's line and column, then move the offsets into
	// the file. The end of the template reads as "}}" in messages.
	s := scanner.NewAt(src, lexer.Position{Filename: base.Filename, Line: base.Line, Column: base.Column})
	var toks []lexer.Token
	for {
		t := s.Scan()
		t.Pos.Offset += base.Offset
		if t.EOF() {
			t.Value = "}}"
			toks = append(toks, t)
			break
		}
		toks = append(toks, t)
	}
	lex := newPeekingLexer(toks)
	p := exprParser{lex: lex}
	if t := lex.Peek(); t.EOF() {
		return nil, participle.Errorf(base, "empty template: write an expression between {{ and }}")
	}
	x, err := p.operand()
	if err != nil {
		return nil, err
	}
	if t := lex.Peek(); !t.EOF() {
		return nil, participle.Errorf(t.Pos, "unexpected %s in template", describe(t))
	}
	return x, nil
}
