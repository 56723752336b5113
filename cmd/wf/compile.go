package main

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/wflang/wf/compiler/bytecode"
)

var cmdCompile = &command{
	name:  "compile",
	args:  "[-o out.wfc] paths...",
	short: "compile .wf files to a bytecode file",
	long: `Compile checks the .wf files that paths name and writes the compiled
program in wf's versioned binary encoding. Diagnostics go to stderr as with
wf check; when there is an error, nothing is written and compile exits 1.

Without -o, the output is named after the first path: examples/lead_nurturing
becomes lead_nurturing.wfc in the current directory. "-o -" writes to stdout.
The result can be given to wf disasm, wf run and wf test in place of sources.
`,
	run: runCompile,
}

func runCompile(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	out := fs.String("o", "", "write the compiled program to `file` (- for stdout)")
	paths, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		return c.usageError(stderr, "no paths given")
	}
	if isCompiled(paths) {
		return c.usageError(stderr, "compile reads .wf sources, not compiled .wfc files")
	}
	prog, code, ok := load(c, paths, stderr)
	if !ok {
		return code
	}
	name := *out
	if name == "" {
		name = defaultOutput(paths[0])
	}
	if name == "-" {
		w := bufio.NewWriter(stdout)
		if err := bytecode.Encode(w, prog); err != nil {
			return errorf(stderr, c, "%v", err)
		}
		if err := w.Flush(); err != nil {
			return errorf(stderr, c, "%v", err)
		}
		return exitOK
	}
	if err := writeFile(name, prog); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	return exitOK
}

// defaultOutput names the output file after a path: dir/... and dir give
// dir's base name, file.wf gives file; then .wfc.
func defaultOutput(path string) string {
	path = strings.TrimSuffix(path, "/...")
	base := strings.TrimSuffix(filepath.Base(filepath.Clean(path)), ".wf")
	if base == "." || base == "/" || base == "" {
		base = "out"
	}
	return base + ".wfc"
}

// writeFile encodes prog into name, leaving no partial file behind on error.
func writeFile(name string, prog *bytecode.Program) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	err = bytecode.Encode(w, prog)
	if err == nil {
		err = w.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(name)
	}
	return err
}
