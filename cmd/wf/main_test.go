package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wflang/wf/lang/ast"
	"github.com/wflang/wf/lang/parser"
	"github.com/wflang/wf/stdlib"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// golden compares got with testdata/golden/name, or rewrites the file
// with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", path, diff)
	}
}

// wf runs the command in-process.
func wf(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestCommands runs each command on the fixtures in testdata and checks
// the exit code and the output: against a golden file when one is named,
// else that it contains the given substrings.
func TestCommands(t *testing.T) {
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string   // golden file for stdout
		stderr     string   // golden file for stderr
		outHas     []string // substrings of stdout
		errHas     []string // substrings of stderr
		outLacks   []string // strings stdout must not contain
		stdoutNone bool     // stdout must be empty
	}{
		// wf itself
		{name: "no args", args: nil, code: 2, errHas: []string{"Usage:", "wf <command>", "check", "version"}},
		{name: "help", args: []string{"help"}, code: 0, outHas: []string{"Usage:", "compile", "disasm", "run", "test"}},
		{name: "--help", args: []string{"--help"}, code: 0, outHas: []string{"Usage:"}},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, errHas: []string{"wf frobnicate: unknown command"}},
		{name: "help unknown", args: []string{"help", "frobnicate"}, code: 2, errHas: []string{"unknown command"}},
		{name: "help help", args: []string{"help", "help"}, code: 0, outHas: []string{"usage: wf help [command]"}},
		{name: "help two", args: []string{"help", "check", "run"}, code: 2, errHas: []string{"give one command"}},
		{name: "help check", args: []string{"help", "check"}, code: 0, outHas: []string{"usage: wf check", "-json"}},
		{name: "version", args: []string{"version"}, code: 0, outHas: []string{"wf version ", "(bytecode v"}},
		{name: "version args", args: []string{"version", "x"}, code: 2, errHas: []string{"takes no arguments"}},

		// -h and bad flags on every command
		{name: "check -h", args: []string{"check", "-h"}, code: 0, outHas: []string{"usage: wf check", "Flags:", "-json"}},
		{name: "compile --help", args: []string{"compile", "--help"}, code: 0, outHas: []string{"usage: wf compile", "-o file"}},
		{name: "disasm -h", args: []string{"disasm", "-h"}, code: 0, outHas: []string{"usage: wf disasm"}},
		{name: "run -h", args: []string{"run", "-h"}, code: 0, outHas: []string{"usage: wf run", "-input", "-until", "-seed"}},
		{name: "test -h", args: []string{"test", "-h"}, code: 0, outHas: []string{"usage: wf test", "-run", "-v"}},
		{name: "check bad flag", args: []string{"check", "--bogus", "x.wf"}, code: 2, errHas: []string{"flag provided but not defined: -bogus", "usage: wf check"}},
		{name: "check no paths", args: []string{"check"}, code: 2, errHas: []string{"no paths given"}},

		// check
		{name: "check ok", args: []string{"check", "testdata/small"}, code: 0, stdoutNone: true},
		{name: "check dir/...", args: []string{"check", "testdata/small/..."}, code: 0, stdoutNone: true},
		{name: "check errors", args: []string{"check", "testdata/bad"}, code: 1, stderr: "check_bad.stderr", stdoutNone: true},
		{name: "check errors json", args: []string{"check", "testdata/bad", "--json"}, code: 1, stdout: "check_bad.json"},
		{name: "check ok json", args: []string{"check", "--json", "testdata/small"}, code: 0, stdout: "check_ok.json"},
		{name: "check missing", args: []string{"check", "testdata/nope.wf"}, code: 2, errHas: []string{"wf check:", "nope.wf"}},
		{name: "check wfc", args: []string{"check", "x.wfc"}, code: 2, errHas: []string{"not compiled .wfc"}},

		// disasm
		{name: "disasm", args: []string{"disasm", "testdata/disasm"}, code: 0, stdout: "disasm_signup.txt"},
		{name: "disasm errors", args: []string{"disasm", "testdata/bad"}, code: 1, errHas: []string{"bad.wf:3:"}, stdoutNone: true},
		{name: "disasm missing wfc", args: []string{"disasm", "testdata/nope.wfc"}, code: 2, errHas: []string{"nope.wfc"}},
		{name: "disasm garbage wfc", args: []string{"disasm", "testdata/garbage.wfc"}, code: 2, errHas: []string{"wf disasm: testdata/garbage.wfc: "}},

		// serve flags (refused before anything is opened)
		{name: "serve bad secrets file", args: []string{"serve", "testdata/serve", "--secrets-file", "testdata/nope.env"}, code: 2, errHas: []string{"--secrets-file", "nope.env"}},
		{name: "serve bad webhook timeout", args: []string{"serve", "testdata/serve", "--webhook-timeout", "0s"}, code: 2, errHas: []string{"--webhook-timeout must be positive"}},

		// compile
		{name: "compile errors", args: []string{"compile", "-o", "-", "testdata/bad"}, code: 1, errHas: []string{"bad.wf:3:"}, stdoutNone: true},
		{name: "compile no paths", args: []string{"compile", "-o", "x.wfc"}, code: 2, errHas: []string{"no paths given"}},

		// run
		{name: "run", args: []string{"run", "testdata/small", "--input", "testdata/small/changes.jsonl"}, code: 0, stdout: "run_small.jsonl"},
		{name: "run until", args: []string{"run", "--until", "2026-01-05T20:00:00Z", "--input", "testdata/small/changes.jsonl", "testdata/small"}, code: 0, stdout: "run_small_until.jsonl"},
		{name: "run no input", args: []string{"run", "testdata/small"}, code: 2, errHas: []string{"--input"}},
		{name: "run bad input", args: []string{"run", "testdata/small", "--input", "testdata/small/bad_input.jsonl"}, code: 2, stderr: "run_bad_input.stderr", stdoutNone: true},
		{name: "run missing input", args: []string{"run", "testdata/small", "--input", "testdata/nope.jsonl"}, code: 2, errHas: []string{"nope.jsonl"}},
		{name: "run bad start", args: []string{"run", "testdata/small", "--input", "testdata/small/changes.jsonl", "--start", "yesterday"}, code: 2, errHas: []string{"--start"}},
		{name: "run start after input", args: []string{"run", "testdata/small", "--input", "testdata/small/changes.jsonl", "--start", "2026-02-01T00:00:00Z"}, code: 2, errHas: []string{"changes.jsonl:1: ", "before --start"}},
		{name: "run horizon", args: []string{"run", "testdata/far", "--input", "testdata/far/changes.jsonl"}, code: 0,
			outHas: []string{`"kind":"waiting"`}, outLacks: []string{`"kind":"resumed"`}, errHas: []string{"stopped at 2027-01-05T08:00:00Z", "next is due 2027-02-09T08:00:00Z"}},
		{name: "run past horizon", args: []string{"run", "testdata/far", "--input", "testdata/far/changes.jsonl", "--until", "2027-03-01"}, code: 0,
			outHas: []string{`"kind":"resumed"`, `"new":"open"`}},
		{name: "run refused change", args: []string{"run", "testdata/small", "--input", "testdata/small/delete_missing.jsonl"}, code: 1, errHas: []string{"delete_missing.jsonl:1: "}},
		{name: "run cascade", args: []string{"run", "testdata/loop", "--input", "testdata/small/changes.jsonl"}, code: 1, errHas: []string{"contact/c1 in pong: cascade limit"}},
		{name: "run errors", args: []string{"run", "testdata/bad", "--input", "testdata/small/changes.jsonl"}, code: 1, errHas: []string{"bad.wf:3:"}, stdoutNone: true},

		// test
		{name: "test pass", args: []string{"test", "testdata/small"}, code: 0, stdout: "test_small.txt"},
		{name: "test pass -v", args: []string{"test", "-v", "testdata/small"}, code: 0, stdout: "test_small_v.txt"},
		{name: "test fail", args: []string{"test", "testdata/failing"}, code: 1, stdout: "test_failing.txt"},
		{name: "test -run", args: []string{"test", "testdata/failing", "-run", "tags"}, code: 0, outHas: []string{"1 passed, 0 failed"}},
		{name: "test -run none", args: []string{"test", "testdata/failing", "-run", "^nothing$"}, code: 0, outHas: []string{"no tests"}},
		{name: "test bad -run", args: []string{"test", "testdata/failing", "-run", "("}, code: 2, errHas: []string{"-run"}},
		{name: "test errors", args: []string{"test", "testdata/bad"}, code: 1, errHas: []string{"bad.wf:3:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := wf(tt.args...)
			if code != tt.code {
				t.Errorf("wf %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(tt.args, " "), code, tt.code, stdout, stderr)
			}
			if tt.stdout != "" {
				if tt.args[0] == "disasm" {
					stdout = dropPreludeTypes(t, stdout)
				}
				golden(t, tt.stdout, stdout)
			}
			if tt.stderr != "" {
				golden(t, tt.stderr, stderr)
			}
			for _, s := range tt.outHas {
				if !strings.Contains(stdout, s) {
					t.Errorf("stdout does not contain %q:\n%s", s, stdout)
				}
			}
			for _, s := range tt.errHas {
				if !strings.Contains(stderr, s) {
					t.Errorf("stderr does not contain %q:\n%s", s, stderr)
				}
			}
			for _, s := range tt.outLacks {
				if strings.Contains(stdout, s) {
					t.Errorf("stdout contains %q:\n%s", s, stdout)
				}
			}
			if tt.stdoutNone && stdout != "" {
				t.Errorf("stdout should be empty, got:\n%s", stdout)
			}
		})
	}
}

