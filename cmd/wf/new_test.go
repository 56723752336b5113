package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	code, out, _ := wf("new", "--list")
	for _, name := range []string{"lead_nurturing", "deal_follow_up", "ticket_sla", "reengagement",
		"webhook_sync", "onboarding", "renewal_reminder"} {
		if code != 0 || !strings.Contains(out, name+" ") {
			t.Errorf("new --list lacks %s:\n%s", name, out)
		}
	}

	dir := filepath.Join(t.TempDir(), "flows")
	code, out, errs := wf("new", "onboarding", "welcome_customers", "--dir", dir)
	path := filepath.Join(dir, "welcome_customers.wf")
	if code != 0 || !strings.Contains(out, "created "+path) || errs != "" {
		t.Fatalf("new: %d %q %q", code, out, errs)
	}
	src, err := os.ReadFile(path)
	if err != nil || !strings.Contains(string(src), "workflow welcome_customers {") {
		t.Fatalf("new wrote %q, %v", src, err)
	}
	// The new file checks and its tests pass.
	if code, _, errs := wf("check", path); code != 0 {
		t.Errorf("check: %d %s", code, errs)
	}
	if code, out, _ := wf("test", path); code != 0 || !strings.Contains(out, "0 failed") {
		t.Errorf("test: %d %s", code, out)
	}
	// And it is formatted.
	if code, out, _ := wf("fmt", "-l", path); code != 0 || out != "" {
		t.Errorf("fmt -l: %d %q", code, out)
	}

	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"new", "onboarding", "welcome_customers", "--dir", dir}, "already exists"},
		{[]string{"new", "nope", "x"}, `no template "nope"`},
		{[]string{"new", "onboarding", "Bad-Name"}, "invalid workflow name"},
		{[]string{"new", "onboarding"}, "give a template and a workflow name"},
		{[]string{"new", "--list", "x"}, "--list takes no arguments"},
	} {
		if code, _, errs := wf(tt.args...); code != 2 || !strings.Contains(errs, tt.err) {
			t.Errorf("wf %v: %d %q, want 2 and %q", tt.args, code, errs, tt.err)
		}
	}
}
