package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"text/tabwriter"

	"github.com/wflang/wf/templates"
)

var cmdNew = &command{
	name:  "new",
	args:  "[--dir dir] template name | --list",
	short: "start a workflow from a template",
	long: `New writes dir/name.wf (dir is the current directory unless --dir says
otherwise): the template's workflow, named name, with test blocks that pass
as they are. The properties the template adds and its tests are named after
the workflow too, so several workflows made from one template can live in
one directory. New never overwrites a file.

With --list it lists the templates and what each automates.

Then edit the file and run wf check and wf test on it.
`,
	run: runNew,
}

func runNew(c *command, args []string, stdout, stderr io.Writer) int {
	flags := c.flagSet()
	list := flags.Bool("list", false, "list the templates")
	dir := flags.String("dir", ".", "the `directory` to write the new file in")
	pos, code, ok := c.parse(flags, args, stdout, stderr)
	if !ok {
		return code
	}
	if *list {
		if len(pos) > 0 {
			return c.usageError(stderr, "--list takes no arguments")
		}
		tw := tabwriter.NewWriter(stdout, 0, 8, 2, ' ', 0)
		for _, t := range templates.List() {
			fmt.Fprintf(tw, "%s\t%s\n", t.Name, t.Summary)
		}
		tw.Flush()
		return exitOK
	}
	if len(pos) != 2 {
		return c.usageError(stderr, "give a template and a workflow name (wf new --list lists the templates)")
	}
	t, ok := templates.Lookup(pos[0])
	if !ok {
		return c.usageError(stderr, "no template %q (wf new --list lists the templates)", pos[0])
	}
	src, err := t.Instantiate(pos[1])
	if err != nil {
		return c.usageError(stderr, "%v", err)
	}
	path := filepath.Join(*dir, pos[1]+".wf")
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return errorf(stderr, c, "%s already exists", path)
	}
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	if _, err := io.WriteString(f, src); err != nil {
		f.Close()
		return errorf(stderr, c, "%v", err)
	}
	if err := f.Close(); err != nil {
		return errorf(stderr, c, "%v", err)
	}
	fmt.Fprintf(stdout, "created %s from the %s template; next: wf test %s\n", path, t.Name, path)
	return exitOK
}