// dropPreludeTypes removes the prelude's object types from the types
// section of a disassembly, so that golden files do not change when the
// prelude grows.
func dropPreludeTypes(t *testing.T, dis string) string {
	t.Helper()
	f, diags := parser.ParseFile(stdlib.PreludeFile, stdlib.Prelude)
	if diags.HasErrors() {
		t.Fatalf("prelude: %v", diags)
	}
	prelude := map[string]bool{}
	for _, d := range f.Decls {
		if o, ok := d.(*ast.ObjectDecl); ok {
			prelude[o.Name.Name] = true
		}
	}
	var out []string
	inTypes, dropping := false, false
	for _, line := range strings.SplitAfter(dis, "\n") {
		switch {
		case strings.TrimSpace(line) == "types":
			inTypes = true
		case inTypes && !strings.HasPrefix(line, " "):
			inTypes, dropping = false, false
		case inTypes && !strings.HasPrefix(line, "    "):
			name, _, _ := strings.Cut(strings.TrimSpace(line), ":")
			dropping = prelude[name]
		}
		if !dropping {
			out = append(out, line)
		}
	}
	return strings.Join(out, "")
}

// TestCheckJSONFields checks the --json shape field by field, apart from
// the golden file, so a renamed field is caught with a clear message.
func TestCheckJSONFields(t *testing.T) {
	code, stdout, _ := wf("check", "--json", "testdata/bad")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	var diags []map[string]any
	if err := json.Unmarshal([]byte(stdout), &diags); err != nil {
		t.Fatalf("stdout is not a JSON array: %v\n%s", err, stdout)
	}
	if len(diags) < 2 {
		t.Fatalf("got %d diagnostics, want at least 2 (the checker reports every error):\n%s", len(diags), stdout)
	}
	for _, d := range diags {
		for _, k := range []string{"file", "line", "col", "end_line", "end_col", "severity", "code", "message"} {
			if _, ok := d[k]; !ok {
				t.Errorf("diagnostic lacks %q: %v", k, d)
			}
		}
		if d["file"] != filepath.Join("testdata", "bad", "bad.wf") {
			t.Errorf("file = %v, want testdata/bad/bad.wf", d["file"])
		}
	}
}

