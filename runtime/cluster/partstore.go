package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/wflang/wf/runtime/store"
)

// errLeaseLost fails the commit of a partition whose lease is no longer
// the node's: nothing of the transaction is applied.
var errLeaseLost = errors.New("cluster: the partition's lease is no longer ours; nothing was committed")

// partStore is one partition's view of the database, the store of that
// partition's server.Node. Reads of the partition's state (Records,
// Enrollments, Globals) see only its rows; the queries the API answers
// from are the database's. Every commit is fenced by the lease and
// deletes the inbox rows the committed changes came from.
//
// The engine-wide state of a partition's engine (enrollment counter,
// rotation, schedules, enabled workflows) is the partition's own: it is
// kept under the metadata key globals/P, enrollment sequence numbers are
// made unique across partitions (seq·Partitions + P), and the timer keys
// of schedules carry the partition.
type partStore struct {
	db      DB
	commits *committer
	uniques func() map[string][]string // the unique properties of each type, by name
	p       int
	epoch   int64

	consumed []int64   // inbox rows applied since the last commit (loop only)
	dead     []deadRow // of those, the ones that failed to apply
}

// deadRow is an accepted change that could not be applied.
type deadRow struct {
	seq  int64
	data []byte
	err  string
}

// deadLetter keeps a consumed inbox row that failed to apply.
func (s *partStore) deadLetter(d deadRow) { s.dead = append(s.dead, d) }

var _ store.Store = (*partStore)(nil)

func (s *partStore) globalsKey() string { return fmt.Sprintf("globals/%d", s.p) }

// consume marks inbox rows as applied: the next commit deletes them.
func (s *partStore) consume(seqs []int64) { s.consumed = append(s.consumed, seqs...) }

func (s *partStore) Commit(b *store.Batch) error {
	nb, err := s.rewrite(b)
	if err != nil {
		return err
	}
	var uw uniqueWrites
	if s.uniques != nil {
		props := s.uniques()
		for _, op := range nb.Ops() {
			if err := uw.indexOp(op, props); err != nil {
				return err
			}
		}
	}
	consumed, dead := s.consumed, s.dead
	s.consumed, s.dead = nil, nil
	return s.commits.commit(&commitReq{b: nb, part: s.p, epoch: s.epoch, consumed: consumed, dead: dead, unique: uw})
}

// rewrite scopes a partition node's batch to the partition: globals go
// to the partition's key, enrollment sequence numbers are made unique
// across partitions, schedule timers carry the partition, and the batch
// must write no record of another partition.
func (s *partStore) rewrite(b *store.Batch) (*store.Batch, error) {
	var out store.Batch
	out.SetTime(b.Time())
	sched := fmt.Sprintf("p%d/sched/", s.p)
	for _, op := range b.Ops() {
		switch op.Kind {
		case store.OpPutGlobals:
			out.PutMeta(s.globalsKey(), op.Data)
			continue
		case store.OpPutEnrollment:
			e := op.Enrollment
			e.Seq = e.Seq*store.Partitions + uint64(s.p)
			if err := s.own(e.Type, e.ID); err != nil {
				return nil, err
			}
			out.PutEnrollment(e)
			continue
		case store.OpPutRecord:
			if err := s.own(op.Record.Type, op.Record.ID); err != nil {
				return nil, err
			}
		case store.OpDeleteRecord:
			if err := s.own(op.Record.Type, op.Record.ID); err != nil {
				return nil, err
			}
		case store.OpPutTimer:
			if rest, ok := strings.CutPrefix(op.Timer.Key, "sched/"); ok {
				t := op.Timer
				t.Key = sched + rest
				out.PutTimer(t)
				continue
			}
		case store.OpDeleteTimers:
			if rest, ok := strings.CutPrefix(op.Key, "sched/"); ok {
				out.DeleteTimers(sched + rest)
				continue
			}
		}
		out.Add(op)
	}
	return &out, nil
}

func (s *partStore) own(typ, id string) error {
	if q := store.Partition(typ, id); q != s.p {
		return fmt.Errorf("cluster: partition %d wrote %s/%s, which belongs to partition %d", s.p, typ, id, q)
	}
	return nil
}

func (s *partStore) Globals() ([]byte, error) { return s.db.Meta(s.globalsKey()) }

func (s *partStore) Records(fn func(store.Record) error) error {
	return s.db.RecordsIn(context.Background(), []int{s.p}, fn)
}

func (s *partStore) Enrollments(fn func(store.Enrollment) error) error {
	return s.db.EnrollmentsIn(context.Background(), []int{s.p}, fn)
}

func (s *partStore) Record(typ, id string) (store.Record, bool, error) { return s.db.Record(typ, id) }

func (s *partStore) RecordEnrollments(typ, id string) ([]store.Enrollment, error) {
	return s.db.RecordEnrollments(typ, id)
}

func (s *partStore) EnrollmentsAt(workflow, step string) ([]store.Enrollment, error) {
	return s.db.EnrollmentsAt(workflow, step)
}

func (s *partStore) DueTimers(t time.Time, limit int) ([]store.Timer, error) {
	return s.db.DueTimers(t, limit)
}

func (s *partStore) Log(workflow string, after uint64, limit int) ([]store.LogEntry, error) {
	return s.db.Log(workflow, after, limit)
}

func (s *partStore) RecordLog(typ, id string, limit int) ([]store.LogEntry, error) {
	return s.db.RecordLog(typ, id, limit)
}

func (s *partStore) Outbox(after uint64, limit int) ([]store.OutboxEntry, error) {
	return s.db.Outbox(after, limit)
}

func (s *partStore) SeenClientIDs(ids []string) (map[string]bool, error) {
	return s.db.SeenClientIDs(ids)
}

func (s *partStore) RecordEvents(typ, id string, limit int) ([]store.Event, error) {
	return s.db.RecordEvents(typ, id, limit)
}

func (s *partStore) Meta(key string) ([]byte, error) { return s.db.Meta(key) }

// Compact does nothing: the cluster compacts the shared tables, not each
// partition.
func (s *partStore) Compact(logBefore, clientIDsBefore time.Time) (store.Compacted, error) {
	return store.Compacted{}, nil
}

// Close does nothing: the database is the cluster's.
func (s *partStore) Close() error { return nil }
