package pgstore

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/runtime/store"
)

// Commit applies the batch in one transaction and returns when it is
// committed (durable: see the package comment).
func (s *Store) Commit(b *store.Batch) error { return s.CommitTx(context.Background(), b, nil) }

// CommitTx applies the batch like Commit, and when extra is not nil runs
// it in the same transaction after the batch's writes and before the
// commit (for the cluster: lease fencing, consuming the inbox): an error
// from it rolls everything back and is returned. The batch's statements
// go in one round trip with the BEGIN; extra adds its own.
func (s *Store) CommitTx(ctx context.Context, b *store.Batch, extra func(ctx context.Context, tx pgx.Tx) error) error {
	ops := b.Ops()
	if len(ops) == 0 && extra == nil {
		return nil
	}
	at := b.Time()
	if at.IsZero() {
		at = time.Now()
	}
	batch := &pgx.Batch{}
	if extra != nil {
		batch.BeginTx(pgx.TxOptions{})
	}
	if err := queue(batch, plan(ops), at); err != nil {
		return err
	}
	if extra == nil {
		// One pipeline, one implicit transaction: committed when the
		// server has run it all, rolled back at the first error.
		if err := s.pool.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("pgstore: commit: %w", err)
		}
		return nil
	}
	br := s.pool.SendBatch(ctx, batch)
	tx := br.Tx()
	defer tx.Rollback(ctx) // after Commit, a no-op
	if err := br.Close(); err != nil {
		return fmt.Errorf("pgstore: commit: %w", err)
	}
	if err := extra(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("pgstore: commit: %w", err)
	}
	return nil
}

// A group is a run of writes of one kind that one statement applies.
type group struct {
	kind store.OpKind
	ops  []*store.Op
}

// plan puts the writes of a batch into groups, as few as the batch's order
// allows: a write joins the last group of its kind unless a write it does
// not commute with is in a later group. Writes to different tables
// commute; those that do not are a PutRecord or PutEnrollment and a
// DeleteRecord of the same record, and a PutTimer and a DeleteRecord or
// DeleteTimers whose prefix its key has. Applying the groups in order,
// each group's writes in theirs (a later write of a key replacing an
// earlier one), gives what applying the writes one by one would.
func plan(ops []store.Op) []group {
	p := planner{}
	for i := range p.last {
		p.last[i] = -1
	}
	for i := range ops {
		p.add(&ops[i])
	}
	return p.groups
}

type planner struct {
	groups []group
	last   [16]int // the last group of each kind, -1 when none

	// the last group holding a write of each kind for a record
	// (recordKey) or timer key; -1 when none
	recPut, recDel, enrPut map[string]int
	timerPut               map[string]int
	timerDel               map[string]int      // DeleteTimers prefixes and DeleteRecord's "type/id/"
	delLens                []int               // the lengths of timerDel's prefixes
	timerBucket            map[string][]string // timerBucket(key) → keys put
}

func recordKey(typ, id string) string { return typ + "\x00" + id }

// timerBucket is the part of a timer key (or prefix) up to its second
// slash: every key that has a prefix with two slashes is in the prefix's
// bucket. Keys with fewer slashes are in bucket "".
func timerBucket(key string) (string, bool) {
	i := strings.IndexByte(key, '/')
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(key[i+1:], '/')
	if j < 0 {
		return "", false
	}
	return key[:i+1+j+1], true
}

func lastIn(m map[string]int, k string) int {
	if i, ok := m[k]; ok {
		return i
	}
	return -1
}

func setMax(m *map[string]int, k string, g int) {
	if *m == nil {
		*m = map[string]int{}
	}
	if i, ok := (*m)[k]; !ok || g > i {
		(*m)[k] = g
	}
}

