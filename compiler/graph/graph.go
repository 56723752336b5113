// Package graph draws the step graph of a compiled workflow: its entry
// (the enrollment triggers), each step with its id and kind, the arms of
// if, branch and split steps labelled with their conditions, values and
// percentages, waits with their timeout branch, delays, stops and the end
// of the enrollment. It prints the graph as Mermaid or Graphviz DOT.
//
// It works off the compiled step table (bytecode.Workflow.Steps), not the
// syntax tree: the ids it shows are the ones an enrollment's program
// counter, `wf run`'s trace and `wf explain` use, and its edges are the
// Next, arm and Else links the runtime follows, so the picture cannot
// drift from what runs. Conditions are shown as the compiler recorded
// their source text. It is a viewer: it does not check or change the
// program.
package graph

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/value"
)

// Shape is how a node is drawn.
type Shape int

const (
	Entry    Shape = iota // the enrollment triggers
	Action                // a step that acts and goes on
	Decision              // if, branch, split
	Wait                  // a step that suspends: delay, wait, webhook, code
	Stop                  // stop: the enrollment ends here
	Exit                  // the enrollment ends after its last step
)

// Node is a box of the graph.
type Node struct {
	Name  string   // the node's name in the output: entry, exit, s0, s1, …
	Shape Shape    //
	Step  string   // the step id, "" for entry and exit
	Kind  string   // the step kind, as bytecode names it
	Lines []string // the label, one line each
}

// Edge is an arrow from one node to another.
type Edge struct {
	From, To string
	Label    string
	Timeout  bool // the branch a wait takes when its time is up (drawn dashed)
}

// Graph is the step graph of one workflow.
type Graph struct {
	Workflow string
	Nodes    []Node
	Edges    []Edge
}

// Build returns the step graph of workflow w of program p.
func Build(p *bytecode.Program, w *bytecode.Workflow) *Graph {
	b := builder{p: p, w: w, g: &Graph{Workflow: w.Name}}
	entry := []string{"workflow " + w.Name}
	if w.Object >= 0 && w.Object < len(p.Types) && p.Types[w.Object] != nil {
		entry[0] += " (" + p.Types[w.Object].Name + ")"
	}
	for _, t := range w.Triggers {
		entry = append(entry, t.Text)
	}
	if w.EnrollExisting {
		entry = append(entry, "enroll existing")
	}
	b.g.Nodes = append(b.g.Nodes, Node{Name: "entry", Shape: Entry, Lines: entry})
	b.edge("entry", w.Entry, "", false)
	for i := range w.Steps {
		b.step(i)
	}
	if b.exit {
		b.g.Nodes = append(b.g.Nodes, Node{Name: "exit", Shape: Exit, Lines: []string{"end"}})
	}
	return b.g
}

type builder struct {
	p    *bytecode.Program
	w    *bytecode.Workflow
	g    *Graph
	exit bool // some edge leads to the end of the enrollment
}

func nodeName(i int) string { return "s" + strconv.Itoa(i) }

// edge adds an edge to step to, or to the exit when to is -1.
func (b *builder) edge(from string, to int, label string, timeout bool) {
	name := "exit"
	if to >= 0 {
		name = nodeName(to)
	} else {
		b.exit = true
	}
	b.g.Edges = append(b.g.Edges, Edge{From: from, To: name, Label: label, Timeout: timeout})
}

