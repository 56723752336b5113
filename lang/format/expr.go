package format

import (
	"strconv"
	"strings"

	"github.com/wflang/wf/lang/ast"
)

// Precedence levels, lowest first, as the parser climbs them.
const (
	precOr      = 1
	precAnd     = 2
	precNot     = 3 // prefix not
	precCompare = 4 // comparisons and `is`; they do not chain
	precAdd     = 5
	precMul     = 6
	precNeg     = 7 // prefix -
	precPrimary = 8
)

func binaryPrec(op string) int {
	switch op {
	case "or":
		return precOr
	case "and":
		return precAnd
	case "+", "-":
		return precAdd
	case "*", "/", "%":
		return precMul
	}
	return precCompare
}

func prec(x ast.Expr) int {
	switch x := x.(type) {
	case *ast.BinaryExpr:
		return binaryPrec(x.Op)
	case *ast.UnaryExpr:
		if x.Op == "not" {
			return precNot
		}
		return precNeg
	case *ast.IsExpr:
		return precCompare
	case *ast.OrEmpty:
		if isComparison(x.X) {
			return precCompare
		}
		return precOr
	}
	return precPrimary
}

func isComparison(x ast.Expr) bool {
	b, ok := x.(*ast.BinaryExpr)
	return ok && binaryPrec(b.Op) == precCompare
}

// endsInComparison reports whether the last operand of x, at the `or`
// level, is a comparison: `or empty` after x would bind to it.
func endsInComparison(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.BinaryExpr:
		if binaryPrec(x.Op) == precCompare {
			return true
		}
		if x.Op == "or" || x.Op == "and" {
			return endsInComparison(x.Y)
		}
	case *ast.UnaryExpr:
		if x.Op == "not" {
			return endsInComparison(x.X)
		}
	}
	return false
}

// expr prints x, in parentheses when its precedence is below min (which
// happens only in trees built by hand: a parsed tree keeps its ParenExprs).
func (p *printer) expr(x ast.Expr, min int) {
	if prec(x) < min {
		p.tok("(", -1)
		p.expr(x, 0)
		p.tok(")", -1)
		return
	}
	switch x := x.(type) {
	case *ast.Path:
		parts := make([]string, len(x.Parts))
		for i, n := range x.Parts {
			parts[i] = n.Name
		}
		p.text(strings.Join(parts, "."), off(x), end(x))
	case *ast.Call:
		p.name(x.Fn)
		p.tok("(", p.after(end(x.Fn)))
		list(p, x.Args, func(a ast.Expr) { p.expr(a, 0) }, endNode)
		p.tok(")", p.before(end(x)))
	case *ast.NumberLit:
		p.text(x.Raw, off(x), end(x))
	case *ast.DurationLit:
		p.text(x.Raw, off(x), end(x))
	case *ast.DateTimeLit:
		p.text(x.Raw, off(x), end(x))
	case *ast.BoolLit:
		p.text(strconv.FormatBool(x.Value), off(x), end(x))
	case *ast.StringLit:
		if x.Parts != nil && off(x) < 0 {
			p.write(`"` + x.Value + `"`)
			return
		}
		p.str(x.Value, off(x), end(x))
	case *ast.ListLit:
		p.listLit(x)
	case *ast.ParenExpr:
		p.tok("(", off(x))
		p.expr(x.X, 0)
		p.tok(")", p.before(end(x)))
	case *ast.UnaryExpr:
		if x.Op == "not" {
			p.tok("not", off(x))
			p.sp()
			p.expr(x.X, precNot)
			return
		}
		p.tok(x.Op, off(x))
		if u, ok := x.X.(*ast.UnaryExpr); ok && u.Op == "-" {
			p.sp() // - -a, not --a
		}
		p.expr(x.X, precNeg)
	case *ast.BinaryExpr:
		bp := binaryPrec(x.Op)
		left, right := bp, bp+1
		if bp == precCompare {
			left, right = precAdd, precAdd
		}
		p.expr(x.X, left)
		p.sp()
		from := -1
		if x.OpPos.Line > 0 {
			from = x.OpPos.Offset
		}
		p.text(x.Op, from, off(x.Y))
		p.sp()
		p.expr(x.Y, right)
	case *ast.IsExpr:
		p.expr(x.X, precAdd)
		s := "is "
		if x.Not {
			s += "not "
		}
		if x.Known {
			s += "known"
		} else {
			s += "empty"
		}
		p.sp()
		p.text(s, p.after(end(x.X)), end(x))
	case *ast.OrEmpty:
		if isComparison(x.X) || !endsInComparison(x.X) {
			p.expr(x.X, precOr)
		} else {
			p.tok("(", -1)
			p.expr(x.X, 0)
			p.tok(")", -1)
		}
		p.sp()
		p.text("or empty", p.after(end(x.X)), end(x))
	}
}

// listLit prints `[a, b]`, or one element per line when a line comment
// lies inside it.
func (p *printer) listLit(x *ast.ListLit) {
	from, to := off(x), end(x)
	closeAt := p.before(to)
	if from < 0 || !p.hasComment(from, to, true) {
		p.tok("[", from)
		list(p, x.Elems, func(e ast.Expr) { p.expr(e, 0) }, endNode)
		p.tok("]", closeAt)
		return
	}
	p.tok("[", from)
	p.indent++
	p.newline()
	p.open = true
	for _, e := range x.Elems {
		p.expr(e, 0)
		p.tok(",", p.afterIs(end(e), ","))
		p.newline()
	}
	line := 0
	if i := p.index(closeAt); i < len(p.toks) {
		line = p.toks[i].line
	}
	p.flushBefore(closeAt, line)
	if !p.lineStart {
		p.newline()
	}
	p.indent--
	p.noBlank = true
	p.tok("]", closeAt)
}
