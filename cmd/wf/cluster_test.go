package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wflang/wf/runtime/store/storetest"
)

type clusterStatus struct {
	Owned  []int          `json:"owned"`
	Owners map[string]int `json:"partitions_by_owner"`
	Inbox  int64          `json:"inbox"`
}

func getStatus(base string) (clusterStatus, error) {
	var st clusterStatus
	res, err := http.Get(base + "/v1/cluster")
	if err != nil {
		return st, err
	}
	defer res.Body.Close()
	return st, json.NewDecoder(res.Body).Decode(&st)
}

// TestClusterKill runs three wf serve nodes on one database, kills one
// with SIGKILL while four clients ingest through all three, and proves
// that the survivors take over its partitions and timers, and that every
// acknowledged change is applied exactly once.
func TestClusterKill(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the wf binary")
	}
	storeURL := storetest.PostgresURL(t) // skips without $WF_TEST_POSTGRES
	bin := buildWF(t)
	var (
		addrs = []string{freeAddr(t), freeAddr(t), freeAddr(t)}
		procs []*exec.Cmd
		logs  []*bytes.Buffer
	)
	for i, a := range addrs {
		p, l := startWF(t, bin, a, "--store", storeURL, "--node-id", fmt.Sprintf("node%d", i+1), "--lease-ttl", "2s")
		procs, logs = append(procs, p), append(logs, l)
	}
	defer func() {
		for _, p := range procs[:2] {
			p.Process.Signal(syscall.SIGTERM)
			p.Wait()
		}
		if t.Failed() {
			for i, l := range logs {
				t.Logf("node%d log:\n%s", i+1, l.String())
			}
		}
	}()
	base := func(i int) string { return "http://" + addrs[i] }
	balanced := func(n int) (bool, string) {
		st, err := getStatus(base(0))
		if err != nil {
			return false, err.Error()
		}
		live, total := 0, 0
		for owner, k := range st.Owners {
			if owner != "" && k > 0 {
				live++
				total += k
			}
		}
		return live == n && total == 64, fmt.Sprint(st.Owners)
	}
	waitUntil(t, 30*time.Second, "three nodes share the 64 partitions", func() (bool, string) { return balanced(3) })

	const contacts = 30
	pg := newPings(contacts, "accepted")
	pg.seed(t, base(0))

	var (
		wg     sync.WaitGroup
		stop   = make(chan struct{})
		killed = make(chan struct{})
	)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				target := (w + i) % 3
				select {
				case <-killed:
					target = (w + i) % 2 // the dead node's clients move on
				default:
				}
				pg.send(base(target))
			}
		}()
	}
	time.Sleep(time.Second)
	if err := procs[2].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	procs[2].Wait()
	close(killed)
	time.Sleep(1500 * time.Millisecond) // ingest goes on while the dead node's leases run out
	close(stop)
	wg.Wait()
	nSent, nAcked := pg.counts()
	if nAcked < 100 {
		t.Fatalf("only %d pings acknowledged; the test proves nothing", nAcked)
	}
	t.Logf("%d pings sent, %d acknowledged", nSent, nAcked)
	waitUntil(t, 30*time.Second, "the two survivors own every partition", func() (bool, string) { return balanced(2) })

	// Resend what was not acknowledged, and 100 that were: those come
	// back as duplicates, whichever node takes them.
	pg.resend(t, base(1))

	want := pg.want()
	waitUntil(t, 30*time.Second, "every ping applied exactly once and every delay fired once", func() (bool, string) {
		for c := range contacts {
			props := record(t, base(0), fmt.Sprintf("c%d", c))
			hits, _ := props["hits"].(float64)
			if int(hits) > want[c] {
				t.Fatalf("c%d: hits = %v, want %d: a ping was applied twice", c, hits, want[c])
			}
			if int(hits) != want[c] || props["late"] != float64(1) {
				return false, fmt.Sprintf("c%d: hits %v of %d, late %v", c, hits, want[c], props["late"])
			}
		}
		return true, ""
	})
}

func waitUntil(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s: %s", d, what, state)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
