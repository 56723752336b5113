package dashboard

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/compiler/graph"
)

// The step graph, laid out on the server.
//
// A workflow's step table is structured: every if, branch and split arm
// (and a wait's timeout block) is a run of steps that ends where the
// branching step's Next points, or at a stop. So the picture is a tree
// and a recursive layout draws it the way HubSpot does: measure each
// subtree (a run of steps is as wide as its widest step and as tall as
// its steps and the gaps between them; a branching step is as wide as
// its arms side by side), then place each run down a centre line, arms
// side by side below their branching step, joined again by a bar above
// the step that follows. Lines are orthogonal, so nothing needs routing.
// Text is measured by counting characters in a monospaced font, which is
// exact enough to wrap and truncate without a font engine; the full text
// of anything shortened is kept for the box's tooltip.

// Sizes, in SVG user units (CSS pixels at 100%).
const (
	boxW     = 244 // a step's box
	stripeW  = 5   // the coloured edge on the left of a box
	padX     = 12
	padTop   = 9
	headH    = 16 // the kind label line
	lineH    = 17 // a summary line
	padBot   = 9
	gapV     = 28 // between consecutive steps (an arrow)
	gapH     = 24 // between arms side by side
	dropH    = 16 // from a branching step down to its arms' bar
	pillH    = 22 // an arm's label
	pillGap  = 16 // from the label down to the arm's first step
	joinH    = 18 // from the lowest arm down to the join bar
	emptyArm = 132
	margin   = 20
	endW     = 72
	endH     = 28

	monoW     = 7.23 // advance of a 12px monospaced character
	monoSmall = 6.63 // 11px
	sansSmall = 6.9  // 11px bold caps, generously
	maxLines  = 2    // summary lines per box
	maxTrig   = 4    // trigger lines in the entry box
)

// Diagram is a laid-out step graph: what the SVG template draws.
type Diagram struct {
	Workflow      string
	Width, Height int
	Boxes         []Box
	Lines         []Line
	Labels        []Label
	Ends          []Terminal
}

// Box is one step (or the entry) drawn as a box.
type Box struct {
	X, Y, W, H int
	Index      int    // step index, -1 for the entry
	Step       string // step id, "" for the entry
	Class      string // entry, action, delay, wait, branch, external, stop
	Kind       string // the label on the box's first line, before the step id: "DELAY"
	Lines      []string
	What       string // what the step does, in full
	Title      string // the full text, for the tooltip and the accessible name
	Counted    bool   // whether records can wait here (a count is always shown)
}

// Line is an orthogonal connector, as SVG polyline points.
type Line struct {
	Points string
	Dashed bool
	Arrow  bool
}

// Label is an arm's label: a pill on the arm's line.
type Label struct {
	X, Y, W, H int
	Text       string
	Title      string
	Dashed     bool // the timeout branch of a wait
}

// Terminal is the end of the enrollment.
type Terminal struct {
	X, Y, W, H int
	Text       string
}

// Layout lays out workflow w of program p.
func Layout(p *bytecode.Program, w *bytecode.Workflow) *Diagram {
	g := graph.Build(p, w)
	b := &layout{p: p, w: w, seen: map[int]bool{}, desc: map[string]string{}, edges: map[string][]graph.Edge{}}
	for _, n := range g.Nodes {
		if len(n.Lines) > 1 {
			b.desc[n.Name] = n.Lines[1]
		}
		if n.Name == "entry" {
			b.entry = n.Lines
		}
	}
	for _, e := range g.Edges {
		b.edges[e.From] = append(b.edges[e.From], e)
	}
	root := b.seq(w.Entry, -1)
	measureSeq(root)
	// Steps no path reaches (after a stop) are drawn apart, below.
	var unreached []*seq
	for k := range w.Steps {
		if !b.seen[k] {
			s := b.seq(k, -1)
			measureSeq(s)
			unreached = append(unreached, s)
		}
	}

	d := &Diagram{Workflow: w.Name}
	entry := b.entryBox()
	width := max(entry.W, root.w)
	for _, s := range unreached {
		width = max(width, s.w)
	}
	cx := margin + width/2
	entry.X, entry.Y = cx-entry.W/2, margin
	d.Boxes = append(d.Boxes, entry)
	y := entry.Y + entry.H
	bottom, flows := y, true
	if len(root.nodes) > 0 {
		top := y + gapV
		d.line(false, true, cx, y, cx, top)
		bottom, flows = b.placeSeq(d, root, cx, top)
	}
	if flows && root.end != endGoto {
		top := bottom + gapV
		d.line(false, true, cx, bottom, cx, top)
		d.Ends = append(d.Ends, Terminal{X: cx - endW/2, Y: top, W: endW, H: endH, Text: "End"})
		bottom = top + endH
	}
	for _, s := range unreached {
		const text = "never reached"
		top := bottom + 2*gapV
		pw := pillWidth(text)
		d.Labels = append(d.Labels, Label{X: cx - pw/2, Y: top, W: pw, H: pillH, Text: text,
			Title: "no path of the workflow reaches these steps", Dashed: true})
		bottom, _ = b.placeSeq(d, s, cx, top+pillH+pillGap)
	}
	d.Width, d.Height = width+2*margin, bottom+margin
	return d
}