func (b *builder) step(i int) {
	s := &b.w.Steps[i]
	n := Node{Name: nodeName(i), Step: s.ID, Kind: s.Kind.String(), Shape: Action}
	if s.Suspends {
		n.Shape = Wait
	}
	n.Lines = []string{s.ID, b.describe(s)}
	from := n.Name
	switch s.Kind {
	case bytecode.StepIf:
		n.Shape = Decision
		for _, a := range s.Arms {
			b.edge(from, a.Next, b.text(a.Expr), false)
		}
		b.elseEdge(from, s)
	case bytecode.StepBranch:
		n.Shape = Decision
		for _, a := range s.Arms {
			vs := make([]string, len(a.Values))
			for k, c := range a.Values {
				vs[k] = b.constant(c)
			}
			b.edge(from, a.Next, strings.Join(vs, ", "), false)
		}
		b.elseEdge(from, s)
	case bytecode.StepSplit:
		n.Shape = Decision
		for _, a := range s.Arms {
			b.edge(from, a.Next, strconv.FormatFloat(a.Percent, 'g', -1, 64)+"%", false)
		}
	case bytecode.StepWaitEvent, bytecode.StepWaitUntil:
		label := "condition met"
		if s.Kind == bytecode.StepWaitEvent {
			label = "event " + b.event(s.Event)
		}
		b.edge(from, s.Next, label, false)
		if s.Timeout != bytecode.NoExpr {
			to := s.Next
			if s.Else >= 0 {
				to = s.Else
			}
			b.edge(from, to, "after "+b.text(s.Timeout), true)
		}
	case bytecode.StepStop:
		n.Shape = Stop
	default:
		b.edge(from, s.Next, "", false)
	}
	b.g.Nodes = append(b.g.Nodes, n)
}

// elseEdge adds the edge an if or branch takes when no arm matches.
func (b *builder) elseEdge(from string, s *bytecode.Step) {
	if s.Else >= 0 {
		b.edge(from, s.Else, "else", false)
	} else {
		b.edge(from, s.Next, "else", false)
	}
}

// describe is the second line of a step's label: what it does.
func (b *builder) describe(s *bytecode.Step) string {
	x := b.text(s.Expr)
	switch s.Kind {
	case bytecode.StepSet:
		return "set " + b.target(s.Target) + " = " + x
	case bytecode.StepIncrement:
		if s.Expr == bytecode.NoExpr {
			return "increment " + b.target(s.Target)
		}
		return "increment " + b.target(s.Target) + " by " + x
	case bytecode.StepClear:
		ts := make([]string, len(s.Targets))
		for i, t := range s.Targets {
			ts[i] = b.target(t)
		}
		return "clear " + strings.Join(ts, ", ")
	case bytecode.StepCopy:
		return "copy " + x + " to " + b.target(s.Target)
	case bytecode.StepDelay:
		return "delay " + x
	case bytecode.StepDelayUntil:
		d := "delay until " + x
		if s.At >= 0 {
			d += fmt.Sprintf(" at %02d:%02d", s.At/3600, s.At/60%60)
		}
		return d
	case bytecode.StepWaitEvent:
		d := "wait for event " + b.event(s.Event)
		if s.Expr != bytecode.NoExpr {
			d += " where " + x
		}
		return d + b.upTo(s)
	case bytecode.StepWaitUntil:
		return "wait until " + x + b.upTo(s)
	case bytecode.StepIf:
		return "if"
	case bytecode.StepBranch:
		return "branch on " + x
	case bytecode.StepAssign:
		d := "assign " + b.target(s.Target)
		if len(s.Strs) > 0 && s.Strs[0] != "" {
			d += " " + s.Strs[0]
		}
		return d
	case bytecode.StepCreateTask:
		return "create task " + b.arg(s, 0)
	case bytecode.StepCreate:
		return b.as("create "+s.Name, s)
	case bytecode.StepNotify:
		return "notify " + b.arg(s, 0)
	case bytecode.StepSendEmail:
		return "send email " + b.arg(s, 0)
	case bytecode.StepWebhook:
		return b.as("webhook "+s.Name+" "+b.arg(s, 0), s)
	case bytecode.StepCode:
		d := "code " + s.Name
		if s.Name == "go" && len(s.Strs) > 0 {
			d += " " + strconv.Quote(s.Strs[0])
		}
		return b.as(d, s)
	case bytecode.StepEnrollIn, bytecode.StepPlaceholder:
		if len(s.Strs) > 0 {
			return s.Kind.String() + " " + s.Strs[0]
		}
	}
	return s.Kind.String()
}

func (b *builder) upTo(s *bytecode.Step) string {
	if s.Timeout == bytecode.NoExpr {
		return ""
	}
	return " up to " + b.text(s.Timeout)
}

func (b *builder) as(d string, s *bytecode.Step) string {
	if s.As != "" {
		d += " as " + s.As
	}
	return d
}

