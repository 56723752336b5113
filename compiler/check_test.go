package compiler

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/wflang/wf/internal/errtest"
	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/parser"
)

// TestCheck compiles each file of testdata/check on its own and matches
// every diagnostic to exactly one ERROR comment on its line, and every
// ERROR comment to one diagnostic.
func TestCheck(t *testing.T) {
	names, err := filepath.Glob("testdata/check/*.wf")
	if err != nil || len(names) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, name := range names {
		t.Run(filepath.Base(name), func(t *testing.T) {
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			f, diags := parser.ParseFile(name, string(src))
			prog, cdiags := Compile([]*ast.File{f})
			diags = append(diags, cdiags...)
			if prog != nil {
				t.Error("Compile returned a program along with errors")
			}
			errtest.Check(t, name, string(src), diags)
			for _, d := range diags {
				if d.Code == "" {
					t.Errorf("diagnostic without a code: %s", d)
				}
				if d.End.Offset < d.Pos.Offset || d.End.Line == 0 {
					t.Errorf("diagnostic with a bad range %v-%v: %s", d.Pos, d.End, d)
				}
			}
		})
	}
}
