package parser

import (
	"errors"
	"math"
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
//	== != < <= > >= in, not in, contains, starts_with, ends_with, matches,
//	  is [not] known|empty: one per operand, they do not chain
//	+ -
//	* / %
//	- (prefix)
//	primary: literal, path, call, list, (expr)
//
// `or empty` after a comparison binds to that comparison: in
// `a == 1 and score > 5 or empty` it is `score > 5` that an empty score
// satisfies. After anything else it applies to all that precedes it at the
// `or` level, for the checker to judge.

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
		return nil, p.errorf(t, "expected an expression or \"empty\" after \"or\", found %s", describe(t))
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
	op := p.comparison()
	switch op {
	case "":
		return x, nil
	case "is":
		p.lex.Next()
		neg := false
		if p.isWord(p.peek(), "not") {
			p.lex.Next()
			neg = true
		}
		w := p.peek()
		if !p.isWord(w, "known") && !p.isWord(w, "empty") {
			return nil, p.errorf(w, "expected \"known\" or \"empty\" after %q, found %s", isText(neg), describe(w))
		}
		p.lex.Next()
		x = &ast.IsExpr{Span: ast.Span{Pos: x.Start(), EndPos: p.end()}, X: x, Not: neg, Known: w.Value == "known"}
	default:
		p.lex.Next()
		if op == "not in" {
			p.lex.Next()
		}
		if !p.startsOperand() {
			n := p.peek()
			return nil, p.errorf(n, "expected an expression after %q, found %s", op, describe(n))
		}
		y, err := p.additive()
		if err != nil {
			return nil, err
		}
		x = &ast.BinaryExpr{Span: ast.Span{Pos: x.Start(), EndPos: y.End()}, Op: op, OpPos: t.Pos, X: x, Y: y}
		// `score > 5 or empty` also holds when score has no value: the
		// `or empty` belongs to the comparison, not to a whole disjunction.
		if p.isWord(p.peek(), "or") {
			cp := p.lex.MakeCheckpoint()
			p.lex.Next()
			if p.isWord(p.peek(), "empty") {
				p.lex.Next()
				x = &ast.OrEmpty{Span: ast.Span{Pos: x.Start(), EndPos: p.end()}, X: x}
			} else {
				p.lex.LoadCheckpoint(cp)
			}
		}
	}
	if n := p.peek(); p.comparison() != "" {
		return nil, p.errorf(n, "comparisons do not chain: write %q between two comparisons", "and")
	}
	return x, nil
}

// comparison returns the comparison operator at the lexer, without
// consuming it: one of == != < <= > >= in contains starts_with ends_with
// matches, "not in", "is", or "" when there is none. A `not` not followed
// by `in` is no operator: it ends the expression.
func (p *exprParser) comparison() string {
	t := p.peek()
	switch {
	case t.Type == scanner.Punct:
		switch t.Value {
		case "==", "!=", "<", "<=", ">", ">=":
			return t.Value
		}
	case t.Type != scanner.Ident:
	case compareWords[t.Value] || t.Value == "is":
		return t.Value
	case t.Value == "not":
		cp := p.lex.MakeCheckpoint()
		p.lex.Next()
		in := p.isWord(p.peek(), "in")
		p.lex.LoadCheckpoint(cp)
		if in {
			return "not in"
		}
	}
	return ""
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
		if !p.startsOperand() {
			n := p.peek()
			return nil, p.errorf(n, "expected an expression after %q, found %s", t.Value, describe(n))
		}
		y, err := p.multiplicative()
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
			return nil, p.errorf(t, "number %s is out of range", t.Value)
		}
		return &ast.NumberLit{Span: span, Raw: t.Value, Value: v}, nil
	case scanner.Duration:
		d, err := ParseDuration(t.Value)
		if err != nil {
			return nil, p.errorf(t, "invalid duration %q: %v", t.Value, err)
		}
		return &ast.DurationLit{Span: span, Raw: t.Value, Value: d}, nil
	case scanner.DateTime:
		v, dateOnly, err := ParseDateTime(t.Value)
		if err != nil {
			return nil, p.errorf(t, "invalid date %q: write 2026-01-05 or 2026-01-05T08:00:00Z", t.Value)
		}
		return &ast.DateTimeLit{Span: span, Raw: t.Value, Value: v, DateOnly: dateOnly}, nil
	case scanner.String:
		return parseStringLit(t)
	case scanner.Ident:
		switch t.Value {
		case "true", "false":
			return &ast.BoolLit{Span: span, Value: t.Value == "true"}, nil
		}
		if p.isPunct(p.peek(), "(") {
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
		if c := p.peek(); p.isPunct(c, "(") {
			return nil, p.errorf(c, "%s is a property path, not a function: only stdlib functions such as lower(x) can be called", path)
		}
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
// ms, s, m, h, d (24 hours) or w (7 days). It fails on anything else, and
// on durations of 292 years or more.
func ParseDuration(s string) (time.Duration, error) {
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	n, err := strconv.ParseFloat(s[:i], 64)
	if err != nil {
		return 0, errors.New("not a number and a unit")
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
		return 0, errors.New("the unit is not one of ms, s, m, h, d, w")
	}
	d := n * float64(unit)
	if d >= math.MaxInt64 {
		return 0, errors.New("out of range")
	}
	return time.Duration(d), nil
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

func isText(neg bool) string {
	if neg {
		return "is not"
	}
	return "is"
}
