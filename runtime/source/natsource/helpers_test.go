package natsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	natsserver "github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// startNATS runs a nats-server with JetStream in the test process, on a
// random loopback port, with its store in a temporary directory.
func startNATS(t testing.TB) *natsserver.Server {
	t.Helper()
	ns, err := natsserver.NewServer(&natsserver.Options{
		Host: "127.0.0.1", Port: -1, JetStream: true, StoreDir: t.TempDir(), NoLog: true, NoSigs: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	go ns.Start()
	if !ns.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	t.Cleanup(func() {
		ns.Shutdown()
		ns.WaitForShutdown()
	})
	return ns
}

// publisher is a JetStream client of the test server with a stream CRM
// capturing crm.>.
type publisher struct {
	t  testing.TB
	nc *nats.Conn
	js jetstream.JetStream
}

func newPublisher(t testing.TB, ns *natsserver.Server, cfg jetstream.StreamConfig) *publisher {
	t.Helper()
	nc, err := nats.Connect(ns.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Name == "" {
		cfg.Name, cfg.Subjects = "CRM", []string{"crm.>"}
	}
	if _, err := js.CreateStream(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	return &publisher{t: t, nc: nc, js: js}
}

// publish publishes data on subject, with a Nats-Msg-Id when msgID is not
// empty, and returns the ack.
func (p *publisher) publish(subject, data, msgID string) *jetstream.PubAck {
	p.t.Helper()
	var opts []jetstream.PublishOpt
	if msgID != "" {
		opts = append(opts, jetstream.WithMsgID(msgID))
	}
	ack, err := p.js.Publish(context.Background(), subject, []byte(data), opts...)
	if err != nil {
		p.t.Fatal(err)
	}
	return ack
}

// consumer reads the durable's state.
func (p *publisher) consumer(durable string) *jetstream.ConsumerInfo {
	p.t.Helper()
	c, err := p.js.Consumer(context.Background(), "CRM", durable)
	if err != nil {
		p.t.Fatal(err)
	}
	info, err := c.Info(context.Background())
	if err != nil {
		p.t.Fatal(err)
	}
	return info
}

// fakeSink records the lines it is given. Lines containing "bogus" are
// rejected with field "contact.bogus"; fail, when set, decides whether a
// call fails (nothing committed); block, when set, is waited on before
// each call returns.
type fakeSink struct {
	mu    sync.Mutex
	calls [][]string // lines of each call, failed ones included
	good  []string   // lines of successful calls, in order
	fail  func(call int) bool
	block chan struct{}
	seen  map[string]bool // client ids committed
}

func (f *fakeSink) sink(data []byte) ([]Item, error) {
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.seen == nil {
		f.seen = map[string]bool{}
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	f.calls = append(f.calls, lines)
	if f.fail != nil && f.fail(len(f.calls)) {
		return nil, errors.New("the node has stopped")
	}
	var items []Item
	for i, l := range lines {
		var ch struct {
			ClientID string `json:"client_id"`
		}
		if err := json.Unmarshal([]byte(l), &ch); err != nil {
			panic("the sink got a line that is not an object: " + l)
		}
		it := Item{Line: i + 1, Status: Applied, ClientID: ch.ClientID}
		switch {
		case strings.Contains(l, "bogus"):
			it.Status, it.Field, it.Error = Error, "contact.bogus", "unknown property of contact"
		case f.seen[ch.ClientID]:
			it.Status = Duplicate
		default:
			f.seen[ch.ClientID] = true
			f.good = append(f.good, l)
		}
		items = append(items, it)
	}
	return items, nil
}

func (f *fakeSink) snapshot() (calls [][]string, good []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([][]string(nil), f.calls...), append([]string(nil), f.good...)
}

// logBuffer is a concurrency-safe log destination.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start starts a source on crm.changes with quick timings for tests.
func start(t testing.TB, ns *natsserver.Server, opts Options, sink Sink) *Source {
	t.Helper()
	if opts.URL == "" {
		opts.URL = ns.ClientURL() + "/crm.changes"
	}
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	if opts.FetchWait == 0 {
		opts.FetchWait = 200 * time.Millisecond
	}
	if opts.NakDelay == 0 {
		opts.NakDelay = 100 * time.Millisecond
	}
	s, err := Start(context.Background(), opts, sink)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// waitFor polls cond until it holds or 20 seconds pass.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