// timerPutUnder is the last group putting a timer whose key has prefix.
func (p *planner) timerPutUnder(prefix string) int {
	last := -1
	if b, ok := timerBucket(prefix); ok {
		for _, k := range p.timerBucket[b] {
			if strings.HasPrefix(k, prefix) {
				last = max(last, p.timerPut[k])
			}
		}
		return last
	}
	for k, g := range p.timerPut {
		if strings.HasPrefix(k, prefix) {
			last = max(last, g)
		}
	}
	return last
}

// timerDelOver is the last group deleting timers by a prefix of key.
func (p *planner) timerDelOver(key string) int {
	last := -1
	for _, n := range p.delLens {
		if n <= len(key) {
			last = max(last, lastIn(p.timerDel, key[:n]))
		}
	}
	return last
}

func (p *planner) addTimerDel(prefix string, g int) {
	if _, ok := p.timerDel[prefix]; !ok {
		n := len(prefix)
		found := false
		for _, m := range p.delLens {
			found = found || m == n
		}
		if !found {
			p.delLens = append(p.delLens, n)
		}
	}
	setMax(&p.timerDel, prefix, g)
}

func (p *planner) add(o *store.Op) {
	barrier := -1
	switch o.Kind {
	case store.OpPutRecord:
		barrier = lastIn(p.recDel, recordKey(o.Record.Type, o.Record.ID))
	case store.OpPutEnrollment:
		barrier = lastIn(p.recDel, recordKey(o.Enrollment.Type, o.Enrollment.ID))
	case store.OpDeleteRecord:
		rk := recordKey(o.Record.Type, o.Record.ID)
		barrier = max(lastIn(p.recPut, rk), lastIn(p.enrPut, rk), p.timerPutUnder(o.Record.Type+"/"+o.Record.ID+"/"))
	case store.OpPutTimer:
		barrier = p.timerDelOver(o.Timer.Key)
	case store.OpDeleteTimers:
		barrier = p.timerPutUnder(o.Key)
	}
	g := -1
	if int(o.Kind) < len(p.last) {
		g = p.last[o.Kind]
	}
	if g < 0 || g <= barrier {
		g = len(p.groups)
		p.groups = append(p.groups, group{kind: o.Kind})
		if int(o.Kind) < len(p.last) {
			p.last[o.Kind] = g
		}
	}
	p.groups[g].ops = append(p.groups[g].ops, o)
	switch o.Kind {
	case store.OpPutRecord:
		setMax(&p.recPut, recordKey(o.Record.Type, o.Record.ID), g)
	case store.OpPutEnrollment:
		setMax(&p.enrPut, recordKey(o.Enrollment.Type, o.Enrollment.ID), g)
	case store.OpDeleteRecord:
		setMax(&p.recDel, recordKey(o.Record.Type, o.Record.ID), g)
		p.addTimerDel(o.Record.Type+"/"+o.Record.ID+"/", g)
	case store.OpPutTimer:
		k := o.Timer.Key
		if _, ok := p.timerPut[k]; !ok {
			b, _ := timerBucket(k)
			if p.timerBucket == nil {
				p.timerBucket = map[string][]string{}
			}
			p.timerBucket[b] = append(p.timerBucket[b], k)
		}
		setMax(&p.timerPut, k, g)
	case store.OpDeleteTimers:
		p.addTimerDel(o.Key, g)
	}
}

