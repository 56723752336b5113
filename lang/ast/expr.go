package ast

import "time"

// Expr is an expression. Expressions are built by the precedence parser in
// package parser, which sets each node's span.
type Expr interface {
	Node
	exprNode()
}

// Path is a dotted name: `score`, `company.name`, `hook.body.tier`,
// `now`, `today`. The checker decides what each part refers to.
type Path struct {
	Span
	Parts []*Name
}

// Call is a stdlib function call: `lower(email)`.
type Call struct {
	Span
	Fn   *Name
	Args []Expr
}

// NumberLit is a number literal; Raw is its source text.
type NumberLit struct {
	Span
	Raw   string
	Value float64
}

// StringLit is a string literal. When the string holds `{{…}}` templates,
// Parts alternates literal text (*StringLit without Parts) and expressions.
type StringLit struct {
	Span
	Value string // the unquoted text, templates included verbatim
	Parts []Expr // nil when there is no template
}

// BoolLit is `true` or `false`.
type BoolLit struct {
	Span
	Value bool
}

// DurationLit is `30s`, `15m`, `2h`, `3d`, `1w`, `250ms`.
type DurationLit struct {
	Span
	Raw   string
	Value time.Duration
}

// DateTimeLit is `2026-01-05T08:00:00Z` or a date `2026-01-05` (DateOnly).
type DateTimeLit struct {
	Span
	Raw      string
	Value    time.Time
	DateOnly bool
}

// ListLit is `[a, b, c]`.
type ListLit struct {
	Span
	Elems []Expr
}

// ParenExpr is `(x)`.
type ParenExpr struct {
	Span
	X Expr
}

// UnaryExpr is `not x` or `-x`.
type UnaryExpr struct {
	Span
	Op string
	X  Expr
}

// BinaryExpr is `x op y`. Op is one of: or and == != < <= > >= in "not in"
// contains starts_with ends_with matches + - * / %.
type BinaryExpr struct {
	Span
	Op    string
	OpPos Position
	X, Y  Expr
}

// IsExpr is `x is known`, `x is empty`, `x is not empty`.
type IsExpr struct {
	Span
	X     Expr
	Not   bool
	Known bool // true for `is known`, false for `is empty`
}

// OrEmpty is `<comparison> or empty`: true also when the compared property
// has no value.
type OrEmpty struct {
	Span
	X Expr
}

func (*Path) exprNode()        {}
func (*Call) exprNode()        {}
func (*NumberLit) exprNode()   {}
func (*StringLit) exprNode()   {}
func (*BoolLit) exprNode()     {}
func (*DurationLit) exprNode() {}
func (*DateTimeLit) exprNode() {}
func (*ListLit) exprNode()     {}
func (*ParenExpr) exprNode()   {}
func (*UnaryExpr) exprNode()   {}
func (*BinaryExpr) exprNode()  {}
func (*IsExpr) exprNode()      {}
func (*OrEmpty) exprNode()     {}

// String returns the dotted path text.
func (p *Path) String() string {
	s := ""
	for i, n := range p.Parts {
		if i > 0 {
			s += "."
		}
		s += n.Name
	}
	return s
}
