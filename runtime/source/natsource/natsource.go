// Package natsource feeds changes from a NATS JetStream stream to a sink,
// which under `wf serve --source nats://host:port/SUBJECT` is the node's
// Ingest: a service that already publishes its CRM changes to NATS needs no
// glue.
//
// A message's payload is what POST /v1/changes takes (runtime/ingest): one
// change object, a JSON array of changes, or JSON Lines. The source reads
// the stream through a durable pull consumer (explicit acks; created on
// first use to deliver the whole stream, filtered to the subject) and
// guarantees:
//
//   - At least once into the sink, exactly once applied. A message is
//     acknowledged only after the sink has returned without error, that
//     is, once its changes are committed. When the sink fails (the node
//     stopped, a commit failed) the messages of the call are given back
//     with a delayed Nak and come again; one that was committed but not
//     acknowledged (a crash between the two) comes again after the
//     consumer's AckWait. Every change carries a client id, so a change
//     that comes again is answered "duplicate" by the node and applied
//     once: its own "client_id" if it has one, else one derived from the
//     message, the same at every delivery: the message's Nats-Msg-Id
//     header if it has one, else "#nats:<stream>:<stream sequence>",
//     followed by "#<n>" for the n-th change (from 1) of a message that
//     has several. (JetStream itself already drops a message published
//     twice with the same Nats-Msg-Id within the stream's duplicate
//     window; the client id covers a republish after it.) Deleting and
//     recreating a stream restarts its sequence numbers: changes without
//     an id of their own then get ids that were used before and are
//     answered "duplicate" for the node's dedupe window; publish with
//     Nats-Msg-Id or client ids, or use a new stream name.
//   - Bad changes do not block the stream. A payload that is not JSON, an
//     item that is not an object, or a change the sink rejects (an error
//     item: unknown type, bad field…) will never succeed: it is logged with
//     the stream sequence, the line in the payload, the field and the
//     error, counted, and its message acknowledged with the others.
//   - Stream order. Messages are handed to the sink in stream order, in
//     batches of up to Options.Batch messages given as ONE call (JSON
//     Lines, one line per change, so one group commit), and calls are
//     sequential; the node applies a call's lines in order. After a
//     failed call the source Naks the rest of the pull too and waits for
//     the Nak delay before pulling again, so that JetStream, which
//     redelivers before it delivers new messages, gives the failed
//     messages back first. A message whose delivery is lost (a connection
//     drop) comes back after AckWait, possibly after later ones: its
//     changes are then applied after those.
//
// One source should read a durable consumer at a time: two wf nodes on
// the same durable share its messages between them.
package natsource

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
)

// Defaults of Options.
const (
	DefaultDurable   = "wf"
	DefaultBatch     = 512
	DefaultAckWait   = 30 * time.Second
	DefaultNakDelay  = time.Second
	DefaultFetchWait = 500 * time.Millisecond
)

// Item is the sink's outcome for one line of a call, as server.Item.
type Item struct {
	Line     int    // the 1-based line of the data given to the sink
	Status   string // "applied", "duplicate" or "error"
	ClientID string
	Field    string // of an error, when known
	Error    string
	// Retry, on an error, says the change may apply later (a cluster
	// node had no record with the unique value it names yet): its
	// message is given back to come again, up to MaxRetries deliveries.
	Retry bool
}

// MaxRetries bounds how often a message whose change the sink asked to
// retry is delivered before it is logged as rejected and acknowledged.
const MaxRetries = 10

// Item statuses.
const (
	Applied   = "applied"
	Duplicate = "duplicate"
	Error     = "error"
)

// A Sink applies changes given as JSON Lines, one change object per line,
// each with a client id. It returns an error when nothing of data was
// committed (the messages are redelivered), else an Item for each line it
// reports on; a line without an Item, or with a status other than "error",
// counts as committed. `wf serve` adapts server.Node.Ingest to it.
type Sink func(data []byte) ([]Item, error)

