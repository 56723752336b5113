// Package cluster runs several `wf serve` nodes on one PostgreSQL
// database (runtime/store/pgstore). PostgreSQL holds the state and
// coordinates the nodes; there is no other membership protocol.
//
// # Partitions and leases
//
// Records fall into store.Partitions (64) partitions by a hash of their
// type and id. Each partition is owned by one node at a time through a
// lease row in wf_leases (owner, epoch, expires, all in the database's
// clock). A node heartbeats in wf_nodes, renews its leases every
// RenewEvery, and aims at an equal share of the partitions among the
// live nodes: it claims free or expired leases (`FOR UPDATE SKIP LOCKED`,
// so nodes claiming at once never wait on each other; a claim bumps the
// epoch) and releases the partitions above its share, after stopping
// their work. A node that dies stops renewing; its leases expire after
// LeaseTTL and the others take its partitions over.
//
// A node runs one server.Node per partition it owns: an engine holding
// just that partition's records, loaded from the database when the
// partition is claimed, with the node's whole machinery (group commit,
// timers, webhook and code workers, old versions). Its store is the
// partition's view of the database (partStore): every commit runs in one
// transaction with a fence — `UPDATE wf_leases … WHERE owner = me AND
// epoch = mine AND expires > now()` must touch the lease row — so a
// node that lost its lease (paused past the TTL, partitioned away) can
// never write again: its commit fails, its partition's work stops, and
// the new owner, which loaded the state after claiming, carries on from
// the last fenced commit. Timers are the engine's (in memory, rebuilt
// from the partition's rows at each claim); they fire on the one owner.
//
// # Ingest
//
// Any node accepts changes (POST /v1/changes, the NATS source): it
// decodes each against the current program (a bad change is refused with
// its line and field, as on one node), records its client id in
// wf_client_ids (`ON CONFLICT DO NOTHING`: a change whose id is there is
// answered "duplicate") and appends it to wf_inbox under its record's
// partition, for a whole group of concurrent requests in one transaction,
// and answers "accepted" once that commits: the change is durable and
// will be applied. The owner of the partition, woken by NOTIFY (or a
// poll), applies inbox rows in sequence order and deletes them in the
// transaction that commits their effects, under the fence: each accepted
// change is applied exactly once, and the changes of one record in the
// order they were accepted. A node's one pump reads all its partitions'
// rows per round and the partitions' commits merge in one transaction
// (commit.go). Each row carries the version it was accepted under and
// waits until its partition runs it; a row that still cannot apply is
// kept in wf_dead with the reason.
//
// # Versions
//
// Programs live in wf_versions (the encoded bytecode). A node publishes
// its directory's program when it starts and whenever its files change
// (`wf deploy DIR --store …` publishes without running a node); every
// node LISTENs on wf_version and reloads its partitions to the newest
// version without a restart.
//
// # Dashboard
//
// Every node serves the dashboard (dashboard.go) with the whole
// cluster's data, read from the database; a record's explanation comes
// from the engine of its partition: this node's, or the owner's, asked
// through its API (explain.go); a Cluster page shows the nodes, their
// partitions and the inbox backlog.
//
// # What one node does that a cluster does not yet
//
// An association between records of two partitions is refused (the
// engines holding them are apart): the next step. Enabling and
// disabling a workflow (wf_switches, NOTIFY wf_switch), manual
// enrollments (an inbox row for the record's partition), and events and
// incoming webhooks that name their record by a unique value (routed by
// the unique index, unique.go) work as on one node, except that a value
// is found only once the change that set it has been applied.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

// DB is what the cluster needs of the PostgreSQL store
// (runtime/store/pgstore.Store).
type DB interface {
	store.Store
	// CommitTx commits b as Commit does, running extra in the same
	// transaction before it commits.
	CommitTx(ctx context.Context, b *store.Batch, extra func(ctx context.Context, tx pgx.Tx) error) error
	// RecordsIn and EnrollmentsIn stream the records and enrollments of
	// some partitions, as Records and Enrollments do for all.
	RecordsIn(ctx context.Context, parts []int, fn func(store.Record) error) error
	EnrollmentsIn(ctx context.Context, parts []int, fn func(store.Enrollment) error) error
	Pool() *pgxpool.Pool
}

