package parser

import (
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/scanner"
)

// Expressions are parsed by precedence climbing rather than by participle:
// one struct per precedence level costs an allocation chain per operand
// (see shared/PARSING.md). Levels, lowest first:
//
//	or
//	and
//	not (prefix)
//	== != < <= > >= in, not in, contains, starts_with, ends_with, matches, is
//	+ -
//	* / %
//	- (prefix)
//	primary: literal, path, call, list, (expr)

// reserved words never start an operand, so an expression stops before them.
var reserved = map[string]bool{
	"and": true, "or": true, "in": true, "is": true, "contains": true,
	"starts_with": true, "ends_with": true, "matches": true, "else": true,
}

var compareWords = map[string]bool{
	"in": true, "contains": true, "starts_with": true, "ends_with": true, "matches": true,
}

type exprParser struct {
	lex *lexer.PeekingLexer
}

// parseExpr is the participle custom production for ast.Expr.
func parseExpr(lex *lexer.PeekingLexer) (ast.Expr, error) {
	p := exprParser{lex: lex}
	if !p.startsOperand() {
		return nil, participle.NextMatch
	}
	return p.or()
}

// end is the exclusive end of the last consumed token.
func (p *exprParser) end() ast.Position { return p.lex.RawPeek().Pos }

func (p *exprParser) peek() *lexer.Token { return p.lex.Peek() }

func (p *exprParser) isWord(t *lexer.Token, w string) bool {
	return t.Type == scanner.Ident && t.Value == w
}

func (p *exprParser) isPunct(t *lexer.Token, s string) bool {
	return t.Type == scanner.Punct && t.Value == s
}

// startsOperand reports whether the next token can begin an expression.
func (p *exprParser) startsOperand() bool {
	t := p.peek()
	switch t.Type {
	case scanner.Ident:
		return !reserved[t.Value]
	case scanner.Number, scanner.Duration, scanner.DateTime, scanner.String:
		return true
	case scanner.Punct:
		return t.Value == "(" || t.Value == "[" || t.Value == "-"
	}
	return false
}

func (p *exprParser) errorf(t *lexer.Token, format string, args ...any) error {
	return participle.Errorf(t.Pos, format, args...)
}

func describe(t *lexer.Token) string {
	switch {
	case t.EOF():
		return "end of file"
	case t.Type == scanner.Invalid:
		return invalidMessage(t)
	}
	return strconv.Quote(t.Value)
}

func (p *exprParser) operand() (ast.Expr, error) {
	if !p.startsOperand() {
		t := p.peek()
		return nil, p.errorf(t, "expected an expression, found %s", describe(t))
	}
	return p.or()
}

func (p *exprParser) or() (ast.Expr, error) {
	x, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord(p.peek(), "or") {
		opTok := p.lex.Next()
		if p.isWord(p.peek(), "empty") {
			p.lex.Next()
			x = &ast.OrEmpty{Span: ast.Span{Pos: x.Start(), EndPos: p.end()}, X: x}
			continue
		}
		y, err := p.andOperand()
		if err != nil {
			return nil, err
		}
		x = &ast.BinaryExpr{Span: ast.Span{Pos: x.Start(), EndPos: y.End()}, Op: "or", OpPos: opTok.Pos, X: x, Y: y}
	}
	return x, nil
}

func (p *exprParser) andOperand() (ast.Expr, error) {
	if !p.startsOperand() {
		t := p.peek()
		return nil, p.errorf(t, "expected an expression, found %s", describe(t))
	}
	return p.and()
}

func (p *exprParser) and() (ast.Expr, error) {
	x, err := p.not()
	if err != nil {
		return nil, err
	}
	for p.isWord(p.peek(), "and") {
		opTok := p.lex.Next()
		if !p.startsOperand() {
			t := p.peek()
			return nil, p.errorf(t, "expected an expression after \"and\", found %s", describe(t))
		}
		y, err := p.not()
		if err != nil {
			return nil, err
		}
		x = &ast.BinaryExpr{Span: ast.Span{Pos: x.Start(), EndPos: y.End()}, Op: "and", OpPos: opTok.Pos, X: x, Y: y}
	}
	return x, nil
}

func (p *exprParser) not() (ast.Expr, error) {
	if t := p.peek(); p.isWord(t, "not") {
		p.lex.Next()
		if !p.startsOperand() {
			n := p.peek()
			return nil, p.errorf(n, "expected an expression after \"not\", found %s", describe(n))
		}
		x, err := p.not()
		if err != nil {
			return nil, err
		}
		return &ast.UnaryExpr{Span: ast.Span{Pos: t.Pos, EndPos: x.End()}, Op: "not", X: x}, nil
	}
	return p.compare()
}