// Options configure a Source.
type Options struct {
	// URL is nats://host:port/SUBJECT (tls:// for TLS; user:password@ or
	// token@ before the host to authenticate). SUBJECT may have wildcards.
	URL string
	// Durable is the name of the durable pull consumer (default "wf").
	Durable string
	// Stream is the stream to read; empty: the one that captures SUBJECT,
	// found with the JetStream API.
	Stream string
	// Logger gets the source's logs (default slog.Default()).
	Logger *slog.Logger
	// Batch is the most messages handed to the sink in one call (default
	// 512).
	Batch int
	// AckWait is the AckWait of a consumer the source creates (default
	// 30s): how long JetStream waits for an acknowledgement before it
	// delivers a message again. A sink call that takes longer tells the
	// server its messages are in progress.
	AckWait time.Duration
	// NakDelay is how long a message given back after a failed sink call
	// waits before it is delivered again (default 1s).
	NakDelay time.Duration
	// FetchWait is how long one pull waits for messages when the stream
	// has none (default 0.5s; at most NakDelay/2). Close waits for the
	// pull in progress, so it can take this long.
	FetchWait time.Duration
	// Registerer, when set, gets the source's Prometheus metrics
	// (wf_nats_messages_total by result, wf_nats_redelivered_total,
	// wf_nats_changes_total by status).
	Registerer prometheus.Registerer
	// NATSOptions are more options for nats.Connect (credentials, TLS).
	NATSOptions []nats.Option
}

// ParseURL splits a source URL into the NATS server URL and the subject.
func ParseURL(raw string) (serverURL, subject string, err error) {
	fail := func(format string, args ...any) (string, string, error) {
		return "", "", fmt.Errorf("want nats://host:port/SUBJECT: "+format, args...)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fail("not a URL")
	}
	if u.Scheme != "nats" && u.Scheme != "tls" {
		if u.Scheme == "" {
			return fail("no scheme")
		}
		return fail("scheme %q", u.Scheme)
	}
	if u.Hostname() == "" || u.Opaque != "" {
		return fail("no host")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fail("a query or fragment")
	}
	subject = strings.TrimPrefix(u.Path, "/")
	if subject == "" {
		return fail("no subject")
	}
	if err := checkSubject(subject); err != nil {
		return fail("subject %q: %v", subject, err)
	}
	host := u.Host
	if u.Port() == "" {
		host = strings.TrimSuffix(host, ":") + ":4222"
	}
	return (&url.URL{Scheme: u.Scheme, User: u.User, Host: host}).String(), subject, nil
}

func checkSubject(s string) error {
	if strings.ContainsAny(s, " \t\r\n/") {
		return errors.New("has a space or slash")
	}
	toks := strings.Split(s, ".")
	for i, t := range toks {
		switch {
		case t == "":
			return errors.New("has an empty token")
		case t == ">" && i < len(toks)-1:
			return errors.New("\">\" must be the last token")
		case t != "*" && t != ">" && strings.ContainsAny(t, "*>"):
			return errors.New("a wildcard must be a whole token")
		}
	}
	return nil
}

// Validate checks the URL and the durable name.
func (o Options) Validate() error {
	if _, _, err := ParseURL(o.URL); err != nil {
		return err
	}
	if o.Durable != "" && (strings.ContainsAny(o.Durable, ".*> \t\r\n/\\") || len(o.Durable) > 255) {
		return fmt.Errorf("durable name %q: no dots, wildcards, spaces or slashes", o.Durable)
	}
	return nil
}

// Stats count what a source did since it started.
type Stats struct {
	Acked       uint64 // messages acknowledged
	Nacked      uint64 // Naks sent after failed sink calls
	Redelivered uint64 // messages received more than once
	Applied     uint64 // changes applied
	Duplicates  uint64 // changes answered "duplicate"
	Errors      uint64 // changes that will never apply (logged, acknowledged)
	Calls       uint64 // sink calls, failed ones included
}

type counters struct {
	acked, nacked, redelivered, applied, duplicates, errors, calls atomic.Uint64
}

// Source is a running consumer of a stream.
type Source struct {
	opts    Options
	sink    Sink
	log     *slog.Logger
	subject string
	stream  string
	nc      *nats.Conn
	cons    jetstream.Consumer
	ackWait time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	c      counters
	metric []prometheus.Collector

	failing bool // the last pull failed (loop only)
}