// Options configure a cluster node.
type Options struct {
	DB DB
	// ID names the node in wf_leases and wf_nodes; empty: host name and a
	// random suffix.
	ID string
	// Addr is where the node's API listens, recorded for operators.
	Addr string
	// LeaseTTL is how long a lease lasts unless renewed (0: 10 s);
	// RenewEvery how often leases are renewed and the share rebalanced
	// (0: LeaseTTL/4). A dead node's partitions are taken over after
	// about LeaseTTL + RenewEvery.
	LeaseTTL   time.Duration
	RenewEvery time.Duration
	// Poll is how often a partition's inbox is read when no notification
	// came (0: 250 ms).
	Poll time.Duration
	// Node is the template of every partition's server.Options; Store,
	// ClientIDsChecked and OwnsID are set by the cluster. Its
	// LogRetention and DedupeWindow apply to the shared tables: the owner
	// of partition 0 compacts them at its first tick and every
	// CompactEvery (0: hourly).
	Node   server.Options
	Logger *slog.Logger
}

// Cluster is one node of a cluster.
type Cluster struct {
	opts    Options
	db      DB
	id      string
	log     *slog.Logger
	metrics *server.Metrics

	mu       sync.Mutex
	parts    map[int]*partition
	loading  map[int]int64       // partitions claimed and still loading → epoch (renewed like the owned ones)
	switches map[string]bool     // workflow → enabled, as switched through the API (wf_switches)
	uniq     map[string][]string // uniqueProps(prog), for uniqProg
	uniqProg *bytecode.Program
	prog     *bytecode.Program
	ver      int64 // wf_versions.seq of prog

	reloading sync.Mutex // one partition load, reload or switch at a time

	token string // the API's token, for asking other nodes

	closeOnce sync.Once
	closeErr  error

	compacted  time.Time   // when the node last compacted (lease loop only)
	stalled    atomic.Bool // tests: the node stops heartbeating and renewing, as a paused process would
	compacting sync.WaitGroup

	front   *front
	commits *committer
	wake    chan struct{} // pokes the pump: changes were queued for an owned partition
	ctx     context.Context
	stop    context.CancelFunc
	wg      sync.WaitGroup
}

// partition is one owned partition and its work.
type partition struct {
	p     int
	epoch int64
	st    *partStore
	node  *server.Node
	ver   atomic.Int64 // the version (wf_versions.seq) its node runs
}

// Start joins the cluster: it makes sure prog is the newest published
// version (publishing it if it differs), starts the lease loop, the
// listener and the front, and returns. Partitions are claimed in the
// background; Owned tells which are held.
func Start(prog *bytecode.Program, publishedBy string, opts Options) (*Cluster, error) {
	if opts.DB == nil {
		return nil, errors.New("cluster: no database")
	}
	if opts.LeaseTTL <= 0 {
		opts.LeaseTTL = 10 * time.Second
	}
	if opts.RenewEvery <= 0 {
		opts.RenewEvery = opts.LeaseTTL / 4
	}
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Node.Metrics == nil {
		opts.Node.Metrics = server.NewMetrics()
	}
	if opts.ID == "" {
		host, _ := os.Hostname()
		var b [4]byte
		rand.Read(b[:])
		opts.ID = host + "-" + hex.EncodeToString(b[:])
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cluster{opts: opts, db: opts.DB, id: opts.ID, log: opts.Logger.With("node", opts.ID),
		metrics: opts.Node.Metrics, parts: map[int]*partition{}, loading: map[int]int64{}, switches: map[string]bool{}, ctx: ctx, stop: cancel}
	if prog != nil {
		if _, err := Publish(ctx, opts.DB, prog, publishedBy); err != nil {
			cancel()
			return nil, err
		}
	}
	seq, latest, err := Latest(ctx, opts.DB)
	if err != nil {
		cancel()
		return nil, err
	}
	if latest == nil {
		cancel()
		return nil, errors.New("cluster: no version published yet: start a node with a directory or run wf deploy")
	}
	if err := c.loadSwitches(ctx); err != nil {
		cancel()
		return nil, fmt.Errorf("cluster: reading workflow switches: %w", err)
	}
	c.prog, c.ver = latest, seq
	c.front = newFront(c)
	c.commits = newCommitter(c)
	go c.commits.loop()
	c.wake = make(chan struct{}, 1)
	c.wg.Add(5)
	go c.pump()
	go c.leaseLoop()
	go c.balanceLoop()
	go c.listen()
	go c.front.loop()
	return c, nil
}

// uniqueProps returns the running version's unique properties by type.
func (c *Cluster) uniqueProps() map[string][]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.uniqProg != c.prog {
		c.uniq, c.uniqProg = uniqueProps(c.prog), c.prog
	}
	return c.uniq
}

