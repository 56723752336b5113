package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/cluster"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/runtime/store/pgstore"
	"github.com/wflang/wf/runtime/store/storetest"
)

// TestPlan serves testdata/plan/v1 over a data directory on the virtual
// clock (three leads, two of them a day further on), stops, and plans v2
// against it: welcome changed (the enrollment at "first" moves, the two at
// "second" finish on v1), same unchanged, gone removed (three finish on
// v1), extra added with its enroll existing dry run (two of the three
// leads; the third opted out).
func TestPlan(t *testing.T) {
	data := t.TempDir()
	st, err := store.Open(data)
	if err != nil {
		t.Fatal(err)
	}
	prog, diags, err := compiler.CompileFiles("testdata/plan/v1/...")
	if err != nil || prog == nil {
		t.Fatal(err, diags)
	}
	clk := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	n, err := server.New(prog, server.Options{Store: st, Clock: clk, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`,
		`{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead","email_opt_out":true}}`,
		"+25h",
		`{"op":"upsert","type":"contact","id":"c3","props":{"lifecyclestage":"lead"}}`,
	} {
		if line == "+25h" {
			clk.Advance(25 * time.Hour)
			continue
		}
		if items, err := n.Ingest([]byte(line)); err != nil || items[0].Status != "applied" {
			t.Fatal(err, items)
		}
	}
	n.Close()
	st.Close()

	var stdout, stderr bytes.Buffer
	if code := run([]string{"plan", "testdata/plan/v2", "--data", data}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := regexp.MustCompile(`\b[0-9a-f]{12}\b`).ReplaceAllString(stdout.String(), "HASH")
	golden(t, "plan.txt", out)

	// No data directory yet: everything is added.
	stdout.Reset()
	if code := run([]string{"plan", "testdata/plan/v2", "--data", t.TempDir()}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out = regexp.MustCompile(`\b[0-9a-f]{12}\b`).ReplaceAllString(stdout.String(), "HASH")
	golden(t, "plan_fresh.txt", out)
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]time.Duration{"90d": 90 * 24 * time.Hour, "2y": 730 * 24 * time.Hour, "36h": 36 * time.Hour, "forever": 0, "2w": 14 * 24 * time.Hour} {
		if got, err := parsePeriod(in); err != nil || got != want {
			t.Errorf("parsePeriod(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "d", "-3d", "soon", "0d"} {
		if _, err := parsePeriod(in); err == nil {
			t.Errorf("parsePeriod(%q): no error", in)
		}
	}
}

// TestPlanCluster runs TestPlan's story on a cluster node over
// PostgreSQL and plans v2 against the running cluster with --store: the
// same plan, read from the database while the node runs.
func TestPlanCluster(t *testing.T) {
	url := storetest.PostgresURL(t) // skips without $WF_TEST_POSTGRES
	ctx := context.Background()
	db, err := pgstore.Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	prog, diags, err := compiler.CompileFiles("testdata/plan/v1/...")
	if err != nil || prog == nil {
		t.Fatal(err, diags)
	}
	clk := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	c, err := cluster.Start(prog, "test", cluster.Options{DB: db, ID: "n1", LeaseTTL: 2 * time.Second, Poll: 20 * time.Millisecond,
		Node: server.Options{Clock: clk}, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	applied := func() {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var left int
			if err := db.Pool().QueryRow(ctx, `SELECT count(*) FROM wf_inbox`).Scan(&left); err != nil {
				t.Fatal(err)
			}
			if left == 0 && len(c.Owned()) == 64 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d changes not applied, %d partitions owned", left, len(c.Owned()))
			}
		}
	}
	applied()
	for _, line := range []string{
		`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`,
		`{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead","email_opt_out":true}}`,
		"+25h",
		// The same values again: nothing changes, but c1's and c2's
		// partitions run their timers (a partition's clock is read when
		// it has work; TestPlan's one engine ran them at c3's change).
		`{"op":"upsert","type":"contact","id":"c1","props":{"lifecyclestage":"lead"}}`,
		`{"op":"upsert","type":"contact","id":"c2","props":{"lifecyclestage":"lead","email_opt_out":true}}`,
		`{"op":"upsert","type":"contact","id":"c3","props":{"lifecyclestage":"lead"}}`,
	} {
		if line == "+25h" {
			clk.Advance(25 * time.Hour)
			continue
		}
		if items, err := c.Ingest([]byte(line)); err != nil || items[0].Status != cluster.Accepted {
			t.Fatal(err, items)
		}
		applied()
	}

	var stdout, stderr bytes.Buffer
	if code := run([]string{"plan", "testdata/plan/v2", "--store", url}, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := regexp.MustCompile(`\b[0-9a-f]{12}\b`).ReplaceAllString(stdout.String(), "HASH")
	golden(t, "plan.txt", out)
}
