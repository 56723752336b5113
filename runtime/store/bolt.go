package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The buckets of the embedded store and what their keys are. rkey is
// "type\x00id"; seq8 an 8-byte big-endian number; due8 a due time as
// big-endian Unix nanoseconds, so byte order is time order.
var (
	bMeta       = []byte("meta")        // "schema" → version; "globals" → JSON; "m:"+key → PutMeta data
	bRecords    = []byte("records")     // rkey → state
	bEnroll     = []byte("enrollments") // rkey \x00 seq8 → encoded Enrollment
	bEnrollStep = []byte("enroll_step") // workflow \x00 step \x00 rkey \x00 seq8 → nil, current only
	bTimers     = []byte("timers")      // due8 key → nil
	bTimerKeys  = []byte("timer_keys")  // key → due8
	bLog        = []byte("log")         // workflow \x00 seq8 → record \x00 data
	bLogRecord  = []byte("log_record")  // rkey \x00 seq8 → workflow
	bOutbox     = []byte("outbox")      // seq8 → data
	bClients    = []byte("client_ids")  // client id → commit time (Unix ms)
	bEvents     = []byte("events")      // rkey \x00 at8 \x00 name \x00 sha8(props) → props
	bLogTime    = []byte("log_time")    // time8 seq8 → workflow \x00 record: the log in the order it was recorded, for retention
)

// migrations[i] takes the schema from version i to i+1.
var migrations = []func(tx *bolt.Tx) error{
	func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bRecords, bEnroll, bEnrollStep, bTimers, bTimerKeys, bLog, bLogRecord, bOutbox, bClients} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	},
	// 2: the log's time index. Entries written before it are indexed at
	// the time of the migration: retention keeps them longer, never less.
	func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(bEvents); err != nil {
			return err
		}
		lt, err := tx.CreateBucketIfNotExists(bLogTime)
		if err != nil {
			return err
		}
		now := u64(uint64(time.Now().UnixNano()))
		return tx.Bucket(bLog).ForEach(func(k, v []byte) error {
			wf, seq := k[:len(k)-9], k[len(k)-8:]
			rec, _, _ := bytes.Cut(v, []byte{0})
			return lt.Put(append(bytes.Clone(now), seq...), join(wf, rec))
		})
	},
}

// Bolt is the embedded Store.
type Bolt struct {
	db *bolt.DB
}

// FileName is the database file Open keeps in the data directory.
const FileName = "wf.db"