// poke wakes the pump.
func (c *Cluster) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// ID is the node's name in the cluster.
func (c *Cluster) ID() string { return c.id }

// Metrics are the node's metrics (shared by its partitions).
func (c *Cluster) Metrics() *server.Metrics { return c.metrics }

// Program is the version the node runs.
func (c *Cluster) Program() *bytecode.Program {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.prog
}

// Owned returns the partitions the node holds now, in order.
func (c *Cluster) Owned() []int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]int, 0, len(c.parts))
	for p := range c.parts {
		out = append(out, p)
	}
	sort.Ints(out)
	return out
}

// Close leaves the cluster: it stops accepting, stops every partition's
// work after what was queued, and releases the leases so that the other
// nodes take the partitions at once rather than after the TTL.
func (c *Cluster) Close() error {
	c.closeOnce.Do(func() { c.closeErr = c.close() })
	return c.closeErr
}

func (c *Cluster) close() error {
	c.stop()
	c.wg.Wait()
	c.compacting.Wait()
	c.front.close()
	c.mu.Lock()
	parts := make([]*partition, 0, len(c.parts))
	for _, pt := range c.parts {
		parts = append(parts, pt)
	}
	c.parts = map[int]*partition{}
	c.mu.Unlock()
	var errs []error
	for _, pt := range parts {
		if err := c.stopPartition(pt); err != nil {
			errs = append(errs, err)
		}
	}
	c.commits.close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.db.Pool().Exec(ctx, `UPDATE wf_leases SET owner = NULL, expires = NULL WHERE owner = $1`, c.id); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.db.Pool().Exec(ctx, `DELETE FROM wf_nodes WHERE id = $1`, c.id); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// leaseLoop heartbeats and renews the node's leases every RenewEvery;
// it runs apart from the balancing, so a slow partition load never
// delays a renewal.
func (c *Cluster) leaseLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.opts.RenewEvery)
	defer t.Stop()
	for {
		if err := c.renew(); err != nil && c.ctx.Err() == nil {
			c.log.Warn("renewing leases", "err", err)
		}
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
	}
}

// balanceLoop drops stopped partitions and claims or releases partitions
// towards the node's share, every RenewEvery.
func (c *Cluster) balanceLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.opts.RenewEvery)
	defer t.Stop()
	for {
		if err := c.balance(); err != nil && c.ctx.Err() == nil {
			c.log.Warn("balancing partitions", "err", err)
		}
		select {
		case <-c.ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *Cluster) renew() error {
	if c.stalled.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, c.opts.LeaseTTL/2)
	defer cancel()
	pool := c.db.Pool()
	ttl := c.opts.LeaseTTL.Seconds()
	if _, err := pool.Exec(ctx, `INSERT INTO wf_nodes (id, addr, heartbeat) VALUES ($1, $2, now())
		ON CONFLICT (id) DO UPDATE SET addr = $2, heartbeat = now()`, c.id, c.opts.Addr); err != nil {
		return err
	}
	// Renew, with the epoch: a lease taken over is not renewed back.
	owned := c.ownedEpochs()
	if len(owned) == 0 {
		return nil
	}
	parts, epochs := splitEpochs(owned)
	rows, err := pool.Query(ctx, `UPDATE wf_leases l SET expires = now() + make_interval(secs => $2)
		FROM unnest($3::int[], $4::bigint[]) AS o(part, epoch)
		WHERE l.part = o.part AND l.epoch = o.epoch AND l.owner = $1 RETURNING l.part`, c.id, ttl, parts, epochs)
	if err != nil {
		return err
	}
	renewed, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return err
	}
	kept := map[int]bool{}
	for _, p := range renewed {
		kept[int(p)] = true
	}
	for i, p := range parts {
		if kept[int(p)] {
			continue
		}
		// Not renewed: lost, unless the partition was released meanwhile.
		c.mu.Lock()
		pt := c.parts[int(p)]
		if pt != nil && pt.epoch == epochs[i] {
			delete(c.parts, int(p))
		} else {
			pt = nil
		}
		c.mu.Unlock()
		if pt != nil {
			c.log.Warn("lease lost; stopping the partition", "partition", p)
			go c.stopPartition(pt) // its commits already fail the fence
		}
	}
	return nil
}