// The statements, one per kind of write; each takes arrays, one element
// per write.
const (
	sqlPutRecords = `INSERT INTO wf_records (type, id, part, state)
SELECT * FROM unnest($1::text[], $2::text[], $3::int2[], $4::bytea[])
ON CONFLICT (type, id) DO UPDATE SET part = excluded.part, state = excluded.state`

	sqlDeleteRecords = `WITH d AS (SELECT * FROM unnest($1::text[], $2::text[]) AS d(type, id)),
r AS (DELETE FROM wf_records AS t USING d WHERE t.type = d.type AND t.id = d.id),
e AS (DELETE FROM wf_enrollments AS t USING d WHERE t.type = d.type AND t.id = d.id)
DELETE FROM wf_timers AS t USING unnest($3::text[], $4::text[]) AS p(lo, hi) WHERE t.key >= p.lo AND t.key < p.hi`

	sqlPutEnrollments = `INSERT INTO wf_enrollments (seq, type, id, part, workflow, version, step, current, state)
SELECT * FROM unnest($1::int8[], $2::text[], $3::text[], $4::int2[], $5::text[], $6::text[], $7::text[], $8::bool[], $9::bytea[])
ON CONFLICT (seq) DO UPDATE SET type = excluded.type, id = excluded.id, part = excluded.part, workflow = excluded.workflow,
	version = excluded.version, step = excluded.step, current = excluded.current, state = excluded.state`

	sqlPutTimers = `INSERT INTO wf_timers (key, part, due)
SELECT * FROM unnest($1::text[], $2::int2[], $3::timestamptz[])
ON CONFLICT (key) DO UPDATE SET part = excluded.part, due = excluded.due`

	// A prefix is the range [lo, hi) of keys; see prefixEnd.
	sqlDeleteTimers = `DELETE FROM wf_timers AS t USING unnest($1::text[], $2::text[]) AS p(lo, hi)
WHERE t.key >= p.lo AND t.key < p.hi`

	// For a prefix no string is past (such as ""): every key from it on has it.
	sqlDeleteTimersFrom = `DELETE FROM wf_timers WHERE key >= $1`

	sqlAppendLog = `INSERT INTO wf_log (workflow, record, part, at, data)
SELECT w, r, p, $4::timestamptz, d FROM unnest($1::text[], $2::text[], $3::int2[], $5::bytea[]) WITH ORDINALITY AS u(w, r, p, d, n)
ORDER BY n`

	sqlAppendOutbox = `INSERT INTO wf_outbox (data)
SELECT d FROM unnest($1::bytea[]) WITH ORDINALITY AS u(d, n) ORDER BY n`

	sqlAddClientIDs = `INSERT INTO wf_client_ids (id, at)
SELECT i, $2::timestamptz FROM unnest($1::text[]) AS u(i)
ON CONFLICT (id) DO UPDATE SET at = excluded.at`

	sqlPutMeta = `INSERT INTO wf_meta (key, value)
SELECT * FROM unnest($1::text[], $2::bytea[])
ON CONFLICT (key) DO UPDATE SET value = excluded.value`

	sqlPutEvents = `INSERT INTO wf_events (type, id, part, at, name, hash, props)
SELECT * FROM unnest($1::text[], $2::text[], $3::int2[], $4::timestamptz[], $5::text[], $6::text[], $7::bytea[])
ON CONFLICT (type, id, at, name, hash) DO UPDATE SET props = excluded.props`
)

// slots gives each distinct key of a group its index in the statement's
// arrays, so a later write of a key overwrites the earlier one's elements
// (ON CONFLICT DO UPDATE may not touch a row twice in one statement).
type slots map[string]int

func (s slots) of(key string, n *int) (i int, fresh bool) {
	if i, ok := s[key]; ok {
		return i, false
	}
	s[key] = *n
	*n++
	return s[key], true
}

