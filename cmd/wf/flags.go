package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagSet returns an empty flag set for the command; parse reads it.
func (c *command) flagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("wf "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parse parses args into fs, allowing flags before, between and after the
// positional arguments (`wf run dir --input x.jsonl`), and returns the
// positional arguments. "--" ends the flags. On -h or --help it prints the
// command's help to stdout; on a bad flag it prints the error and the
// usage line to stderr. In both cases ok is false and code is the exit code.
func (c *command) parse(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) (pos []string, code int, ok bool) {
	for {
		err := fs.Parse(args)
		if errors.Is(err, flag.ErrHelp) {
			c.help(stdout, fs)
			return nil, exitOK, false
		}
		if err != nil {
			fmt.Fprintf(stderr, "wf %s: %v\n", c.name, err)
			c.usageLine(stderr)
			return nil, exitUsage, false
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, exitOK, true
		}
		// fs.Parse stops at the first positional argument or after "--".
		if len(args) > len(rest) && args[len(args)-len(rest)-1] == "--" {
			return append(pos, rest...), exitOK, true
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// help prints the command's usage, description and flags.
func (c *command) help(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: %s\n\n%s", c.synopsis(), c.long)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n == 0 {
		return
	}
	fmt.Fprint(w, "\nFlags:\n")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// usageLine prints the short usage reminder that follows a usage error.
func (c *command) usageLine(w io.Writer) {
	fmt.Fprintf(w, "usage: %s\nRun 'wf help %s' for details.\n", c.synopsis(), c.name)
}

// usageError reports a usage problem found after flag parsing.
func (c *command) usageError(stderr io.Writer, format string, args ...any) int {
	fmt.Fprintf(stderr, "wf %s: %s\n", c.name, fmt.Sprintf(format, args...))
	c.usageLine(stderr)
	return exitUsage
}

// errorf reports an I/O or other operational error and returns exit code 2.
func errorf(stderr io.Writer, c *command, format string, args ...any) int {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(stderr, "wf %s: %s\n", c.name, strings.TrimRight(msg, "\n"))
	return exitUsage
}

// synopsis is the command's usage line: "wf check [--json] paths...".
func (c *command) synopsis() string {
	return strings.TrimSpace("wf " + c.name + " " + c.args)
}
