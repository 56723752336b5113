package dashboard

import (
	"bytes"
	"encoding/xml"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// exampleProgram compiles the examples the repository ships.
func exampleProgram(t testing.TB) *bytecode.Program {
	t.Helper()
	prog, diags, err := compiler.CompileFiles("../../examples/...")
	if err != nil || prog == nil {
		t.Fatalf("compile examples: %v %v", err, diags)
	}
	return prog
}

// TestGraphGolden lays out every example workflow, and the conformance
// suite's example of every step, and compares each SVG, with made-up
// counts at its waiting steps, with testdata/NAME.svg (go test -run
// TestGraphGolden -update rewrites them; open them in a browser to look).
func TestGraphGolden(t *testing.T) {
	prog := exampleProgram(t)
	if len(prog.Workflows) < 4 {
		t.Fatalf("%d example workflows", len(prog.Workflows))
	}
	spec, diags, err := compiler.CompileFiles("../../conformance/spec_example.wf")
	if err != nil || spec == nil {
		t.Fatalf("compile the spec example: %v %v", err, diags)
	}
	type golden struct {
		name string
		prog *bytecode.Program
		w    *bytecode.Workflow
	}
	var all []golden
	for _, w := range prog.Workflows {
		all = append(all, golden{w.Name, prog, w})
	}
	for _, w := range spec.Workflows {
		all = append(all, golden{"spec_example." + w.Name, spec, w})
	}
	for _, g := range all {
		t.Run(g.name, func(t *testing.T) {
			counts := map[string]int{}
			for k, st := range g.w.Steps {
				if st.Suspends {
					counts[st.ID] = 3 * k % 7
				}
			}
			var b bytes.Buffer
			if err := WriteSVG(&b, Layout(g.prog, g.w), counts); err != nil {
				t.Fatal(err)
			}
			checkSVG(t, b.Bytes(), g.w)
			path := filepath.Join("testdata", g.name+".svg")
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGraphGolden -update)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from the layout now (go test -run TestGraphGolden -update rewrites it):\n%s", path, firstDiff(string(want), b.String()))
			}
		})
	}
}

// checkSVG checks that the SVG is well-formed XML, draws every step once,
// and keeps every box inside the drawing and clear of the others.
func checkSVG(t *testing.T, data []byte, w *bytecode.Workflow) {
	t.Helper()
	dec := xml.NewDecoder(bytes.NewReader(data))
	steps := map[string]int{}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "g" {
			for _, a := range se.Attr {
				if a.Name.Local == "data-step" {
					steps[a.Value]++
				}
			}
		}
	}
	for _, st := range w.Steps {
		if steps[st.ID] != 1 {
			t.Errorf("step %s drawn %d times", st.ID, steps[st.ID])
		}
	}
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n- " + x + "\n+ " + y
		}
	}
	return ""
}

// TestLayoutGeometry checks the layout's invariants on every workflow of
// the examples and the conformance suite: every step is drawn once, no two
// boxes overlap, every box lies inside the drawing, no arm label covers a
// box.
func TestLayoutGeometry(t *testing.T) {
	prog := exampleProgram(t)
	spec, _, err := compiler.CompileFiles("../../conformance/...")
	if err != nil || spec == nil {
		t.Fatalf("compile the conformance suite: %v", err)
	}
	for _, w := range append(prog.Workflows, spec.Workflows...) {
		p := prog
		if !slices.Contains(prog.Workflows, w) {
			p = spec
		}
		d := Layout(p, w)
		drawn := map[int]int{}
		for _, x := range d.Boxes {
			drawn[x.Index]++
		}
		for k, st := range w.Steps {
			if drawn[k] != 1 {
				t.Errorf("%s: step %s drawn %d times", w.Name, st.ID, drawn[k])
			}
		}
		for a, x := range d.Boxes {
			if x.X < 0 || x.Y < 0 || x.X+x.W > d.Width || x.Y+x.H > d.Height {
				t.Errorf("%s: box %q at %d,%d %dx%d outside %dx%d", w.Name, x.Step, x.X, x.Y, x.W, x.H, d.Width, d.Height)
			}
			for _, y := range d.Boxes[a+1:] {
				if x.X < y.X+y.W && y.X < x.X+x.W && x.Y < y.Y+y.H && y.Y < x.Y+x.H {
					t.Errorf("%s: boxes %q and %q overlap", w.Name, x.Step, y.Step)
				}
			}
		}
		for _, l := range d.Labels {
			for _, x := range d.Boxes {
				if l.X < x.X+x.W && x.X < l.X+l.W && l.Y < x.Y+x.H && x.Y < l.Y+l.H {
					t.Errorf("%s: arm label %q overlaps box %q", w.Name, l.Text, x.Step)
				}
			}
		}
	}
}

func TestWrapAndFit(t *testing.T) {
	for _, c := range []struct {
		in   string
		n, m int
		want []string
	}{
		{"set score = 5", 30, 2, []string{"set score = 5"}},
		{"delay until today + 3d at 09:00", 20, 2, []string{"delay until today +", "3d at 09:00"}},
		{"webhook POST \"https://billing.example.com/wf/customers\" as hook", 20, 2, []string{"webhook POST", "\"https://billing.ex…"}},
		{"", 10, 2, nil},
	} {
		got := wrap(c.in, c.n, c.m)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("wrap(%q, %d, %d) = %q, want %q", c.in, c.n, c.m, got, c.want)
		}
		for _, l := range got {
			if len([]rune(l)) > c.n {
				t.Errorf("wrap(%q): line %q longer than %d", c.in, l, c.n)
			}
		}
	}
	if got := fit("abcdef", 4); got != "abc…" {
		t.Errorf("fit = %q", got)
	}
}
