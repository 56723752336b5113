package main

import (
	"io"

	"github.com/wflang/wf/compiler"
)

var cmdCheck = &command{
	name:  "check",
	args:  "[--json] paths...",
	short: "parse and check .wf files",
	long: `Check parses and checks the .wf files that paths name and prints every
diagnostic to stderr as file:line:col: message, with a fix hint in
parentheses where one is obvious. It reports all errors it finds, not just
the first.

With --json, the diagnostics are printed to stdout as one JSON array of
objects with the fields file, line, col, end_line, end_col, severity
("error" or "warning"), code, message and hint.

Check exits 1 when there is an error (warnings alone exit 0).
`,
	run: runCheck,
}

func runCheck(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	asJSON := fs.Bool("json", false, "print the diagnostics to stdout as a JSON array")
	paths, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		return c.usageError(stderr, "no paths given")
	}
	if isCompiled(paths) {
		return c.usageError(stderr, "check reads .wf sources, not compiled .wfc files")
	}
	_, diags, err := compiler.CompileFiles(paths...)
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	if *asJSON {
		if err := writeDiagsJSON(stdout, diags); err != nil {
			return errorf(stderr, c, "%v", err)
		}
	} else {
		printDiags(stderr, diags)
	}
	if diags.HasErrors() {
		return exitFindings
	}
	return exitOK
}
