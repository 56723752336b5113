package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/wftest"
)

var cmdTest = &command{
	name:  "test",
	args:  "[-run regexp] [-v] [-seed N] paths...",
	short: "run the test blocks of .wf files",
	long: `Test compiles the .wf files that paths name (or loads one .wfc file) and
runs their test blocks, each on a fresh in-memory engine with a virtual
clock, so a test that advances two weeks takes no time. Test blocks may sit
beside the workflows they test or in _test.wf files.

Each failed test is printed as --- FAIL: "name" (file:line), followed by
each failed expect as file:line:col: message with the value it saw; the last
line counts passed and failed tests. Test exits 1 when a test fails, or
when the source has errors.
`,
	run: runTest,
}

func runTest(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	pattern := fs.String("run", "", "run only the tests whose name matches `regexp`")
	verbose := fs.Bool("v", false, "list passing tests too")
	seed := fs.Int64("seed", 0, "seed for split steps")
	paths, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	var match *regexp.Regexp
	if *pattern != "" {
		re, err := regexp.Compile(*pattern)
		if err != nil {
			return c.usageError(stderr, "-run: %v", err)
		}
		match = re
	}
	prog, code, ok := load(c, paths, stderr)
	if !ok {
		return code
	}
	if match != nil {
		prog = selectTests(prog, match)
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if len(prog.Tests) == 0 {
		fmt.Fprintln(out, "no tests to run")
		return exitOK
	}
	results := wftest.Run(prog, wftest.Options{Seed: *seed})
	if wftest.Print(out, results, *verbose) > 0 {
		return exitFindings
	}
	return exitOK
}

// selectTests returns a copy of p holding only the tests whose name
// matches re.
func selectTests(p *bytecode.Program, re *regexp.Regexp) *bytecode.Program {
	q := *p
	q.Tests = nil
	for _, t := range p.Tests {
		if re.MatchString(t.Name) {
			q.Tests = append(q.Tests, t)
		}
	}
	return &q
}