// arg returns the source text of the step's i-th further expression.
func (b *builder) arg(s *bytecode.Step, i int) string {
	if i < len(s.Args) {
		return b.text(s.Args[i])
	}
	return ""
}

// text returns an expression's source text.
func (b *builder) text(x int) string {
	if x >= 0 && x < len(b.p.Exprs) {
		return b.p.Exprs[x].Text
	}
	return ""
}

func (b *builder) constant(c int) string {
	if c < 0 || c >= len(b.p.Consts) {
		return "?"
	}
	v := b.p.Consts[c]
	switch v.K {
	case value.String:
		return strconv.Quote(v.S)
	case value.Empty:
		return "empty"
	}
	return v.String()
}

func (b *builder) event(e int) string {
	if e >= 0 && e < len(b.p.Events) && b.p.Events[e] != nil {
		return b.p.Events[e].Name
	}
	return "?"
}

// target names a property a step writes: `score`, `company.domain`.
func (b *builder) target(t bytecode.Target) string {
	if t.Type < 0 || t.Type >= len(b.p.Types) || b.p.Types[t.Type] == nil {
		return "?"
	}
	typ := b.p.Types[t.Type]
	name := "?"
	if t.Slot >= 0 && t.Slot < len(typ.Props) {
		name = typ.Props[t.Slot].Name
	}
	if t.Assoc >= 0 {
		if obj := b.w.Object; obj >= 0 && obj < len(b.p.Types) && t.Assoc < len(b.p.Types[obj].Assocs) {
			return b.p.Types[obj].Assocs[t.Assoc].Name + "." + name
		}
	}
	return name
}

// Mermaid writes g as a Mermaid flowchart.
func Mermaid(w io.Writer, g *Graph) error {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for _, n := range g.Nodes {
		label := `"` + mermaidEscape(strings.Join(n.Lines, "\n")) + `"`
		var open, close string
		switch n.Shape {
		case Entry:
			open, close = "([", "])"
		case Decision:
			open, close = "{", "}"
		case Wait:
			open, close = "[/", "/]"
		case Stop, Exit:
			open, close = "((", "))"
		default:
			open, close = "[", "]"
		}
		fmt.Fprintf(&b, "  %s%s%s%s\n", n.Name, open, label, close)
	}
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Timeout {
			arrow = "-.->"
		}
		if e.Label != "" {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", e.From, arrow, mermaidEscape(e.Label), e.To)
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", e.From, arrow, e.To)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mermaidEscape writes characters that Mermaid's label syntax reserves as
// entity codes, and line breaks as <br/>.
var mermaidEscape = strings.NewReplacer(
	`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", "<br/>", "#", "#35;", "|", "#124;",
).Replace

// DOT writes g as a Graphviz digraph.
func DOT(w io.Writer, g *Graph) error {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(g.Workflow))
	b.WriteString("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=10];\n")
	for _, n := range g.Nodes {
		attrs := ""
		switch n.Shape {
		case Entry:
			attrs = ", shape=oval"
		case Decision:
			attrs = ", shape=diamond, style=solid"
		case Wait:
			attrs = ", shape=parallelogram, style=solid"
		case Stop:
			attrs = ", shape=octagon, style=solid"
		case Exit:
			attrs = ", shape=doublecircle, style=solid"
		}
		fmt.Fprintf(&b, "  %s [label=%s%s];\n", n.Name, dotQuote(strings.Join(n.Lines, "\n")), attrs)
	}
	for _, e := range g.Edges {
		var attrs []string
		if e.Label != "" {
			attrs = append(attrs, "label="+dotQuote(e.Label))
		}
		if e.Timeout {
			attrs = append(attrs, "style=dashed")
		}
		if len(attrs) > 0 {
			fmt.Fprintf(&b, "  %s -> %s [%s];\n", e.From, e.To, strings.Join(attrs, ", "))
		} else {
			fmt.Fprintf(&b, "  %s -> %s;\n", e.From, e.To)
		}
	}
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// dotQuote quotes s as a DOT string, with line breaks as \n.
func dotQuote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
