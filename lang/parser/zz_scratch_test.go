package parser

import (
	"os"
	"testing"

	"github.com/wflang/wf/lang/ast"
)

func TestScratchDump(t *testing.T) {
	name := os.Getenv("WF_FILE")
	src, err := os.ReadFile(name)
	if err != nil {
		t.Skip()
	}
	f, diags := ParseFile(name, string(src))
	ast.Fprint(os.Stdout, f)
	for _, d := range diags {
		t.Log(d.String())
	}
}