type layout struct {
	p     *bytecode.Program
	w     *bytecode.Workflow
	seen  map[int]bool
	desc  map[string]string       // graph node name → what the step does
	edges map[string][]graph.Edge // graph node name → its edges, in order
	entry []string
}

// seq is a run of steps; end says how it ends.
type seq struct {
	nodes []*node
	end   int // endJoin: flows on to where its parent continues; endStop; endGoto: a step drawn elsewhere
	goTo  string
	w, h  int
}

const (
	endJoin = iota
	endStop
	endGoto
)

// node is one step; a branching one has arms.
type node struct {
	step  int
	arms  []*arm
	boxH  int
	w, h  int
	lines []string
	title string // what the step does, as the box's tooltip says it
	what  string // the same, for the table of steps
}

type arm struct {
	label, title string
	dashed       bool
	body         *seq
	w            int
}

// seq walks the steps from i until join (where the enclosing run goes on),
// the end of the enrollment, a stop, or a step already drawn.
func (b *layout) seq(i, join int) *seq {
	s := &seq{}
	for i != join && i >= 0 && i < len(b.w.Steps) {
		if b.seen[i] {
			s.end, s.goTo = endGoto, b.w.Steps[i].ID
			return s
		}
		b.seen[i] = true
		st := &b.w.Steps[i]
		n := &node{step: i}
		edges := b.edges["s"+strconv.Itoa(i)]
		label := func(k int) string {
			if k < len(edges) {
				return edges[k].Label
			}
			return ""
		}
		n.title = b.desc["s"+strconv.Itoa(i)]
		n.what = n.title
		summary := n.title
		switch st.Kind {
		case bytecode.StepIf:
			// One condition reads best on the box, its arms then and
			// else; several go on their arms.
			conds := make([]string, len(st.Arms))
			for k := range st.Arms {
				conds[k] = label(k)
			}
			n.what = "if " + strings.Join(conds, "; else if ") + "; else"
			n.title = n.what
			summary = "if: " + strconv.Itoa(len(conds)) + " conditions, else"
			if len(conds) == 1 {
				summary = "if " + conds[0]
			}
		case bytecode.StepSplit:
			ps := make([]string, len(st.Arms))
			for k := range st.Arms {
				ps[k] = label(k)
			}
			summary = "split " + strings.Join(ps, " / ")
			n.what, n.title = summary, summary
		}
		n.lines = wrap(summary, chars(boxW-stripeW-2*padX, monoW), maxLines)
		s.nodes = append(s.nodes, n)
		switch st.Kind {
		case bytecode.StepIf, bytecode.StepBranch:
			for k, a := range st.Arms {
				l := label(k)
				if st.Kind == bytecode.StepIf && len(st.Arms) == 1 {
					l = "then"
				}
				n.arms = append(n.arms, &arm{label: l, title: label(k), body: b.seq(a.Next, st.Next)})
			}
			els := &arm{label: "else", body: &seq{}}
			if st.Else >= 0 {
				els.body = b.seq(st.Else, st.Next)
			}
			n.arms = append(n.arms, els)
		case bytecode.StepSplit:
			for k, a := range st.Arms {
				n.arms = append(n.arms, &arm{label: label(k), body: b.seq(a.Next, st.Next)})
			}
		case bytecode.StepWaitEvent, bytecode.StepWaitUntil:
			if st.Timeout != bytecode.NoExpr {
				out := &arm{label: "after", dashed: true, body: &seq{}}
				if len(edges) > 1 {
					out.label = edges[1].Label
				}
				if st.Else >= 0 {
					out.body = b.seq(st.Else, st.Next)
				}
				n.arms = []*arm{{label: label(0), body: &seq{}}, out}
			}
		case bytecode.StepStop:
			s.end = endStop
			return s
		}
		i = st.Next
	}
	return s
}

