package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/cluster"
	wfcode "github.com/wflang/wf/runtime/code"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/source/natsource"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/runtime/store/pgstore"
	"github.com/wflang/wf/runtime/webhook"
)

var cmdServe = &command{
	name:  "serve",
	args:  "DIR [--data DIR | --store postgres://… [--node-id ID] [--lease-ttl 10s]] [--addr 127.0.0.1:8080] [--token T] [--log-retention 2y] [--dedupe-window 30d] [--secrets-file FILE] [--webhook-timeout 30s] [--allow-http] [--allow-private-targets] [--source nats://host:port/SUBJECT] [--source-durable wf]",
	short: "run the workflows of a directory as a durable service with an HTTP API",
	long: `Serve compiles every .wf file below DIR and runs the workflows on the real
clock, keeping all state in an embedded database in the --data directory
(default ./.wf-data), or with --store in a PostgreSQL database:
postgres://user:pass@host:port/db or postgresql://…, with pgx's settings
such as ?sslmode=require, ?pool_max_conns=8 or ?search_path=SCHEMA; serve
creates or migrates its tables (prefixed wf_) at start. A change is
answered only once it, and everything it caused, is committed to disk.
When a .wf file below DIR changes, serve compiles again and swaps the new
version in; a version with errors is not loaded, and GET /v1/workflows
shows its diagnostics.

With --store, serve is a node of a cluster: any number of nodes share the
database, each owning some of its 64 record partitions under leases that
last --lease-ttl (default 10s) unless renewed; a dead node's partitions
move to the others. Any node accepts changes, answering "accepted" once
they are durably queued for their partition's owner, which applies them
in order, each exactly once. Nodes publish DIR's program at start and on
every edit (wf deploy publishes without a node), and every node switches
to the newest version. --node-id names the node (default: host name and a
random suffix); GET /v1/cluster shows the nodes and the partitions.
Enable/disable applies on every node; a manual enrollment, an event
matched by a unique property and an incoming webhook are queued for the
record's owner. Every node's dashboard (/) shows the whole cluster, a
record's explanation on the node owning its partition, and the nodes at
/cluster. Not yet in a cluster: associations across partitions.

The HTTP API (JSON):

  POST /v1/changes                          one change, a JSON array, or JSON Lines
  GET  /v1/records/{type}/{id}              a record
  GET  /v1/records/{type}/{id}/enrollments  its enrollments, with history
  GET  /v1/records/{type}/{id}/why          why it was or was not enrolled, per workflow
  POST /v1/hooks/{name}                     call an incoming webhook
  POST /v1/workflows/{name}/enroll          {"type":…,"id":…}: enroll by hand
  GET  /v1/workflows                        versions, status, diagnostics
  POST /v1/workflows/{name}/enable|disable
  GET  /v1/workflows/{name}/log             the action log (?after=SEQ&limit=N)
  GET  /healthz, GET /metrics               health, Prometheus metrics

History is compacted so it never fills the disk: action log entries older
than --log-retention (90d, 180d, 2y, or a Go duration such as 2160h;
"forever" keeps them; default 2y) and client ids older than
--dedupe-window (default 30d: a change resent later than that with the same
client_id is applied again) are deleted at start and every hour.

Outgoing webhooks (webhook post) are delivered over HTTPS only, to public
addresses only: --allow-http also allows http:// URLs (for local
development), and --allow-private-targets allows targets that resolve to
loopback, private, link-local or metadata addresses (checked at connect
time). --webhook-timeout is the per-request timeout of a webhook step that
sets none (default 30s). Secrets, for secret("NAME") and the declared
secrets of code js steps, come from the environment, or with --secrets-file
from FILE instead (a JSON object of strings, or NAME=VALUE lines); their
values are never logged. code js steps run in a sandbox; serve registers no
Go functions, so a code go step fails with a reason: a Go service that
needs them embeds wf (package github.com/wflang/wf/wfrt) and registers
them with Runtime.Register.

With --source nats://host:port/SUBJECT, serve also reads changes from a
NATS JetStream stream, each message holding what POST /v1/changes takes
(one change, a JSON array, or JSON Lines). It reads the stream that
captures SUBJECT through the durable pull consumer --source-durable
(default wf; created on first use to deliver the whole stream), hands up
to 512 messages at a time to the node as one commit, in stream order,
and acknowledges a message only once its changes are committed; the
others come again. A change without a client_id gets one from its
message (the Nats-Msg-Id header, else #nats:STREAM:SEQUENCE, with #N for
the N-th change of a message that has several), so a change that comes
again is answered duplicate and applied once. A change that can never
apply (bad JSON, an unknown field…) is logged with its stream sequence,
line and field, and acknowledged. user:password@ or token@ before the
host authenticates; tls:// connects with TLS. serve exits with status 1
if it cannot connect or finds no stream at start; afterwards it
reconnects by itself.

With --token (or the WF_TOKEN environment variable) every route but
/healthz needs "Authorization: Bearer TOKEN"; serve refuses to listen on
an address other than loopback without one. SIGINT or SIGTERM stops it
gracefully: requests in flight are answered and committed first.
`,
	run: runServe,
}

