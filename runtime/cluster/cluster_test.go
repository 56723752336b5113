package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/runtime/store/pgstore"
	"github.com/wflang/wf/runtime/store/storetest"
)

// testDB opens a pgstore on a fresh schema of the test database, dropped
// when the test ends; it skips without $WF_TEST_POSTGRES.
func testDB(t testing.TB) *pgstore.Store {
	t.Helper()
	db, err := pgstore.Open(context.Background(), storetest.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func program(t testing.TB, src string) *bytecode.Program {
	t.Helper()
	prog, diags, err := compiler.CompileFiles(src)
	if err != nil || prog == nil {
		t.Fatalf("compile %s: %v %v", src, err, diags)
	}
	return prog
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func start(t testing.TB, db DB, prog *bytecode.Program, id string) *Cluster {
	t.Helper()
	c, err := Start(prog, "test", Options{DB: db, ID: id, LeaseTTL: 2 * time.Second, RenewEvery: 200 * time.Millisecond,
		Poll: 50 * time.Millisecond, Logger: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// crash stops a node as a kill would: no lease is released and nothing
// more is committed (the committer stops first, so what the partitions
// still had queued is lost, as in a crash); the leases stay until they
// expire.
func (c *Cluster) crash() {
	c.stop()
	c.wg.Wait()
	c.mu.Lock()
	parts := c.parts
	c.parts = map[int]*partition{}
	c.mu.Unlock()
	c.commits.close() // from here on nothing of this node reaches the database
	for _, pt := range parts {
		pt.node.Close()
	}
}

// everyPartition says whether cond holds for every partition c owns.
func everyPartition(c *Cluster, cond func(*partition) bool) (bool, string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for p, pt := range c.parts {
		if !cond(pt) {
			return false, fmt.Sprintf("partition %d of %s", p, c.id)
		}
	}
	return len(c.parts) > 0, ""
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, d time.Duration, what string, cond func() (bool, string)) {
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
		time.Sleep(50 * time.Millisecond)
	}
}

func balanced(cs ...*Cluster) (bool, string) {
	total, min := 0, store.Partitions
	var parts []string
	for _, c := range cs {
		n := len(c.Owned())
		total += n
		min = minInt(min, n)
		parts = append(parts, fmt.Sprintf("%s:%d", c.ID(), n))
	}
	return total == store.Partitions && min >= store.Partitions/len(cs)-1, strings.Join(parts, " ")
}

func minInt(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func TestSingleNodeAppliesAcceptedChanges(t *testing.T) {
	db := testDB(t)
	c := start(t, db, program(t, "testdata/count.wf"), "solo")
	defer c.Close()
	waitFor(t, 10*time.Second, "one node owns every partition", func() (bool, string) { return balanced(c) })

	items, err := c.Ingest([]byte(`{"op":"upsert","type":"contact","id":"c1","client_id":"u1","props":{"email":"a@x.io"}}
{"op":"event","event":"ping","type":"contact","id":"c1","client_id":"p1","props":{"n":1}}
{"op":"event","event":"ping","type":"contact","id":"c1","client_id":"p1","props":{"n":1}}
{"op":"upsert","type":"contact","id":"c2","props":{"scroe":1}}
{"op":"event","event":"ping","type":"contact","client_id":"p2","props":{"n":1},"match":{"email":"a@x.io"}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%d:%s", it.Line, it.Status))
	}
	if want := "1:accepted 2:accepted 3:duplicate 4:error 5:error"; strings.Join(got, " ") != want {
		t.Errorf("items = %s, want %s (%+v)", strings.Join(got, " "), want, items)
	}
	waitFor(t, 10*time.Second, "c1 counted one ping and its delay fired", func() (bool, string) {
		r, ok, err := c.Record("contact", "c1")
		if err != nil || !ok {
			return false, fmt.Sprint(ok, err)
		}
		return r.Props["hits"] == float64(1) && r.Props["late"] == float64(1), fmt.Sprint(r.Props)
	})
	// A pretty-printed array: each change goes to the inbox as one line.
	items, err = c.Ingest([]byte(`[
  {"op": "upsert", "type": "contact", "id": "c3",
   "props": {"email": "c3@x.io"}},
  {"op": "event", "event": "ping", "type": "contact", "id": "c3",
   "props": {"n": 1}}
]`))
	if err != nil || len(items) != 2 || items[0].Status != Accepted || items[1].Status != Accepted || items[1].Line != 4 {
		t.Fatalf("array: %+v, %v", items, err)
	}
	waitFor(t, 10*time.Second, "c3 applied from the array", func() (bool, string) {
		r, ok, _ := c.Record("contact", "c3")
		return ok && r.Props["hits"] == float64(1), fmt.Sprint(r.Props)
	})
	// A second accept of the same client id, later, is a duplicate too.
	items, _ = c.Ingest([]byte(`{"op":"event","event":"ping","type":"contact","id":"c1","client_id":"p1","props":{"n":1}}`))
	if items[0].Status != "duplicate" {
		t.Errorf("resent p1: %+v", items[0])
	}
}

// Three nodes share the partitions; one dies without a word; the other
// two take its partitions and timers over, and every accepted change is
// applied exactly once.
func TestFailover(t *testing.T) {
	db := testDB(t)
	prog := program(t, "testdata/count.wf")
	nodes := []*Cluster{start(t, db, prog, "n1"), start(t, db, prog, "n2"), start(t, db, prog, "n3")}
	defer func() {
		for _, c := range nodes[:2] {
			c.Close()
		}
	}()
	waitFor(t, 15*time.Second, "three nodes share the partitions", func() (bool, string) { return balanced(nodes...) })

	const contacts = 40
	var (
		mu    sync.Mutex
		want  = make([]int, contacts)
		next  int
		stop  = make(chan struct{})
		wg    sync.WaitGroup
		sendQ = func(c *Cluster) error {
			mu.Lock()
			var body strings.Builder
			var batch []int
			for range 20 {
				k := next % contacts
				fmt.Fprintf(&body, `{"op":"event","event":"ping","type":"contact","id":"c%d","client_id":"p%d","props":{"n":1}}`+"\n", k, next)
				batch = append(batch, k)
				next++
			}
			mu.Unlock()
			items, err := c.Ingest([]byte(body.String()))
			if err != nil {
				return err
			}
			mu.Lock()
			for i, it := range items {
				if it.Status == Accepted {
					want[batch[i]]++
				}
			}
			mu.Unlock()
			return nil
		}
	)
	var seed strings.Builder
	for k := range contacts {
		fmt.Fprintf(&seed, `{"op":"upsert","type":"contact","id":"c%d","props":{"email":"c%d@x.io"}}`+"\n", k, k)
	}
	if _, err := nodes[0].Ingest([]byte(seed.String())); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				// Clients of the dead node move to the others.
				c := nodes[i%2]
				if err := sendQ(c); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	time.Sleep(500 * time.Millisecond)
	dead := nodes[2]
	deadParts := dead.Owned()
	dead.crash()
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()

	waitFor(t, 20*time.Second, "the survivors own every partition", func() (bool, string) { return balanced(nodes[:2]...) })
	owned := map[int]bool{}
	for _, c := range nodes[:2] {
		for _, p := range c.Owned() {
			owned[p] = true
		}
	}
	for _, p := range deadParts {
		if !owned[p] {
			t.Errorf("partition %d of the dead node was not taken over", p)
		}
	}
	total := 0
	for _, n := range want {
		total += n
	}
	t.Logf("%d pings accepted; the dead node had %d partitions", total, len(deadParts))
	waitFor(t, 20*time.Second, "every accepted ping applied exactly once, and every delay fired once", func() (bool, string) {
		for k := range contacts {
			r, ok, err := nodes[0].Record("contact", fmt.Sprintf("c%d", k))
			if err != nil || !ok {
				return false, fmt.Sprint(k, ok, err)
			}
			hits, _ := r.Props["hits"].(float64)
			if int(hits) > want[k] {
				t.Fatalf("c%d: hits = %v, want %d: a ping was applied twice", k, hits, want[k])
			}
			if int(hits) != want[k] || (want[k] > 0 && r.Props["late"] != float64(1)) {
				return false, fmt.Sprintf("c%d: hits %v of %d, late %v", k, hits, want[k], r.Props["late"])
			}
		}
		return true, ""
	})
}

// A version published by one node reaches every node.
func TestPublishReachesEveryNode(t *testing.T) {
	db := testDB(t)
	prog := program(t, "testdata/count.wf")
	a, b := start(t, db, prog, "a"), start(t, db, prog, "b")
	defer a.Close()
	defer b.Close()
	waitFor(t, 15*time.Second, "two nodes share the partitions", func() (bool, string) { return balanced(a, b) })
	src := `event ping on contact {
  n: number
}
extend contact {
  hits: number
  late: number
  doubled: number
}
workflow counter {
  on contact
  enroll when event ping
  reenroll on event ping
  increment hits by 2
}
`
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/count.wf", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	next := program(t, dir)
	seq, err := Publish(context.Background(), db, next, "test")
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "both nodes run the new version", func() (bool, string) {
		return a.Live() == seq && b.Live() == seq, fmt.Sprint(a.Live(), b.Live(), seq)
	})
	if a.HasWorkflow("later") || !b.HasWorkflow("counter") {
		t.Errorf("the nodes' workflows are not the new version's")
	}
	if _, err := a.Ingest([]byte(`{"op":"upsert","type":"contact","id":"x"}
{"op":"event","event":"ping","type":"contact","id":"x","props":{"n":1}}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the new version counts by two", func() (bool, string) {
		r, _, _ := b.Record("contact", "x")
		return r.Props["hits"] == float64(2), fmt.Sprint(r.Props)
	})
}

// Enabling and disabling through one node switches the workflow on every
// node's partitions, and a manual enrollment posted to any node reaches
// the record's owner.
func TestSwitchesAndEnrollAcrossNodes(t *testing.T) {
	db := testDB(t)
	prog := program(t, "testdata/switch.wf")
	a, b := start(t, db, prog, "a"), start(t, db, prog, "b")
	defer a.Close()
	defer b.Close()
	waitFor(t, 15*time.Second, "two nodes share the partitions", func() (bool, string) { return balanced(a, b) })

	if err := a.SetEnabled("welcome", false); err != nil {
		t.Fatal(err)
	}
	var body strings.Builder
	for k := range 20 {
		fmt.Fprintf(&body, `{"op":"upsert","type":"contact","id":"c%d","props":{"email":"c%d@x.io"}}`+"\n", k, k)
	}
	// Wait until every partition of b applied the switch too, then
	// ingest through b.
	waitFor(t, 10*time.Second, "b's partitions have welcome disabled", func() (bool, string) {
		return everyPartition(b, func(pt *partition) bool { return !pt.node.RunningVersion().Enabled("welcome") })
	})
	if _, err := b.Ingest([]byte(body.String())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "every contact applied, none welcomed", func() (bool, string) {
		for k := range 20 {
			r, ok, _ := a.Record("contact", fmt.Sprintf("c%d", k))
			if !ok {
				return false, fmt.Sprintf("c%d missing", k)
			}
			if r.Props["welcomed"] != nil {
				t.Fatalf("c%d was welcomed while welcome was disabled: %v", k, r.Props)
			}
		}
		return true, ""
	})
	// Enabling runs enroll existing on every partition, whichever node owns it.
	if err := b.SetEnabled("welcome", true); err != nil {
		t.Fatal(err)
	}
	if err := a.Enroll("bonus", "contact", "c3"); err != nil {
		t.Fatal(err)
	}
	if err := b.Enroll("bonus", "deal", "c3"); err == nil || !strings.Contains(err.Error(), "is on contact, not deal") {
		t.Errorf("enrolling a deal in a contact workflow: %v", err)
	}
	waitFor(t, 10*time.Second, "every contact welcomed once, c3 given its bonus", func() (bool, string) {
		for k := range 20 {
			r, _, _ := b.Record("contact", fmt.Sprintf("c%d", k))
			want := any(nil)
			if k == 3 {
				want = float64(1)
			}
			if r.Props["welcomed"] != float64(1) || r.Props["bonus"] != want {
				return false, fmt.Sprintf("c%d: %v", k, r.Props)
			}
		}
		return true, ""
	})
	// A partition loaded after the switch (here: all of them, at a new
	// node's start) applies it before it runs anything.
	if err := a.SetEnabled("welcome", false); err != nil {
		t.Fatal(err)
	}
	c := start(t, db, prog, "c")
	defer c.Close()
	waitFor(t, 15*time.Second, "three nodes share the partitions", func() (bool, string) { return balanced(a, b, c) })
	if _, err := c.Ingest([]byte(`{"op":"upsert","type":"contact","id":"late","props":{"email":"late@x.io"}}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "late applied", func() (bool, string) {
		r, ok, _ := c.Record("contact", "late")
		return ok, fmt.Sprint(r.Props)
	})
	if r, _, _ := c.Record("contact", "late"); r.Props["welcomed"] != nil {
		t.Errorf("late was welcomed after welcome was disabled: %v", r.Props)
	}
}

// Events that name their record by a unique property, and incoming
// webhooks, reach the owner of the record that has the value, whichever
// node takes them; a value no record has is refused with the reason, and
// a value a record no longer has no longer routes to it.
func TestRoutingByUniqueValue(t *testing.T) {
	db := testDB(t)
	prog := program(t, "testdata/hooks.wf")
	a, b := start(t, db, prog, "a"), start(t, db, prog, "b")
	defer a.Close()
	defer b.Close()
	waitFor(t, 15*time.Second, "two nodes share the partitions", func() (bool, string) { return balanced(a, b) })
	var seed strings.Builder
	for k := range 10 {
		fmt.Fprintf(&seed, `{"op":"upsert","type":"deal","id":"d%d","props":{"order_id":"o-%d"}}`+"\n", k, k)
		fmt.Fprintf(&seed, `{"op":"upsert","type":"contact","id":"c%d","props":{"email":"c%d@x.io"}}`+"\n", k, k)
	}
	if _, err := a.Ingest([]byte(seed.String())); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the records applied", func() (bool, string) {
		var n int64
		err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM wf_unique`).Scan(&n)
		return err == nil && n == 20, fmt.Sprint(n, err)
	})

	res, err := b.CallHook("order_paid", map[string]any{"order": map[string]any{"id": "o-3", "total": 12}})
	if err != nil || !res.Matched || res.Record != "deal/d3" {
		t.Fatalf("CallHook(o-3) = %+v, %v", res, err)
	}
	res, err = a.CallHook("order_paid", map[string]any{"order": map[string]any{"id": "o-99"}})
	if err != nil || res.Matched || !strings.Contains(res.Reason, `no deal has order_id = o-99`) {
		t.Errorf("CallHook(o-99) = %+v, %v", res, err)
	}
	items, err := a.Ingest([]byte(`{"op":"event","event":"ping","type":"contact","match":{"email":"c5@x.io"},"props":{"n":1}}
{"op":"hook","hook":"order_paid","body":{"order":{"id":"o-4"}}}
{"op":"event","event":"ping","type":"contact","match":{"email":"nobody@x.io"},"props":{"n":1}}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range items {
		got = append(got, it.Status)
	}
	if strings.Join(got, " ") != "accepted accepted error" || !strings.Contains(items[2].Error, "no contact has email = nobody@x.io") || !items[2].Retry {
		t.Errorf("items = %+v", items)
	}
	waitFor(t, 10*time.Second, "d3 and d4 paid once, c5 hit once", func() (bool, string) {
		d3, _, _ := a.Record("deal", "d3")
		d4, _, _ := a.Record("deal", "d4")
		c5, _, _ := b.Record("contact", "c5")
		return d3.Props["paid"] == float64(1) && d4.Props["paid"] == float64(1) && c5.Props["hits"] == float64(1),
			fmt.Sprint(d3.Props, d4.Props, c5.Props)
	})

	// c5 changes its email: the old one no longer routes, the new one does.
	if _, err := b.Ingest([]byte(`{"op":"upsert","type":"contact","id":"c5","props":{"email":"new5@x.io"}}`)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the index follows the change", func() (bool, string) {
		items, err := a.Ingest([]byte(`{"op":"event","event":"ping","type":"contact","match":{"email":"new5@x.io"},"props":{"n":1}}`))
		return err == nil && items[0].Status == Accepted, fmt.Sprint(items, err)
	})
	items, _ = a.Ingest([]byte(`{"op":"event","event":"ping","type":"contact","match":{"email":"c5@x.io"},"props":{"n":1}}`))
	if items[0].Status != "error" {
		t.Errorf("the old email still routes: %+v", items[0])
	}
	waitFor(t, 10*time.Second, "c5 hit twice", func() (bool, string) {
		c5, _, _ := a.Record("contact", "c5")
		return c5.Props["hits"] == float64(2), fmt.Sprint(c5.Props)
	})
}

// A node that stops renewing (a long GC pause, a frozen VM) while its
// partitions keep working loses them to another node, and from then on
// none of its commits lands: the fence refuses them. Every accepted
// change is still applied exactly once.
func TestZombieIsFenced(t *testing.T) {
	db := testDB(t)
	prog := program(t, "testdata/count.wf")
	a, z := start(t, db, prog, "a"), start(t, db, prog, "z")
	defer a.Close()
	defer z.Close()
	waitFor(t, 15*time.Second, "two nodes share the partitions", func() (bool, string) { return balanced(a, z) })
	zParts := z.Owned()

	const contacts = 30
	var seed strings.Builder
	for k := range contacts {
		fmt.Fprintf(&seed, `{"op":"upsert","type":"contact","id":"c%d","props":{"email":"c%d@x.io"}}`+"\n", k, k)
	}
	if _, err := a.Ingest([]byte(seed.String())); err != nil {
		t.Fatal(err)
	}
	want := make([]int, contacts)
	next := 0
	send := func() {
		var body strings.Builder
		var ks []int
		for range 30 {
			k := next % contacts
			fmt.Fprintf(&body, `{"op":"event","event":"ping","type":"contact","id":"c%d","client_id":"z%d","props":{"n":1}}`+"\n", k, next)
			ks = append(ks, k)
			next++
		}
		items, err := a.Ingest([]byte(body.String()))
		if err != nil {
			t.Fatal(err)
		}
		for i, it := range items {
			if it.Status == Accepted {
				want[ks[i]]++
			}
		}
	}
	for range 10 {
		send()
	}
	z.stalled.Store(true) // z goes on applying its partitions' inboxes, but stops renewing
	for deadline := time.Now().Add(20 * time.Second); ; {
		send()
		ok, _ := balanced(a)
		if ok {
			break
		}
		if time.Now().After(deadline) {
			_, state := balanced(a)
			t.Fatalf("a did not take z's partitions over: %s", state)
		}
		time.Sleep(20 * time.Millisecond)
	}
	for range 10 {
		send()
	}
	// z's partitions that had work stopped: their commits failed the
	// fence (those without work still think they are z's; a real node
	// finds out at its next renewal).
	busy := map[int]bool{}
	for k := range contacts {
		busy[store.Partition("contact", fmt.Sprintf("c%d", k))] = true
	}
	waitFor(t, 10*time.Second, "z holds no partition with work", func() (bool, string) {
		for _, p := range z.Owned() {
			if busy[p] {
				return false, fmt.Sprint(z.Owned())
			}
		}
		return true, ""
	})
	var epochs int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM wf_leases WHERE owner = 'a' AND part = ANY($1) AND epoch >= 2`, zParts).Scan(&epochs); err != nil {
		t.Fatal(err)
	}
	if epochs != len(zParts) {
		t.Errorf("%d of z's %d partitions are a's under a new epoch", epochs, len(zParts))
	}
	waitFor(t, 20*time.Second, "every accepted ping applied exactly once", func() (bool, string) {
		for k := range contacts {
			r, _, err := a.Record("contact", fmt.Sprintf("c%d", k))
			if err != nil {
				return false, err.Error()
			}
			hits, _ := r.Props["hits"].(float64)
			if int(hits) > want[k] {
				t.Fatalf("c%d: hits = %v, want %d: a ping was applied twice", k, hits, want[k])
			}
			if int(hits) != want[k] {
				return false, fmt.Sprintf("c%d: hits %v of %d", k, hits, want[k])
			}
		}
		return true, ""
	})
}

// A change accepted under a new version is applied under that version,
// never by a partition still on the old one (where it would not decode):
// the partition waits until it has loaded the version. Found by review:
// before, about 40% of the changes accepted during a reload were lost.
func TestChangesWaitForTheirVersion(t *testing.T) {
	db := testDB(t)
	c := start(t, db, program(t, "testdata/count.wf"), "solo")
	defer c.Close()
	waitFor(t, 15*time.Second, "one node owns every partition", func() (bool, string) { return balanced(c) })
	src := "event ping on contact {\n  n: number\n}\nextend contact {\n  hits: number\n  late: number\n  doubled: number\n}\n"
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/count.wf", []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	seq, err := Publish(context.Background(), db, program(t, dir), "test")
	if err != nil {
		t.Fatal(err)
	}
	accepted := map[string]bool{}
	for i := 0; c.Live() != seq || i < 5; i++ {
		if i > 5000 {
			t.Fatal("the node never ran the new version")
		}
		var body strings.Builder
		var ids []string
		for k := range 64 {
			id := fmt.Sprintf("n%d-%d", i, k)
			ids = append(ids, id)
			fmt.Fprintf(&body, `{"op":"upsert","type":"contact","id":"%s","props":{"doubled":1}}`+"\n", id)
		}
		items, err := c.Ingest([]byte(body.String()))
		if err != nil {
			t.Fatal(err)
		}
		for j, it := range items {
			if it.Status == Accepted {
				accepted[ids[j]] = true
			}
		}
	}
	waitFor(t, 20*time.Second, "every accepted change applied", func() (bool, string) {
		for id := range accepted {
			if _, ok, _ := c.Record("contact", id); !ok {
				return false, id + " missing"
			}
		}
		return true, ""
	})
	var dead int
	if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM wf_dead`).Scan(&dead); err != nil || dead != 0 {
		t.Errorf("%d changes in wf_dead (%v)", dead, err)
	}
	t.Logf("%d changes accepted around the reload, all applied", len(accepted))
}

// NUL characters: an id with one is refused at once (PostgreSQL text
// cannot hold it); a unique value with one is indexed; neither stops the
// other changes.
func TestNUL(t *testing.T) {
	db := testDB(t)
	c := start(t, db, program(t, "testdata/hooks.wf"), "solo")
	defer c.Close()
	waitFor(t, 15*time.Second, "one node owns every partition", func() (bool, string) { return balanced(c) })
	items, err := c.Ingest([]byte(`{"op":"upsert","type":"contact","id":"bad\u0000id"}
{"op":"upsert","type":"contact","id":"ok1","props":{"email":"a\u0000@x.io"}}
{"op":"upsert","type":"contact","id":"ok2"}`))
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Status != "error" || !strings.Contains(items[0].Error, "NUL") || items[1].Status != Accepted || items[2].Status != Accepted {
		t.Fatalf("items = %+v", items)
	}
	waitFor(t, 10*time.Second, "ok1 and ok2 applied", func() (bool, string) {
		_, ok1, _ := c.Record("contact", "ok1")
		_, ok2, _ := c.Record("contact", "ok2")
		return ok1 && ok2, fmt.Sprint(ok1, ok2)
	})
	items, err = c.Ingest([]byte(`{"op":"event","event":"ping","type":"contact","match":{"email":"a\u0000@x.io"},"props":{"n":1}}`))
	if err != nil || items[0].Status != Accepted {
		t.Fatalf("ping by the NUL email: %+v, %v", items, err)
	}
	waitFor(t, 10*time.Second, "ok1 hit", func() (bool, string) {
		r, _, _ := c.Record("contact", "ok1")
		return r.Props["hits"] == float64(1), fmt.Sprint(r.Props)
	})
}

// Commits merged in one transaction fail alone: a lease lost under one
// epoch fails only that request (not a valid one of the same partition
// or of another), and a bad batch fails only its partition.
func TestMergedCommitFailuresStayApart(t *testing.T) {
	db := testDB(t)
	c := start(t, db, program(t, "testdata/count.wf"), "solo")
	defer c.Close()
	waitFor(t, 15*time.Second, "one node owns every partition", func() (bool, string) { return balanced(c) })
	c.mu.Lock()
	p0, p1, p2 := c.parts[0], c.parts[1], c.parts[2]
	c.mu.Unlock()
	mk := func(p int, e int64, b *store.Batch) *commitReq {
		if b == nil {
			b = &store.Batch{}
		}
		return &commitReq{b: b, part: p, epoch: e, done: make(chan error, 1)}
	}
	var bad store.Batch
	bad.PutRecord(store.Record{Type: "contact", ID: "nul\x00id", State: []byte(`{}`)})
	stale, good0, good1, poison := mk(0, p0.epoch-1, nil), mk(0, p0.epoch, nil), mk(1, p1.epoch, nil), mk(2, p2.epoch, &bad)
	c.commits.run([]*commitReq{stale, good0, good1, poison})
	if err := <-stale.done; !errors.Is(err, errLeaseLost) {
		t.Errorf("stale epoch: %v, want the lease lost", err)
	}
	if err := <-good0.done; err != nil {
		t.Errorf("partition 0 at its epoch: %v", err)
	}
	if err := <-good1.done; err != nil {
		t.Errorf("partition 1: %v", err)
	}
	if err := <-poison.done; err == nil {
		t.Errorf("a record id with NUL committed")
	}
}

// Calls made while and after a node closes return; none hangs.
func TestCallsAroundCloseReturn(t *testing.T) {
	db := testDB(t)
	c := start(t, db, program(t, "testdata/count.wf"), "solo")
	waitFor(t, 15*time.Second, "one node owns every partition", func() (bool, string) { return balanced(c) })
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.Ingest([]byte(fmt.Sprintf(`{"op":"upsert","type":"contact","id":"x%d"}`, i)))
		}()
	}
	c.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("calls made around Close never returned")
	}
	if _, err := c.Ingest([]byte(`{"op":"upsert","type":"contact","id":"late"}`)); !errors.Is(err, server.ErrStopped) {
		t.Errorf("Ingest after Close: %v, want ErrStopped", err)
	}
}
