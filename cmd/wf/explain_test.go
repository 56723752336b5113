package main

import (
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	const in = "testdata/explain/changes.jsonl"
	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		golden string
		errHas string
	}{
		{name: "all workflows", args: []string{"explain", "contact/c1", "--input", in, "testdata/explain"}, golden: "explain_c1.txt"},
		{name: "one workflow, bare id", args: []string{"explain", "c1", "welcome", "testdata/explain", "--input", in}, golden: "explain_c1_welcome.txt"},
		{name: "json", args: []string{"explain", "--json", "c1", "vip", "testdata/explain", "--input", in}, golden: "explain_c1_vip.json"},
		{name: "no such record", args: []string{"explain", "contact/c9", "--input", in, "testdata/explain"}, code: 1, errHas: "there is no contact c9 at the end of the input"},
		{name: "no such type", args: []string{"explain", "lead/c1", "--input", in, "testdata/explain"}, code: 2, errHas: "no object type lead"},
		{name: "no such workflow", args: []string{"explain", "c1", "nope", "testdata/explain", "--input", in}, code: 2, errHas: "no workflow nope"},
		{name: "no input", args: []string{"explain", "c1", "testdata/explain"}, code: 2, errHas: "no --input"},
		{name: "no paths", args: []string{"explain", "c1", "--input", in}, code: 2, errHas: "give a record and the paths"},
		{name: "help", args: []string{"explain", "-h"}, code: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := wf(tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if tc.golden != "" {
				golden(t, tc.golden, stdout)
			}
			if !strings.Contains(stderr, tc.errHas) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tc.errHas)
			}
		})
	}
}

// TestExplainReplaysLikeRun checks that explain sees the state wf run
// leaves: the same replay, with --until.
func TestExplainReplaysLikeRun(t *testing.T) {
	code, stdout, stderr := wf("explain", "c1", "welcome", "testdata/small", "--input", "testdata/small/changes.jsonl", "--until", "2026-01-05T12:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, `waiting    now  at step "wait"`) {
		t.Errorf("stdout:\n%s", stdout)
	}
	code, stdout, _ = wf("explain", "c1", "welcome", "testdata/small", "--input", "testdata/small/changes.jsonl")
	if code != 0 || !strings.Contains(stdout, `completed  2026-01-06T08:00:00Z  at step "4": ran off its last step`) {
		t.Errorf("exit %d, stdout:\n%s", code, stdout)
	}
}
