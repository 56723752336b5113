package server

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/store"
)

// TestReloadUnderIngest rewrites the workflow file several times (through
// the watcher, as an editor saves) while clients keep ingesting events with
// client ids, half of them resent. Every event acknowledged as applied
// adds exactly one to its record's hits, resends are answered duplicate,
// and the counts equal the acknowledged set exactly, both in the running
// node and after a restart from the store.
func TestReloadUnderIngest(t *testing.T) {
	dir := t.TempDir()
	version := func(i int) string {
		return strings.Replace(leads, "increment hits by 1", fmt.Sprintf("increment hits by 1\n  set firstname = \"v%d\"", i), 1)
	}
	writeFile(t, filepath.Join(dir, "leads.wf"), version(0))
	stPath := t.TempDir()
	st, err := store.Open(stPath)
	if err != nil {
		t.Fatal(err)
	}
	prog, diags, err := compiler.CompileFiles(dir + "/...")
	if err != nil || prog == nil {
		t.Fatalf("compile: %v %v", err, diags)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := New(prog, Options{Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		n.Watch(dir, stop)
	}()

	const clients, records = 4, 5
	for r := range records {
		if _, err := n.Ingest(fmt.Appendf(nil, `{"op":"upsert","type":"contact","id":"c%d","props":{}}`, r)); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	acked := map[string]int{} // record → applied events acknowledged
	dups := 0
	done := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				rec := fmt.Sprintf("c%d", (c+i)%records)
				line := fmt.Sprintf(`{"op":"event","event":"ping","type":"contact","id":"%s","client_id":"k%d-%d"}`, rec, c, i)
				for try := range 1 + i%2 { // every other change is sent twice
					items, err := n.Ingest([]byte(line))
					if err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					switch st := items[0].Status; {
					case st == "applied" && try == 0:
						acked[rec]++
					case st == "duplicate" && try == 1:
						dups++
					default:
						t.Errorf("%s try %d: %+v", line, try, items[0])
						mu.Unlock()
						return
					}
					mu.Unlock()
				}
			}
		}()
	}
	hashes := []string{find(n.Workflows(), "counter").Version}
	for i := 1; i <= 5; i++ {
		time.Sleep(150 * time.Millisecond)
		tmp := filepath.Join(dir, ".leads.wf.tmp")
		writeFile(t, tmp, version(i))
		if err := os.Rename(tmp, filepath.Join(dir, "leads.wf")); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			if h := find(n.Workflows(), "counter").Version; h != hashes[len(hashes)-1] {
				hashes = append(hashes, h)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("version %d not live within 5s", i)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	time.Sleep(100 * time.Millisecond)
	close(done)
	wg.Wait()
	close(stop)
	<-watched

	check := func(when string, get func(id string) float64) {
		t.Helper()
		total := 0
		for r := range records {
			id := fmt.Sprintf("c%d", r)
			if got, want := get(id), acked[id]; int(got) != want {
				t.Errorf("%s: %s has hits %v, %d events were acknowledged", when, id, got, want)
			}
			total += acked[id]
		}
		if total < 50 || dups == 0 {
			t.Errorf("%s: too little traffic to mean anything: %d applied, %d duplicates", when, total, dups)
		}
	}
	hits := func(n *Node) func(string) float64 {
		return func(id string) float64 {
			rec, ok, err := n.Record("contact", id)
			if err != nil || !ok {
				t.Fatalf("record %s: %v %v", id, ok, err)
			}
			h, _ := rec.Props["hits"].(float64)
			return h
		}
	}
	check("running", hits(n))
	t.Logf("%d reloads under ingest; %d events applied, %d duplicates refused", len(hashes)-1, sumValues(acked), dups)
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	// Restart from the store with the last version: the same counts.
	prog, _, _ = compiler.CompileFiles(dir + "/...")
	n2, err := New(prog, Options{Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { n2.Close(); st.Close() }()
	check("restarted", hits(n2))
	// Every counter enrollment ended; none is left on an old version.
	if w := n2.Workflows(); w.Left != 0 || find(w, "counter").Version != hashes[len(hashes)-1] {
		t.Errorf("after restart: %+v", w)
	}
}

func sumValues(m map[string]int) int {
	s := 0
	for _, v := range m {
		s += v
	}
	return s
}
