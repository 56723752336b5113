package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/runtime/store/storetest"
)

// TestServePostgres runs `wf serve --store URL` (a cluster of one node)
// on a fresh PostgreSQL schema: a change posted is accepted and then
// applied, the row is in the schema's wf_records, and after a restart the
// record is still there, a resend is a duplicate, and the delay it
// started fires.
func TestServePostgres(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the wf binary")
	}
	url := storetest.PostgresURL(t) // skips without $WF_TEST_POSTGRES
	bin := buildWF(t)
	addr := freeAddr(t)
	base := "http://" + addr
	stop := func(cmd *exec.Cmd, logs *bytes.Buffer) {
		t.Helper()
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Errorf("wf serve --store: %v\n%s", err, logs)
		}
	}

	srv, logs := startWF(t, bin, addr, "--store", url)
	body := `{"op":"upsert","type":"contact","id":"c1","client_id":"u1","props":{"email":"c1@example.com"}}
{"op":"event","event":"ping","type":"contact","id":"c1","client_id":"p1","props":{"n":1}}
`
	for _, it := range post(t, base, body) {
		if it.Status != "accepted" {
			t.Fatalf("posting: %+v", it)
		}
	}
	// Accepted is durable; applying follows as soon as the partition's
	// owner (this node, once it has claimed the partitions) reads its inbox.
	waitUntil(t, 20*time.Second, "c1 applied", func() (bool, string) {
		props := record(t, base, "c1")
		return props["email"] == "c1@example.com" && props["hits"] == float64(1), fmt.Sprint(props)
	})
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM wf_records WHERE type = 'contact' AND id = 'c1'`).Scan(&n)
	conn.Close(ctx)
	if err != nil || n != 1 {
		t.Fatalf("wf_records has %d rows for contact/c1 (%v), want 1", n, err)
	}
	stop(srv, logs)

	srv, logs = startWF(t, bin, addr, "--store", url)
	defer stop(srv, logs)
	if props := record(t, base, "c1"); props["email"] != "c1@example.com" || props["hits"] != float64(1) {
		t.Fatalf("c1 after a restart = %v, want its email and one hit", props)
	}
	if items := post(t, base, body); len(items) != 2 || items[0].Status != "duplicate" || items[1].Status != "duplicate" {
		t.Fatalf("resending after a restart: %+v, want duplicates", items)
	}
	// The 2s delay the first hit started fires once.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		props := record(t, base, "c1")
		if props["late"] == float64(1) && props["hits"] == float64(1) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("c1 = %v, want late = 1 once the delay fired", props)
		}
	}
}

// TestServeStoreFlag: --store takes a PostgreSQL URL only, and not with
// --data; both are usage errors before anything is opened.
func TestServeStoreFlag(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--store", "mysql://u:secret@h/db"}, "--store mysql://u:xxxxx@h/db: give a PostgreSQL URL (postgres://"},
		{[]string{"--store", "wf.db"}, "postgresql://"},
		{[]string{"--store", "postgres://h/db", "--data", "d"}, "give --data (the embedded database) or --store (PostgreSQL), not both"},
	} {
		code, _, stderr := wf(append([]string{"serve", "testdata/serve"}, c.args...)...)
		if code != exitUsage || !strings.Contains(stderr, c.want) || strings.Contains(stderr, ":secret@") {
			t.Errorf("wf serve %v: exit %d, stderr %q; want %d and %q", c.args, code, stderr, exitUsage, c.want)
		}
	}
}
