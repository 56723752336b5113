package parser

import (
	"strings"
	"testing"

	"github.com/wflang/wf/internal/wfgen"
)

func TestGeneratedSourceParses(t *testing.T) {
	src := wfgen.Program(2000)
	f, diags := ParseFile("gen.wf", src)
	if len(diags) > 0 {
		t.Fatalf("generated source does not parse:\n%v", diags)
	}
	if len(f.Decls) < 50 {
		t.Fatalf("only %d declarations", len(f.Decls))
	}
}

func BenchmarkParse2000Lines(b *testing.B) {
	src := wfgen.Program(2000)
	lines := strings.Count(src, "\n")
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, diags := ParseFile("gen.wf", src); len(diags) > 0 {
			b.Fatal(diags)
		}
	}
	b.ReportMetric(float64(lines)*float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}
