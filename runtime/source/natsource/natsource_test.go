package natsource

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

func TestParseURL(t *testing.T) {
	for _, tc := range []struct {
		in, server, subject, err string
	}{
		{"nats://127.0.0.1:4222/crm.changes", "nats://127.0.0.1:4222", "crm.changes", ""},
		{"nats://nats.internal/crm.>", "nats://nats.internal:4222", "crm.>", ""},
		{"tls://u:p@nats.example.com:4443/crm.*.changes", "tls://u:p@nats.example.com:4443", "crm.*.changes", ""},
		{"nats://[::1]:4222/a", "nats://[::1]:4222", "a", ""},
		{"http://127.0.0.1:4222/crm", "", "", `scheme "http"`},
		{"127.0.0.1:4222/crm", "", "", "not a URL"},
		{"localhost/crm", "", "", "no scheme"},
		{"nats://127.0.0.1:4222", "", "", "no subject"},
		{"nats://127.0.0.1:4222/", "", "", "no subject"},
		{"nats:///crm", "", "", "no host"},
		{"nats:h/crm", "", "", "no host"},
		{"nats://h:1/crm..x", "", "", "empty token"},
		{"nats://h:1/crm.>.x", "", "", "last token"},
		{"nats://h:1/crm.a*", "", "", "whole token"},
		{"nats://h:1/crm/x", "", "", "slash"},
		{"nats://h:1/crm?x=1", "", "", "query"},
	} {
		server, subject, err := ParseURL(tc.in)
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.Contains(err.Error(), "nats://host:port/SUBJECT") {
				t.Errorf("%s: err %v, want one with %q and the expected form", tc.in, err, tc.err)
			}
		case err != nil || server != tc.server || subject != tc.subject:
			t.Errorf("%s: %q %q %v, want %q %q", tc.in, server, subject, err, tc.server, tc.subject)
		}
	}
	if err := (Options{URL: "nats://h/x", Durable: "a.b"}).Validate(); err == nil {
		t.Error("a durable name with a dot was accepted")
	}
}

// TestSplit covers the payload forms and the client ids given to changes.
func TestSplit(t *testing.T) {
	type want struct {
		line int
		json string // "" for a bad part
		id   string
		err  string
	}
	for _, tc := range []struct {
		name, payload string
		want          []want
	}{
		{"object", `{"op":"delete","type":"contact","id":"c1"}`,
			[]want{{1, `{"client_id":"B","op":"delete","type":"contact","id":"c1"}`, "B", ""}}},
		{"empty object", "{ }", []want{{1, `{"client_id":"B"}`, "B", ""}}},
		{"object over lines", "{\n \"op\": \"delete\",\n \"id\": \"a b\"\n}\n", []want{{1, `{"client_id":"B","op":"delete","id":"a b"}`, "B", ""}}},
		{"own id kept", "\n\n{ \"op\":\"delete\", \"type\":\"contact\",\n \"id\":\"c1\", \"client_id\":\"mine\" }",
			[]want{{3, `{"op":"delete","type":"contact","id":"c1","client_id":"mine"}`, "mine", ""}}},
		{"null or empty id replaced", `[{"op":"delete","client_id":null},{"op":"delete","client_id":""}]`,
			[]want{{1, `{"client_id":"B#1","op":"delete"}`, "B#1", ""}, {1, `{"client_id":"B#2","op":"delete"}`, "B#2", ""}}},
		{"array", "[\n {\"op\":\"delete\"},\n\n {\"op\":\"delete\",\n \"client_id\":\"x\"}\n]",
			[]want{{2, `{"client_id":"B#1","op":"delete"}`, "B#1", ""}, {4, `{"op":"delete","client_id":"x"}`, "x", ""}}},
		{"json lines with a bad line", "{\"op\":\"delete\"}\n{bad\n\n5\n{\"op\":\"delete\"}\n",
			[]want{{1, `{"client_id":"B#1","op":"delete"}`, "B#1", ""}, {2, "", "", "bad JSON"},
				{4, "", "", "expected a change object, got a number"}, {5, `{"client_id":"B#4","op":"delete"}`, "B#4", ""}}},
		{"broken array", "[{\"op\":\"delete\"},\n{\"op\":", []want{{2, "", "", "bad JSON"}}},
		{"not an object", `"hello"`, []want{{1, "", "", "expected a change object, got a string"}}},
		{"empty", " \n ", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := split([]byte(tc.payload))
			if len(parts) != len(tc.want) {
				t.Fatalf("%d parts, want %d: %+v", len(parts), len(tc.want), parts)
			}
			for i, p := range parts {
				p.prepare(clientID("B", i+1, len(parts)))
				w := tc.want[i]
				if p.line != w.line || string(p.json) != w.json || p.clientID != w.id || !strings.Contains(p.err, w.err) || (w.err == "") != (p.err == "") {
					t.Errorf("part %d: line %d json %s id %q err %q; want %+v", i, p.line, p.json, p.clientID, p.err, w)
				}
			}
		})
	}
	if id := clientID(strings.Repeat("x", 199), 2, 3); len(id) > 200 || !strings.HasPrefix(id, "nats:sha256:") {
		t.Errorf("long id: %q", id)
	}
	if id := baseID("", "CRM", 42); id != "#nats:CRM:42" {
		t.Errorf("base id %q", id)
	}
	// No two messages' changes share an id: message X with two changes,
	// message X#1 with one, and a message without an id.
	seen := map[string]string{}
	for _, c := range []struct {
		msgID  string
		seq    uint64
		pos, n int
	}{{"X", 1, 1, 2}, {"X", 1, 2, 2}, {"X#1", 2, 1, 1}, {"X%231", 3, 1, 1}, {"#nats:CRM:4", 4, 1, 1}, {"", 4, 1, 1}, {"", 5, 1, 2}} {
		id := clientID(baseID(c.msgID, "CRM", c.seq), c.pos, c.n)
		what := fmt.Sprintf("%+v", c)
		if other, dup := seen[id]; dup {
			t.Errorf("%s and %s both get client id %q", other, what, id)
		}
		seen[id] = what
	}
}