// TestCompileRoundTrip compiles to a .wfc file and checks that disasm,
// run and test give the same output from it as from the sources.
func TestCompileRoundTrip(t *testing.T) {
	out := filepath.Join(t.TempDir(), "small.wfc")
	if code, _, stderr := wf("compile", "-o", out, "testdata/small"); code != 0 {
		t.Fatalf("compile: exit %d: %s", code, stderr)
	}
	for _, args := range [][]string{
		{"disasm", "%s"},
		{"run", "%s", "--input", "testdata/small/changes.jsonl"},
		{"test", "-v", "%s"},
	} {
		src := make([]string, len(args))
		bin := make([]string, len(args))
		for i, a := range args {
			src[i], bin[i] = a, a
			if a == "%s" {
				src[i], bin[i] = "testdata/small", out
			}
		}
		c1, o1, e1 := wf(src...)
		c2, o2, e2 := wf(bin...)
		if c1 != 0 || c2 != 0 {
			t.Errorf("wf %s: exit %d from sources (%s), %d from .wfc (%s)", args[0], c1, e1, c2, e2)
		}
		if diff := cmp.Diff(o1, o2); diff != "" {
			t.Errorf("wf %s: output from .wfc differs from sources (-src +wfc):\n%s", args[0], diff)
		}
	}
}

