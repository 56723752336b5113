package main

import (
	"io"
	"sort"
	"strings"

	"github.com/wflang/wf/compiler/graph"
)

var cmdGraph = &command{
	name:  "graph",
	args:  "[--format mermaid|dot] workflow [paths...]",
	short: "draw the step graph of a workflow",
	long: `Graph compiles the .wf files that paths name (the current directory when
there are none) and prints the step graph of the named workflow: its entry
with the enrollment triggers, each step with its stable id and what it
does, if/branch/split arms labelled with their conditions, values and
percentages, waits with the branch they take when their time is up
(dashed), stops and the end of the enrollment.

The output is a Mermaid flowchart (paste it into a Markdown file between
` + "```mermaid" + ` fences) or, with --format dot, a Graphviz digraph
(wf graph --format dot w | dot -Tsvg > w.svg).
`,
	run: runGraph,
}

func runGraph(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	format := fs.String("format", "mermaid", "output `format`: mermaid or dot")
	pos, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if *format != "mermaid" && *format != "dot" {
		return c.usageError(stderr, "unknown format %q: use mermaid or dot", *format)
	}
	if len(pos) == 0 {
		return c.usageError(stderr, "no workflow named")
	}
	name, paths := pos[0], pos[1:]
	if len(paths) == 0 {
		paths = []string{"."}
	}
	prog, code, ok := load(c, paths, stderr)
	if !ok {
		return code
	}
	var names []string
	for _, w := range prog.Workflows {
		if w.Name != name {
			names = append(names, w.Name)
			continue
		}
		g := graph.Build(prog, w)
		var err error
		if *format == "dot" {
			err = graph.DOT(stdout, g)
		} else {
			err = graph.Mermaid(stdout, g)
		}
		if err != nil {
			return errorf(stderr, c, "%v", err)
		}
		return exitOK
	}
	sort.Strings(names)
	if len(names) == 0 {
		return errorf(stderr, c, "no workflow %s: the sources declare no workflows", name)
	}
	return errorf(stderr, c, "no workflow %s; the workflows are: %s", name, strings.Join(names, ", "))
}
