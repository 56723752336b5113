// Package server is `wf serve`: a durable, hot-reloading runtime for a
// directory of .wf files, with an HTTP API.
//
// A Node runs one engine (runtime/engine, in durable mode) over one store
// (runtime/store). Everything that changes state — ingested changes,
// incoming webhook calls, manual enrollments, enabling, timers coming due,
// reloads — runs on the node's one loop goroutine, in groups: the loop
// takes every request waiting (up to a bound), applies them in arrival
// order, takes the engine's delta and commits it, with the client ids of
// the changes, in ONE store transaction (one fsync), and only then answers
// the requests of the group. So an acknowledged change is durable with
// everything it caused, concurrent ingests share an fsync (group commit),
// and a crash loses only unacknowledged work. Reads (records, enrollments,
// action logs) come from the store: they see committed state only.
//
// At start, and at every reload, the engine is rebuilt from the store
// (engine.Restore); timers that came due while the node was down fire at
// once, late rather than never. A reload swaps programs between groups, so
// no change is lost or applied twice across it; in-flight enrollments move
// to the new version when their step ids exist in it.
//
// An in-flight enrollment whose step is gone from the new version finishes
// on the version it started on (see oldVersion). What this package does
// not do yet: deliver the outbox; share work between nodes.
//
// Outgoing webhooks and code steps run apart from the loop (deliver.go):
// a webhook or code step leaves its enrollment delivering (committed with
// the group), the attempt or run goes to a pool of workers once the group
// is committed, and the result comes back to the loop as a request that
// resumes the enrollment. A slow endpoint or slow code so stalls no other
// workflow. An attempt or run that had no result when the node stopped is
// made again at the next start (webhooks with the same idempotency id):
// at-least-once.
package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/lang/diag"
	"github.com/wflang/wf/runtime/clock"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/store"
)

// Options configure a Node.
type Options struct {
	Store  store.Store
	Clock  clock.Clock // nil: clock.Real
	Logger *slog.Logger
	// MaxGroup bounds how many changes one commit takes; 0 means 4096.
	MaxGroup int
	Metrics  *Metrics // nil: a fresh set
	// LogRetention is how long action log entries are kept (0: forever);
	// DedupeWindow how long a client id is remembered, so that a change
	// resent within it is applied once (0: forever). Compaction runs at
	// start and every CompactEvery (0: hourly) on the node's clock.
	LogRetention time.Duration
	DedupeWindow time.Duration
	CompactEvery time.Duration
	// Webhook, Code and Secrets are passed to the node's engines (see
	// engine.Options): the delivery of `webhook post` steps
	// (runtime/webhook's Client.Hook), the runner of code steps
	// (runtime/code's Runner.Hook) and the lookup of secret("NAME"). Nil
	// leaves those steps unsupported (they fail with a reason). Webhook
	// and Code are called by the node's workers, outside the loop (see
	// deliver.go), never by the engine itself.
	Webhook func(engine.WebhookCall) engine.WebhookResult
	// Workers is how many webhook deliveries and code runs go at once; 0
	// means 8.
	Workers int
	Code    func(engine.CodeCall) engine.CodeResult
	Secrets func(name string) (string, bool)
	// ClientIDsChecked says the changes given to Ingest were deduplicated
	// by client id before they reached the node (runtime/cluster accepts
	// changes into a shared inbox, recording their client ids there): the
	// node then neither looks client ids up nor records them.
	ClientIDsChecked bool
	// OwnsID, if set, is passed to the node's engines (engine.Options):
	// the ids a create step may give new records.
	OwnsID func(typ, id string) bool
	// Switch, if set, says whether a workflow was enabled or disabled
	// elsewhere (ok false: never switched): at every load the node's
	// engine is brought to that state before it runs anything
	// (runtime/cluster: a workflow switched through any node's API).
	Switch func(workflow string) (on, ok bool)
}

// engineOptions are the engine options every engine of the node shares.
func (n *Node) engineOptions() engine.Options {
	return engine.Options{Clock: n.opts.Clock, Durable: true, Webhook: n.opts.Webhook, AsyncWebhooks: n.opts.Webhook != nil,
		Code: n.opts.Code, AsyncCode: n.opts.Code != nil, Secrets: n.opts.Secrets, OwnsID: n.opts.OwnsID}
}