// measureSeq sizes a run and everything in it.
func measureSeq(s *seq) {
	s.w, s.h = 0, 0
	for k, n := range s.nodes {
		measureNode(n)
		s.w = max(s.w, n.w)
		s.h += n.h
		if k > 0 {
			s.h += gapV
		}
	}
}

func measureNode(n *node) {
	n.boxH = padTop + headH + len(n.lines)*lineH + padBot
	n.w, n.h = boxW, n.boxH
	if len(n.arms) == 0 {
		return
	}
	armsW, armsH := 0, 0
	for k, a := range n.arms {
		measureSeq(a.body)
		a.w = max(a.body.w, min(pillWidth(a.label), boxW), emptyArm)
		armsW += a.w
		if k > 0 {
			armsW += gapH
		}
		armsH = max(armsH, a.body.h)
	}
	n.w = max(boxW, armsW)
	n.h = n.boxH + dropH + pillH + pillGap + armsH + joinH
}

func pillWidth(text string) int {
	return int(math.Ceil(float64(utf8.RuneCountInString(text))*monoSmall)) + 20
}

// placeSeq draws run s centred on cx from y down; it returns the bottom of
// its last step and whether control flows on from there.
func (b *layout) placeSeq(d *Diagram, s *seq, cx, y int) (bottom int, flows bool) {
	flows = true
	for k, n := range s.nodes {
		if k > 0 {
			if flows {
				d.line(false, true, cx, y, cx, y+gapV)
			}
			y += gapV
		}
		y, flows = b.placeNode(d, n, cx, y)
	}
	if s.end == endStop {
		flows = false
	}
	if s.end == endGoto {
		// Only a malformed table gets here: say where it goes.
		if flows {
			d.line(false, true, cx, y, cx, y+gapV)
		}
		y += gapV
		t := "go to " + s.goTo
		w := pillWidth(t)
		d.Labels = append(d.Labels, Label{X: cx - w/2, Y: y, W: w, H: pillH, Text: t, Title: t})
		y += pillH
		flows = false
	}
	return y, flows
}

// placeNode draws a step at y and its arms below it; it returns the
// bottom of the step (the join bar for a branching one) and whether
// control flows on.
func (b *layout) placeNode(d *Diagram, n *node, cx, y int) (int, bool) {
	d.Boxes = append(d.Boxes, b.stepBox(n, cx-boxW/2, y))
	if len(n.arms) == 0 {
		return y + n.boxH, b.w.Steps[n.step].Kind != bytecode.StepStop
	}
	barY := y + n.boxH + dropH
	d.line(false, false, cx, y+n.boxH, cx, barY)
	total := 0
	for k, a := range n.arms {
		total += a.w
		if k > 0 {
			total += gapH
		}
	}
	left := cx - total/2
	joinY := y + n.h
	first, last := 0, 0
	x := left
	flowing := []int{}
	for k, a := range n.arms {
		acx := x + a.w/2
		if k == 0 {
			first = acx
		}
		last = acx
		top := barY + pillH + pillGap
		pw := min(pillWidth(a.label), a.w-8)
		title := a.title
		if title == "" {
			title = a.label
		}
		text := fit(a.label, chars(pw-20, monoSmall))
		if len(a.body.nodes) == 0 && a.body.end == endJoin {
			d.line(a.dashed, false, acx, barY, acx, joinY)
			flowing = append(flowing, acx)
		} else {
			d.line(a.dashed, true, acx, barY, acx, top)
			bottom, flows := b.placeSeq(d, a.body, acx, top)
			if flows {
				d.line(a.dashed, false, acx, bottom, acx, joinY)
				flowing = append(flowing, acx)
			}
		}
		d.Labels = append(d.Labels, Label{X: acx - pw/2, Y: barY + pillGap/2, W: pw, H: pillH, Text: text, Title: title, Dashed: a.dashed})
		x += a.w + gapH
	}
	if first != last {
		d.line(false, false, first, barY, last, barY)
	}
	if len(flowing) == 0 {
		return joinY, false
	}
	lo, hi := cx, cx
	for _, c := range flowing {
		lo, hi = min(lo, c), max(hi, c)
	}
	if lo != hi {
		d.line(false, false, lo, joinY, hi, joinY)
	}
	return joinY, true
}

