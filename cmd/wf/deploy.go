package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/wflang/wf/runtime/cluster"
)

var cmdDeploy = &command{
	name:  "deploy",
	args:  "DIR --store postgres://…",
	short: "publish a directory's workflows to a cluster",
	long: `Deploy compiles the .wf files below DIR and publishes the program as the
newest version in the cluster's PostgreSQL database. Every node of the
cluster (wf serve --store postgres://…) switches to it without a restart;
enrollments move to the new version as they do at a reload. Publishing the
program that is already the newest does nothing.

A directory with errors is not published: the diagnostics are printed and
the exit status is 1.
`,
	run: runDeploy,
}

func runDeploy(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	storeURL := fs.String("store", "", "the cluster's database: postgres://user@host:port/db")
	pos, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		return c.usageError(stderr, "deploy takes one directory")
	}
	if !strings.HasPrefix(*storeURL, "postgres://") && !strings.HasPrefix(*storeURL, "postgresql://") {
		return c.usageError(stderr, "--store must be a postgres:// or postgresql:// URL")
	}
	prog, code, ok := load(c, []string{strings.TrimSuffix(pos[0], "/...") + "/..."}, stderr)
	if !ok {
		return code
	}
	db, err := openPostgres(*storeURL)
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	host, _ := os.Hostname()
	seq, err := cluster.Publish(ctx, db, prog, "wf deploy on "+host)
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	noun := "workflows"
	if len(prog.Workflows) == 1 {
		noun = "workflow"
	}
	fmt.Fprintf(stdout, "version %d: %d %s\n", seq, len(prog.Workflows), noun)
	return exitOK
}