// Open opens (creating it and dir if need be) the embedded store in dir
// and migrates its schema to SchemaVersion. Only one process may have it
// open: a second Open fails after a second.
func Open(dir string) (*Bolt, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	db, err := bolt.Open(filepath.Join(dir, FileName), 0o644, &bolt.Options{
		Timeout:        time.Second,
		NoFreelistSync: true,
		FreelistType:   bolt.FreelistMapType,
	})
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	s := &Bolt{db: db}
	if err := s.migrate(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func (s *Bolt) migrate() error {
	var version uint64
	err := s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists(bMeta)
		if err != nil {
			return err
		}
		if v := meta.Get([]byte("schema")); v != nil {
			version = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if version > SchemaVersion {
		return fmt.Errorf("store: the database has schema version %d; this wf knows up to %d", version, SchemaVersion)
	}
	for ; version < SchemaVersion; version++ {
		err := s.db.Update(func(tx *bolt.Tx) error {
			if err := migrations[version](tx); err != nil {
				return err
			}
			return tx.Bucket(bMeta).Put([]byte("schema"), u64(version+1))
		})
		if err != nil {
			return fmt.Errorf("store: migrating to schema version %d: %w", version+1, err)
		}
	}
	return nil
}

// Schema returns the schema version of the open database.
func (s *Bolt) Schema() (uint64, error) {
	var v uint64
	err := s.db.View(func(tx *bolt.Tx) error {
		v = binary.BigEndian.Uint64(tx.Bucket(bMeta).Get([]byte("schema")))
		return nil
	})
	return v, err
}

// Close closes the database.
func (s *Bolt) Close() error { return s.db.Close() }

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

func join(parts ...[]byte) []byte { return bytes.Join(parts, []byte{0}) }

func rkey(typ, id string) []byte { return join([]byte(typ), []byte(id)) }

func dueKey(t time.Time, key string) []byte {
	return append(u64(uint64(t.UnixNano())), key...)
}

// Commit applies the batch in one update transaction; bbolt fsyncs it
// before returning.
func (s *Bolt) Commit(b *Batch) error {
	if len(b.ops) == 0 {
		return nil
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		at := b.at
		if at.IsZero() {
			at = time.Now()
		}
		now := u64(uint64(at.UnixMilli()))
		for i := range b.ops {
			o := &b.ops[i]
			var err error
			switch o.Kind {
			case OpPutRecord:
				err = tx.Bucket(bRecords).Put(rkey(o.Record.Type, o.Record.ID), o.Record.State)
			case OpDeleteRecord:
				err = deleteRecord(tx, o.Record.Type, o.Record.ID)
			case OpPutEnrollment:
				err = putEnrollment(tx, o.Enrollment)
			case OpPutTimer:
				err = putTimer(tx, o.Timer)
			case OpDeleteTimers:
				err = deleteTimers(tx, o.Key)
			case OpAppendLog:
				err = appendLog(tx, o.Log, at)
			case OpAppendOutbox:
				out := tx.Bucket(bOutbox)
				seq, _ := out.NextSequence()
				err = out.Put(u64(seq), o.Data)
			case OpAddClientID:
				err = tx.Bucket(bClients).Put([]byte(o.Key), now)
			case OpPutGlobals:
				err = tx.Bucket(bMeta).Put([]byte("globals"), o.Data)
			case OpPutEvent:
				err = tx.Bucket(bEvents).Put(eventKey(o.Event), o.Event.Props)
			case OpPutMeta:
				err = tx.Bucket(bMeta).Put([]byte("m:"+o.Key), o.Data)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func deleteRecord(tx *bolt.Tx, typ, id string) error {
	if err := tx.Bucket(bRecords).Delete(rkey(typ, id)); err != nil {
		return err
	}
	prefix := append(rkey(typ, id), 0)
	c := tx.Bucket(bEnroll).Cursor()
	var keys [][]byte
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		keys = append(keys, append([]byte(nil), k...))
		if old, err := decodeEnrollment(k, v); err == nil && old.Current {
			if err := tx.Bucket(bEnrollStep).Delete(stepKey(old)); err != nil {
				return err
			}
		}
	}
	for _, k := range keys {
		if err := tx.Bucket(bEnroll).Delete(k); err != nil {
			return err
		}
	}
	return deleteTimers(tx, typ+"/"+id+"/")
}

func enrollKey(e Enrollment) []byte { return append(append(rkey(e.Type, e.ID), 0), u64(e.Seq)...) }

func stepKey(e Enrollment) []byte {
	return append(append(join([]byte(e.Workflow), []byte(e.Step), []byte(e.Type), []byte(e.ID)), 0), u64(e.Seq)...)
}

func putEnrollment(tx *bolt.Tx, e Enrollment) error {
	b, idx := tx.Bucket(bEnroll), tx.Bucket(bEnrollStep)
	k := enrollKey(e)
	if v := b.Get(k); v != nil {
		if old, err := decodeEnrollment(k, v); err == nil && old.Current {
			if err := idx.Delete(stepKey(old)); err != nil {
				return err
			}
		}
	}
	if e.Current {
		if err := idx.Put(stepKey(e), nil); err != nil {
			return err
		}
	}
	return b.Put(k, encodeEnrollment(e))
}

// encodeEnrollment writes the indexed fields as length-prefixed strings,
// a current flag, then the state.
func encodeEnrollment(e Enrollment) []byte {
	var buf []byte
	for _, s := range []string{e.Workflow, e.Version, e.Step} {
		buf = binary.AppendUvarint(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	cur := byte(0)
	if e.Current {
		cur = 1
	}
	buf = append(buf, cur)
	return append(buf, e.State...)
}

func decodeEnrollment(k, v []byte) (Enrollment, error) {
	var e Enrollment
	if len(k) < 10 {
		return e, errors.New("store: bad enrollment key")
	}
	parts := bytes.SplitN(k[:len(k)-9], []byte{0}, 2)
	if len(parts) != 2 {
		return e, errors.New("store: bad enrollment key")
	}
	e.Type, e.ID, e.Seq = string(parts[0]), string(parts[1]), binary.BigEndian.Uint64(k[len(k)-8:])
	for _, dst := range []*string{&e.Workflow, &e.Version, &e.Step} {
		n, w := binary.Uvarint(v)
		if w <= 0 || uint64(len(v)-w) < n {
			return e, errors.New("store: bad enrollment value")
		}
		*dst = string(v[w : w+int(n)])
		v = v[w+int(n):]
	}
	if len(v) < 1 {
		return e, errors.New("store: bad enrollment value")
	}
	e.Current = v[0] == 1
	e.State = append([]byte(nil), v[1:]...)
	return e, nil
}

func putTimer(tx *bolt.Tx, t Timer) error {
	keys, timers := tx.Bucket(bTimerKeys), tx.Bucket(bTimers)
	if old := keys.Get([]byte(t.Key)); old != nil {
		if err := timers.Delete(append(append([]byte(nil), old...), t.Key...)); err != nil {
			return err
		}
	}
	k := dueKey(t.Due, t.Key)
	if err := timers.Put(k, nil); err != nil {
		return err
	}
	return keys.Put([]byte(t.Key), k[:8])
}

func deleteTimers(tx *bolt.Tx, prefix string) error {
	keys, timers := tx.Bucket(bTimerKeys), tx.Bucket(bTimers)
	c := keys.Cursor()
	var del [][]byte
	for k, v := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, v = c.Next() {
		del = append(del, append([]byte(nil), k...))
		if err := timers.Delete(append(append([]byte(nil), v...), k...)); err != nil {
			return err
		}
	}
	for _, k := range del {
		if err := keys.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

func appendLog(tx *bolt.Tx, e LogEntry, at time.Time) error {
	log := tx.Bucket(bLog)
	seq, err := log.NextSequence()
	if err != nil {
		return err
	}
	if err := log.Put(append(append([]byte(e.Workflow), 0), u64(seq)...), join([]byte(e.Record), e.Data)); err != nil {
		return err
	}
	if err := tx.Bucket(bLogTime).Put(append(u64(uint64(at.UnixNano())), u64(seq)...), join([]byte(e.Workflow), []byte(e.Record))); err != nil {
		return err
	}
	return tx.Bucket(bLogRecord).Put(append(append([]byte(e.Record), 0), u64(seq)...), []byte(e.Workflow))
}

func eventKey(e Event) []byte {
	h := EventHash(e.Props)
	return join(rkey(e.Type, e.ID), u64(uint64(e.At.UnixNano())), []byte(e.Name), h[:])
}

// EventHash is the hash of an event's properties (the first 8 bytes of
// their SHA-256) that keys it in the event history with its record, time
// and name, so writing the same occurrence twice keeps one. Every Store
// keys events by it.
func EventHash(props []byte) [8]byte {
	h := sha256.Sum256(props)
	return [8]byte(h[:8])
}

// RecordEvents returns a record's event history, oldest first.
func (s *Bolt) RecordEvents(typ, id string, limit int) ([]Event, error) {
	var out []Event
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append(rkey(typ, id), 0)
		c := tx.Bucket(bEvents).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			rest := k[len(prefix):]
			at := time.Unix(0, int64(binary.BigEndian.Uint64(rest[:8]))).UTC()
			name := rest[9 : len(rest)-9]
			out = append(out, Event{Type: typ, ID: id, Name: string(name), At: at, Props: bytes.Clone(v)})
		}
		return nil
	})
	return out, err
}

// Meta returns what PutMeta wrote under key.
func (s *Bolt) Meta(key string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bMeta).Get([]byte("m:" + key)))
		return nil
	})
	return out, err
}

// compactChunk bounds the deletions of one Compact transaction, so
// compaction never holds the writer long nor grows one huge transaction.
const compactChunk = 10000

// Compact deletes old action log entries (with their record index) through
// the time index, oldest first, and old client ids by a scan of their
// bucket, compactChunk deletions per transaction. bbolt reuses the freed
// pages for new writes; the file does not shrink, it stops growing.
func (s *Bolt) Compact(logBefore, clientIDsBefore time.Time) (Compacted, error) {
	var out Compacted
	if !logBefore.IsZero() {
		cut := u64(uint64(logBefore.UnixNano()))
		for {
			n := 0
			err := s.db.Update(func(tx *bolt.Tx) error {
				c := tx.Bucket(bLogTime).Cursor()
				log, byRec := tx.Bucket(bLog), tx.Bucket(bLogRecord)
				for k, v := c.First(); k != nil && bytes.Compare(k[:8], cut) < 0 && n < compactChunk; k, v = c.First() {
					seq := bytes.Clone(k[8:16])
					wf, rec, _ := bytes.Cut(v, []byte{0})
					if err := log.Delete(append(append(bytes.Clone(wf), 0), seq...)); err != nil {
						return err
					}
					if err := byRec.Delete(append(append(bytes.Clone(rec), 0), seq...)); err != nil {
						return err
					}
					if err := c.Delete(); err != nil {
						return err
					}
					n++
				}
				return nil
			})
			out.Log += n
			if err != nil || n < compactChunk {
				if err != nil {
					return out, err
				}
				break
			}
		}
	}
	if !clientIDsBefore.IsZero() {
		cut := uint64(clientIDsBefore.UnixMilli())
		var from []byte
		for {
			var old [][]byte
			var next []byte
			err := s.db.View(func(tx *bolt.Tx) error {
				c := tx.Bucket(bClients).Cursor()
				k, v := c.First()
				if from != nil {
					k, v = c.Seek(from)
				}
				for ; k != nil && len(old) < compactChunk; k, v = c.Next() {
					if len(v) == 8 && binary.BigEndian.Uint64(v) < cut {
						old = append(old, bytes.Clone(k))
					}
				}
				if k != nil {
					next = bytes.Clone(k)
				}
				return nil
			})
			if err == nil && len(old) > 0 {
				err = s.db.Update(func(tx *bolt.Tx) error {
					b := tx.Bucket(bClients)
					for _, k := range old {
						if err := b.Delete(k); err != nil {
							return err
						}
					}
					return nil
				})
			}
			if err != nil {
				return out, err
			}
			out.ClientIDs += len(old)
			if next == nil {
				break
			}
			from = next
		}
	}
	return out, nil
}

// Globals returns the engine-wide state.
func (s *Bolt) Globals() ([]byte, error) {
	var out []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		out = bytes.Clone(tx.Bucket(bMeta).Get([]byte("globals")))
		return nil
	})
	return out, err
}

// Records calls fn for every record.
func (s *Bolt) Records(fn func(Record) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bRecords).ForEach(func(k, v []byte) error {
			typ, id, _ := bytes.Cut(k, []byte{0})
			return fn(Record{Type: string(typ), ID: string(id), State: bytes.Clone(v)})
		})
	})
}