func (p *exprParser) compare() (ast.Expr, error) {
	x, err := p.additive()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	op := ""
	switch {
	case t.Type == scanner.Punct && (t.Value == "==" || t.Value == "!=" || t.Value == "<" ||
		t.Value == "<=" || t.Value == ">" || t.Value == ">="):
		op = t.Value
	case t.Type == scanner.Ident && compareWords[t.Value]:
		op = t.Value
	case p.isWord(t, "not"):
		// `x not in [...]`; a `not` here that is not followed by `in` ends the expression.
		cp := p.lex.MakeCheckpoint()
		p.lex.Next()
		if !p.isWord(p.peek(), "in") {
			p.lex.LoadCheckpoint(cp)
			return x, nil
		}
		op = "not in"
	case p.isWord(t, "is"):
		p.lex.Next()
		neg := false
		if p.isWord(p.peek(), "not") {
			p.lex.Next()
			neg = true
		}
		w := p.peek()
		if !p.isWord(w, "known") && !p.isWord(w, "empty") {
			return nil, p.errorf(w, "expected \"known\" or \"empty\" after \"is\", found %s", describe(w))
		}
		p.lex.Next()
		return &ast.IsExpr{Span: ast.Span{Pos: x.Start(), EndPos: p.end()}, X: x, Not: neg, Known: w.Value == "known"}, nil
	default:
		return x, nil
	}
	p.lex.Next()
	if !p.startsOperand() {
		n := p.peek()
		return nil, p.errorf(n, "expected an expression after %q, found %s", op, describe(n))
	}
	y, err := p.additive()
	if err != nil {
		return nil, err
	}
	return &ast.BinaryExpr{Span: ast.Span{Pos: x.Start(), EndPos: y.End()}, Op: op, OpPos: t.Pos, X: x, Y: y}, nil
}

func (p *exprParser) additive() (ast.Expr, error) {
	x, err := p.multiplicative()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if !p.isPunct(t, "+") && !p.isPunct(t, "-") {
			return x, nil
		}
		p.lex.Next()
		y, err := p.mustUnary(t.Value)
		if err != nil {
			return nil, err
		}
		x = &ast.BinaryExpr{Span: ast.Span{Pos: x.Start(), EndPos: y.End()}, Op: t.Value, OpPos: t.Pos, X: x, Y: y}
	}
}

func (p *exprParser) multiplicative() (ast.Expr, error) {
	x, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if !p.isPunct(t, "*") && !p.isPunct(t, "/") && !p.isPunct(t, "%") {
			return x, nil
		}
		// `25% =>` in a split arm is not a modulo.
		if t.Value == "%" {
			cp := p.lex.MakeCheckpoint()
			p.lex.Next()
			if p.isPunct(p.peek(), "=>") {
				p.lex.LoadCheckpoint(cp)
				return x, nil
			}
			p.lex.LoadCheckpoint(cp)
		}
		p.lex.Next()
		y, err := p.mustUnary(t.Value)
		if err != nil {
			return nil, err
		}
		x = &ast.BinaryExpr{Span: ast.Span{Pos: x.Start(), EndPos: y.End()}, Op: t.Value, OpPos: t.Pos, X: x, Y: y}
	}
}

func (p *exprParser) mustUnary(after string) (ast.Expr, error) {
	if !p.startsOperand() {
		n := p.peek()
		return nil, p.errorf(n, "expected an expression after %q, found %s", after, describe(n))
	}
	return p.unary()
}

func (p *exprParser) unary() (ast.Expr, error) {
	if t := p.peek(); p.isPunct(t, "-") {
		p.lex.Next()
		x, err := p.mustUnary("-")
		if err != nil {
			return nil, err
		}
		return &ast.UnaryExpr{Span: ast.Span{Pos: t.Pos, EndPos: x.End()}, Op: "-", X: x}, nil
	}
	return p.primary()
}

