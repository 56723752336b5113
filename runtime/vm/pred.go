package vm

import (
	"math"
	"regexp"
	"slices"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// Predicates.
//
// Most expressions a workflow evaluates are filters: `and`, `or` and `not`
// over comparisons of one property with a constant. On the operand stack
// such a comparison is three dispatches and three 32-byte copies (PROP,
// CONST, EQSTR), and each `and`/`or` one more dispatch that tests the value
// just pushed. New lowers every expression of that shape, once, into a
// predicate: a decision graph whose nodes are fused tests ("slot 3 equals
// the string k", "slot 5 is in this list of strings") that read the
// property in place, with the constant held in the node, and that go
// directly to the next test or to the answer. `and`/`or` chains become
// those edges (jump threading), so a predicate never touches the stack.
//
// The lowering keeps Eval's semantics exactly: it only accepts code whose
// value is always a canonical boolean (true or false, never empty or
// another kind), parses it back into the and/or/not tree the compiler
// emitted (a jump whose target is the end of a range splits it), fuses the
// leaf shapes below, and keeps any other leaf as a run of the ordinary
// stack machine over its code (tEval). Code it cannot parse stays on the
// stack machine whole. Eval runs predicates.

// testOp is what a predicate node checks of its operand x against its
// constant k.
type testOp uint8

const (
	tEval        testOp = iota // run Code[start:end] on the stack machine; true iff the result is true
	tTruthy                    // x is true
	tEmpty                     // x is empty
	tKnown                     // x is not empty
	tEQNUM                     // x and k numbers, x == k (likewise the four below)
	tLTNUM                     //
	tLENUM                     //
	tGTNUM                     //
	tGENUM                     //
	tEQSTR                     // x a string equal to k
	tNESTR                     // x a string other than k
	tEQ                        // value.Equal(x, k)
	tNE                        // value.NotEqual(x, k)
	tLT                        // value.Compare(x, k) < 0 (likewise the three below)
	tLE                        //
	tGT                        //
	tGE                        //
	tTimeLT                    // as tLT, for a datetime k that is not NaN (likewise the three below)
	tTimeLE                    //
	tTimeGT                    //
	tTimeGE                    //
	tNowLT                     // as tTimeLT against now + k.N milliseconds (false when Env.Now is zero)
	tNowLE                     //
	tNowGT                     //
	tNowGE                     //
	tContains                  // value.Contains(x, k): x contains k
	tNotContains               // value.NotContains(x, k)
	tIn                        // value.Contains(k, x): x in k
	tNotIn                     // value.NotContains(k, x)
	tStarts                    // x a string starting with the string k
	tEnds                      // x a string ending with the string k
	tInList                    // value.InList(x, list)
	tNotInList                 // value.NotInList(x, list)
	tInStrs                    // x a string in strs (INLIST over a list of strings)
	tNotInStrs                 // x known and not a string in strs
	tMatches                   // x a string matching re
)

// source says where a test's operand x is read.
type source uint8

const (
	srcNone  source = iota // tEval: no operand
	srcProp                // Env.Props[idx]
	srcEvent               // Env.Event[idx]
	srcAssoc               // Env.Resolver.Assoc(idx)
)

// Outcomes of a test that end the predicate, in test.next.
const (
	resFalse = -1
	resTrue  = -2
)

// test is one node of a predicate. The fields the common tests use come
// first and the rest are behind aux, to keep nodes small.
type test struct {
	op   testOp
	src  source
	idx  int32    // slot or path index of x; tEval: first instruction
	next [2]int32 // the node after a false ([0]) and a true ([1]) result, or resFalse / resTrue
	k    value.Value
	aux  *testAux
}

// testAux holds what the rarer tests need.
type testAux struct {
	end  int // tEval: one past the last instruction
	list []value.Value
	strs []string
	re   *regexp.Regexp
}

// empty is what a read of a missing slot sees. It is never written.
var empty value.Value

// equal is x == k, faster than the runtime's comparison for the short
// strings rules compare with: it tests the length and the bytes inline and
// calls the runtime only for longer strings.
func equal(x, k string) bool {
	if len(x) != len(k) {
		return false
	}
	if len(k) > 16 {
		return x == k
	}
	for i := 0; i < len(k); i++ {
		if x[i] != k[i] {
			return false
		}
	}
	return true
}

// read returns the operand of a test other than a present property.
func (vm *VM) read(t *test, env *Env) *value.Value {
	switch t.src {
	case srcEvent:
		if int(t.idx) < len(env.Event) {
			return &env.Event[t.idx]
		}
	case srcAssoc:
		if env.Resolver != nil {
			vm.assoc = env.Resolver.Assoc(int(t.idx))
			return &vm.assoc
		}
	}
	return &empty
}

// slowTest decides, for Eval's predicate loop, the tests it does not
// decide inline.
func (vm *VM) slowTest(t *test, x *value.Value, env *Env) bool {
	switch t.op {
	case tEval:
		return vm.run(int(t.idx), t.aux.end, env).Truthy()
	case tTruthy:
		return x.Truthy()
	case tEmpty:
		return x.K == value.Empty
	case tKnown:
		return x.K != value.Empty
	case tEQ:
		return value.Equal(*x, t.k)
	case tNE:
		return value.NotEqual(*x, t.k)
	case tLT, tLE, tGT, tGE:
		c, ok := value.Compare(*x, t.k)
		return ok && order(t.op-tLT, c)
	case tNowLT, tNowLE, tNowGT, tNowGE:
		return !env.Now.IsZero() && timeOrder(t.op-tNowLT, x, float64(env.Now.UnixMilli())+t.k.N)
	case tContains:
		return value.Contains(*x, t.k)
	case tNotContains:
		return value.NotContains(*x, t.k)
	case tIn:
		return value.Contains(t.k, *x)
	case tNotIn:
		return value.NotContains(t.k, *x)
	case tInList:
		return value.InList(*x, t.aux.list)
	case tNotInList:
		return value.NotInList(*x, t.aux.list)
	case tNotInStrs:
		return x.K != value.Empty && !(x.K == value.String && slices.Contains(t.aux.strs, x.S))
	case tMatches:
		return x.K == value.String && t.aux.re.MatchString(x.S)
	}
	panic("vm: unknown predicate test")
}

// order reports whether c, a result of value.Compare, satisfies the
// ordering o (0: <, 1: <=, 2: >, 3: >=).
func order(o testOp, c int) bool {
	switch o {
	case 0:
		return c < 0
	case 1:
		return c <= 0
	case 2:
		return c > 0
	}
	return c >= 0
}

// timeOrder is value.Compare(x, k) followed by order o, for a datetime k
// (Unix milliseconds, not NaN). Like Compare, it checks a datetime x for
// NaN but not a date x, which it compares in milliseconds.
func timeOrder(o testOp, x *value.Value, k float64) bool {
	var m float64
	switch x.K {
	case value.DateTime:
		if math.IsNaN(x.N) {
			return false
		}
		m = x.N
	case value.Date:
		m = x.N * 86400000
	default:
		return false
	}
	switch o {
	case 0:
		return m < k
	case 1:
		return !(m > k)
	case 2:
		return m > k
	}
	return !(m < k)
}

// ---- lowering ----

// node is a predicate's and/or/not tree, parsed back from the code.
type node struct {
	op   bytecode.Op // ANDJ, ORJ, NOT; 0 for a leaf
	x, y *node
	leaf test
}

// lowerer turns expressions into predicates.
type lowerer struct {
	p       *bytecode.Program
	regexps []*regexp.Regexp
	tests   []test
}

// predicate returns the predicate of Program.Exprs[i], or nil when the
// expression does not have that shape.
func (l *lowerer) predicate(i int) []test {
	e := &l.p.Exprs[i]
	for _, in := range l.p.Code[e.Start:e.End] {
		if op := in.Op(); op == bytecode.JMP || op == bytecode.JMPF {
			return nil
		}
	}
	n, canon := l.parse(e.Start, e.End)
	if n == nil || !canon {
		return nil
	}
	l.tests = nil
	l.gen(n, resTrue, resFalse)
	// gen appends right to left, so the first test is the last appended:
	// reverse them into evaluation order.
	ts := l.tests
	last := int32(len(ts) - 1)
	slices.Reverse(ts)
	for j := range ts {
		for k, nx := range ts[j].next {
			if nx >= 0 {
				ts[j].next[k] = last - nx
			}
		}
	}
	return ts
}

// gen appends the tests of n, going on to t when n is true and to f when
// it is false, and returns the index of n's first test.
func (l *lowerer) gen(n *node, t, f int32) int32 {
	switch n.op {
	case bytecode.ANDJ:
		return l.gen(n.x, l.gen(n.y, t, f), f)
	case bytecode.ORJ:
		return l.gen(n.x, t, l.gen(n.y, t, f))
	case bytecode.NOT:
		return l.gen(n.x, f, t)
	}
	lf := n.leaf
	lf.next = [2]int32{f, t}
	l.tests = append(l.tests, lf)
	return int32(len(l.tests) - 1)
}

// parse parses Code[s:e], which must compute one value, into a tree, and
// reports whether that value is always a canonical boolean. It returns nil
// for code it cannot parse.
func (l *lowerer) parse(s, e int) (*node, bool) {
	code := l.p.Code
	if s >= e {
		return nil, false
	}
	// `x and y` is x ANDJ(e) y, `x or y` is x ORJ(e) y. Jumps inside x
	// stay inside x, so the first jump to e is the one that splits.
	for j := s; j < e; j++ {
		op := code[j].Op()
		if (op == bytecode.ANDJ || op == bytecode.ORJ) && code[j].Arg() == e {
			x, xc := l.parse(s, j)
			y, yc := l.parse(j+1, e)
			if x == nil || y == nil {
				return nil, false
			}
			// ANDJ yields false or y; ORJ yields x when it is true, or y.
			canon := yc
			if op == bytecode.ORJ {
				canon = xc && yc
			}
			return &node{op: op, x: x, y: y}, canon
		}
	}
	switch code[e-1].Op() {
	case bytecode.NOT, bytecode.TOBOOL:
		x, _ := l.parse(s, e-1)
		if x == nil {
			return nil, false
		}
		if code[e-1].Op() == bytecode.TOBOOL {
			return x, true
		}
		return &node{op: bytecode.NOT, x: x}, true
	}
	if lf, ok := l.fuse(s, e); ok {
		return &node{leaf: lf}, lf.op != tTruthy
	}
	if !l.selfContained(s, e) || !isBoolOp(code[e-1].Op()) {
		return nil, false
	}
	return &node{leaf: test{op: tEval, idx: int32(s), aux: &testAux{end: e}}}, true
}

// selfContained reports whether Code[s:e] run on its own computes one
// value: it never takes more than it pushed and ends with one value, and
// its jumps land inside it or at its end. (predicate has already refused
// code with JMP or JMPF, whose paths this does not follow.)
func (l *lowerer) selfContained(s, e int) bool {
	depth := 0
	for pc := s; pc < e; pc++ {
		in := l.p.Code[pc]
		switch in.Op() {
		case bytecode.ANDJ, bytecode.ORJ:
			if in.Arg() <= pc || in.Arg() > e {
				return false
			}
		}
		if depth < bytecode.PopCount(in) {
			return false
		}
		depth += bytecode.StackEffect(in)
	}
	return depth == 1
}

// isBoolOp reports whether op always leaves true or false.
func isBoolOp(op bytecode.Op) bool {
	switch op {
	case bytecode.TOBOOL, bytecode.NOT, bytecode.EQ, bytecode.NE, bytecode.LT, bytecode.LE,
		bytecode.GT, bytecode.GE, bytecode.EQNUM, bytecode.LTNUM, bytecode.LENUM, bytecode.GTNUM,
		bytecode.GENUM, bytecode.EQSTR, bytecode.NESTR, bytecode.INLIST, bytecode.NOTINLIST,
		bytecode.IN, bytecode.NOTIN, bytecode.CONTAINS, bytecode.STARTS, bytecode.ENDS,
		bytecode.MATCHES, bytecode.ISEMPTY, bytecode.ISKNOWN:
		return true
	}
	return false
}

// operand is one side of a fusable comparison.
type operand struct {
	src source      // a read, or srcNone for a constant or now
	idx int32       // the read's slot or path
	k   value.Value // the constant
	now bool        // now + k.N milliseconds (k is a duration)
}

// operand parses the operand starting at Code[pc] and returns the index
// after it.
func (l *lowerer) operand(pc, e int) (operand, int, bool) {
	code := l.p.Code
	in := code[pc]
	switch in.Op() {
	case bytecode.PROP:
		return operand{src: srcProp, idx: int32(in.Arg())}, pc + 1, true
	case bytecode.EVENT:
		return operand{src: srcEvent, idx: int32(in.Arg())}, pc + 1, true
	case bytecode.ASSOC:
		return operand{src: srcAssoc, idx: int32(in.Arg())}, pc + 1, true
	case bytecode.CONST:
		return operand{k: l.p.Consts[in.Arg()]}, pc + 1, true
	case bytecode.NOW:
		o := operand{now: true, k: value.Value{K: value.Duration}}
		if pc+2 < e && code[pc+1].Op() == bytecode.CONST {
			d := l.p.Consts[code[pc+1].Arg()]
			switch code[pc+2].Op() {
			case bytecode.ADD, bytecode.SUB:
				// now ± d is now shifted by d when d is a duration.
				if d.K != value.Duration || math.IsNaN(d.N) {
					return operand{}, 0, false
				}
				o.k.N = d.N
				if code[pc+2].Op() == bytecode.SUB {
					o.k.N = -d.N
				}
				return o, pc + 3, true
			}
		}
		return o, pc + 1, true
	}
	return operand{}, 0, false
}

// swapped gives, for an ordering op, the op that tests the same with its
// operands exchanged.
var swapped = map[bytecode.Op]bytecode.Op{
	bytecode.LT: bytecode.GT, bytecode.LE: bytecode.GE, bytecode.GT: bytecode.LT, bytecode.GE: bytecode.LE,
	bytecode.LTNUM: bytecode.GTNUM, bytecode.LENUM: bytecode.GENUM, bytecode.GTNUM: bytecode.LTNUM, bytecode.GENUM: bytecode.LENUM,
}

// ordering maps the ordering ops to their offsets in the runs of test ops
// tLT.., tTimeLT.., tNowLT.. and tLTNUM...
var ordering = map[bytecode.Op]testOp{
	bytecode.LT: 0, bytecode.LE: 1, bytecode.GT: 2, bytecode.GE: 3,
	bytecode.LTNUM: 0, bytecode.LENUM: 1, bytecode.GTNUM: 2, bytecode.GENUM: 3,
}

// fuse recognises Code[s:e] as a single test of a read: the read alone
// (tested for truth), a unary test of it, or a comparison of it with a
// constant or with now ± a duration, in either order.
func (l *lowerer) fuse(s, e int) (test, bool) {
	code := l.p.Code
	x, pc, ok := l.operand(s, e)
	if !ok {
		return test{}, false
	}
	if x.src != srcNone {
		t := test{src: x.src, idx: x.idx}
		if pc == e {
			t.op = tTruthy
			return t, true
		}
		if pc == e-1 {
			in := code[pc]
			switch in.Op() {
			case bytecode.ISEMPTY:
				t.op = tEmpty
			case bytecode.ISKNOWN:
				t.op = tKnown
			case bytecode.MATCHES:
				t.op, t.aux = tMatches, &testAux{re: l.regexps[in.Arg()]}
			case bytecode.INLIST, bytecode.NOTINLIST:
				list := l.p.Lists[in.Arg()]
				t.op, t.aux = tInList, &testAux{list: list}
				if in.Op() == bytecode.NOTINLIST {
					t.op = tNotInList
				}
				if strs, ok := stringMembers(list); ok {
					t.op, t.aux = t.op+(tInStrs-tInList), &testAux{strs: strs}
				}
			default:
				return test{}, false
			}
			return t, true
		}
	}
	if pc >= e {
		return test{}, false
	}
	y, pc, ok := l.operand(pc, e)
	if !ok || pc != e-1 {
		return test{}, false
	}
	op := code[e-1].Op()
	swap := false
	switch {
	case x.src != srcNone && y.src == srcNone:
	case x.src == srcNone && y.src != srcNone:
		x, y, swap = y, x, true
	default:
		return test{}, false
	}
	t := test{src: x.src, idx: x.idx, k: y.k}
	if y.now {
		switch op {
		case bytecode.LT, bytecode.LE, bytecode.GT, bytecode.GE:
		default:
			return test{}, false
		}
		if swap {
			op = swapped[op]
		}
		t.op = tNowLT + ordering[op]
		return t, true
	}
	k := y.k
	switch op {
	case bytecode.EQNUM, bytecode.LTNUM, bytecode.LENUM, bytecode.GTNUM, bytecode.GENUM:
		if k.K != value.Number {
			return test{}, false
		}
		if op == bytecode.EQNUM {
			t.op = tEQNUM
			return t, true
		}
		if swap {
			op = swapped[op]
		}
		t.op = tLTNUM + ordering[op]
	case bytecode.EQSTR, bytecode.NESTR:
		if k.K != value.String {
			return test{}, false
		}
		t.op = tEQSTR
		if op == bytecode.NESTR {
			t.op = tNESTR
		}
	case bytecode.EQ:
		t.op = tEQ
	case bytecode.NE:
		t.op = tNE
	case bytecode.LT, bytecode.LE, bytecode.GT, bytecode.GE:
		if swap {
			op = swapped[op]
		}
		t.op = tLT + ordering[op]
		if k.K == value.DateTime && !math.IsNaN(k.N) {
			t.op = tTimeLT + ordering[op]
		}
	case bytecode.CONTAINS: // x contains k; swapped: k contains x
		t.op = tContains
		if swap {
			t.op = tIn
		}
	case bytecode.IN: // x in k; swapped: k in x
		t.op = tIn
		if swap {
			t.op = tContains
		}
	case bytecode.NOTIN:
		t.op = tNotIn
		if swap {
			t.op = tNotContains
		}
	case bytecode.STARTS, bytecode.ENDS:
		if swap || k.K != value.String {
			return test{}, false
		}
		t.op = tStarts
		if op == bytecode.ENDS {
			t.op = tEnds
		}
	default:
		return test{}, false
	}
	return t, true
}

// stringMembers returns the members of list when all are strings.
func stringMembers(list []value.Value) ([]string, bool) {
	strs := make([]string, len(list))
	for i, v := range list {
		if v.K != value.String {
			return nil, false
		}
		strs[i] = v.S
	}
	return strs, true
}
