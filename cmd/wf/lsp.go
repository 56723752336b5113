package main

import (
	"context"
	"io"
	"os"

	"github.com/wflang/wf/lang/lsp"
)

var cmdLsp = &command{
	name:  "lsp",
	args:  "",
	short: "run the language server on stdin and stdout",
	long: `Lsp runs wf's language server, speaking the Language Server Protocol
(JSON-RPC 2.0 with Content-Length framing) on stdin and stdout, for an
editor to start. It offers diagnostics as you type, hover, completion, go
to definition, find references, document symbols, semantic tokens and
quick fixes. A program is all the .wf files of a folder, compiled together.

Go to definition on a prelude name (contact.email) opens a copy of the
prelude that the server writes to the user's cache directory (wf/prelude.wf).
`,
	run: runLsp,
}

// stdio joins stdin and stdout into the server's stream.
type stdio struct {
	io.Reader
	io.Writer
}

func (stdio) Close() error { return os.Stdin.Close() }

func runLsp(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	pos, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		return c.usageError(stderr, "lsp takes no arguments")
	}
	err := lsp.Serve(context.Background(), stdio{os.Stdin, stdout}, lsp.Options{Log: stderr})
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	return exitOK
}