// TestAckAfterCommit: a message is acknowledged only once the sink has
// returned.
func TestAckAfterCommit(t *testing.T) {
	ns := startNATS(t)
	pub := newPublisher(t, ns, jetstream.StreamConfig{})
	f := &fakeSink{block: make(chan struct{})}
	start(t, ns, Options{}, f.sink)
	for i := range 3 {
		pub.publish("crm.changes", fmt.Sprintf(`{"op":"delete","type":"contact","id":"c%d"}`, i), "")
	}
	waitFor(t, "three messages delivered and unacknowledged", func() bool {
		info := pub.consumer("wf")
		return info.NumAckPending == 3 && info.NumPending == 0
	})
	time.Sleep(100 * time.Millisecond) // the sink is still blocked: nothing may be acked
	if info := pub.consumer("wf"); info.AckFloor.Stream != 0 || info.NumAckPending != 3 {
		t.Fatalf("acked before the sink returned: %+v", info)
	}
	close(f.block)
	waitFor(t, "the acks", func() bool {
		info := pub.consumer("wf")
		return info.AckFloor.Stream == 3 && info.NumAckPending == 0
	})
	if _, good := f.snapshot(); len(good) != 3 {
		t.Fatalf("sink got %d changes, want 3", len(good))
	}
}

// TestRedelivery: when the sink fails, the messages come again with the
// same client ids, in order, and are acknowledged once applied.
func TestRedelivery(t *testing.T) {
	ns := startNATS(t)
	pub := newPublisher(t, ns, jetstream.StreamConfig{})
	for i := range 5 {
		pub.publish("crm.changes", fmt.Sprintf(`{"op":"upsert","type":"contact","id":"c%d"}`, i), "")
	}
	f := &fakeSink{fail: func(call int) bool { return call <= 2 }}
	s := start(t, ns, Options{}, f.sink)
	waitFor(t, "all acked", func() bool { return s.Stats().Acked == 5 })
	calls, good := f.snapshot()
	if len(calls) < 3 {
		t.Fatalf("%d sink calls, want at least 3 (two failed)", len(calls))
	}
	var ids []string
	for _, l := range good {
		var ch struct {
			ClientID string `json:"client_id"`
		}
		json.Unmarshal([]byte(l), &ch)
		ids = append(ids, ch.ClientID)
	}
	if want := "#nats:CRM:1 #nats:CRM:2 #nats:CRM:3 #nats:CRM:4 #nats:CRM:5"; strings.Join(ids, " ") != want {
		t.Errorf("applied %v, want %s in this order", ids, want)
	}
	// The failed calls had the same lines (the same ids) as those applied.
	if first := strings.Join(calls[0], "\n"); !strings.HasPrefix(strings.Join(good, "\n"), first) {
		t.Errorf("first call %q differs from what was applied", first)
	}
	st := s.Stats()
	if st.Nacked < 5 || st.Redelivered < 5 || st.Applied != 5 {
		t.Errorf("stats %+v", st)
	}
	if info := pub.consumer("wf"); info.NumAckPending != 0 || info.AckFloor.Stream != 5 {
		t.Errorf("consumer %+v", info)
	}
}

