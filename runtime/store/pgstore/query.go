package pgstore

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/runtime/store"
)

// The Store methods have no context; they run under this one.
var bg = context.Background()

func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}

// value reads one bytea (nil when there is no row).
func (s *Store) value(sql string, args ...any) ([]byte, error) {
	var v []byte
	err := s.pool.QueryRow(bg, sql, args...).Scan(&v)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	return v, err
}

// Globals returns the engine-wide state (nil when none was written).
func (s *Store) Globals() ([]byte, error) {
	v, err := s.value(`SELECT value FROM wf_meta WHERE key = 'globals'`)
	return v, wrap("globals", err)
}

// Meta returns what PutMeta wrote under key (nil when nothing).
func (s *Store) Meta(key string) ([]byte, error) {
	v, err := s.value(`SELECT value FROM wf_meta WHERE key = $1`, metaPrefix+key)
	return v, wrap("meta", err)
}

// Records calls fn for every record, in type and id order.
func (s *Store) Records(fn func(store.Record) error) error {
	return s.records(bg, `SELECT type, id, state FROM wf_records ORDER BY type, id`, fn)
}

// RecordsIn calls fn for every record of the partitions parts, in type
// and id order.
func (s *Store) RecordsIn(ctx context.Context, parts []int, fn func(store.Record) error) error {
	return s.records(ctx, `SELECT type, id, state FROM wf_records WHERE part = ANY($1::int2[]) ORDER BY type, id`, fn, int16s(parts))
}

