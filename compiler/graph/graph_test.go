package graph

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wflang/wf/compiler"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGolden draws every workflow of the fixture and of the examples in
// both formats and compares them with testdata/<workflow>.{mmd,dot}.
func TestGolden(t *testing.T) {
	for _, paths := range [][]string{
		{"testdata/branches.wf"},
		{"../../examples/lead_nurturing"},
		{"../../examples/deal_hygiene"},
		{"../../examples/ticket_sla"},
	} {
		prog, diags, err := compiler.CompileFiles(paths...)
		if err != nil || prog == nil {
			t.Fatalf("%v: %v %v", paths, err, diags)
		}
		for _, w := range prog.Workflows {
			g := Build(prog, w)
			for ext, write := range map[string]func(*bytes.Buffer) error{
				"mmd": func(b *bytes.Buffer) error { return Mermaid(b, g) },
				"dot": func(b *bytes.Buffer) error { return DOT(b, g) },
			} {
				var b bytes.Buffer
				if err := write(&b); err != nil {
					t.Fatal(err)
				}
				golden(t, filepath.Join("testdata", w.Name+"."+ext), b.String())
			}
		}
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// TestEdges checks the structure of the fixture's graph: every step is a
// node, every edge joins two nodes, and the arms carry their labels.
func TestEdges(t *testing.T) {
	prog, diags, err := compiler.CompileFiles("testdata/branches.wf")
	if err != nil || prog == nil {
		t.Fatal(err, diags)
	}
	w := prog.Workflows[0]
	g := Build(prog, w)
	nodes := map[string]Node{}
	for _, n := range g.Nodes {
		nodes[n.Name] = n
	}
	if len(nodes) != len(w.Steps)+2 {
		t.Errorf("%d nodes for %d steps, want steps + entry + exit", len(nodes), len(w.Steps))
	}
	labels := map[string]bool{}
	timeouts := 0
	for _, e := range g.Edges {
		if _, ok := nodes[e.From]; !ok {
			t.Errorf("edge from unknown node %s", e.From)
		}
		if _, ok := nodes[e.To]; !ok {
			t.Errorf("edge to unknown node %s", e.To)
		}
		labels[e.Label] = true
		if e.Timeout {
			timeouts++
		}
	}
	for _, l := range []string{
		`score > 50 and country in ["NL", "DE"]`, "country is empty", "else",
		`"lead", "subscriber"`, `"customer"`, `"NL"`, "25%", "75%",
		"event mail_opened", "after 3d", "after 7d", "condition met", "hook.status == 200",
	} {
		if !labels[l] {
			t.Errorf("no edge labelled %q", l)
		}
	}
	if timeouts != 2 {
		t.Errorf("%d timeout edges, want 2", timeouts)
	}
	kinds := map[Shape]int{}
	for _, n := range g.Nodes {
		kinds[n.Shape]++
	}
	if kinds[Decision] != 6 || kinds[Stop] != 2 || kinds[Wait] != 6 || kinds[Entry] != 1 || kinds[Exit] != 1 {
		t.Errorf("shapes %v", kinds)
	}
	if !strings.Contains(strings.Join(nodes["entry"].Lines, "\n"), "enroll existing") {
		t.Errorf("entry %q", nodes["entry"].Lines)
	}
}