// Node is a running engine over a store.
type Node struct {
	opts    Options
	log     *slog.Logger
	metrics *Metrics
	reqs    chan *request
	reloads chan reload
	quit    chan struct{}
	done    chan struct{}
	err     error // why the loop stopped, set before done closes

	mu    sync.RWMutex // guards cur, diags, left
	cur   *version
	diags diag.List // of the last reload that failed; nil after a good one
	left  int       // enrollments the current program could not take
	onOld int       // records with enrollments running on old versions

	// Loop-only state.
	compacting sync.WaitGroup

	pending map[string]bool // client ids applied in the current group
	timer   *time.Timer

	hooks hookQueue // webhook attempts waiting for a worker
}

// version is one loaded program with its engine.
type version struct {
	prog   *bytecode.Program
	eng    *engine.Engine
	dec    *ingest.Decoder
	loaded time.Time
	olds   []*oldVersion // older programs finishing enrollments the current one cannot take
}

type request struct {
	changes int // how many changes it carries, for the group bound
	run     func(v *version) any
	done    chan any
}

type reload struct {
	prog  *bytecode.Program
	diags diag.List
	done  chan error
}

// New starts a node running prog over the store: it loads the stored
// state and starts the loop.
func New(prog *bytecode.Program, opts Options) (*Node, error) {
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxGroup <= 0 {
		opts.MaxGroup = 4096
	}
	if opts.Metrics == nil {
		opts.Metrics = NewMetrics()
	}
	n := &Node{
		opts: opts, log: opts.Logger, metrics: opts.Metrics,
		reqs: make(chan *request, 1024), reloads: make(chan reload),
		quit: make(chan struct{}), done: make(chan struct{}),
		pending: map[string]bool{},
	}
	v, err := n.load(prog)
	if err != nil {
		return nil, err
	}
	n.cur = v
	n.timer = time.NewTimer(time.Hour)
	n.startWorkers()
	n.dispatch(v)
	go n.loop()
	if opts.LogRetention > 0 || opts.DedupeWindow > 0 {
		n.compacting.Add(1)
		go n.compactLoop()
	}
	return n, nil
}

// MetaProgram is the store metadata key of the loaded program's workflow
// versions (a ProgramMeta), which `wf plan` compares a new program with.
const MetaProgram = "program"

// ProgramMeta is what a node records about the program it loaded.
type ProgramMeta struct {
	Workflows map[string]WorkflowMeta `json:"workflows"`
}

// WorkflowMeta is one workflow of a loaded program.
type WorkflowMeta struct {
	Hash  string   `json:"hash"`
	File  string   `json:"file,omitempty"`
	Steps []string `json:"steps"`
}

func programMeta(p *bytecode.Program) ProgramMeta {
	m := ProgramMeta{Workflows: map[string]WorkflowMeta{}}
	for _, wf := range p.Workflows {
		wm := WorkflowMeta{Hash: wf.Hash, File: wf.File, Steps: []string{}}
		for _, st := range wf.Steps {
			wm.Steps = append(wm.Steps, st.ID)
		}
		m.Workflows[wf.Name] = wm
	}
	return m
}

// Compact deletes the action log entries older than the log retention and
// the client ids older than the dedupe window, by the node's clock.
func (n *Node) Compact() (store.Compacted, error) {
	now := n.opts.Clock.Now()
	var logBefore, idsBefore time.Time
	if n.opts.LogRetention > 0 {
		logBefore = now.Add(-n.opts.LogRetention)
	}
	if n.opts.DedupeWindow > 0 {
		idsBefore = now.Add(-n.opts.DedupeWindow)
	}
	start := time.Now()
	c, err := n.opts.Store.Compact(logBefore, idsBefore)
	if err != nil {
		n.log.Error("compaction", "err", err)
	} else if c.Log > 0 || c.ClientIDs > 0 {
		n.log.Info("compacted", "log_entries", c.Log, "client_ids", c.ClientIDs, "took", time.Since(start))
	}
	return c, err
}

func (n *Node) compactLoop() {
	defer n.compacting.Done()
	every := n.opts.CompactEvery
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		n.Compact()
		select {
		case <-n.done:
			return
		case <-t.C:
		}
	}
}

