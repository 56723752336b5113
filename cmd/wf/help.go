package main

import (
	"fmt"
	"io"
)

var cmdHelp = &command{
	name:  "help",
	args:  "[command]",
	short: "show help for wf or one of its commands",
	long:  "Help prints the list of commands, or the usage and flags of one command.\n",
	run:   runHelp,
}

func runHelp(c *command, args []string, stdout, stderr io.Writer) int {
	args, code, ok := c.parse(c.flagSet(), args, stdout, stderr)
	if !ok {
		return code
	}
	switch len(args) {
	case 0:
		usage(stdout)
		return exitOK
	case 1:
		target := lookup(args[0])
		if target == nil {
			fmt.Fprintf(stderr, "wf help %s: unknown command\nRun 'wf help' for usage.\n", args[0])
			return exitUsage
		}
		printHelp(stdout, target)
		return exitOK
	}
	return c.usageError(stderr, "give one command")
}

// printHelp prints a command's usage line, description and flags, by
// running it with -h.
func printHelp(w io.Writer, c *command) {
	c.run(c, []string{"-h"}, w, w)
}
