package dashboard

import (
	"io"
	"strconv"
)

// The colours of the step families: the stripe on a box's left edge and
// the ink of its kind label (each at least 4.5:1 against white).
var families = map[string]struct{ stripe, ink string }{
	"entry":    {"#1e7b46", "#176b3a"},
	"action":   {"#2f6fd0", "#1d4f9c"},
	"delay":    {"#e0a100", "#7a4a00"},
	"wait":     {"#ea6a1f", "#9a3412"},
	"branch":   {"#7c4ddb", "#5b2bb5"},
	"external": {"#13877c", "#0b5f57"},
	"stop":     {"#c4321f", "#a3241a"},
}

// idW is the advance of a character of a step id (10.5px).
const idW = 6.2

// svgGraph is what the graph template draws: a Diagram with the counts
// and every coordinate worked out.
type svgGraph struct {
	Width, Height int
	Title         string
	Lines         []Line
	Labels        []svgLabel
	Boxes         []svgBox
	Ends          []svgEnd
}

type svgLabel struct {
	Label
	CX, TY int
}

type svgEnd struct {
	Terminal
	CX, TY int
}

type svgBox struct {
	Box
	Stripe     string // the path of the coloured left edge
	Color, Ink string
	TX, KindY  int
	ID         string // the step id after the kind, shortened to fit
	Text       []svgText
	Badge      *svgBadge
}

type svgText struct {
	X, Y int
	Text string
}

type svgBadge struct {
	X, Y, W, H, CX, TY int
	Text               string
	Zero               bool
}

// graphView works out the drawing of d with counts (records at each step
// id now): a step where records wait always shows its count, any other
// step shows one when records are at it.
func graphView(d *Diagram, counts map[string]int) svgGraph {
	g := svgGraph{Width: d.Width, Height: d.Height, Lines: d.Lines,
		Title: "Step graph of workflow " + d.Workflow + ", with the records at each step now; the table of steps below lists the same."}
	for _, l := range d.Labels {
		g.Labels = append(g.Labels, svgLabel{Label: l, CX: l.X + l.W/2, TY: l.Y + l.H/2 + 4})
	}
	for _, e := range d.Ends {
		g.Ends = append(g.Ends, svgEnd{Terminal: e, CX: e.X + e.W/2, TY: e.Y + e.H/2 + 4})
	}
	for _, b := range d.Boxes {
		f := families[b.Class]
		v := svgBox{Box: b, Color: f.stripe, Ink: f.ink, TX: b.X + stripeW + padX, KindY: b.Y + padTop + 11}
		const r = 6
		v.Stripe = "M" + pt(b.X+r, b.Y) + " V" + strconv.Itoa(b.Y+b.H) + " A6,6 0 0 1 " + pt(b.X, b.Y+b.H-r) +
			" V" + strconv.Itoa(b.Y+r) + " A6,6 0 0 1 " + pt(b.X+r, b.Y) + " Z"
		for k, line := range b.Lines {
			v.Text = append(v.Text, svgText{X: v.TX, Y: b.Y + padTop + headH + k*lineH + 13, Text: line})
		}
		room := b.W - stripeW - 2*padX
		if b.Step != "" {
			n, ok := counts[b.Step]
			if b.Counted || ok && n > 0 {
				text := strconv.Itoa(n) + " waiting"
				if !b.Counted {
					text = strconv.Itoa(n) + " here"
				}
				w := int(float64(len(text))*6.7) + 14
				x := b.X + b.W - padX + 4 - w
				v.Badge = &svgBadge{X: x, Y: b.Y + 6, W: w, H: 18, CX: x + w/2, TY: b.Y + 6 + 13, Text: text, Zero: n == 0}
				room -= w + 6
			}
			// The id follows the kind, in what room the count leaves.
			left := float64(room) - float64(len(b.Kind))*sansSmall - 14
			v.ID = fit(b.Step, int(left/idW))
		}
		g.Boxes = append(g.Boxes, v)
	}
	return g
}

// WriteSVG writes d as a standalone SVG document with counts.
func WriteSVG(w io.Writer, d *Diagram, counts map[string]int) error {
	return graphTemplate.ExecuteTemplate(w, "graph", graphView(d, counts))
}