// Record returns one record.
func (s *Bolt) Record(typ, id string) (Record, bool, error) {
	var r Record
	var ok bool
	err := s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bRecords).Get(rkey(typ, id)); v != nil {
			r, ok = Record{Type: typ, ID: id, State: bytes.Clone(v)}, true
		}
		return nil
	})
	return r, ok, err
}

// Enrollments calls fn for every enrollment.
func (s *Bolt) Enrollments(fn func(Enrollment) error) error {
	return s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bEnroll).ForEach(func(k, v []byte) error {
			e, err := decodeEnrollment(k, v)
			if err != nil {
				return err
			}
			return fn(e)
		})
	})
}

// RecordEnrollments returns a record's enrollments, oldest first.
func (s *Bolt) RecordEnrollments(typ, id string) ([]Enrollment, error) {
	var out []Enrollment
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append(rkey(typ, id), 0)
		c := tx.Bucket(bEnroll).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			e, err := decodeEnrollment(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// EnrollmentsAt returns the current enrollments of a workflow at a step.
func (s *Bolt) EnrollmentsAt(workflow, step string) ([]Enrollment, error) {
	var out []Enrollment
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(workflow), 0)
		if step != "" {
			prefix = append(append(prefix, step...), 0)
		}
		enr := tx.Bucket(bEnroll)
		c := tx.Bucket(bEnrollStep).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
			parts := bytes.SplitN(k[:len(k)-9], []byte{0}, 4)
			if len(parts) != 4 {
				return errors.New("store: bad enrollment index key")
			}
			ek := append(append(join(parts[2], parts[3]), 0), k[len(k)-8:]...)
			e, err := decodeEnrollment(ek, enr.Get(ek))
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// DueTimers returns up to limit timers due at or before t.
func (s *Bolt) DueTimers(t time.Time, limit int) ([]Timer, error) {
	var out []Timer
	end := uint64(t.UnixNano())
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bTimers).Cursor()
		for k, _ := c.First(); k != nil && len(out) < limit; k, _ = c.Next() {
			due := binary.BigEndian.Uint64(k[:8])
			if due > end {
				break
			}
			out = append(out, Timer{Key: string(k[8:]), Due: time.Unix(0, int64(due))})
		}
		return nil
	})
	return out, err
}

