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
	span := ast.Span{Pos: t.Pos, EndPos: end}
	val, err := strconv.Unquote(raw)
	if err != nil {
		return nil, participle.Errorf(t.Pos, "invalid string literal %s: %v", raw, err)
	}
	lit := &ast.StringLit{Span: span, Value: val}
	if !strings.Contains(raw, "{{") {
		return lit, nil
	}
	body := raw[1 : len(raw)-1]
	pos := t.Pos
	pos.Advance(`"`)
	for body != "" {
		i := strings.Index(body, "{{")
		if i < 0 {
			i = len(body)
		}
		if i > 0 {
			text, err := strconv.Unquote(`"` + body[:i] + `"`)
			if err != nil {
				return nil, participle.Errorf(pos, "invalid string literal: %v", err)
			}
			start := pos
			pos.Advance(body[:i])
			lit.Parts = append(lit.Parts, &ast.StringLit{Span: ast.Span{Pos: start, EndPos: pos}, Value: text})
			body = body[i:]
			continue
		}
		j := strings.Index(body, "}}")
		if j < 0 {
			return nil, participle.Errorf(pos, "template \"{{\" is not closed with \"}}\"")
		}
		inner := body[2:j]
		innerPos := pos
		innerPos.Advance("{{")
		x, err := parseTemplateExpr(innerPos, inner)
		if err != nil {
			return nil, err
		}
		lit.Parts = append(lit.Parts, x)
		pos.Advance(body[:j+2])
		body = body[j+2:]
	}
	return lit, nil
}

// parseTemplateExpr parses the text between {{ and }} as one expression.
func parseTemplateExpr(base lexer.Position, src string) (ast.Expr, error) {
	toks := scanner.Tokens(base.Filename, src)
	for i := range toks {
		p := toks[i].Pos
		toks[i].Pos = base
		toks[i].Pos.Advance(src[:p.Offset])
	}
	lex, err := lexer.Upgrade(&sliceLexer{toks: toks}, scanner.Whitespace, scanner.Comment)
	if err != nil {
		return nil, err
	}
	p := exprParser{lex: lex}
	if !p.startsOperand() {
		return nil, participle.Errorf(base, "empty template: write an expression between {{ and }}")
	}
	x, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := lex.Peek(); !t.EOF() {
		return nil, participle.Errorf(t.Pos, "unexpected %s in template", describe(t))
	}
	return x, nil
}

// sliceLexer replays scanned tokens.
type sliceLexer struct {
	toks []lexer.Token
	i    int
}

func (l *sliceLexer) Next() (lexer.Token, error) {
	t := l.toks[l.i]
	if !t.EOF() {
		l.i++
	}
	return t, nil
}
