package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestServeCrash builds wf, runs `wf serve` as a child process, ingests
// pings with client ids from several clients at once, kills the server
// with SIGKILL mid-stream, restarts it on the same data directory, resends
// every change that was not acknowledged (and some that were), and checks
// that every change was applied exactly once — each ping adds one to its
// contact's hits — and that the delay each contact started before the
// crash fired exactly once after it, late.
func TestServeCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the wf binary")
	}
	tmp := t.TempDir()
	bin := buildWF(t)
	data := filepath.Join(tmp, "data")
	addr := freeAddr(t)
	base := "http://" + addr

	srv := startServe(t, bin, data, addr)
	const contacts = 20
	pg := newPings(contacts, "applied")
	pg.seed(t, base)

	// Four clients send batches of ten pings until the server dies.
	var (
		wg     sync.WaitGroup
		killed = make(chan struct{})
	)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-killed:
					return
				default:
				}
				pg.send(base)
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	close(killed)
	wg.Wait()
	nSent, nAcked := pg.counts()
	if nAcked < 50 {
		t.Fatalf("only %d pings acknowledged before the kill; the test proves nothing", nAcked)
	}
	t.Logf("%d pings sent, %d acknowledged before SIGKILL", nSent, nAcked)

	// Down long enough for every 2s delay to come due while the server is down.
	time.Sleep(2 * time.Second)
	srv = startServe(t, bin, data, addr)
	defer func() {
		srv.Process.Signal(syscall.SIGTERM)
		srv.Wait()
	}()
	pg.resend(t, base)

	want := pg.want()
	deadline := time.Now().Add(5 * time.Second)
	for c := range contacts {
		for {
			props := record(t, base, fmt.Sprintf("c%d", c))
			hits, late := props["hits"], props["late"]
			if hits != float64(want[c]) {
				t.Fatalf("c%d: hits = %v, want %d: a ping was lost or applied twice", c, hits, want[c])
			}
			if late == float64(1) {
				break
			}
			if late != nil || time.Now().After(deadline) {
				t.Fatalf("c%d: late = %v, want 1: the delay after the first hit must fire once", c, late)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServe(t *testing.T, bin, data, addr string) *exec.Cmd {
	t.Helper()
	cmd, _ := startWF(t, bin, addr, "--data", data)
	return cmd
}

// buildWF builds the wf binary into a temporary directory.
func buildWF(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "wf")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startWF starts `wf serve testdata/serve ARGS --addr ADDR` and waits
// until it answers /healthz; its stderr collects in the buffer.
func startWF(t *testing.T, bin, addr string, args ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin, append(append([]string{"serve", "testdata/serve"}, args...), "--addr", addr)...)
	logs := &bytes.Buffer{}
	cmd.Stderr = &syncWriter{w: logs}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; {
		res, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return cmd, logs
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("wf serve %v did not come up: %v\n%s", args, err, logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// syncWriter lets a process write its output while a test reads it.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

type item struct {
	Line     int    `json:"line"`
	Status   string `json:"status"`
	ClientID string `json:"client_id"`
	Error    string `json:"error"`
}

func tryPost(base, body string) ([]item, error) {
	res, err := http.Post(base+"/v1/changes", "application/x-ndjson", strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var rep struct{ Items []item }
	if err := json.NewDecoder(res.Body).Decode(&rep); err != nil {
		return nil, err
	}
	if res.StatusCode != 200 {
		return rep.Items, fmt.Errorf("status %d: %+v", res.StatusCode, rep.Items)
	}
	return rep.Items, nil
}

func post(t *testing.T, base, body string) []item {
	t.Helper()
	items, err := tryPost(base, body)
	if err != nil {
		t.Fatal(err)
	}
	return items
}

func record(t *testing.T, base, id string) map[string]any {
	t.Helper()
	res, err := http.Get(base + "/v1/records/contact/" + id)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var rec struct{ Props map[string]any }
	if err := json.NewDecoder(res.Body).Decode(&rec); err != nil {
		t.Fatal(err)
	}
	return rec.Props
}
