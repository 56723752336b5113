package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wflang/wf/runtime/store/storetest"
)

// wf deploy publishes a directory's program once (the same program again
// is not a new version), refuses a directory with errors, and takes only
// a PostgreSQL URL.
func TestDeploy(t *testing.T) {
	if code, _, stderr := wf("deploy", "testdata/serve", "--store", "wf.db"); code != exitUsage || !strings.Contains(stderr, "postgres://") {
		t.Errorf("deploy --store wf.db: exit %d, %q", code, stderr)
	}
	url := storetest.PostgresURL(t) // skips without $WF_TEST_POSTGRES
	for _, want := range []string{"version 1: 2 workflows", "version 1: 2 workflows"} {
		code, stdout, stderr := wf("deploy", "testdata/serve", "--store", url)
		if code != exitOK || strings.TrimSpace(stdout) != want {
			t.Errorf("deploy: exit %d, %q (stderr %q), want %q", code, stdout, stderr, want)
		}
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.wf"), []byte("workflow w {\n  on contakt\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := wf("deploy", bad, "--store", url); code != exitFindings || !strings.Contains(stderr, "contakt") {
		t.Errorf("deploy of a directory with errors: exit %d, %q", code, stderr)
	}
	// Another program is the next version.
	if code, stdout, stderr := wf("deploy", "../../examples/lead_nurturing", "--store", url); code != exitOK || strings.TrimSpace(stdout) != "version 2: 1 workflow" {
		t.Errorf("deploy of another program: exit %d, %q (stderr %q)", code, stdout, stderr)
	}
}
