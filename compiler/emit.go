package compiler

import (
	"slices"
	"strconv"
	"strings"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/value"
)

// ---- pools: each entry is added once and found again by its key ----

func (c *compiler) constIndex(v value.Value) int {
	if i, ok := c.consts[v]; ok {
		return i
	}
	i := len(c.prog.Consts)
	c.prog.Consts = append(c.prog.Consts, v)
	c.consts[v] = i
	return i
}

func (c *compiler) listIndex(vs []value.Value) int {
	var key strings.Builder
	for _, v := range vs {
		key.WriteByte(byte(v.K))
		key.WriteString(strconv.FormatFloat(v.N, 'g', -1, 64))
		key.WriteByte(0)
		key.WriteString(v.S)
		key.WriteByte(0)
	}
	if i, ok := c.lists[key.String()]; ok {
		return i
	}
	i := len(c.prog.Lists)
	c.prog.Lists = append(c.prog.Lists, slices.Clone(vs))
	c.lists[key.String()] = i
	return i
}

func (c *compiler) regexpIndex(pattern string) int {
	return intern(c.regexps, &c.prog.Regexps, pattern, pattern)
}

func (c *compiler) funcIndex(name string) int { return intern(c.funcs, &c.prog.Funcs, name, name) }

func (c *compiler) pathIndex(p bytecode.AssocPath) int { return intern(c.paths, &c.prog.Paths, p, p) }

func (c *compiler) refIndex(r bytecode.RecordRef) int { return intern(c.refs, &c.prog.Refs, r, r) }

func (c *compiler) outputIndex(name string, path []string) int {
	key := name + "\x00" + strings.Join(path, "\x00")
	return intern(c.outputs, &c.prog.Outputs, key, bytecode.OutputPath{Name: name, Path: path})
}

func intern[K comparable, V any](index map[K]int, pool *[]V, key K, v V) int {
	if i, ok := index[key]; ok {
		return i
	}
	i := len(*pool)
	*pool = append(*pool, v)
	index[key] = i
	return i
}

// ---- expressions ----

// exprIndex checks an expression, emits it and returns its Exprs index.
func (c *compiler) exprIndex(s *scope, e ast.Expr) int {
	return c.emitExpr(e, c.expr(s, e))
}

// cond checks and emits a condition, which must be a bool.
func (c *compiler) cond(s *scope, e ast.Expr, what string) int {
	x := c.expr(s, e)
	if !x.bad && x.typ.Kind != value.TBool && x.typ.Kind != value.TAny {
		c.errorf(e, "not-bool", "%s must be a bool condition, not %s", what, typeName(x.typ))
	}
	return c.emitExpr(e, x)
}

// emitExpr appends x's code and its Exprs entry; n gives the position and
// source text.
func (c *compiler) emitExpr(n ast.Node, x *texpr) int {
	return c.emitExprText(x, c.text(n), n.Start())
}

// emitExprText is emitExpr for an expression with no node of its own.
func (c *compiler) emitExprText(x *texpr, text string, pos ast.Position) int {
	start := len(c.prog.Code)
	var reads []int
	assoc := false
	c.emit(x, &reads, &assoc)
	end := len(c.prog.Code)
	depth, maxDepth := 0, 0
	for _, in := range c.prog.Code[start:end] {
		depth += bytecode.StackEffect(in)
		maxDepth = max(maxDepth, depth)
	}
	if maxDepth > bytecode.MaxStack {
		c.diags.Errorf(pos, pos, "too-complex", "expression is too complex: it needs %d stack slots; the limit is %d", maxDepth, bytecode.MaxStack).Hint = "split it over several steps or properties"
	}
	slices.Sort(reads)
	reads = slices.Compact(reads)
	t := x.typ
	if len(t.Options) > 0 {
		t.Options = slices.Clone(t.Options)
	}
	c.prog.Exprs = append(c.prog.Exprs, bytecode.Expr{
		Start: start, End: end, MaxStack: maxDepth, Type: t, Reads: reads, ReadsAssoc: assoc,
		Text: text, Line: pos.Line, Col: pos.Column,
	})
	return len(c.prog.Exprs) - 1
}

func (c *compiler) emit(x *texpr, reads *[]int, assoc *bool) {
	code := &c.prog.Code
	switch x.kind {
	case kConst:
		*code = append(*code, bytecode.Make(bytecode.CONST, c.constIndex(x.val)))
	case kLoad:
		switch x.ins.Op() {
		case bytecode.PROP:
			*reads = append(*reads, x.ins.Arg())
		case bytecode.ASSOC:
			*assoc = true
		}
		*code = append(*code, x.ins)
	case kOp:
		for _, a := range x.args {
			c.emit(a, reads, assoc)
		}
		*code = append(*code, x.ins)
	case kAnd, kOr, kOrEmpty:
		c.emit(x.args[0], reads, assoc)
		jump := bytecode.ORJ
		if x.kind == kAnd {
			jump = bytecode.ANDJ
		}
		at := len(*code)
		*code = append(*code, bytecode.Make(jump, 0))
		c.emit(x.args[1], reads, assoc)
		if x.kind == kOrEmpty {
			*code = append(*code, bytecode.Make(bytecode.ISEMPTY, 0))
		}
		(*code)[at] = bytecode.Make(jump, len(*code))
	}
}
