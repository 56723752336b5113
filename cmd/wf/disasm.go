package main

import (
	"bufio"
	"io"

	"github.com/wflang/wf/compiler/bytecode"
)

var cmdDisasm = &command{
	name:  "disasm",
	args:  "paths... | file.wfc",
	short: "print the bytecode of .wf files or a .wfc file",
	long: `Disasm prints the compiled program in readable form: the object types
with their property slots, the constant pool, each expression's
instructions, and each workflow's triggers and step table. It compiles the
.wf files that paths name, or decodes one file written by wf compile.
`,
	run: runDisasm,
}

func runDisasm(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	paths, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	prog, code, ok := load(c, paths, stderr)
	if !ok {
		return code
	}
	w := bufio.NewWriter(stdout)
	if err := bytecode.Disasm(w, prog); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	if err := w.Flush(); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	return exitOK
}
