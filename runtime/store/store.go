// Package store keeps a wf runtime's state on disk: records, enrollments
// (with the step id each is at and the hash of the workflow version it
// runs on), timers in due-time order, the outbox of effects, the action
// log (with a time index, so retention compacts it oldest first), the
// client ids of the changes already ingested, so a change sent twice is
// applied once, the event history of records (imported past events), and
// named metadata (the loaded program's workflow versions).
//
// Store is the interface; Open returns the embedded default, a bbolt
// database (go.etcd.io/bbolt: pure Go, one file, ACID transactions with
// one writer and many readers) in a data directory. Package pgstore is
// the PostgreSQL Store, for several nodes sharing the work; the interface
// is cut for it: every write goes through one Batch committed as one
// transaction, and the queries are the ones a node needs — enrollments by
// workflow and step, due timers in time order, the action log by workflow
// and by record, the outbox after a sequence number — each a range scan
// over an ordered key here and an indexed query there (a node claims due
// timers with FOR UPDATE SKIP LOCKED under a lease; that is not part of
// this interface yet).
//
// Why bbolt: every query above is a prefix or range scan over sorted keys,
// which a B+tree answers directly, and the state a runtime writes is small
// and read back often (a record and its enrollments on every change).
// bbolt gives real transactions with read-your-writes, so keeping
// secondary indexes (workflow/step → enrollment, record → log entries) is
// a read and a write in one transaction. pebble writes faster (an LSM,
// about 665k small changes/s in batches of 1,000 on our machines, against
// bbolt's 340k) but has no transactions beyond write batches, compacts in
// the background, and is a much larger dependency; the runtime commits in
// groups (one fsync per group of concurrent ingests), so bbolt's rate is
// well above what the engine applies. Each Commit is one bbolt update
// transaction, fsync'd before it returns.
//
// What the state blobs hold is the runtime's business: the store sees
// Record.State and Enrollment.State as opaque JSON, and keys and indexes
// only the fields it is asked to query by.
//
// # Schema
//
// The schema is versioned: Open reads the version from the meta bucket and
// runs the migrations from it up to SchemaVersion, each in its own
// transaction; a database newer than this code is refused.
package store

import (
	"time"
)

// SchemaVersion is the version of the on-disk layout this code writes.
const SchemaVersion = 2

// Record is one stored record. State is the runtime's JSON for it
// (properties, associations, what each workflow remembers about it).
type Record struct {
	Type  string
	ID    string
	State []byte
}

// Enrollment is one stored enrollment of a record in a workflow.
type Enrollment struct {
	Type     string
	ID       string // the record
	Seq      uint64 // unique across the store
	Workflow string
	Version  string // hash of the workflow version it runs on
	Step     string // the step id it is at
	Current  bool   // running or waiting; ended enrollments are history
	State    []byte // the runtime's JSON for it
}

// Timer is a moment the runtime must act at. Key names what it wakes
// (an enrollment, a date or schedule trigger); a key has at most one timer.
type Timer struct {
	Key string
	Due time.Time
}

// LogEntry is one entry of a workflow's action log. Seq is assigned by
// Commit, increasing.
type LogEntry struct {
	Seq      uint64
	Workflow string
	Record   string // "type/id"
	Data     []byte // the runtime's JSON for the entry
}

// OutboxEntry is one effect waiting to be delivered. Seq is assigned by
// Commit, increasing.
type OutboxEntry struct {
	Seq  uint64
	Data []byte
}

// Event is one occurrence of a custom event on a record, kept as history
// (imported past events). Props is the runtime's JSON for its properties.
// An event is keyed by its record, time, name and properties: writing the
// same occurrence twice keeps one.
type Event struct {
	Type  string
	ID    string
	Name  string
	At    time.Time
	Props []byte
}

// Compacted counts what a Compact deleted.
type Compacted struct {
	Log       int
	ClientIDs int
}

// Batch is a set of writes that Commit applies as one transaction, in the
// order they were added.
type Batch struct {
	ops []Op
	at  time.Time
}

// SetTime sets the time the batch's action log entries and client ids are
// recorded at, which retention compares with (zero: the wall clock at
// Commit). A runtime on a virtual clock sets its clock's time.
func (b *Batch) SetTime(t time.Time) { b.at = t }

// OpKind says which write of a Batch an Op is.
type OpKind uint8

// The kinds of writes, one per Batch method.
const (
	OpPutRecord     OpKind = iota // Record
	OpDeleteRecord                // Record.Type and Record.ID
	OpPutEnrollment               // Enrollment
	OpPutTimer                    // Timer
	OpDeleteTimers                // Key: the prefix
	OpAppendLog                   // Log (its Seq is not set)
	OpAppendOutbox                // Data
	OpAddClientID                 // Key: the client id
	OpPutGlobals                  // Data
	OpPutMeta                     // Key and Data
	OpPutEvent                    // Event
)

// Op is one write of a Batch. Only the fields its Kind names are set.
type Op struct {
	Kind       OpKind
	Record     Record
	Enrollment Enrollment
	Timer      Timer
	Log        LogEntry
	Event      Event
	Data       []byte
	Key        string
}

