package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/lang/diag"
)

// load returns the program that paths name: one compiled .wfc file, or .wf
// sources (files, directories, dir/...), which it compiles. Diagnostics are
// printed to stderr. When ok is false, code is the exit code: 1 for errors
// in the source, 2 for usage and I/O errors.
func load(c *command, paths []string, stderr io.Writer) (prog *bytecode.Program, code int, ok bool) {
	if len(paths) == 0 {
		return nil, c.usageError(stderr, "no paths given"), false
	}
	if isCompiled(paths) {
		if len(paths) > 1 {
			return nil, c.usageError(stderr, "give one .wfc file, or .wf sources"), false
		}
		p, err := readCompiled(paths[0])
		if err != nil {
			return nil, errorf(stderr, c, "%v", err), false
		}
		return p, exitOK, true
	}
	p, diags, err := compiler.CompileFiles(paths...)
	if err != nil {
		return nil, errorf(stderr, c, "%v", err), false
	}
	printDiags(stderr, diags)
	if diags.HasErrors() || p == nil {
		return nil, exitFindings, false
	}
	return p, exitOK, true
}

// isCompiled reports whether any path names a .wfc file.
func isCompiled(paths []string) bool {
	for _, p := range paths {
		if strings.HasSuffix(p, ".wfc") {
			return true
		}
	}
	return false
}

func readCompiled(name string) (*bytecode.Program, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	p, err := bytecode.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return p, nil
}

// printDiags prints each diagnostic as `file:line:col: message`.
func printDiags(w io.Writer, diags diag.List) {
	for _, d := range diags {
		fmt.Fprintln(w, d.String())
	}
}

// jsonDiag is the --json form of a diagnostic.
type jsonDiag struct {
	File     string `json:"file"`
	Line     int    `json:"line"`
	Col      int    `json:"col"`
	EndLine  int    `json:"end_line"`
	EndCol   int    `json:"end_col"`
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Hint     string `json:"hint,omitempty"`
}

// writeDiagsJSON prints the diagnostics as one indented JSON array ([] when
// there are none).
func writeDiagsJSON(w io.Writer, diags diag.List) error {
	out := make([]jsonDiag, 0, len(diags))
	for _, d := range diags {
		out = append(out, jsonDiag{
			File: d.Pos.Filename, Line: d.Pos.Line, Col: d.Pos.Column,
			EndLine: d.End.Line, EndCol: d.End.Column,
			Severity: d.Severity.String(), Code: d.Code, Message: d.Message, Hint: d.Hint,
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