func (s *Store) records(ctx context.Context, sql string, fn func(store.Record) error, args ...any) error {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return wrap("records", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r store.Record
		if err := rows.Scan(&r.Type, &r.ID, &r.State); err != nil {
			return wrap("records", err)
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return wrap("records", rows.Err())
}

// Record returns one record.
func (s *Store) Record(typ, id string) (store.Record, bool, error) {
	r := store.Record{Type: typ, ID: id}
	err := s.pool.QueryRow(bg, `SELECT state FROM wf_records WHERE type = $1 AND id = $2`, typ, id).Scan(&r.State)
	if errors.Is(err, pgx.ErrNoRows) {
		return store.Record{}, false, nil
	}
	if err != nil {
		return store.Record{}, false, wrap("record", err)
	}
	return r, true, nil
}

const enrollmentCols = `seq, type, id, workflow, version, step, current, state`

func scanEnrollment(rows pgx.Rows) (store.Enrollment, error) {
	var e store.Enrollment
	var seq int64
	err := rows.Scan(&seq, &e.Type, &e.ID, &e.Workflow, &e.Version, &e.Step, &e.Current, &e.State)
	e.Seq = uint64(seq)
	return e, err
}

func (s *Store) eachEnrollment(ctx context.Context, fn func(store.Enrollment) error, sql string, args ...any) error {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return wrap("enrollments", err)
	}
	defer rows.Close()
	for rows.Next() {
		e, err := scanEnrollment(rows)
		if err != nil {
			return wrap("enrollments", err)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
	return wrap("enrollments", rows.Err())
}

func (s *Store) enrollments(sql string, args ...any) ([]store.Enrollment, error) {
	var out []store.Enrollment
	err := s.eachEnrollment(bg, func(e store.Enrollment) error { out = append(out, e); return nil }, sql, args...)
	return out, err
}

// Enrollments calls fn for every enrollment, by record then Seq.
func (s *Store) Enrollments(fn func(store.Enrollment) error) error {
	return s.eachEnrollment(bg, fn, `SELECT `+enrollmentCols+` FROM wf_enrollments ORDER BY type, id, seq`)
}

// EnrollmentsIn calls fn for every enrollment of a record of the
// partitions parts, by record then Seq.
func (s *Store) EnrollmentsIn(ctx context.Context, parts []int, fn func(store.Enrollment) error) error {
	return s.eachEnrollment(ctx, fn, `SELECT `+enrollmentCols+` FROM wf_enrollments WHERE part = ANY($1::int2[]) ORDER BY type, id, seq`, int16s(parts))
}

// RecordEnrollments returns a record's enrollments, oldest first.
func (s *Store) RecordEnrollments(typ, id string) ([]store.Enrollment, error) {
	return s.enrollments(`SELECT `+enrollmentCols+` FROM wf_enrollments WHERE type = $1 AND id = $2 ORDER BY seq`, typ, id)
}

// EnrollmentsAt returns the current enrollments of a workflow at a step
// ("" for every step), by record (then Seq).
func (s *Store) EnrollmentsAt(workflow, step string) ([]store.Enrollment, error) {
	if step == "" {
		return s.enrollments(`SELECT `+enrollmentCols+` FROM wf_enrollments WHERE current AND workflow = $1 ORDER BY type, id, seq`, workflow)
	}
	return s.enrollments(`SELECT `+enrollmentCols+` FROM wf_enrollments WHERE current AND workflow = $1 AND step = $2 ORDER BY type, id, seq`, workflow, step)
}

// DueTimers returns up to limit timers due at or before t, earliest
// first (then by key).
func (s *Store) DueTimers(t time.Time, limit int) ([]store.Timer, error) {
	return s.timers(bg, limit, `SELECT key, due FROM wf_timers WHERE due <= $1 ORDER BY due, key LIMIT $2`, t, limit)
}

// DueTimersIn returns up to limit timers of the partitions parts due at
// or before t, earliest first (then by key). Timers of no record (the
// schedules') are in partition -1.
func (s *Store) DueTimersIn(ctx context.Context, parts []int, t time.Time, limit int) ([]store.Timer, error) {
	return s.timers(ctx, limit, `SELECT key, due FROM wf_timers WHERE part = ANY($3::int2[]) AND due <= $1 ORDER BY due, key LIMIT $2`, t, limit, int16s(parts))
}

func (s *Store) timers(ctx context.Context, limit int, sql string, args ...any) ([]store.Timer, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap("due timers", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Timer, error) {
		var t store.Timer
		err := r.Scan(&t.Key, &t.Due)
		return t, err
	})
	return out, wrap("due timers", err)
}

func (s *Store) log(sql string, args ...any) ([]store.LogEntry, error) {
	rows, err := s.pool.Query(bg, sql, args...)
	if err != nil {
		return nil, wrap("log", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.LogEntry, error) {
		var e store.LogEntry
		var seq int64
		err := r.Scan(&seq, &e.Workflow, &e.Record, &e.Data)
		e.Seq = uint64(seq)
		return e, err
	})
	return out, wrap("log", err)
}

// Log returns up to limit entries of a workflow's action log after
// sequence number after, oldest first.
func (s *Store) Log(workflow string, after uint64, limit int) ([]store.LogEntry, error) {
	if limit <= 0 || after >= math.MaxInt64 {
		return nil, nil
	}
	return s.log(`SELECT seq, workflow, record, data FROM wf_log WHERE workflow = $1 AND seq > $2 ORDER BY seq LIMIT $3`, workflow, int64(after), limit)
}

// RecordLog returns up to limit action log entries about a record,
// across workflows, oldest first.
func (s *Store) RecordLog(typ, id string, limit int) ([]store.LogEntry, error) {
	if limit <= 0 {
		return nil, nil
	}
	return s.log(`SELECT seq, workflow, record, data FROM wf_log WHERE record = $1 ORDER BY seq LIMIT $2`, typ+"/"+id, limit)
}

// Outbox returns up to limit effects after sequence number after.
func (s *Store) Outbox(after uint64, limit int) ([]store.OutboxEntry, error) {
	if limit <= 0 || after >= math.MaxInt64 {
		return nil, nil
	}
	rows, err := s.pool.Query(bg, `SELECT seq, data FROM wf_outbox WHERE seq > $1 ORDER BY seq LIMIT $2`, int64(after), limit)
	if err != nil {
		return nil, wrap("outbox", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.OutboxEntry, error) {
		var e store.OutboxEntry
		var seq int64
		err := r.Scan(&seq, &e.Data)
		e.Seq = uint64(seq)
		return e, err
	})
	return out, wrap("outbox", err)
}

// SeenClientIDs reports which of ids were committed by AddClientID.
func (s *Store) SeenClientIDs(ids []string) (map[string]bool, error) {
	seen := map[string]bool{}
	if len(ids) == 0 {
		return seen, nil
	}
	rows, err := s.pool.Query(bg, `SELECT id FROM wf_client_ids WHERE id = ANY($1::text[])`, ids)
	if err != nil {
		return nil, wrap("client ids", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, wrap("client ids", err)
		}
		seen[id] = true
	}
	return seen, wrap("client ids", rows.Err())
}

// RecordEvents returns up to limit events of a record's history, oldest
// first.
func (s *Store) RecordEvents(typ, id string, limit int) ([]store.Event, error) {
	if limit <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(bg, `SELECT name, at, props FROM wf_events WHERE type = $1 AND id = $2 ORDER BY at, name, hash LIMIT $3`, typ, id, limit)
	if err != nil {
		return nil, wrap("events", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.Event, error) {
		e := store.Event{Type: typ, ID: id}
		err := r.Scan(&e.Name, &e.At, &e.Props)
		e.At = e.At.UTC()
		return e, err
	})
	return out, wrap("events", err)
}

// compactChunk bounds the deletions of one Compact statement (each its own
// transaction), as in the bbolt store.
const compactChunk = 10000

// Compact deletes the action log entries recorded before logBefore and
// the client ids recorded before clientIDsBefore (a zero time deletes none
// of that kind), oldest first through their time indexes, compactChunk per
// transaction, and says how many it deleted.
func (s *Store) Compact(logBefore, clientIDsBefore time.Time) (store.Compacted, error) {
	var out store.Compacted
	chunks := func(sql string, before time.Time, n *int) error {
		if before.IsZero() {
			return nil
		}
		for {
			tag, err := s.pool.Exec(bg, sql, before, compactChunk)
			if err != nil {
				return wrap("compact", err)
			}
			*n += int(tag.RowsAffected())
			if tag.RowsAffected() < compactChunk {
				return nil
			}
		}
	}
	if err := chunks(`DELETE FROM wf_log WHERE seq IN (SELECT seq FROM wf_log WHERE at < $1 ORDER BY at LIMIT $2)`, logBefore, &out.Log); err != nil {
		return out, err
	}
	err := chunks(`DELETE FROM wf_client_ids WHERE id IN (SELECT id FROM wf_client_ids WHERE at < $1 ORDER BY at LIMIT $2)`, clientIDsBefore, &out.ClientIDs)
	return out, err
}

func int16s(parts []int) []int16 {
	out := make([]int16, len(parts))
	for i, p := range parts {
		out[i] = int16(p)
	}
	return out
}
