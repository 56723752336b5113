// Package pgstore is the PostgreSQL store.Store: the same state as the
// embedded bbolt store, in tables a cluster of wf nodes can share.
//
// # Schema
//
// Every table is prefixed wf_. Open migrates the schema it finds to
// SchemaVersion, versioned like the bbolt store: the row 'schema' of
// wf_meta holds the version, migrations are an ordered list of SQL
// scripts, and each runs in its own transaction that first takes a
// transaction-scoped advisory lock (pg_advisory_xact_lock, keyed by the
// schema the tables live in) and reads the version again, so several nodes
// starting at once migrate once. A database whose version is newer than
// this code is refused.
//
//	wf_meta        key → value: 'schema', 'globals', 'meta/'+key (PutMeta)
//	wf_records     (type, id) → part, state
//	wf_enrollments seq → type, id, part, workflow, version, step, current, state;
//	               indexed by (type, id, seq), by (workflow, step, type, id, seq)
//	               where current, by part
//	wf_timers      key → part, due; indexed by due and by (part, due)
//	wf_log         seq (bigserial) → workflow, record, part, at, data; indexed by
//	               (workflow, seq), (record, seq) and at (for retention)
//	wf_outbox      seq (bigserial) → data
//	wf_client_ids  id → at; indexed by at (for retention)
//	wf_events      (type, id, at, name, hash) → part, props; hash is
//	               store.EventHash of the props in hex, so a re-import is idempotent
//
// and, for a cluster of nodes (created here, used by the cluster code):
// wf_leases (one row per partition, pre-filled: owner, epoch, expires),
// wf_nodes (id, addr, heartbeat), wf_inbox (changes waiting for the node
// that owns their partition) and wf_versions (published programs).
//
// Keys are text in the "C" collation, so the order of every query is the
// byte order the bbolt store scans in (Records by type then id, and so on)
// and a prefix is a range of the primary key.
//
// # Partitions
//
// Every per-record row carries part, its record's store.Partition, so a
// node that owns a set of partitions (under a lease) loads, and later
// claims timers of, just those: RecordsIn, EnrollmentsIn and DueTimersIn
// filter by it. A timer's record is read from its key ("type/id/…"; the
// runtime's "type/id/enr/N/" and "type/id/date/W/T/" forms are read from
// the end, so an id may hold a slash); a timer of no record, such as the
// schedules' "sched/…", is in partition -1. An action log entry's
// partition is that of its Record ("type/id").
//
// # Commit
//
// A Batch is applied in one transaction, and the round trips to the
// server, not the rows, are what a commit costs: a statement per write
// would make a batch of 4,000 writes 4,000 statements, each waiting for
// its answer. So Commit plans the batch into as few statements as its
// order allows and sends them all in one pgx pipeline: one round trip
// (without CommitTx's extra function the pipeline is one implicit
// transaction, committed when its last statement has run and rolled back
// at the first error; with it, the BEGIN goes first in the pipeline).
//
// The plan: writes to different tables commute, so each write joins the
// last statement of its kind, unless a write it does not commute with (a
// PutRecord or PutEnrollment and a DeleteRecord of the same record, a
// PutTimer and a DeleteTimers or DeleteRecord whose prefix its key has)
// came after that statement; then it starts a new one. A statement
// applies its writes in their order: the statements are multi-row, INSERT
// … SELECT FROM unnest($1::text[], …) ON CONFLICT DO UPDATE with a later
// write of a key replacing an earlier one, and DELETE … USING unnest(…).
// The runtime's batches (per record: the record, its timers replaced, its
// enrollments and theirs; then the log, the outbox, the globals and the
// client ids) become one statement per kind of write. BenchmarkCommit1000
// (1,000 changes of four writes per commit) measured about 17,000-19,000
// changes/s, 55 ms a commit, on two vCPUs with PostgreSQL 15 on the same
// machine; most of that is the server's work on the tables and their
// indexes, and building the Batch.
//
// Log and outbox sequence numbers come from bigserial columns, increasing
// in the order of the batch. With several nodes committing at once a
// smaller number can commit after a larger one has been read.
//
// # Durability
//
// Commit returns once PostgreSQL has committed the transaction, which
// with synchronous_commit on (or local, remote_write, remote_apply) means
// its write-ahead log is flushed to disk: an acknowledged change survives
// a crash of the server or of its machine. A connection whose
// synchronous_commit is off (a server, role or URL setting) is set to on
// when it connects; the other values are kept.
package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/wflang/wf/runtime/store"
)