// Start connects to the server, finds the stream, creates the durable
// consumer if it does not exist, and starts handing messages to sink. ctx
// bounds the start only; Close stops the source.
func Start(ctx context.Context, opts Options, sink Sink) (*Source, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if sink == nil {
		return nil, errors.New("natsource: no sink")
	}
	serverURL, subject, _ := ParseURL(opts.URL)
	if opts.Durable == "" {
		opts.Durable = DefaultDurable
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.AckWait <= 0 {
		opts.AckWait = DefaultAckWait
	}
	if opts.NakDelay <= 0 {
		opts.NakDelay = DefaultNakDelay
	}
	if opts.FetchWait <= 0 {
		opts.FetchWait = DefaultFetchWait
	}
	// A pull must end before a message Nak'd during it comes again, or
	// the source would take it back in the same pull (see consume).
	opts.FetchWait = min(opts.FetchWait, opts.NakDelay/2)
	s := &Source{opts: opts, sink: sink, log: opts.Logger, subject: subject, done: make(chan struct{})}
	redacted := serverURL
	if u, err := url.Parse(serverURL); err == nil {
		redacted = u.Redacted()
	}
	nopts := append([]nats.Option{
		nats.Name("wf serve"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(time.Second),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				s.log.Warn("nats: disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { s.log.Info("nats: reconnected", "server", nc.ConnectedUrlRedacted()) }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) { s.log.Warn("nats", "err", err) }),
	}, opts.NATSOptions...)
	nc, err := nats.Connect(serverURL, nopts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to %s: %v", redacted, err)
	}
	s.nc = nc
	if err := s.setup(ctx, redacted); err != nil {
		nc.Close()
		return nil, err
	}
	if opts.Registerer != nil {
		if err := s.register(opts.Registerer); err != nil {
			nc.Close()
			return nil, err
		}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.run()
	s.log.Info("reading changes from NATS", "server", redacted, "stream", s.stream, "subject", subject,
		"durable", opts.Durable, "pending", s.cons.CachedInfo().NumPending)
	return s, nil
}

// setup finds the stream and the consumer.
func (s *Source) setup(ctx context.Context, server string) error {
	js, err := jetstream.New(s.nc)
	if err != nil {
		return err
	}
	s.stream = s.opts.Stream
	if s.stream == "" {
		s.stream, err = js.StreamNameBySubject(ctx, s.subject)
		switch {
		case errors.Is(err, jetstream.ErrStreamNotFound):
			return fmt.Errorf("no JetStream stream on %s captures subject %s: create one (nats stream add --subjects %q) or name it", server, s.subject, s.subject)
		case err != nil:
			return jsError(server, err)
		}
	}
	stream, err := js.Stream(ctx, s.stream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return fmt.Errorf("no JetStream stream %q on %s", s.stream, server)
	} else if err != nil {
		return jsError(server, err)
	}
	cfg := jetstream.ConsumerConfig{
		Durable:       s.opts.Durable,
		Description:   "wf serve --source",
		DeliverPolicy: jetstream.DeliverAllPolicy,
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       s.opts.AckWait,
		MaxDeliver:    -1,
		MaxAckPending: max(1000, 4*s.opts.Batch),
		FilterSubject: s.subject,
	}
	cons, err := stream.Consumer(ctx, s.opts.Durable)
	if errors.Is(err, jetstream.ErrConsumerNotFound) {
		cons, err = stream.CreateConsumer(ctx, cfg)
		if errors.Is(err, jetstream.ErrConsumerExists) { // created meanwhile
			cons, err = stream.Consumer(ctx, s.opts.Durable)
		}
	}
	if errors.Is(err, jetstream.ErrNotPullConsumer) {
		return fmt.Errorf("consumer %q of stream %s is a push consumer: give another durable name", s.opts.Durable, s.stream)
	}
	if err != nil {
		return jsError(server, err)
	}
	info := cons.CachedInfo()
	if info.Config.AckPolicy != jetstream.AckExplicitPolicy {
		return fmt.Errorf("consumer %q of stream %s acknowledges %s, not explicitly: give another durable name", s.opts.Durable, s.stream, info.Config.AckPolicy)
	}
	filters := info.Config.FilterSubjects
	if info.Config.FilterSubject != "" {
		filters = append(filters, info.Config.FilterSubject)
	}
	if len(filters) != 1 || filters[0] != s.subject {
		return fmt.Errorf("consumer %q of stream %s reads %q, not %s: give another durable name", s.opts.Durable, s.stream, strings.Join(filters, " "), s.subject)
	}
	s.cons, s.ackWait = cons, info.Config.AckWait
	return nil
}

func jsError(server string, err error) error {
	if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) {
		return fmt.Errorf("JetStream is not enabled on %s", server)
	}
	return fmt.Errorf("JetStream on %s: %v", server, err)
}

func (s *Source) register(r prometheus.Registerer) error {
	counter := func(name, help string, labels prometheus.Labels, v *atomic.Uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(v.Load()) })
	}
	const msgs, changes = "Messages read from NATS, by result (acked, nacked).", "Changes read from NATS, by status (applied, duplicate, error)."
	s.metric = []prometheus.Collector{
		counter("wf_nats_messages_total", msgs, prometheus.Labels{"result": "acked"}, &s.c.acked),
		counter("wf_nats_messages_total", msgs, prometheus.Labels{"result": "nacked"}, &s.c.nacked),
		counter("wf_nats_redelivered_total", "Messages read from NATS more than once.", nil, &s.c.redelivered),
		counter("wf_nats_changes_total", changes, prometheus.Labels{"status": Applied}, &s.c.applied),
		counter("wf_nats_changes_total", changes, prometheus.Labels{"status": Duplicate}, &s.c.duplicates),
		counter("wf_nats_changes_total", changes, prometheus.Labels{"status": Error}, &s.c.errors),
	}
	for i, c := range s.metric {
		if err := r.Register(c); err != nil {
			for _, c := range s.metric[:i] {
				r.Unregister(c)
			}
			s.metric = nil
			return fmt.Errorf("natsource: metrics: %v", err)
		}
	}
	return nil
}

// Stream is the name of the stream the source reads.
func (s *Source) Stream() string { return s.stream }

// Stats returns the source's counts so far.
func (s *Source) Stats() Stats {
	return Stats{Acked: s.c.acked.Load(), Nacked: s.c.nacked.Load(), Redelivered: s.c.redelivered.Load(),
		Applied: s.c.applied.Load(), Duplicates: s.c.duplicates.Load(), Errors: s.c.errors.Load(), Calls: s.c.calls.Load()}
}

// Close stops the source: it waits for the pull in progress, hands what it
// got to the sink and acknowledges it (so close the source before the
// sink's node), then sends the acks and closes the connection. An error
// means some acks may not have reached the server: their messages come
// again and are answered "duplicate".
func (s *Source) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		<-s.done
		if ferr := s.nc.FlushTimeout(5 * time.Second); ferr != nil && !errors.Is(ferr, nats.ErrConnectionClosed) {
			err = fmt.Errorf("natsource: sending the last acks: %v", ferr)
		}
		s.nc.Close()
		if s.opts.Registerer != nil {
			for _, c := range s.metric {
				s.opts.Registerer.Unregister(c)
			}
		}
		s.log.Info("stopped reading changes from NATS", "stream", s.stream, "durable", s.opts.Durable)
	})
	return err
}