func (p *exprParser) primary() (ast.Expr, error) {
	t := p.lex.Next()
	span := ast.Span{Pos: t.Pos, EndPos: p.end()}
	switch t.Type {
	case scanner.Number:
		v, err := strconv.ParseFloat(t.Value, 64)
		if err != nil {
			return nil, p.errorf(t, "invalid number %s", t.Value)
		}
		return &ast.NumberLit{Span: span, Raw: t.Value, Value: v}, nil
	case scanner.Duration:
		d, err := ParseDuration(t.Value)
		if err != nil {
			return nil, p.errorf(t, "%v", err)
		}
		return &ast.DurationLit{Span: span, Raw: t.Value, Value: d}, nil
	case scanner.DateTime:
		v, dateOnly, err := ParseDateTime(t.Value)
		if err != nil {
			return nil, p.errorf(t, "invalid date/time %s: use 2026-01-05 or 2026-01-05T08:00:00Z", t.Value)
		}
		return &ast.DateTimeLit{Span: span, Raw: t.Value, Value: v, DateOnly: dateOnly}, nil
	case scanner.String:
		return parseStringLit(t)
	case scanner.Ident:
		switch t.Value {
		case "true", "false":
			return &ast.BoolLit{Span: span, Value: t.Value == "true"}, nil
		}
		if p.isPunct(p.peek(), "(") && p.lex.RawPeek() == p.peek() {
			return p.call(t)
		}
		path := &ast.Path{Parts: []*ast.Name{{Span: span, Name: t.Value}}}
		for p.isPunct(p.peek(), ".") {
			p.lex.Next()
			n := p.peek()
			if n.Type != scanner.Ident {
				return nil, p.errorf(n, "expected a name after \".\", found %s", describe(n))
			}
			p.lex.Next()
			path.Parts = append(path.Parts, &ast.Name{Span: ast.Span{Pos: n.Pos, EndPos: p.end()}, Name: n.Value})
		}
		path.Span = ast.Span{Pos: t.Pos, EndPos: p.end()}
		return path, nil
	case scanner.Punct:
		switch t.Value {
		case "(":
			x, err := p.operand()
			if err != nil {
				return nil, err
			}
			if c := p.peek(); !p.isPunct(c, ")") {
				return nil, p.errorf(c, "expected \")\", found %s", describe(c))
			}
			p.lex.Next()
			return &ast.ParenExpr{Span: ast.Span{Pos: t.Pos, EndPos: p.end()}, X: x}, nil
		case "[":
			elems, err := p.list("]")
			if err != nil {
				return nil, err
			}
			return &ast.ListLit{Span: ast.Span{Pos: t.Pos, EndPos: p.end()}, Elems: elems}, nil
		}
	}
	return nil, p.errorf(t, "expected an expression, found %s", describe(t))
}

// list parses comma-separated expressions up to and including the closing
// token; a trailing comma is allowed.
func (p *exprParser) list(closing string) ([]ast.Expr, error) {
	var elems []ast.Expr
	for {
		if c := p.peek(); p.isPunct(c, closing) {
			p.lex.Next()
			return elems, nil
		}
		x, err := p.operand()
		if err != nil {
			return nil, err
		}
		elems = append(elems, x)
		c := p.peek()
		switch {
		case p.isPunct(c, ","):
			p.lex.Next()
		case p.isPunct(c, closing):
		default:
			return nil, p.errorf(c, "expected \",\" or %q, found %s", closing, describe(c))
		}
	}
}

func (p *exprParser) call(name *lexer.Token) (ast.Expr, error) {
	fn := &ast.Name{Span: ast.Span{Pos: name.Pos, EndPos: p.end()}, Name: name.Value}
	p.lex.Next() // (
	args, err := p.list(")")
	if err != nil {
		return nil, err
	}
	return &ast.Call{Span: ast.Span{Pos: name.Pos, EndPos: p.end()}, Fn: fn, Args: args}, nil
}

// ParseDuration parses a duration literal: a number and one of the units
// ms, s, m, h, d (24 hours) or w (7 days).
func ParseDuration(s string) (time.Duration, error) {
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, err
	}
	var unit time.Duration
	switch s[i:] {
	case "ms":
		unit = time.Millisecond
	case "s":
		unit = time.Second
	case "m":
		unit = time.Minute
	case "h":
		unit = time.Hour
	case "d":
		unit = 24 * time.Hour
	case "w":
		unit = 7 * 24 * time.Hour
	default:
		return 0, &strconv.NumError{Func: "duration", Num: s, Err: strconv.ErrSyntax}
	}
	return time.Duration(n * float64(unit)), nil
}

// ParseDateTime parses an RFC 3339 date-time or a plain date (UTC midnight).
func ParseDateTime(s string) (time.Time, bool, error) {
	if len(s) == 10 {
		t, err := time.Parse(time.DateOnly, s)
		return t, true, err
	}
	s = strings.ToUpper(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, false, nil
	}
	// Without a zone: UTC.
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, false, nil
		}
	}
	_, err := time.Parse(time.RFC3339, s)
	return time.Time{}, false, err
}
