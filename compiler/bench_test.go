package compiler

import (
	"strings"
	"testing"

	"github.com/wflang/wf/internal/wfgen"
	"github.com/wflang/wf/lang/ast"
)

func TestGeneratedProgram(t *testing.T) {
	src := wfgen.Program(2000)
	p, diags := CompileSource("gen.wf", src)
	if len(diags) > 0 {
		t.Fatalf("the generated program does not compile:\n%v", diags)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if len(p.Workflows) < 50 {
		t.Errorf("only %d workflows", len(p.Workflows))
	}
}

// BenchmarkCompile measures resolving, checking and lowering (not parsing)
// a generated 2,000-line program.
func BenchmarkCompile(b *testing.B) {
	src := wfgen.Program(2000)
	lines := strings.Count(src, "\n")
	files := []*ast.File{parseSource(b, "gen.wf", src)}
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := Compile(files); len(diags) > 0 {
			b.Fatal(diags)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkCompileSource measures parsing and compiling together.
func BenchmarkCompileSource(b *testing.B) {
	src := wfgen.Program(2000)
	lines := strings.Count(src, "\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, diags := CompileSource("gen.wf", src); len(diags) > 0 {
			b.Fatal(diags)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
