package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"

	"github.com/wflang/wf/compiler/bytecode"
)

var cmdVersion = &command{
	name:  "version",
	args:  "",
	short: "print the wf version",
	long: `Version prints the version of wf, the version of the bytecode format it
reads and writes, and the Go toolchain and platform it was built for.
`,
	run: runVersion,
}

func runVersion(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	pos, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return c.usageError(stderr, "version takes no arguments")
	}
	fmt.Fprintf(stdout, "wf version %s (bytecode v%d) %s %s/%s\n",
		moduleVersion(), bytecode.Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	return exitOK
}

// moduleVersion is the version of the main module as recorded by the Go
// toolchain: a release tag when installed with go install m@v, else "devel".
func moduleVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "devel"
	}
	return info.Main.Version
}