// A change the sink answers with Retry (a cluster node has no record
// with the unique value yet) comes again, and applies once it can; after
// MaxRetries deliveries it is rejected and acknowledged.
func TestRetry(t *testing.T) {
	ns := startNATS(t)
	pub := newPublisher(t, ns, jetstream.StreamConfig{})
	pub.publish("crm.changes", `{"op":"event","event":"ping","type":"contact","match":{"email":"later@x.io"}}`, "soon")
	pub.publish("crm.changes", `{"op":"event","event":"ping","type":"contact","match":{"email":"never@x.io"}}`, "never")
	var mu sync.Mutex
	tries := map[string]int{}
	applied := map[string]bool{}
	sink := func(data []byte) ([]Item, error) {
		mu.Lock()
		defer mu.Unlock()
		var items []Item
		for i, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			var ch struct {
				ClientID string `json:"client_id"`
			}
			json.Unmarshal([]byte(line), &ch)
			tries[ch.ClientID]++
			it := Item{Line: i + 1, ClientID: ch.ClientID, Status: Applied}
			if ch.ClientID == "never" || tries[ch.ClientID] < 3 {
				it.Status, it.Error, it.Retry = Error, "no contact has email = …", true
			} else {
				applied[ch.ClientID] = true
			}
			items = append(items, it)
		}
		return items, nil
	}
	s := start(t, ns, Options{}, sink)
	waitFor(t, "both acked", func() bool { return s.Stats().Acked == 2 })
	mu.Lock()
	defer mu.Unlock()
	if !applied["soon"] || tries["soon"] != 3 {
		t.Errorf("soon: applied %v after %d tries, want after 3", applied["soon"], tries["soon"])
	}
	if applied["never"] || tries["never"] != MaxRetries {
		t.Errorf("never: applied %v after %d tries, want rejected after %d", applied["never"], tries["never"], MaxRetries)
	}
}

// TestClientIDs: the ids derived from messages.
func TestClientIDs(t *testing.T) {
	ns := startNATS(t)
	pub := newPublisher(t, ns, jetstream.StreamConfig{})
	pub.publish("crm.changes", `{"op":"delete","type":"contact","id":"a"}`, "")                                  // seq 1
	pub.publish("crm.changes", `{"op":"delete","type":"contact","id":"b"}`, "order-77")                          // seq 2
	pub.publish("crm.changes", "{\"op\":\"delete\",\"type\":\"contact\",\"id\":\"c\"}\n{\"op\":\"delete\"}", "") // seq 3
	pub.publish("crm.changes", `[{"op":"delete","id":"d"},{"op":"delete","id":"e","client_id":"own"}]`, "batch-9")
	f := &fakeSink{}
	s := start(t, ns, Options{}, f.sink)
	waitFor(t, "all acked", func() bool { return s.Stats().Acked == 4 })
	_, good := f.snapshot()
	var ids []string
	for _, l := range good {
		var ch struct {
			ClientID string `json:"client_id"`
		}
		json.Unmarshal([]byte(l), &ch)
		ids = append(ids, ch.ClientID)
	}
	if want := "#nats:CRM:1 order-77 #nats:CRM:3#1 #nats:CRM:3#2 batch-9#1 own"; strings.Join(ids, " ") != want {
		t.Errorf("ids %v, want %s", ids, want)
	}
}