func runServe(c *command, args []string, stdout, stderr io.Writer) int {
	fs := c.flagSet()
	data := fs.String("data", ".wf-data", "keep the database in `dir`")
	storeURL := fs.String("store", "", "keep the state in the PostgreSQL database at `url` (postgres://…) instead of --data, as a node of a cluster")
	nodeID := fs.String("node-id", "", "with --store: this node's `name` in the cluster (default: host name and a random suffix)")
	leaseTTL := fs.Duration("lease-ttl", 10*time.Second, "with --store: how long a node's partition leases last unless renewed (a dead node's partitions move after about this long)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen on `host:port`")
	token := fs.String("token", "", "require this bearer `token` (default $WF_TOKEN)")
	verbose := fs.Bool("v", false, "log every request")
	retention := fs.String("log-retention", "2y", "keep the action log for `period` (90d, 180d, 2y, a duration, or forever)")
	window := fs.String("dedupe-window", "30d", "remember client ids for `period`")
	allowHTTP := fs.Bool("allow-http", false, "deliver webhooks to http:// URLs too (local development)")
	allowPrivate := fs.Bool("allow-private-targets", false, "deliver webhooks to loopback, private and link-local addresses too")
	secretsFile := fs.String("secrets-file", "", "read secrets from `file` (JSON object or NAME=VALUE lines) instead of the environment")
	hookTimeout := fs.Duration("webhook-timeout", webhook.DefaultTimeout, "per-request webhook timeout when a step sets none")
	sourceURL := fs.String("source", "", "also read changes from the NATS JetStream stream that captures a subject: `nats://host:port/SUBJECT`")
	durable := fs.String("source-durable", natsource.DefaultDurable, "the durable consumer `name` --source reads with")
	paths, code, ok := c.parse(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(paths) != 1 {
		return c.usageError(stderr, "give one directory of .wf files")
	}
	if err := checkStoreFlags(fs, *storeURL); err != nil {
		return c.usageError(stderr, "%v", err)
	}
	dir := strings.TrimSuffix(paths[0], "/...")
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return c.usageError(stderr, "%s is not a directory", dir)
	}
	keepLog, err := parsePeriod(*retention)
	if err != nil {
		return c.usageError(stderr, "--log-retention: %v", err)
	}
	keepIDs, err := parsePeriod(*window)
	if err != nil {
		return c.usageError(stderr, "--dedupe-window: %v", err)
	}
	if *hookTimeout <= 0 {
		return c.usageError(stderr, "--webhook-timeout must be positive")
	}
	sourceOpts := natsource.Options{URL: *sourceURL, Durable: *durable}
	if *sourceURL != "" {
		if err := sourceOpts.Validate(); err != nil {
			return c.usageError(stderr, "--source: %v", err)
		}
	}
	secrets := wfcode.EnvSecrets()
	if *secretsFile != "" {
		if secrets, err = wfcode.FileSecrets(*secretsFile); err != nil {
			return c.usageError(stderr, "--secrets-file: %v", err)
		}
	}
	if *token == "" {
		*token = os.Getenv("WF_TOKEN")
	}
	if *token == "" && !loopback(*addr) {
		return c.usageError(stderr, "refusing to listen on %s without a token: give --token or set WF_TOKEN, or listen on 127.0.0.1", *addr)
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	prog, diags, err := compiler.CompileFiles(dir + "/...")
	if err != nil {
		return errorf(stderr, c, "%v", err)
	}
	printDiags(stderr, diags)
	if prog == nil {
		return exitFindings
	}
	hooks := webhook.New(webhook.Config{AllowHTTP: *allowHTTP, AllowPrivate: *allowPrivate, Timeout: *hookTimeout})
	runner := &wfcode.Runner{Secrets: secrets} // no Go functions: see package wfrt
	metrics := server.NewMetrics()
	nodeOpts := server.Options{
		Logger: log, LogRetention: keepLog, DedupeWindow: keepIDs,
		Webhook: hooks.Hook(), Code: runner.Hook(), Secrets: secrets, Metrics: metrics,
	}
	var (
		node  service
		watch func(stop <-chan struct{}) error
		where string
	)
	if *storeURL == "" {
		st, err := store.Open(*data)
		if err != nil {
			return errorf(stderr, c, "%v", err)
		}
		defer st.Close()
		nodeOpts.Store = st
		n, err := server.New(prog, nodeOpts)
		if err != nil {
			return errorf(stderr, c, "%v", err)
		}
		node, where = n, *data
		watch = func(stop <-chan struct{}) error { return n.Watch(dir, stop) }
	} else {
		db, err := openPostgres(*storeURL)
		if err != nil {
			return errorf(stderr, c, "%v", err)
		}
		defer db.Close()
		host, _ := os.Hostname()
		cl, err := cluster.Start(prog, "wf serve on "+host, cluster.Options{
			DB: db, ID: *nodeID, Addr: *addr, LeaseTTL: *leaseTTL, Node: nodeOpts, Logger: log,
		})
		if err != nil {
			return errorf(stderr, c, "%v", err)
		}
		node, where = cl, redactURL(*storeURL)+" as node "+cl.ID()
		watch = func(stop <-chan struct{}) error { return cl.Watch(dir, "wf serve on "+host, stop) }
	}
	var source *natsource.Source
	if *sourceURL != "" {
		sourceOpts.Logger, sourceOpts.Registerer = log, metrics.Registry
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		source, err = natsource.Start(ctx, sourceOpts, nodeSink(node))
		cancel()
		if err != nil {
			node.Close()
			fmt.Fprintf(stderr, "wf serve: --source: %v\n", err)
			return exitFindings
		}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		if source != nil {
			source.Close()
		}
		node.Close()
		return errorf(stderr, c, "%v", err)
	}
	stop := make(chan struct{})
	go func() {
		if err := watch(stop); err != nil {
			log.Error("watch", "err", err)
		}
	}()
	srv := &http.Server{Handler: node.Handler(*token), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving", "dir", dir, "store", where, "addr", ln.Addr().String(), "workflows", len(prog.Workflows), "auth", *token != "")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	exit := exitOK
	select {
	case s := <-sig:
		log.Info("shutting down", "signal", s.String())
	case err := <-served:
		log.Error("http server", "err", err)
		exit = exitUsage
	case <-node.Done():
		exit = exitFindings
	}
	// The source first: it hands what it has pulled to the node and
	// acknowledges it while the node still runs.
	if source != nil {
		if err := source.Close(); err != nil {
			log.Warn("closing the NATS source", "err", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("shutdown", "err", err)
	}
	close(stop)
	if err := node.Close(); err != nil {
		fmt.Fprintf(stderr, "wf serve: %v\n", err)
		exit = exitFindings
	}
	log.Info("stopped")
	return exit
}

// service is what serve runs: one node over the embedded store, or a
// node of a cluster on PostgreSQL.
type service interface {
	Handler(token string) http.Handler
	Ingest(data []byte) ([]server.Item, error)
	Done() <-chan struct{}
	Close() error
}

// nodeSink gives a NATS source's batches to the node.
func nodeSink(n service) natsource.Sink {
	return func(data []byte) ([]natsource.Item, error) {
		items, err := n.Ingest(data)
		if err != nil {
			return nil, err
		}
		out := make([]natsource.Item, len(items))
		for i, it := range items {
			out[i] = natsource.Item(it)
		}
		return out, nil
	}
}

// checkStoreFlags checks --store: empty (the embedded database in --data)
// or a PostgreSQL URL, and not with --data.
func checkStoreFlags(fs *flag.FlagSet, url string) error {
	if url == "" {
		return nil
	}
	if !strings.HasPrefix(url, "postgres://") && !strings.HasPrefix(url, "postgresql://") {
		return fmt.Errorf("--store %s: give a PostgreSQL URL (postgres://user:pass@host:port/db or postgresql://…), or leave --store out for the embedded database in --data", redactURL(url))
	}
	data := false
	fs.Visit(func(f *flag.Flag) { data = data || f.Name == "data" })
	if data {
		return errors.New("give --data (the embedded database) or --store (PostgreSQL), not both")
	}
	return nil
}

// redactURL hides the password of a URL.
func redactURL(s string) string {
	u, err := neturl.Parse(s)
	if err != nil {
		return "(a URL that does not parse)"
	}
	return u.Redacted()
}

// parsePeriod reads a retention period: Nd (days), Nw (weeks), Ny (years
// of 365 days), a Go duration, or "forever" (0).
func parsePeriod(s string) (time.Duration, error) {
	if s == "forever" || s == "0" {
		return 0, nil
	}
	const day = 24 * time.Hour
	if n := len(s); n > 1 {
		unit := map[byte]time.Duration{'d': day, 'w': 7 * day, 'y': 365 * day}[s[n-1]]
		if unit != 0 {
			if k, err := strconv.Atoi(s[:n-1]); err == nil && k > 0 {
				return time.Duration(k) * unit, nil
			}
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not a period: give 90d, 180d, 2y, a duration such as 720h, or forever", s)
	}
	return d, nil
}

// loopback reports whether addr's host is a loopback address or name.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// openPostgres opens the PostgreSQL store at url (connecting and
// migrating within a minute).
func openPostgres(url string) (*pgstore.Store, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return pgstore.Open(ctx, url)
}