func (d *Diagram) line(dashed, arrow bool, x1, y1, x2, y2 int) {
	d.Lines = append(d.Lines, Line{Points: pt(x1, y1) + " " + pt(x2, y2), Dashed: dashed, Arrow: arrow})
}

func pt(x, y int) string { return strconv.Itoa(x) + "," + strconv.Itoa(y) }

// entryBox is the box of the enrollment triggers.
func (b *layout) entryBox() Box {
	obj := ""
	if o := b.w.Object; o >= 0 && o < len(b.p.Types) && b.p.Types[o] != nil {
		obj = b.p.Types[o].Name
	}
	trig := []string{}
	if len(b.entry) > 1 {
		trig = b.entry[1:]
	}
	if len(trig) == 0 {
		trig = []string{"enrolled by hand"}
	}
	n := chars(boxW+60-stripeW-2*padX, monoW)
	var lines []string
	for k, t := range trig {
		if len(lines) >= maxTrig || len(lines) == maxTrig-1 && k < len(trig)-1 {
			lines = append(lines, "+ "+strconv.Itoa(len(trig)-k)+" more")
			break
		}
		lines = append(lines, wrap(t, n, min(2, maxTrig-len(lines)))...)
	}
	kind := "ENROLLMENT"
	if obj != "" {
		kind += " · " + strings.ToUpper(obj)
	}
	return Box{W: boxW + 60, H: padTop + headH + len(lines)*lineH + padBot, Index: -1, Class: "entry", Kind: kind,
		Lines: lines, What: strings.Join(trig, "; "), Title: "Enrollment triggers: " + strings.Join(trig, "; ")}
}

// stepBox is the box of step n at x, y.
func (b *layout) stepBox(n *node, x, y int) Box {
	st := &b.w.Steps[n.step]
	class, kind := kindOf(st)
	return Box{X: x, Y: y, W: boxW, H: n.boxH, Index: n.step, Step: st.ID, Class: class,
		Kind: kind, Lines: n.lines, What: n.what, Title: strings.ToLower(kind) + " step " + st.ID + ": " + n.title, Counted: st.Suspends}
}

// kindOf names a step's family (its colour) and its label.
func kindOf(st *bytecode.Step) (class, label string) {
	switch st.Kind {
	case bytecode.StepDelay, bytecode.StepDelayUntil:
		return "delay", "DELAY"
	case bytecode.StepWaitEvent, bytecode.StepWaitUntil:
		return "wait", "WAIT"
	case bytecode.StepIf:
		return "branch", "IF/THEN"
	case bytecode.StepBranch:
		return "branch", "BRANCH"
	case bytecode.StepSplit:
		return "branch", "A/B SPLIT"
	case bytecode.StepWebhook:
		return "external", "WEBHOOK"
	case bytecode.StepCode:
		return "external", "CODE"
	case bytecode.StepStop:
		return "stop", "STOP"
	case bytecode.StepSet, bytecode.StepIncrement, bytecode.StepClear, bytecode.StepCopy:
		return "action", "PROPERTY"
	case bytecode.StepPlaceholder:
		return "stop", "PLACEHOLDER"
	}
	return "action", strings.ToUpper(st.Kind.String())
}

// chars is how many characters of advance adv fit in px.
func chars(px int, adv float64) int { return int(float64(px)/adv + 0.01) }

// fit shortens s to n characters, ending it with an ellipsis.
func fit(s string, n int) string {
	if n < 2 {
		n = 2
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:n-1]), " ") + "…"
}

// wrap breaks s into at most max lines of n characters, at spaces where it
// can; the last line is shortened with an ellipsis when text is left.
func wrap(s string, n, maxLines int) []string {
	var lines []string
	r := []rune(s)
	for len(r) > 0 {
		if len(lines) == maxLines-1 || len(r) <= n {
			lines = append(lines, fit(string(r), n))
			break
		}
		cut := n
		for k := n; k > n/2; k-- {
			if r[k] == ' ' {
				cut = k
				break
			}
		}
		lines = append(lines, strings.TrimRight(string(r[:cut]), " "))
		r = []rune(strings.TrimLeft(string(r[cut:]), " "))
	}
	return lines
}
