package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/wflang/wf/runtime/store/storetest"
)

func TestServeSourceErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--source", "http://127.0.0.1:4222/crm"}, exitUsage, "--source: want nats://host:port/SUBJECT"},
		{[]string{"--source", "nats://127.0.0.1:4222"}, exitUsage, "want nats://host:port/SUBJECT: no subject"},
		{[]string{"--source", "nats://127.0.0.1:4222/crm", "--source-durable", "a.b"}, exitUsage, "durable name"},
		// Nothing listens on port 1: a clear error, exit status 1.
		{[]string{"--source", "nats://127.0.0.1:1/crm.changes"}, exitFindings, "wf serve: --source: connecting to nats://127.0.0.1:1"},
	} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"serve", "testdata/serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0"}, tc.args...)
		if code := run(args, &stdout, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%v: exit %d, want %d, with %q in:\n%s", tc.args, code, tc.code, tc.want, stderr.String())
		}
	}
}

// TestServeSource runs `wf serve --source` against a nats-server in the
// test process: pings published to the stream reach the node, each once;
// SIGTERM stops serve cleanly and a restart takes the messages published
// meanwhile.
func TestServeSource(t *testing.T) {
	testServeSource(t, func(tmp string) []string { return []string{"--data", filepath.Join(tmp, "data")} })
}

// TestServeSourceCluster is TestServeSource on a cluster node over
// PostgreSQL: changes from the stream are accepted into the inbox and
// applied by the partitions' owner (this node), each once.
func TestServeSourceCluster(t *testing.T) {
	url := storetest.PostgresURL(t) // skips without $WF_TEST_POSTGRES
	testServeSource(t, func(string) []string { return []string{"--store", url, "--lease-ttl", "2s"} })
}

func testServeSource(t *testing.T, storeArgs func(tmp string) []string) {
	if testing.Short() {
		t.Skip("builds and runs the wf binary")
	}
	ns, err := natsserver.NewServer(&natsserver.Options{Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	defer ns.Shutdown()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "CRM", Subjects: []string{"crm.>"}}); err != nil {
		t.Fatal(err)
	}
	publish := func(data string) {
		if _, err := js.Publish(ctx, "crm.changes", []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	publish(`[{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@example.com"}},{"op":"upsert","type":"contact","id":"c2"}]`)
	for range 5 {
		publish(`{"op":"event","event":"ping","type":"contact","id":"c1","props":{"n":1}}`)
	}
	publish(`{"op":"upsert","type":"contact","id":"c2","props":{"nope":1}}`) // logged and acknowledged

	tmp := t.TempDir()
	bin := buildWF(t)
	addr := freeAddr(t)
	stores := storeArgs(tmp)
	serve := func() (*exec.Cmd, *bytes.Buffer) {
		args := append([]string{"serve", "testdata/serve", "--addr", addr, "--source", ns.ClientURL() + "/crm.changes"}, stores...)
		cmd := exec.Command(bin, args...)
		var logs bytes.Buffer
		cmd.Stderr = &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &logs
	}
	waitHits := func(id string, want float64, logs *bytes.Buffer) {
		t.Helper()
		for deadline := time.Now().Add(15 * time.Second); ; {
			if props, err := tryRecord("http://"+addr, id); err == nil && props["hits"] == want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s never got hits = %v\n%s", id, want, logs)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	stop := func(cmd *exec.Cmd, logs *bytes.Buffer) {
		t.Helper()
		cmd.Process.Signal(syscall.SIGTERM)
		if err := cmd.Wait(); err != nil {
			t.Fatalf("wf serve: %v\n%s", err, logs)
		}
	}

	cmd, logs := serve()
	waitHits("c1", 5, logs)
	stop(cmd, logs)
	for _, want := range []string{"reading changes from NATS", "stream=CRM", "field=contact.nope", "stopped reading changes from NATS"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}

	// Published while serve is down: taken at the restart, the others not
	// again (the durable consumer remembers what was acknowledged).
	for range 3 {
		publish(`{"op":"event","event":"ping","type":"contact","id":"c1","props":{"n":1}}`)
	}
	cmd, logs = serve()
	defer stop(cmd, logs)
	waitHits("c1", 8, logs)
	time.Sleep(300 * time.Millisecond)
	if props := record(t, "http://"+addr, "c1"); props["hits"] != float64(8) {
		t.Fatalf("hits = %v after the restart, want 8", props["hits"])
	}
}

// tryRecord reads a contact's properties; an error while serve is not up.
func tryRecord(base, id string) (map[string]any, error) {
	res, err := http.Get(base + "/v1/records/contact/" + id)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", res.StatusCode)
	}
	var rec struct{ Props map[string]any }
	if err := json.NewDecoder(res.Body).Decode(&rec); err != nil {
		return nil, err
	}
	return rec.Props, nil
}