// Ops returns the batch's writes in the order they were added, for Store
// implementations outside this package. The slice is the batch's own:
// it must not be modified.
func (b *Batch) Ops() []Op { return b.ops }

// Time returns the time SetTime set (zero when none: the Store uses its
// clock at Commit).
func (b *Batch) Time() time.Time { return b.at }

// PutRecord writes a record, replacing it.
func (b *Batch) PutRecord(r Record) { b.ops = append(b.ops, Op{Kind: OpPutRecord, Record: r}) }

// DeleteRecord deletes a record with its enrollments and every timer
// whose key starts with "type/id/".
func (b *Batch) DeleteRecord(typ, id string) {
	b.ops = append(b.ops, Op{Kind: OpDeleteRecord, Record: Record{Type: typ, ID: id}})
}

// PutEnrollment writes an enrollment, replacing the one with its Seq.
func (b *Batch) PutEnrollment(e Enrollment) {
	b.ops = append(b.ops, Op{Kind: OpPutEnrollment, Enrollment: e})
}

// PutTimer sets the timer of t.Key to t.Due, replacing any it had.
func (b *Batch) PutTimer(t Timer) { b.ops = append(b.ops, Op{Kind: OpPutTimer, Timer: t}) }

// DeleteTimers deletes every timer whose key starts with prefix.
func (b *Batch) DeleteTimers(prefix string) {
	b.ops = append(b.ops, Op{Kind: OpDeleteTimers, Key: prefix})
}

// AppendLog appends an action log entry (its Seq is assigned on commit).
func (b *Batch) AppendLog(e LogEntry) { b.ops = append(b.ops, Op{Kind: OpAppendLog, Log: e}) }

// AppendOutbox appends an effect to deliver.
func (b *Batch) AppendOutbox(data []byte) {
	b.ops = append(b.ops, Op{Kind: OpAppendOutbox, Data: data})
}

// AddClientID records that the change with this client id was applied.
func (b *Batch) AddClientID(id string) { b.ops = append(b.ops, Op{Kind: OpAddClientID, Key: id}) }

// PutGlobals writes the runtime's engine-wide state.
func (b *Batch) PutGlobals(data []byte) { b.ops = append(b.ops, Op{Kind: OpPutGlobals, Data: data}) }

// PutMeta writes a named piece of runtime metadata (such as the workflow
// versions of the loaded program), replacing it.
func (b *Batch) PutMeta(key string, data []byte) {
	b.ops = append(b.ops, Op{Kind: OpPutMeta, Key: key, Data: data})
}

// PutEvent writes an event occurrence into the record's event history.
func (b *Batch) PutEvent(e Event) { b.ops = append(b.ops, Op{Kind: OpPutEvent, Event: e}) }

// Len is the number of writes in the batch.
func (b *Batch) Len() int { return len(b.ops) }

// Store is where a runtime keeps its state. Implementations are safe for
// concurrent use; reads see the last committed state.
type Store interface {
	// Commit applies the batch as one transaction and returns when it is
	// durable (fsync'd). On error nothing of it is applied.
	Commit(b *Batch) error

	// Globals returns the engine-wide state (nil when none was written).
	Globals() ([]byte, error)
	// Records calls fn for every record, in type and id order.
	Records(fn func(Record) error) error
	// Record returns one record.
	Record(typ, id string) (Record, bool, error)
	// Enrollments calls fn for every enrollment, by record then Seq.
	Enrollments(fn func(Enrollment) error) error
	// RecordEnrollments returns a record's enrollments, oldest first.
	RecordEnrollments(typ, id string) ([]Enrollment, error)
	// EnrollmentsAt returns the current enrollments of a workflow at a
	// step ("" for every step), by record.
	EnrollmentsAt(workflow, step string) ([]Enrollment, error)
	// DueTimers returns up to limit timers due at or before t, earliest
	// first.
	DueTimers(t time.Time, limit int) ([]Timer, error)
	// Log returns up to limit entries of a workflow's action log after
	// sequence number after, oldest first.
	Log(workflow string, after uint64, limit int) ([]LogEntry, error)
	// RecordLog returns up to limit action log entries about a record,
	// across workflows, oldest first.
	RecordLog(typ, id string, limit int) ([]LogEntry, error)
	// Outbox returns up to limit effects after sequence number after.
	Outbox(after uint64, limit int) ([]OutboxEntry, error)
	// SeenClientIDs reports which of ids were committed by AddClientID.
	SeenClientIDs(ids []string) (map[string]bool, error)
	// RecordEvents returns up to limit events of a record's history,
	// oldest first.
	RecordEvents(typ, id string, limit int) ([]Event, error)
	// Meta returns what PutMeta wrote under key (nil when nothing).
	Meta(key string) ([]byte, error)
	// Compact deletes the action log entries recorded before logBefore
	// and the client ids recorded before clientIDsBefore (a zero time
	// deletes none of that kind), in transactions of bounded size, and
	// says how many it deleted.
	Compact(logBefore, clientIDsBefore time.Time) (Compacted, error)

	Close() error
}

// Add appends a write as Ops returns it (a Store wrapping another one
// rewrites a batch with Ops and Add).
func (b *Batch) Add(op Op) { b.ops = append(b.ops, op) }
