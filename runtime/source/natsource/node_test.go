package natsource

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

// counting is the program of the end-to-end tests: an upsert sets n, and
// every ping event adds one to the contact's hits, so a ping applied twice
// or lost shows.
const counting = `
extend contact {
  n: number
  hits: number
}

event ping on contact {
  k: number
}

workflow counter {
  on contact
  enroll when event ping
  reenroll on event ping
  increment hits by 1
}
`

// newNode starts a node over a bbolt store in a temporary directory.
func newNode(t testing.TB) *server.Node {
	t.Helper()
	prog, diags := compiler.CompileSource("counting.wf", counting)
	if prog == nil {
		t.Fatalf("compile: %v", diags)
	}
	st, err := store.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	n, err := server.New(prog, server.Options{Store: st, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		st.Close()
	})
	return n
}

// nodeSink is the sink wf serve gives a source: the node's Ingest.
func nodeSink(n *server.Node) Sink {
	return func(data []byte) ([]Item, error) {
		items, err := n.Ingest(data)
		if err != nil {
			return nil, err
		}
		out := make([]Item, len(items))
		for i, it := range items {
			out[i] = Item(it)
		}
		return out, nil
	}
}

// expect tracks what the node must show once every change is applied
// exactly once.
type expect struct {
	n    map[string]int // contact → the last n upserted
	hits map[string]int // contact → pings applied
}

func (e *expect) check(t *testing.T, node *server.Node) {
	t.Helper()
	for c, hits := range e.hits {
		rec, ok, err := node.Record("contact", c)
		if err != nil || !ok {
			t.Fatalf("%s: %v %v", c, ok, err)
		}
		if got := rec.Props["hits"]; got != float64(hits) {
			t.Errorf("%s: hits = %v, want %d: a ping was lost or applied twice", c, got, hits)
		}
	}
	for c, n := range e.n {
		rec, _, _ := node.Record("contact", c)
		if got := rec.Props["n"]; got != float64(n) {
			t.Errorf("%s: n = %v, want %d: changes applied out of order", c, got, n)
		}
	}
}