func (c *Cluster) balance() error {
	ctx, cancel := context.WithTimeout(c.ctx, time.Minute)
	defer cancel()
	pool := c.db.Pool()
	ttl := c.opts.LeaseTTL.Seconds()
	// Partitions whose work stopped (a failed commit: lost lease, or a
	// database error) are dropped, and their leases given up.
	c.mu.Lock()
	var dead []*partition
	for p, pt := range c.parts {
		select {
		case <-pt.node.Done():
			dead = append(dead, pt)
			delete(c.parts, p)
		default:
		}
	}
	c.mu.Unlock()
	for _, pt := range dead {
		c.log.Warn("partition stopped; giving it up", "partition", pt.p)
		c.stopPartition(pt)
		c.release(ctx, pt)
	}

	// This node counts itself live even when its own heartbeat is late
	// (its renewals stalled): otherwise its share would grow, and it
	// would claim more than its part.
	var others int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM wf_nodes WHERE heartbeat > now() - make_interval(secs => $1) AND id <> $2`,
		ttl, c.id).Scan(&others); err != nil {
		return err
	}
	live := others + 1
	share := (store.Partitions + live - 1) / live
	have := len(c.Owned())
	switch {
	case have < share:
		rows, err := pool.Query(ctx, `UPDATE wf_leases l SET owner = $1, epoch = l.epoch + 1, expires = now() + make_interval(secs => $2)
			FROM (SELECT part FROM wf_leases WHERE owner IS NULL OR expires < now() ORDER BY part LIMIT $3 FOR UPDATE SKIP LOCKED) f
			WHERE l.part = f.part RETURNING l.part, l.epoch`, c.id, ttl, share-have)
		if err != nil {
			return err
		}
		type claim struct {
			Part  int32
			Epoch int64
		}
		claims, err := pgx.CollectRows(rows, pgx.RowToStructByPos[claim])
		if err != nil {
			return err
		}
		// Claimed leases are renewed from now on, while they wait their
		// turn to load.
		c.mu.Lock()
		for _, cl := range claims {
			c.loading[int(cl.Part)] = cl.Epoch
		}
		c.mu.Unlock()
		for _, cl := range claims {
			if err := c.startPartition(int(cl.Part), cl.Epoch); err != nil {
				c.log.Error("starting a claimed partition; releasing it", "partition", cl.Part, "err", err)
				c.release(ctx, &partition{p: int(cl.Part), epoch: cl.Epoch})
			}
		}
	case have > share:
		for _, p := range c.Owned()[share:] {
			if pt := c.take(p); pt != nil {
				c.stopPartition(pt)
				c.release(ctx, pt)
			}
		}
	}
	c.catchUp()
	c.maybeCompact()
	return nil
}

// maybeCompact compacts the shared tables when this node owns partition
// 0 and the last compaction is older than CompactEvery.
func (c *Cluster) maybeCompact() {
	o := c.opts.Node
	if o.LogRetention <= 0 && o.DedupeWindow <= 0 {
		return
	}
	every := o.CompactEvery
	if every <= 0 {
		every = time.Hour
	}
	c.mu.Lock()
	_, mine := c.parts[0]
	c.mu.Unlock()
	if !mine || time.Since(c.compacted) < every {
		return
	}
	c.compacted = time.Now()
	now := time.Now()
	var logBefore, idsBefore time.Time
	if o.LogRetention > 0 {
		logBefore = now.Add(-o.LogRetention)
	}
	if o.DedupeWindow > 0 {
		idsBefore = now.Add(-o.DedupeWindow)
	}
	c.compacting.Add(1)
	go func() {
		defer c.compacting.Done()
		start := time.Now()
		n, err := c.db.Compact(logBefore, idsBefore)
		if err != nil {
			c.log.Error("compaction", "err", err)
		} else if n.Log > 0 || n.ClientIDs > 0 {
			c.log.Info("compacted", "log_entries", n.Log, "client_ids", n.ClientIDs, "took", time.Since(start))
		}
	}()
}

func (c *Cluster) ownedEpochs() map[int]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[int]int64{}
	for p, pt := range c.parts {
		out[p] = pt.epoch
	}
	for p, e := range c.loading {
		out[p] = e
	}
	return out
}

func splitEpochs(m map[int]int64) ([]int32, []int64) {
	var parts []int32
	var epochs []int64
	for p, e := range m {
		parts = append(parts, int32(p))
		epochs = append(epochs, e)
	}
	return parts, epochs
}

// take removes an owned partition from the set and returns it.
func (c *Cluster) take(p int) *partition {
	c.mu.Lock()
	defer c.mu.Unlock()
	pt := c.parts[p]
	delete(c.parts, p)
	return pt
}

func (c *Cluster) release(ctx context.Context, pt *partition) {
	if _, err := c.db.Pool().Exec(ctx, `UPDATE wf_leases SET owner = NULL, expires = NULL WHERE part = $1 AND owner = $2 AND epoch = $3`,
		pt.p, c.id, pt.epoch); err != nil {
		c.log.Warn("releasing a lease", "partition", pt.p, "err", err)
	}
}

// startPartition loads a claimed partition and starts its work. A
// partition the node still runs under an older epoch (its renewals
// stalled and it claimed the partition again) is stopped first.
func (c *Cluster) startPartition(p int, epoch int64) error {
	start := time.Now()
	if old := c.take(p); old != nil {
		c.log.Warn("partition claimed again; stopping its previous run", "partition", p, "epoch", old.epoch)
		c.stopPartition(old)
	}
	st := &partStore{db: c.db, commits: c.commits, uniques: c.uniqueProps, p: p, epoch: epoch}
	o := c.opts.Node
	o.Store = st
	o.ClientIDsChecked = true
	o.OwnsID = func(typ, id string) bool { return store.Partition(typ, id) == p }
	o.Switch = c.switched
	o.Logger = c.log.With("partition", p)
	o.LogRetention, o.DedupeWindow = 0, 0 // compaction is the cluster's, not each partition's
	// Loading holds the reload lock, so no version or switch is applied
	// to the other partitions while this one is between reading them
	// and being listed.
	c.reloading.Lock()
	defer c.reloading.Unlock()
	c.mu.Lock()
	prog, ver := c.prog, c.ver
	c.loading[p] = epoch
	c.mu.Unlock()
	node, err := server.New(prog, o)
	if err != nil {
		c.mu.Lock()
		delete(c.loading, p)
		c.mu.Unlock()
		return err
	}
	pt := &partition{p: p, epoch: epoch, st: st, node: node}
	pt.ver.Store(ver)
	c.mu.Lock()
	delete(c.loading, p)
	c.parts[p] = pt
	c.mu.Unlock()
	c.poke()
	c.log.Info("partition claimed", "partition", p, "epoch", epoch, "took", time.Since(start))
	return nil
}

// stopPartition stops a partition's node.
func (c *Cluster) stopPartition(pt *partition) error {
	if pt.node != nil {
		err := pt.node.Close()
		if err != nil && !errors.Is(err, errLeaseLost) {
			return fmt.Errorf("partition %d: %w", pt.p, err)
		}
	}
	return nil
}

// reload makes prog (version seq) the node's version and moves every
// partition to it.
func (c *Cluster) reload(seq int64, prog *bytecode.Program) {
	c.mu.Lock()
	if seq <= c.ver {
		c.mu.Unlock()
		return
	}
	c.prog, c.ver = prog, seq
	c.mu.Unlock()
	c.catchUp()
}

// catchUp reloads every partition that runs an older version than the
// node's, one reload at a time (a partition never goes back to an older
// version), and says whether all of them now run it.
func (c *Cluster) catchUp() bool {
	c.reloading.Lock()
	defer c.reloading.Unlock()
	c.mu.Lock()
	prog, seq := c.prog, c.ver
	parts := make([]*partition, 0, len(c.parts))
	for _, pt := range c.parts {
		if pt.ver.Load() < seq {
			parts = append(parts, pt)
		}
	}
	c.mu.Unlock()
	if len(parts) == 0 {
		return true
	}
	start := time.Now()
	failed := 0
	for _, pt := range parts {
		if err := pt.node.Reload(prog, nil); err != nil {
			failed++
			c.log.Error("reloading a partition", "partition", pt.p, "version", seq, "err", err)
			continue
		}
		pt.ver.Store(seq)
	}
	c.log.Info("version live", "version", seq, "partitions", len(parts), "failed", failed, "took", time.Since(start))
	return failed == 0
}

// Live is the sequence number of the version every partition of the
// node runs (a newer one may be loading).
func (c *Cluster) Live() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	live := c.ver
	for _, pt := range c.parts {
		live = min(live, pt.ver.Load())
	}
	return live
}