// queue adds a statement per group to batch (two for a group of
// DeleteTimers with a prefix no string is past).
func queue(batch *pgx.Batch, groups []group, at time.Time) error {
	for _, g := range groups {
		switch g.kind {
		case store.OpPutRecord:
			var (
				types, ids []string
				parts      []int16
				states     [][]byte
				n          int
			)
			idx := slots{}
			for _, o := range g.ops {
				r := o.Record
				if i, fresh := idx.of(recordKey(r.Type, r.ID), &n); !fresh {
					states[i] = r.State
					continue
				}
				types, ids = append(types, r.Type), append(ids, r.ID)
				parts = append(parts, int16(store.Partition(r.Type, r.ID)))
				states = append(states, r.State)
			}
			batch.Queue(sqlPutRecords, types, ids, parts, states)

		case store.OpDeleteRecord:
			var types, ids, los, his []string
			for _, o := range g.ops {
				types, ids = append(types, o.Record.Type), append(ids, o.Record.ID)
				lo := o.Record.Type + "/" + o.Record.ID + "/"
				hi, _ := prefixEnd(lo) // always: lo ends with "/"
				los, his = append(los, lo), append(his, hi)
			}
			batch.Queue(sqlDeleteRecords, types, ids, los, his)

		case store.OpPutEnrollment:
			var (
				seqs                                []int64
				types, ids, workflows, versions, st []string
				parts                               []int16
				current                             []bool
				states                              [][]byte
				n                                   int
			)
			idx := slots{}
			for _, o := range g.ops {
				e := o.Enrollment
				i, fresh := idx.of(strconv.FormatUint(e.Seq, 10), &n)
				if fresh {
					seqs, types, ids, parts = append(seqs, 0), append(types, ""), append(ids, ""), append(parts, 0)
					workflows, versions, st = append(workflows, ""), append(versions, ""), append(st, "")
					current, states = append(current, false), append(states, nil)
				}
				seqs[i], types[i], ids[i], parts[i] = int64(e.Seq), e.Type, e.ID, int16(store.Partition(e.Type, e.ID))
				workflows[i], versions[i], st[i] = e.Workflow, e.Version, e.Step
				current[i], states[i] = e.Current, e.State
			}
			batch.Queue(sqlPutEnrollments, seqs, types, ids, parts, workflows, versions, st, current, states)

		case store.OpPutTimer:
			var (
				keys  []string
				parts []int16
				dues  []time.Time
				n     int
			)
			idx := slots{}
			for _, o := range g.ops {
				t := o.Timer
				if i, fresh := idx.of(t.Key, &n); !fresh {
					dues[i] = t.Due
					continue
				}
				keys, parts, dues = append(keys, t.Key), append(parts, int16(timerPart(t.Key))), append(dues, t.Due)
			}
			batch.Queue(sqlPutTimers, keys, parts, dues)

		case store.OpDeleteTimers:
			var los, his []string
			from, unbounded := "", false
			for _, o := range g.ops {
				hi, ok := prefixEnd(o.Key)
				if !ok {
					if !unbounded || o.Key < from {
						from = o.Key
					}
					unbounded = true
					continue
				}
				los, his = append(los, o.Key), append(his, hi)
			}
			if len(los) > 0 {
				batch.Queue(sqlDeleteTimers, los, his)
			}
			if unbounded {
				batch.Queue(sqlDeleteTimersFrom, from)
			}

		case store.OpAppendLog:
			var (
				wfs, recs []string
				parts     []int16
				data      [][]byte
			)
			for _, o := range g.ops {
				e := o.Log
				typ, id, _ := strings.Cut(e.Record, "/")
				wfs, recs = append(wfs, e.Workflow), append(recs, e.Record)
				parts, data = append(parts, int16(store.Partition(typ, id))), append(data, e.Data)
			}
			batch.Queue(sqlAppendLog, wfs, recs, parts, at, data)

		case store.OpAppendOutbox:
			data := make([][]byte, len(g.ops))
			for i, o := range g.ops {
				data[i] = o.Data
			}
			batch.Queue(sqlAppendOutbox, data)

		case store.OpAddClientID:
			var ids []string
			seen := make(map[string]bool, len(g.ops))
			for _, o := range g.ops {
				if !seen[o.Key] {
					seen[o.Key] = true
					ids = append(ids, o.Key)
				}
			}
			batch.Queue(sqlAddClientIDs, ids, at)

		case store.OpPutGlobals:
			batch.Queue(sqlPutMeta, []string{"globals"}, [][]byte{g.ops[len(g.ops)-1].Data})

		case store.OpPutMeta:
			var (
				keys []string
				vals [][]byte
				n    int
			)
			idx := slots{}
			for _, o := range g.ops {
				if i, fresh := idx.of(o.Key, &n); !fresh {
					vals[i] = o.Data
					continue
				}
				keys, vals = append(keys, metaPrefix+o.Key), append(vals, o.Data)
			}
			batch.Queue(sqlPutMeta, keys, vals)

		case store.OpPutEvent:
			var (
				types, ids, names, hashes []string
				parts                     []int16
				ats                       []time.Time
				props                     [][]byte
				n                         int
			)
			idx := slots{}
			for _, o := range g.ops {
				e := o.Event
				h := store.EventHash(e.Props)
				hash := hex.EncodeToString(h[:])
				// timestamptz keeps microseconds: two times in one
				// microsecond are one key.
				k := recordKey(e.Type, e.ID) + "\x00" + strconv.FormatInt(e.At.UnixMicro(), 10) + "\x00" + e.Name + "\x00" + hash
				if i, fresh := idx.of(k, &n); !fresh {
					props[i] = e.Props
					continue
				}
				types, ids, parts = append(types, e.Type), append(ids, e.ID), append(parts, int16(store.Partition(e.Type, e.ID)))
				ats, names, hashes, props = append(ats, e.At), append(names, e.Name), append(hashes, hash), append(props, e.Props)
			}
			batch.Queue(sqlPutEvents, types, ids, parts, ats, names, hashes, props)

		default:
			return fmt.Errorf("pgstore: commit: unknown kind of write %d", g.kind)
		}
	}
	return nil
}