// TestNode runs a source into a real node over bbolt: 2,000 changes with
// duplicates and bad ones, then two crashes between commit and ack.
func TestNode(t *testing.T) {
	ns := startNATS(t)
	// A short duplicate window, so that a message can be published again
	// with the same Nats-Msg-Id and reach the node.
	pub := newPublisher(t, ns, jetstream.StreamConfig{Name: "CRM", Subjects: []string{"crm.>"}, Duplicates: 100 * time.Millisecond})
	node := newNode(t)
	const contacts = 40
	want := &expect{n: map[string]int{}, hits: map[string]int{}}
	// text is change i: a ping when i%3 == 0 and the contact exists, else
	// an upsert. change is text that also counts what the node must show,
	// for a change published once; a message published again is text.
	text := func(i int) string {
		c := fmt.Sprintf("c%d", i%contacts)
		if i%3 == 0 && i >= contacts { // the contact exists
			return fmt.Sprintf(`{"op":"event","event":"ping","type":"contact","id":%q,"props":{"k":%d}}`, c, i)
		}
		return fmt.Sprintf(`{"op":"upsert","type":"contact","id":%q,"props":{"n":%d}}`, c, i)
	}
	change := func(i int) string {
		c := fmt.Sprintf("c%d", i%contacts)
		if i%3 == 0 && i >= contacts {
			want.hits[c]++
		} else {
			want.n[c] = i
		}
		return text(i)
	}
	src := start(t, ns, Options{AckWait: time.Second}, nodeSink(node))

	// 1,800 messages of one change (pings with a Nats-Msg-Id, upserts
	// without), then 20 of ten changes each (JSON Lines; half with a
	// Nats-Msg-Id): 2,000 changes.
	var pings []int
	for i := range 1800 {
		id := ""
		if i%3 == 0 && i >= contacts {
			id = fmt.Sprintf("ping-%d", i)
			pings = append(pings, i)
		}
		pub.publish("crm.changes", change(i), id)
	}
	for j := range 20 {
		var lines []string
		for k := range 10 {
			lines = append(lines, change(1800+10*j+k))
		}
		id := ""
		if j%2 == 0 {
			id = fmt.Sprintf("multi-%d", j)
		}
		pub.publish("crm.changes", strings.Join(lines, "\n"), id)
	}
	// Duplicates: 30 pings published again with their Nats-Msg-Id once
	// JetStream's window has passed, and 10 pings with a client id of
	// their own, each published twice. A republished ping adds no hit: it
	// is text, not change, however many tries JetStream drops (the first
	// ones can still be inside its window when publishing was quick).
	messages := 1820
	for _, i := range pings[:30] {
		for try := 0; ; try++ {
			if ack := pub.publish("crm.changes", text(i), fmt.Sprintf("ping-%d", i)); !ack.Duplicate {
				break
			}
			if try == 100 {
				t.Fatal("JetStream keeps dropping the republished message")
			}
			time.Sleep(20 * time.Millisecond)
		}
		messages++
	}
	for p := range 10 {
		c := fmt.Sprintf("c%d", p)
		ping := fmt.Sprintf(`{"op":"event","event":"ping","type":"contact","id":%q,"client_id":"own-%d"}`, c, p)
		pub.publish("crm.changes", ping, "")
		pub.publish("crm.changes", ping, "")
		want.hits[c]++
		messages += 2
	}
	// Bad ones: they are logged and acknowledged.
	for _, bad := range []string{
		`{"op":"upsert","type":"contact","id":"c1","props":{"n":`,
		`{"op":"upsert","type":"contact","id":"c1","props":{"nope":1}}`,
		`{"op":"upsert","type":"nosuch","id":"x"}`,
		`[1]`,
		`{"op":"event","event":"ping","type":"contact","id":"c2","props":{"k":"many"}}`,
	} {
		pub.publish("crm.changes", bad, "")
		messages++
	}
	waitFor(t, "every message acknowledged", func() bool { return src.Stats().Acked == uint64(messages) })
	st := src.Stats()
	if st.Applied != 2010 || st.Duplicates != 40 || st.Errors != 5 || st.Nacked != 0 {
		t.Errorf("stats %+v, want 2,010 applied, 40 duplicates, 5 errors", st)
	}
	t.Logf("phase 1: %d messages, %+v", messages, st)
	want.check(t, node)
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}

	// A crash after the commit, before the ack (1): the sink commits the
	// first call and then fails, so the messages are given back and come
	// again; the node answers their changes "duplicate".
	var committed atomic.Int64
	var once sync.Once
	crashing := func(data []byte) ([]Item, error) {
		items, err := nodeSink(node)(data)
		crashed := false
		once.Do(func() {
			crashed = true
			committed.Store(int64(len(items)))
		})
		if crashed && err == nil {
			return nil, errors.New("crashed after the commit")
		}
		return items, err
	}
	for i := range 100 {
		pub.publish("crm.changes", change(2001+3*i), "") // pings
	}
	src = start(t, ns, Options{}, crashing)
	waitFor(t, "the second batch acknowledged", func() bool { return src.Stats().Acked == 100 })
	st = src.Stats()
	if n := committed.Load(); n == 0 || st.Duplicates != uint64(n) || st.Applied != uint64(100-n) || st.Redelivered < uint64(n) || st.Nacked < uint64(n) {
		t.Errorf("stats %+v after a crash that committed %d changes", st, n)
	}
	t.Logf("phase 2: the crashed call committed %d changes; %+v", committed.Load(), st)
	want.check(t, node)
	src.Close()

	// A crash after the commit, before the ack (2): the connection is
	// gone when the sink returns, so the acks never reach the server;
	// after AckWait (1s) the messages go to the next source.
	var crashedSrc atomic.Pointer[Source]
	committed.Store(0)
	once = sync.Once{}
	lost := func(data []byte) ([]Item, error) {
		first := false
		once.Do(func() { first = true })
		if !first {
			return nil, errors.New("the process is gone")
		}
		items, err := nodeSink(node)(data)
		committed.Store(int64(len(items)))
		for crashedSrc.Load() == nil {
			time.Sleep(time.Millisecond)
		}
		crashedSrc.Load().nc.Close()
		return items, err
	}
	for i := range 100 {
		pub.publish("crm.changes", change(2301+3*i), "")
	}
	s3 := start(t, ns, Options{}, lost)
	crashedSrc.Store(s3)
	waitFor(t, "the crashed call", func() bool { return committed.Load() > 0 })
	s3.Close()
	if n := s3.Stats().Acked; n != 0 {
		t.Fatalf("%d messages acked by the crashed source", n)
	}
	src = start(t, ns, Options{}, nodeSink(node))
	waitFor(t, "the third batch acknowledged", func() bool { return pub.consumer("wf").NumAckPending == 0 && src.Stats().Acked >= 100 })
	st = src.Stats()
	if n := committed.Load(); st.Duplicates != uint64(n) || st.Applied != uint64(100-n) || st.Redelivered < uint64(n) {
		t.Errorf("stats %+v after a crash that committed %d changes", st, n)
	}
	t.Logf("phase 3: the crashed call committed %d changes; %+v", committed.Load(), st)
	want.check(t, node)
	if info := pub.consumer("wf"); info.AckFloor.Stream != info.Delivered.Stream || info.NumPending != 0 {
		t.Errorf("consumer not at the end of the stream: %+v", info)
	}
}