// load builds an engine for prog from the store and commits what loading
// changed (enrollments moved to new versions, new workflows enabled).
func (n *Node) load(prog *bytecode.Program) (*version, error) {
	g, recs, err := LoadState(n.opts.Store)
	if err != nil {
		return nil, err
	}
	known := map[string]bool{}
	var disabled []string
	if g != nil {
		for _, name := range g.Workflows {
			known[name] = true
		}
		for _, name := range g.Disabled {
			known[name] = true
			disabled = append(disabled, name)
		}
	}
	var fresh []string
	have := map[string]bool{}
	for _, wf := range prog.Workflows {
		have[wf.Name] = true
		if !known[wf.Name] {
			fresh = append(fresh, wf.Name)
		}
	}
	opts := n.engineOptions()
	for _, name := range append(disabled, fresh...) {
		if have[name] {
			opts.Disabled = append(opts.Disabled, name)
		}
	}
	eng, err := engine.New(prog, opts)
	if err != nil {
		return nil, err
	}
	left, err := eng.Restore(g, recs)
	if err != nil {
		n.log.Warn("restoring state", "err", err)
	}
	var cands []*bytecode.Program
	if n.cur != nil {
		cands = append(cands, n.cur.prog)
		for _, o := range n.cur.olds {
			cands = append(cands, o.prog)
		}
	}
	olds, stuck := n.buildOld(cands, left, recs)
	for _, es := range stuck {
		n.log.Warn("enrollment waits in the store: its workflow version and step are in no loaded program",
			"workflow", es.Workflow, "record", es.Type+"/"+es.ID, "step", es.Step, "version", es.Version)
	}
	for _, name := range fresh {
		if on, ok := n.switched(name); ok && !on {
			continue
		}
		if err := eng.Enable(name); err != nil {
			n.log.Warn("new workflow not enabled", "workflow", name, "err", err)
		}
	}
	if n.opts.Switch != nil {
		for _, wf := range prog.Workflows {
			on, ok := n.opts.Switch(wf.Name)
			switch {
			case !ok || on == eng.Enabled(wf.Name):
			case on:
				if err := eng.Enable(wf.Name); err != nil {
					n.log.Warn("workflow not enabled", "workflow", wf.Name, "err", err)
				}
			default:
				eng.Disable(wf.Name)
			}
		}
	}
	v := &version{prog: prog, eng: eng, dec: ingest.NewDecoder(prog), loaded: time.Now(), olds: olds}
	var b store.Batch
	meta, err := json.Marshal(programMeta(prog))
	if err != nil {
		return nil, err
	}
	b.PutMeta(MetaProgram, meta)
	if err := n.settleOld(v, &b); err != nil {
		return nil, err
	}
	if err := n.commit(eng, nil, &b); err != nil {
		return nil, err
	}
	n.mu.Lock()
	n.left = len(left)
	n.mu.Unlock()
	for _, w := range eng.Warnings() {
		n.log.Warn(w)
	}
	return v, nil
}

// commit writes the engine's delta, with the client ids, in one
// transaction, after the writes already in b.
func (n *Node) commit(eng *engine.Engine, clientIDs []string, b *store.Batch) error {
	d := eng.TakeDelta()
	b.SetTime(n.opts.Clock.Now())
	if err := deltaBatch(&d, b); err != nil {
		return err
	}
	for _, id := range clientIDs {
		b.AddClientID(id)
	}
	start := time.Now()
	err := n.opts.Store.Commit(b)
	n.metrics.commit.Observe(time.Since(start).Seconds())
	return err
}

// ErrStopped is returned for requests made after the node stopped.
var ErrStopped = errors.New("server: the node has stopped")

// do runs fn on the loop, in the next group, and returns what it returned
// once the group is committed.
func (n *Node) do(changes int, fn func(v *version) any) (any, error) {
	r := &request{changes: changes, run: fn, done: make(chan any, 1)}
	select {
	case n.reqs <- r:
	case <-n.done:
		return nil, ErrStopped
	}
	n.metrics.queue.Set(float64(len(n.reqs)))
	select {
	case out := <-r.done:
		if err, ok := out.(error); ok {
			return nil, err
		}
		return out, nil
	case <-n.done:
		return nil, ErrStopped
	}
}

// loop is the node's one writer.
func (n *Node) loop() {
	defer close(n.done)
	n.armTimer()
	for {
		var group []*request
		select {
		case <-n.quit:
			n.drainAndStop()
			return
		case r := <-n.reqs:
			group = append(group, r)
			size := r.changes
		more:
			for size < n.opts.MaxGroup {
				select {
				case r := <-n.reqs:
					group = append(group, r)
					size += r.changes
				default:
					break more
				}
			}
		case <-n.timer.C:
		case rl := <-n.reloads:
			rl.done <- n.swap(rl)
			n.armTimer()
			continue
		}
		if err := n.runGroup(group); err != nil {
			n.fail(err)
			return
		}
		n.armTimer()
	}
}