// run pulls messages until Close.
func (s *Source) run() {
	defer close(s.done)
	for s.ctx.Err() == nil {
		b, err := s.cons.Fetch(s.opts.Batch, jetstream.FetchMaxWait(s.opts.FetchWait))
		if err != nil {
			s.pullFailed(err)
			continue
		}
		if !s.consume(b) {
			s.sleep(s.opts.NakDelay + 100*time.Millisecond)
			continue
		}
		if err := b.Error(); err != nil {
			s.pullFailed(err)
			continue
		}
		if s.failing {
			s.failing = false
			s.log.Info("pulling messages again", "stream", s.stream)
		}
	}
}

func (s *Source) pullFailed(err error) {
	if s.ctx.Err() != nil {
		return
	}
	if !s.failing {
		s.log.Warn("pulling messages", "stream", s.stream, "err", err)
	} else {
		s.log.Debug("pulling messages", "stream", s.stream, "err", err)
	}
	s.failing = true
	s.sleep(time.Second)
}

func (s *Source) sleep(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-s.ctx.Done():
	}
}

// consume hands the messages of one pull to the sink as they come, in
// chunks of what has arrived. After a failed sink call it gives the rest
// of the pull back too, so the failed messages come back first, and
// reports false.
func (s *Source) consume(b jetstream.MessageBatch) bool {
	ch := b.Messages()
	for {
		m, ok := <-ch
		if !ok {
			return true
		}
		msgs := []jetstream.Msg{m}
		open := true
	more:
		for len(msgs) < s.opts.Batch {
			select {
			case m, ok := <-ch:
				if !ok {
					open = false
					break more
				}
				msgs = append(msgs, m)
			default:
				break more
			}
		}
		if err := s.handle(msgs); err != nil {
			n := len(msgs)
			for m := range ch {
				s.nak(m)
				n++
			}
			s.log.Error("changes not committed; their messages will come again", "stream", s.stream, "messages", n,
				"retry_in", s.opts.NakDelay, "err", err)
			return false
		}
		if !open {
			return true
		}
	}
}

func (s *Source) nak(m jetstream.Msg) {
	if err := m.NakWithDelay(s.opts.NakDelay); err != nil {
		s.log.Debug("nak", "err", err) // it comes again after AckWait
		return
	}
	s.c.nacked.Add(1)
}

// message is a message of a sink call, with its changes.
type message struct {
	m         jetstream.Msg
	seq       uint64 // stream sequence
	delivered uint64 // how often it has been delivered, this time included
	parts     []part
	counts    [3]int // applied, duplicate, error
	retry     bool   // a change asked to come again
}

