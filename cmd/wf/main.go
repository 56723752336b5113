// Command wf checks, compiles, runs and tests .wf workflow files.
//
// Usage:
//
//	wf <command> [arguments]
//
// The commands are:
//
//	check    parse and check .wf files, printing diagnostics
//	compile  compile .wf files to a bytecode file (.wfc)
//	disasm   print the bytecode of .wf files or of a .wfc file
//	run      run workflows against a JSON Lines stream of changes
//	test     run the test blocks of .wf files
//	serve    run workflows durably, with an HTTP API and hot reload
//	deploy   publish a directory's workflows to a cluster
//	fmt      format .wf files in the canonical layout
//	graph    draw the step graph of a workflow
//	new      start a workflow from a template
//	version  print the wf version
//
// Paths name a .wf file, a directory (the .wf files in it) or dir/... (the
// .wf files below dir). Run "wf help <command>" for a command's flags.
//
// Exit status: 0 when all is well, 1 when there are findings (error
// diagnostics, failed tests), 2 for usage and I/O errors.
package main

import (
	"fmt"
	"io"
	"os"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit codes.
const (
	exitOK       = 0
	exitFindings = 1
	exitUsage    = 2
)

// command is one wf subcommand.
type command struct {
	name  string
	args  string // the argument synopsis, after the command name
	short string // one line for the command list
	long  string // the rest of the help text
	// run executes the command on its arguments (flags included).
	run func(c *command, args []string, stdout, stderr io.Writer) int
}

// commands in the order "wf help" lists them.
var commands []*command

func init() {
	commands = []*command{cmdCheck, cmdCompile, cmdDisasm, cmdRun, cmdExplain, cmdTest, cmdServe, cmdDeploy, cmdPlan, cmdImport, cmdLsp, cmdFmt, cmdGraph, cmdNew, cmdVersion, cmdHelp}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run is the whole program: it dispatches args to a command and returns
// the exit code. Tests call it in-process.
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	name := args[0]
	switch name {
	case "-h", "-help", "--help":
		usage(stdout)
		return exitOK
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "wf %s: unknown command\nRun 'wf help' for usage.\n", name)
		return exitUsage
	}
	return c.run(c, args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprint(w, "wf checks, compiles, runs and tests workflow automation written in .wf files.\n\n")
	fmt.Fprint(w, "Usage:\n\n\twf <command> [arguments]\n\nThe commands are:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, "\nPaths name a .wf file, a directory (its .wf files) or dir/... (all .wf files below dir).\n")
	fmt.Fprint(w, "Exit status: 0 ok, 1 findings (errors in the source, failed tests), 2 usage or I/O error.\n")
	fmt.Fprint(w, "\nUse \"wf help <command>\" for more information about a command.\n")
}