// SchemaVersion is the version of the schema this code writes:
// len(migrations).
const SchemaVersion = 4

// migrations[i] takes the schema from version i to i+1.
var migrations = []string{
	// 1
	`
CREATE TABLE wf_records (
	type  text COLLATE "C" NOT NULL,
	id    text COLLATE "C" NOT NULL,
	part  smallint NOT NULL,
	state bytea,
	PRIMARY KEY (type, id)
);
CREATE INDEX wf_records_part ON wf_records (part);

CREATE TABLE wf_enrollments (
	seq      bigint PRIMARY KEY,
	type     text COLLATE "C" NOT NULL,
	id       text COLLATE "C" NOT NULL,
	part     smallint NOT NULL,
	workflow text COLLATE "C" NOT NULL,
	version  text COLLATE "C" NOT NULL,
	step     text COLLATE "C" NOT NULL,
	current  boolean NOT NULL,
	state    bytea
);
CREATE INDEX wf_enrollments_record ON wf_enrollments (type, id, seq);
CREATE INDEX wf_enrollments_step ON wf_enrollments (workflow, step, type, id, seq) WHERE current;
CREATE INDEX wf_enrollments_part ON wf_enrollments (part);

CREATE TABLE wf_timers (
	key  text COLLATE "C" PRIMARY KEY,
	part smallint NOT NULL,
	due  timestamptz NOT NULL
);
CREATE INDEX wf_timers_due ON wf_timers (due);
CREATE INDEX wf_timers_part_due ON wf_timers (part, due);

CREATE TABLE wf_log (
	seq      bigserial PRIMARY KEY,
	workflow text COLLATE "C" NOT NULL,
	record   text COLLATE "C" NOT NULL,
	part     smallint NOT NULL,
	at       timestamptz NOT NULL,
	data     bytea
);
CREATE INDEX wf_log_workflow ON wf_log (workflow, seq);
CREATE INDEX wf_log_record ON wf_log (record, seq);
CREATE INDEX wf_log_at ON wf_log (at);

CREATE TABLE wf_outbox (
	seq  bigserial PRIMARY KEY,
	data bytea
);

CREATE TABLE wf_client_ids (
	id text COLLATE "C" PRIMARY KEY,
	at timestamptz NOT NULL
);
CREATE INDEX wf_client_ids_at ON wf_client_ids (at);

CREATE TABLE wf_events (
	type  text COLLATE "C" NOT NULL,
	id    text COLLATE "C" NOT NULL,
	part  smallint NOT NULL,
	at    timestamptz NOT NULL,
	name  text COLLATE "C" NOT NULL,
	hash  text COLLATE "C" NOT NULL,
	props bytea,
	PRIMARY KEY (type, id, at, name, hash)
);
CREATE INDEX wf_events_part ON wf_events (part);

CREATE TABLE wf_leases (
	part    smallint PRIMARY KEY,
	owner   text,
	epoch   bigint NOT NULL DEFAULT 0,
	expires timestamptz
);
INSERT INTO wf_leases (part) SELECT generate_series(0, ` + strconv.Itoa(store.Partitions-1) + `);

CREATE TABLE wf_nodes (
	id        text PRIMARY KEY,
	addr      text,
	heartbeat timestamptz
);

CREATE TABLE wf_inbox (
	seq  bigserial PRIMARY KEY,
	part smallint NOT NULL,
	data bytea NOT NULL,
	at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX wf_inbox_part ON wf_inbox (part, seq);

CREATE TABLE wf_versions (
	seq          bigserial PRIMARY KEY,
	hash         text NOT NULL,
	program      bytea NOT NULL,
	published_at timestamptz NOT NULL DEFAULT now(),
	published_by text
);
`,
	// 2: workflows enabled or disabled through a cluster's API, which
	// every partition applies (runtime/cluster).
	`
CREATE TABLE wf_switches (
	workflow text COLLATE "C" PRIMARY KEY,
	enabled  boolean NOT NULL,
	at       timestamptz NOT NULL DEFAULT now()
);
`,
	// 3: the values of unique properties → their record, kept by a
	// cluster's partitions as they commit, so any node can route an event
	// or an incoming webhook that names its record by such a value.
	`
CREATE TABLE wf_unique (
	type  text COLLATE "C" NOT NULL,
	prop  text COLLATE "C" NOT NULL,
	value text COLLATE "C" NOT NULL,
	id    text COLLATE "C" NOT NULL,
	PRIMARY KEY (type, prop, value)
);
CREATE INDEX wf_unique_record ON wf_unique (type, id);
`,
	// 4: the version a change was accepted under (its partition's owner
	// applies it under that version or a newer one), and the changes
	// accepted that could not be applied, kept rather than dropped.
	`
ALTER TABLE wf_inbox ADD COLUMN ver bigint NOT NULL DEFAULT 0;
CREATE TABLE wf_dead (
	seq   bigint PRIMARY KEY,
	part  smallint NOT NULL,
	data  bytea NOT NULL,
	error text NOT NULL,
	at    timestamptz NOT NULL DEFAULT now()
);
`,
}

