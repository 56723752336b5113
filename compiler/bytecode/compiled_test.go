package bytecode_test

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
)

// TestCompiledExamples compiles each example of the repository and the
// fixtures in testdata/disasm, checks that each program validates and
// round-trips through the encoding, and compares the listing of each fixture
// with testdata/<fixture>.golden. The examples get no golden listing: they
// change for their own reasons.
func TestCompiledExamples(t *testing.T) {
	examples, err := filepath.Glob("../../examples/*")
	if err != nil {
		t.Fatal(err)
	}
	fixtures, err := filepath.Glob("testdata/disasm/*.wf")
	if err != nil {
		t.Fatal(err)
	}
	if len(examples) == 0 || len(fixtures) == 0 {
		t.Fatal("no examples or fixtures found")
	}
	for _, dir := range append(examples, fixtures...) {
		name := filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			p, diags, err := compiler.CompileFiles(dir)
			if err != nil {
				t.Fatal(err)
			}
			if p == nil {
				t.Fatalf("compiling %s:\n%v", dir, diags)
			}
			if err := p.Validate(); err != nil {
				t.Fatalf("compiled program does not validate: %v", err)
			}
			var buf bytes.Buffer
			if err := bytecode.Encode(&buf, p); err != nil {
				t.Fatal(err)
			}
			got, err := bytecode.Decode(&buf)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(p, got); diff != "" {
				t.Errorf("Decode(Encode(p)) differs (-want +got):\n%s", diff)
			}
			var listing bytes.Buffer
			if err := bytecode.Disasm(&listing, p); err != nil {
				t.Fatal(err)
			}
			if strings.HasSuffix(dir, ".wf") {
				bytecode.Golden(t, strings.TrimSuffix(name, ".wf")+".golden", listing.Bytes())
			}
		})
	}
}