// Log returns entries of a workflow's action log after a sequence number.
func (s *Bolt) Log(workflow string, after uint64, limit int) ([]LogEntry, error) {
	var out []LogEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := append([]byte(workflow), 0)
		c := tx.Bucket(bLog).Cursor()
		for k, v := c.Seek(append(bytes.Clone(prefix), u64(after+1)...)); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, v = c.Next() {
			out = append(out, logEntry(workflow, k, v))
		}
		return nil
	})
	return out, err
}

func logEntry(workflow string, k, v []byte) LogEntry {
	rec, data, _ := bytes.Cut(v, []byte{0})
	return LogEntry{Seq: binary.BigEndian.Uint64(k[len(k)-8:]), Workflow: workflow, Record: string(rec), Data: bytes.Clone(data)}
}

// RecordLog returns the action log entries about a record.
func (s *Bolt) RecordLog(typ, id string, limit int) ([]LogEntry, error) {
	var out []LogEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(typ + "/" + id + "\x00")
		log := tx.Bucket(bLog)
		c := tx.Bucket(bLogRecord).Cursor()
		for k, wf := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, wf = c.Next() {
			lk := append(append(bytes.Clone(wf), 0), k[len(k)-8:]...)
			if v := log.Get(lk); v != nil {
				out = append(out, logEntry(string(wf), lk, v))
			}
		}
		return nil
	})
	return out, err
}

// Outbox returns effects after a sequence number.
func (s *Bolt) Outbox(after uint64, limit int) ([]OutboxEntry, error) {
	var out []OutboxEntry
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bOutbox).Cursor()
		for k, v := c.Seek(u64(after + 1)); k != nil && len(out) < limit; k, v = c.Next() {
			out = append(out, OutboxEntry{Seq: binary.BigEndian.Uint64(k), Data: bytes.Clone(v)})
		}
		return nil
	})
	return out, err
}

// SeenClientIDs reports which of ids were committed.
func (s *Bolt) SeenClientIDs(ids []string) (map[string]bool, error) {
	seen := map[string]bool{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bClients)
		for _, id := range ids {
			if b.Get([]byte(id)) != nil {
				seen[id] = true
			}
		}
		return nil
	})
	return seen, err
}

var _ Store = (*Bolt)(nil)