// handle hands msgs to the sink in one call and acknowledges them once it
// succeeded; when it failed, it gives them back and returns the error.
func (s *Source) handle(msgs []jetstream.Msg) error {
	start := time.Now()
	batch := make([]message, len(msgs))
	type ref struct{ msg, part int }
	var (
		data  bytes.Buffer
		lines []ref
	)
	for i, m := range msgs {
		b := &batch[i]
		b.m = m
		meta, err := m.Metadata()
		if err != nil { // not from JetStream: cannot happen on a pull consumer
			b.parts = []part{{line: 1, err: "no JetStream metadata: " + err.Error()}}
			continue
		}
		b.seq, b.delivered = meta.Sequence.Stream, meta.NumDelivered
		if meta.NumDelivered > 1 {
			s.c.redelivered.Add(1)
		}
		base := baseID(m.Headers().Get(jetstream.MsgIDHeader), meta.Stream, meta.Sequence.Stream)
		b.parts = split(m.Data())
		if len(b.parts) == 0 {
			s.log.Warn("empty message", "stream", s.stream, "seq", b.seq, "subject", m.Subject())
		}
		for j := range b.parts {
			p := &b.parts[j]
			p.prepare(clientID(base, j+1, len(b.parts)))
			if p.err != "" {
				continue
			}
			data.Write(p.json)
			data.WriteByte('\n')
			lines = append(lines, ref{i, j})
		}
	}
	if len(lines) > 0 {
		s.c.calls.Add(1)
		stop := s.keepInProgress(msgs)
		items, err := s.sink(data.Bytes())
		stop()
		if err != nil {
			for _, m := range msgs {
				s.nak(m)
			}
			return err
		}
		for _, it := range items {
			if it.Line < 1 || it.Line > len(lines) {
				s.log.Warn("the sink reported an unknown line", "line", it.Line, "status", it.Status, "err", it.Error)
				continue
			}
			r := lines[it.Line-1]
			if it.Status == Error && it.Retry && batch[r.msg].delivered < MaxRetries {
				batch[r.msg].retry = true
				continue
			}
			if it.Status == Error {
				p := &batch[r.msg].parts[r.part]
				p.err, p.field = it.Error, it.Field
				continue
			}
			if it.Status == Duplicate {
				batch[r.msg].counts[1]++
			}
		}
	}
	var applied, dups, errs int
	for i := range batch {
		b := &batch[i]
		if b.retry {
			// Given back: it comes again after the Nak delay, and what
			// of it did apply is answered duplicate then.
			s.log.Info("a change may apply later; its message comes again", "stream", s.stream, "seq", b.seq, "delivered", b.delivered)
			s.nak(b.m)
			continue
		}
		for j := range b.parts {
			p := &b.parts[j]
			if p.err != "" {
				s.logRejected(b, p)
				b.counts[2]++
			}
		}
		b.counts[0] = len(b.parts) - b.counts[1] - b.counts[2]
		applied, dups, errs = applied+b.counts[0], dups+b.counts[1], errs+b.counts[2]
		if err := b.m.Ack(); err != nil {
			// It comes again after AckWait and is answered "duplicate".
			s.log.Warn("acknowledging a message", "stream", s.stream, "seq", b.seq, "err", err)
			continue
		}
		s.c.acked.Add(1)
	}
	s.c.applied.Add(uint64(applied))
	s.c.duplicates.Add(uint64(dups))
	s.c.errors.Add(uint64(errs))
	s.log.Debug("batch", "stream", s.stream, "messages", len(batch), "changes", len(lines), "applied", applied,
		"duplicates", dups, "errors", errs, "took", time.Since(start))
	return nil
}

func (s *Source) logRejected(b *message, p *part) {
	args := []any{"stream", s.stream, "seq", b.seq, "subject", b.m.Subject(), "line", p.line}
	if p.field != "" {
		args = append(args, "field", p.field)
	}
	if p.clientID != "" {
		args = append(args, "client_id", p.clientID)
	}
	s.log.Warn("change rejected; its message is acknowledged", append(args, "err", p.err)...)
}

// keepInProgress tells the server, every half AckWait until stop is
// called, that msgs are being worked on, so a slow sink call does not get
// them delivered again meanwhile.
func (s *Source) keepInProgress(msgs []jetstream.Msg) (stop func()) {
	every := s.ackWait / 2
	if every <= 0 {
		every = DefaultAckWait / 2
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				for _, m := range msgs {
					m.InProgress()
				}
			}
		}
	}()
	return func() { close(quit); <-done }
}