// TestCompileDefaultOutput checks the output name derived from the path.
func TestCompileDefaultOutput(t *testing.T) {
	for path, want := range map[string]string{
		"examples/lead_nurturing":     "lead_nurturing.wfc",
		"examples/lead_nurturing/...": "lead_nurturing.wfc",
		"x/welcome.wf":                "welcome.wfc",
		".":                           "out.wfc",
		"./...":                       "out.wfc",
	} {
		if got := defaultOutput(path); got != want {
			t.Errorf("defaultOutput(%q) = %q, want %q", path, got, want)
		}
	}
}

// TestCompileStdout checks that "-o -" writes a decodable program to stdout.
func TestCompileStdout(t *testing.T) {
	code, stdout, stderr := wf("compile", "-o", "-", "testdata/small")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	path := filepath.Join(t.TempDir(), "x.wfc")
	if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := wf("disasm", path); code != 0 {
		t.Errorf("disasm of the stdout output: exit %d: %s", code, stderr)
	}
}

// TestExamples checks and tests every example, as .ci/run does.
func TestExamples(t *testing.T) {
	if code, _, stderr := wf("check", "../../examples/..."); code != 0 {
		t.Errorf("wf check examples/...: exit %d\n%s", code, stderr)
	}
	if code, stdout, stderr := wf("test", "../../examples/..."); code != 0 {
		t.Errorf("wf test examples/...: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestFlagsAfterPaths checks that flags may follow positional arguments,
// and that "--" ends the flags.
func TestFlagsAfterPaths(t *testing.T) {
	c := &command{name: "x", args: "paths..."}
	fs := c.flagSet()
	v := fs.Bool("v", false, "")
	o := fs.String("o", "", "")
	var out, errb bytes.Buffer
	pos, code, ok := c.parse(fs, []string{"a", "-v", "b", "-o", "out", "--", "-c"}, &out, &errb)
	if !ok || code != 0 {
		t.Fatalf("parse failed: %d %s", code, errb.String())
	}
	if !*v || *o != "out" {
		t.Errorf("flags: v=%v o=%q", *v, *o)
	}
	if diff := cmp.Diff([]string{"a", "b", "-c"}, pos); diff != "" {
		t.Errorf("positional (-want +got):\n%s", diff)
	}
}

// TestRunReportsEachErrorOnce checks that an engine error that is both in
// the trace and returned by Apply is printed once.
func TestRunReportsEachErrorOnce(t *testing.T) {
	code, stdout, stderr := wf("run", "testdata/loop", "--input", "testdata/small/changes.jsonl")
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if n := strings.Count(stderr, "\n"); n != 2 {
		t.Errorf("stderr has %d lines, want 2 (one per looping record):\n%s", n, stderr)
	}
	if n := strings.Count(stdout, `"kind":"error"`); n != 2 {
		t.Errorf("trace has %d error events, want 2", n)
	}
}

// TestExamplesRun runs each example against its sample input: it must
// succeed, print a trace of JSON objects that enrolls someone, and print
// the same trace twice.
func TestExamplesRun(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/*/changes.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 3 {
		t.Fatalf("found %d examples with a changes.jsonl, want at least 3", len(dirs))
	}
	for _, input := range dirs {
		dir := filepath.Dir(input)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			code, first, stderr := wf("run", dir, "--input", input)
			if code != 0 {
				t.Fatalf("exit %d:\n%s", code, stderr)
			}
			kinds := map[string]int{}
			for i, line := range strings.Split(strings.TrimSuffix(first, "\n"), "\n") {
				var ev struct{ At, Kind string }
				if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.At == "" || ev.Kind == "" {
					t.Fatalf("trace line %d is not an event with at and kind (%v): %s", i+1, err, line)
				}
				kinds[ev.Kind]++
			}
			for _, k := range []string{"change", "enrolled", "set", "waiting", "resumed"} {
				if kinds[k] == 0 {
					t.Errorf("trace has no %q event; kinds: %v", k, kinds)
				}
			}
			if kinds["error"] > 0 {
				t.Errorf("trace has %d error events:\n%s", kinds["error"], first)
			}
			if _, second, _ := wf("run", dir, "--input", input); second != first {
				t.Errorf("two runs on the same input printed different traces")
			}
		})
	}
}