// runGroup fires due timers, runs the group's requests and commits.
func (n *Node) runGroup(group []*request) error {
	v := n.version()
	start := time.Now()
	n.fireTimers(v)
	outs := make([]any, len(group))
	clear(n.pending)
	for i, r := range group {
		outs[i] = r.run(v)
	}
	ids := make([]string, 0, len(n.pending))
	for id := range n.pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var b store.Batch
	if err := n.settleOld(v, &b); err != nil {
		return err
	}
	n.metrics.apply.Observe(time.Since(start).Seconds())
	if err := n.commit(v.eng, ids, &b); err != nil {
		for _, r := range group {
			r.done <- fmt.Errorf("commit failed: %v", err)
		}
		return err
	}
	n.dispatch(v)
	for i, r := range group {
		r.done <- outs[i]
	}
	return nil
}

// fireTimers runs the engine to now, firing every timer due.
func (n *Node) fireTimers(v *version) {
	now := n.opts.Clock.Now()
	if next, ok := v.eng.NextTimer(); ok && !next.After(now) {
		n.metrics.lateness.Observe(now.Sub(next).Seconds())
		if err := v.eng.RunUntil(now); err != nil {
			n.log.Error("timers", "err", err)
		}
	}
	for _, o := range v.olds {
		if next, ok := o.eng.NextTimer(); ok && !next.After(now) {
			n.refreshOld(v, o)
			if err := o.eng.RunUntil(now); err != nil {
				n.log.Error("timers of an old version", "err", err)
			}
		}
	}
}

func (n *Node) armTimer() {
	if !n.timer.Stop() {
		select {
		case <-n.timer.C:
		default:
		}
	}
	d := time.Hour
	v := n.version()
	if next, ok := v.eng.NextTimer(); ok {
		d = max(next.Sub(n.opts.Clock.Now()), 0)
	}
	for _, o := range v.olds {
		if next, ok := o.eng.NextTimer(); ok {
			d = min(d, max(next.Sub(n.opts.Clock.Now()), 0))
		}
	}
	n.timer.Reset(d)
}

// swap loads a new program; on failure the old one keeps running.
func (n *Node) swap(rl reload) error {
	start := time.Now()
	if rl.prog == nil {
		n.mu.Lock()
		n.diags = rl.diags
		n.mu.Unlock()
		n.metrics.reloads.WithLabelValues("failed").Inc()
		return fmt.Errorf("reload: %d diagnostics; the running version is kept", len(rl.diags))
	}
	v, err := n.load(rl.prog)
	if err != nil {
		n.metrics.reloads.WithLabelValues("failed").Inc()
		n.mu.Lock()
		n.diags = append(rl.diags[:len(rl.diags):len(rl.diags)], diag.Diagnostic{Severity: diag.Error, Code: "load", Message: err.Error()})
		n.mu.Unlock()
		return err
	}
	n.mu.Lock()
	n.cur, n.diags = v, rl.diags
	n.mu.Unlock()
	n.dispatch(v)
	n.metrics.reloads.WithLabelValues("ok").Inc()
	n.log.Info("reloaded", "workflows", len(rl.prog.Workflows), "took", time.Since(start))
	return nil
}

// Reload swaps in prog (compiled with diags); with a nil prog (the source
// has errors) it records diags and keeps the running version. It returns
// once the swap is done.
func (n *Node) Reload(prog *bytecode.Program, diags diag.List) error {
	rl := reload{prog: prog, diags: diags, done: make(chan error, 1)}
	select {
	case n.reloads <- rl:
	case <-n.done:
		return ErrStopped
	}
	return <-rl.done
}

func (n *Node) version() *version {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.cur
}

// drainAndStop answers the requests already queued, then stops.
func (n *Node) drainAndStop() {
	for {
		var group []*request
	drain:
		for {
			select {
			case r := <-n.reqs:
				group = append(group, r)
			default:
				break drain
			}
		}
		if len(group) == 0 {
			return
		}
		if err := n.runGroup(group); err != nil {
			n.fail(err)
			return
		}
	}
}

func (n *Node) fail(err error) {
	n.err = err
	n.log.Error("node stopped: a commit failed; the in-memory state is ahead of the store, so nothing more is accepted", "err", err)
}

// Close stops the node after answering the requests already queued. It
// returns why the loop stopped early, if it did.
func (n *Node) Close() error {
	select {
	case <-n.done:
	default:
		close(n.quit)
		<-n.done
	}
	n.hooks.close()
	n.compacting.Wait()
	return n.err
}

// Done is closed when the node has stopped.
func (n *Node) Done() <-chan struct{} { return n.done }

// switched says how Options.Switch last set a workflow (ok false: never).
func (n *Node) switched(workflow string) (on, ok bool) {
	if n.opts.Switch == nil {
		return false, false
	}
	return n.opts.Switch(workflow)
}