// Store is the PostgreSQL store. It is safe for concurrent use.
type Store struct {
	pool *pgxpool.Pool

	// migrated is how many migrations this Open applied (for the tests:
	// nodes opening at once migrate once between them).
	migrated int
}

var _ store.Store = (*Store)(nil)

// Open connects to the database at url (postgres://user:pass@host:port/db?…;
// any setting pgx reads, pool_max_conns and the server's runtime
// parameters such as search_path included) with a connection pool and
// migrates its schema to SchemaVersion.
func Open(ctx context.Context, url string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgxpool's default (the number of CPUs, at least 4) starves a
		// cluster node, whose partitions commit concurrently (and
		// PostgreSQL shares one WAL flush among concurrent commits).
		cfg.MaxConns = 32
	}
	cfg.AfterConnect = func(ctx context.Context, c *pgx.Conn) error {
		// Durable when Commit returns: never run with synchronous_commit off.
		_, err := c.Exec(ctx, `SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'`)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %w", err)
	}
	s := &Store{pool: pool}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// migrate applies the migrations the database lacks, one transaction
// each, under an advisory lock keyed by the schema the tables are in.
func (s *Store) migrate(ctx context.Context) error {
	for {
		done, err := s.migrateOne(ctx)
		if err != nil || done {
			return err
		}
	}
}

func (s *Store) migrateOne(ctx context.Context) (done bool, err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("pgstore: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtext('wf schema migration ' || coalesce(current_schema(), '')))`); err != nil {
		return false, fmt.Errorf("pgstore: locking for migration: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS wf_meta (key text COLLATE "C" PRIMARY KEY, value bytea)`); err != nil {
		return false, fmt.Errorf("pgstore: creating wf_meta: %w", err)
	}
	version, err := schemaVersion(ctx, tx)
	if err != nil {
		return false, err
	}
	if version > SchemaVersion {
		return false, fmt.Errorf("pgstore: the database has schema version %d; this wf knows up to %d: run a newer wf", version, SchemaVersion)
	}
	if version == SchemaVersion {
		return true, tx.Commit(ctx)
	}
	if _, err := tx.Exec(ctx, migrations[version]); err != nil {
		return false, fmt.Errorf("pgstore: migrating to schema version %d: %w", version+1, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO wf_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
		[]byte(strconv.Itoa(version+1))); err != nil {
		return false, fmt.Errorf("pgstore: migrating to schema version %d: %w", version+1, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("pgstore: migrating to schema version %d: %w", version+1, err)
	}
	s.migrated++
	return false, nil
}

func schemaVersion(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}) (int, error) {
	var v []byte
	err := q.QueryRow(ctx, `SELECT value FROM wf_meta WHERE key = 'schema'`).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pgstore: reading the schema version: %w", err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(v)))
	if err != nil {
		return 0, fmt.Errorf("pgstore: bad schema version %q in wf_meta", v)
	}
	return n, nil
}

// Schema returns the schema version of the database.
func (s *Store) Schema(ctx context.Context) (int, error) { return schemaVersion(ctx, s.pool) }

// Pool returns the connection pool, for the cluster code's own queries on
// the wf_ tables.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Close closes the pool's connections.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}