// TestBadChanges: changes that can never apply are logged and acked, and
// the messages after them go on.
func TestBadChanges(t *testing.T) {
	ns := startNATS(t)
	pub := newPublisher(t, ns, jetstream.StreamConfig{})
	pub.publish("crm.changes", `{"op":"upsert","type":"contact","id":"a"}`, "")                     // 1: good
	pub.publish("crm.changes", `{bad`, "")                                                          // 2: not JSON
	pub.publish("crm.changes", "{\"op\":\"delete\",\"id\":\"b\"}\n[1,2]", "")                       // 3: good + not an object
	pub.publish("crm.changes", `{"op":"upsert","type":"contact","id":"c","props":{"bogus":1}}`, "") // 4: the sink rejects it
	pub.publish("crm.changes", `{"op":"upsert","type":"contact","id":"d"}`, "")                     // 5: good
	var logs logBuffer
	f := &fakeSink{}
	reg := prometheus.NewRegistry()
	s := start(t, ns, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Registerer: reg}, f.sink)
	waitFor(t, "all acked", func() bool { return s.Stats().Acked == 5 })
	if info := pub.consumer("wf"); info.NumAckPending != 0 || info.AckFloor.Stream != 5 {
		t.Errorf("consumer %+v", info)
	}
	if st := s.Stats(); st.Applied != 3 || st.Errors != 3 || st.Duplicates != 0 {
		t.Errorf("stats %+v", st)
	}
	_, good := f.snapshot()
	if len(good) != 3 || !strings.Contains(good[2], `"id":"d"`) {
		t.Errorf("applied %q", good)
	}
	out := logs.String()
	for _, want := range []string{
		`seq=2 subject=crm.changes line=1 err="bad JSON: invalid character 'b'`,
		`seq=3 subject=crm.changes line=2 err="expected a change object, got an array"`,
		`seq=4 subject=crm.changes line=1 field=contact.bogus client_id=#nats:CRM:4 err="unknown property of contact"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	gather := func() map[string]float64 {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]float64{}
		for _, f := range families {
			for _, m := range f.GetMetric() {
				name := f.GetName()
				for _, l := range m.GetLabel() {
					name += "{" + l.GetValue() + "}"
				}
				out[name] = m.GetCounter().GetValue()
			}
		}
		return out
	}
	got := gather()
	want := map[string]float64{"wf_nats_changes_total{error}": 3, "wf_nats_changes_total{applied}": 3, "wf_nats_changes_total{duplicate}": 0,
		"wf_nats_messages_total{acked}": 5, "wf_nats_messages_total{nacked}": 0, "wf_nats_redelivered_total": 0}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("metrics %v, want %v", got, want)
	}
	s.Close()
	if got := gather(); len(got) != 0 {
		t.Errorf("metrics left registered after Close: %v", got)
	}
}

// TestOrderAndBatching: many messages arrive in stream order, several per
// sink call.
func TestOrderAndBatching(t *testing.T) {
	ns := startNATS(t)
	pub := newPublisher(t, ns, jetstream.StreamConfig{})
	const n = 2000
	for i := range n {
		if _, err := pub.js.PublishAsync("crm.changes", fmt.Appendf(nil, `{"op":"upsert","type":"contact","id":"c","n":%d}`, i)); err != nil {
			t.Fatal(err)
		}
	}
	<-pub.js.PublishAsyncComplete()
	f := &fakeSink{}
	s := start(t, ns, Options{Batch: 300}, f.sink)
	waitFor(t, "all acked", func() bool { return s.Stats().Acked == n })
	calls, good := f.snapshot()
	for i, l := range good {
		if !strings.Contains(l, fmt.Sprintf(`"n":%d}`, i)) {
			t.Fatalf("change %d is %s: out of order", i, l)
		}
	}
	if len(good) != n {
		t.Fatalf("%d applied", len(good))
	}
	biggest := 0
	for _, c := range calls {
		biggest = max(biggest, len(c))
	}
	if biggest > 300 || len(calls) > n/10 {
		t.Errorf("%d calls, the biggest of %d changes: want batches of up to 300", len(calls), biggest)
	}
	t.Logf("%d changes in %d sink calls", n, len(calls))
}

// TestStartErrors: the errors of Start say what is wrong.
func TestStartErrors(t *testing.T) {
	ns := startNATS(t)
	pub := newPublisher(t, ns, jetstream.StreamConfig{})
	ctx := context.Background()
	f := &fakeSink{}
	opts := func(url, durable string) Options {
		return Options{URL: url, Durable: durable, Logger: quietLogger()}
	}
	// Another consumer on the same durable name, reading another subject.
	pub.js.CreateConsumer(ctx, "CRM", jetstream.ConsumerConfig{Durable: "other", FilterSubject: "crm.other", AckPolicy: jetstream.AckExplicitPolicy})
	for _, tc := range []struct{ opts Options }{
		{opts("nats://127.0.0.1:1/crm.changes", "")},
		{opts(ns.ClientURL()+"/orders.new", "")},
		{opts(ns.ClientURL()+"/crm.changes", "other")},
		{Options{URL: ns.ClientURL() + "/crm.changes", Stream: "NOPE", Logger: quietLogger()}},
	} {
		_, err := Start(ctx, tc.opts, f.sink)
		t.Log(err)
		if err == nil {
			t.Errorf("%+v: started", tc.opts)
		}
	}
	_, err := Start(ctx, opts("nats://127.0.0.1:1/crm.changes", ""), f.sink)
	if err == nil || !strings.Contains(err.Error(), "connecting to nats://127.0.0.1:1") {
		t.Errorf("no server: %v", err)
	}
	_, err = Start(ctx, opts(ns.ClientURL()+"/orders.new", ""), f.sink)
	if err == nil || !strings.Contains(err.Error(), "no JetStream stream") || !strings.Contains(err.Error(), "orders.new") {
		t.Errorf("no stream: %v", err)
	}
	_, err = Start(ctx, opts(ns.ClientURL()+"/crm.changes", "other"), f.sink)
	if err == nil || !strings.Contains(err.Error(), `reads "crm.other", not crm.changes`) {
		t.Errorf("durable on another subject: %v", err)
	}
}