// metaPrefix is the wf_meta key prefix of PutMeta's keys.
const metaPrefix = "meta/"

// prefixEnd returns the least string greater than every string that has
// prefix p, in the byte order of UTF-8 (the order of the "C" collation),
// so the strings with prefix p are the range [p, end): p with its last
// character incremented, after dropping trailing U+10FFFF. ok is false
// when there is no such string (p is empty or all U+10FFFF).
func prefixEnd(p string) (end string, ok bool) {
	for p != "" {
		r, size := utf8.DecodeLastRuneInString(p)
		p = p[:len(p)-size]
		if r == unicode.MaxRune {
			continue
		}
		r++
		if r == 0xD800 { // surrogates are not characters
			r = 0xE000
		}
		return p + string(r), true
	}
	return "", false
}

// timerPart is the partition of a timer: its record's, -1 when it has
// none.
func timerPart(key string) int {
	typ, id, ok := timerRecord(key)
	if !ok {
		return -1
	}
	return store.Partition(typ, id)
}

// timerRecord reads the record of a timer key. The runtime's record
// timers are "type/id/enr/N/" and "type/id/date/W/T/", read from the end
// so an id may hold slashes; other keys of the form "type/id/…" are read
// up to their second slash. "sched/…" and keys with fewer than two slashes
// belong to no record.
func timerRecord(key string) (typ, id string, ok bool) {
	if strings.HasPrefix(key, "sched/") {
		return "", "", false
	}
	typ, rest, ok := strings.Cut(key, "/")
	if !ok {
		return "", "", false
	}
	if s, ok := strings.CutSuffix(rest, "/"); ok {
		if s, ok := cutNumber(s); ok {
			if id, ok := strings.CutSuffix(s, "/enr"); ok {
				return typ, id, true
			}
			if i := strings.LastIndexByte(s, '/'); i >= 0 {
				if id, ok := strings.CutSuffix(s[:i], "/date"); ok {
					return typ, id, true
				}
			}
		}
	}
	if id, _, ok = strings.Cut(rest, "/"); !ok {
		return "", "", false
	}
	return typ, id, true
}

// cutNumber cuts "/digits" off the end of s.
func cutNumber(s string) (string, bool) {
	i := strings.LastIndexByte(s, '/')
	if i < 0 || i == len(s)-1 {
		return "", false
	}
	for _, c := range s[i+1:] {
		if c < '0' || c > '9' {
			return "", false
		}
	}
	return s[:i], true
}
