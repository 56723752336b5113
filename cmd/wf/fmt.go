package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/lang/format"
)

var cmdFmt = &command{
	name:  "fmt",
	args:  "[-l] [-d] [-w] [paths...]",
	short: "format .wf files in the canonical layout",
	long: `Fmt prints .wf files in wf's one canonical layout: two-space indentation,
one setting, step or statement per line, blocks opened on the line that
starts them, branch arms aligned, blank lines kept (at most one), and every
comment where it was. Formatting a formatted file changes nothing.

Without flags, fmt prints the formatted text of each file to stdout; with
no paths it formats standard input. With -l it lists the files whose
formatting differs, with -d it prints the changes as a unified diff, and
with -w it rewrites the files in place. A file with syntax errors is not
formatted: its diagnostics are printed to stderr as file:line:col: message.

Exit status is 2 when a file has syntax errors or cannot be read or
written, else 0 (as gofmt, -l and -d do not fail on differences).
`,
	run: runFmt,
}

func runFmt(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	list := fs.Bool("l", false, "list the files whose formatting differs")
	showDiff := fs.Bool("d", false, "print the changes as a unified diff")
	write := fs.Bool("w", false, "write the result to the files instead of stdout")
	paths, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(paths) == 0 {
		if *write {
			return c.usageError(stderr, "-w needs paths")
		}
		src, err := io.ReadAll(os.Stdin)
		if err != nil {
			return errorf(stderr, c, "%v", err)
		}
		return fmtOne(c, "<stdin>", src, *list, *showDiff, false, stdout, stderr)
	}
	names, err := compiler.ExpandPaths(paths)
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	code = exitOK
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			code = errorf(stderr, c, "%v", err)
			continue
		}
		if r := fmtOne(c, name, src, *list, *showDiff, *write, stdout, stderr); r != exitOK {
			code = r
		}
	}
	return code
}

// fmtOne formats one file's source and reports or writes the result as
// the flags ask.
func fmtOne(c *command, name string, src []byte, list, showDiff, write bool, stdout, stderr io.Writer) int {
	out, err := format.Source(name, src)
	if err != nil {
		var diags diag.List
		if errors.As(err, &diags) {
			printDiags(stderr, diags)
			return exitUsage
		}
		return errorf(stderr, c, "%s: %v", name, err)
	}
	changed := !bytes.Equal(src, out)
	if list && changed {
		fmt.Fprintln(stdout, name)
	}
	if showDiff && changed {
		io.WriteString(stdout, unifiedDiff(name, string(src), string(out)))
	}
	if write && changed {
		perm := fs.FileMode(0o644)
		if info, err := os.Stat(name); err == nil {
			perm = info.Mode().Perm()
		}
		if err := os.WriteFile(name, out, perm); err != nil {
			return errorf(stderr, c, "%v", err)
		}
	}
	if !list && !showDiff && !write {
		stdout.Write(out)
	}
	return exitOK
}

// unifiedDiff returns the changes from a to b as a unified diff with three
// lines of context, or "" when they are equal.
func unifiedDiff(name, a, b string) string {
	x, y := splitLines(a), splitLines(b)
	ops := diffLines(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s (formatted)\n", name, name)
	const ctx = 3
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		// A hunk: from ctx lines before this change to ctx lines after
		// the last change that is at most 2*ctx lines after the one before.
		start := max(0, i-ctx)
		end := i
		for j := i; j < len(ops); j++ {
			if ops[j].kind != ' ' {
				end = j
			} else if j-end > 2*ctx {
				break
			}
		}
		stop := min(len(ops), end+ctx+1)
		ax, bx := ops[start].ai, ops[start].bi
		an, bn := 0, 0
		for _, o := range ops[start:stop] {
			if o.kind != '+' {
				an++
			}
			if o.kind != '-' {
				bn++
			}
		}
		fmt.Fprintf(&out, "@@ -%s +%s @@\n", hunkRange(ax, an), hunkRange(bx, bn))
		for _, o := range ops[start:stop] {
			line := o.text
			out.WriteByte(o.kind)
			out.WriteString(line)
			if !strings.HasSuffix(line, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		i = stop
	}
	return out.String()
}

func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	if n == 1 {
		return fmt.Sprint(start + 1)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func splitLines(s string) []string {
	var lines []string
	for s != "" {
		i := strings.IndexByte(s, '\n') + 1
		if i == 0 {
			i = len(s)
		}
		lines = append(lines, s[:i])
		s = s[i:]
	}
	return lines
}

// diffOp is one line of an edit script: kept (' '), deleted ('-') or
// inserted ('+'), with the indexes in a and b where it stands.
type diffOp struct {
	kind   byte
	text   string
	ai, bi int
}

// diffLines returns a shortest edit script from a to b (Myers' algorithm).
func diffLines(a, b []string) []diffOp {
	n, m := len(a), len(b)
	maxD := n + m
	off := maxD + 1
	v := make([]int, 2*maxD+3)
	var trace [][]int
	for d := 0; d <= maxD; d++ {
		trace = append(trace, append([]int(nil), v[off-d-1:off+d+2]...)) // k from -d-1 to d+1
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || k != d && v[off+k-1] < v[off+k+1] {
				x = v[off+k+1]
			} else {
				x = v[off+k-1] + 1
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x, y = x+1, y+1
			}
			v[off+k] = x
			if x >= n && y >= m {
				return backtrack(a, b, trace, d)
			}
		}
	}
	return nil
}

func backtrack(a, b []string, trace [][]int, d int) []diffOp {
	var ops []diffOp
	x, y := len(a), len(b)
	for ; d >= 0; d-- {
		v := trace[d] // the furthest x on each diagonal after d-1 edits
		off := d + 1
		k := x - y
		prevK := k - 1
		if k == -d || k != d && v[off+k-1] < v[off+k+1] {
			prevK = k + 1
		}
		prevX := v[off+prevK]
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			x, y = x-1, y-1
			ops = append(ops, diffOp{kind: ' ', text: a[x], ai: x, bi: y})
		}
		if d > 0 {
			if x == prevX {
				ops = append(ops, diffOp{kind: '+', text: b[prevY], ai: x, bi: prevY})
			} else {
				ops = append(ops, diffOp{kind: '-', text: a[prevX], ai: prevX, bi: y})
			}
		}
		x, y = prevX, prevY
	}
	for i, j := 0, len(ops)-1; i < j; i, j = i+1, j-1 {
		ops[i], ops[j] = ops[j], ops[i]
	}
	return ops
}
