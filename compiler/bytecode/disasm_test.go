package bytecode

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

func TestDisasmGolden(t *testing.T) {
	var buf bytes.Buffer
	if err := Disasm(&buf, fullProgram()); err != nil {
		t.Fatal(err)
	}
	golden(t, "full.golden", buf.Bytes())
}

// TestDisasmInvalid checks that Disasm prints a program whose indexes do not
// resolve without panicking, marking what it cannot name.
func TestDisasmInvalid(t *testing.T) {
	p := fullProgram()
	p.Workflows[0].Object = 99
	p.Workflows[0].Steps[0].Kind = 200
	p.Workflows[0].Triggers[0].Kind = 200
	p.Workflows[0].Steps[3].Arms[0].Expr = 99
	p.Code[0] = Make(CONST, 999)
	p.Tests[0].Stmts[0].Kind = 200
	var buf bytes.Buffer
	if err := Disasm(&buf, p); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"on ?99", `id="1" ?200`, "trigger 0 ?200", "e99: no such expression", "0 ?200"} {
		if !bytes.Contains(buf.Bytes(), []byte(want)) {
			t.Errorf("listing lacks %q", want)
		}
	}
}
