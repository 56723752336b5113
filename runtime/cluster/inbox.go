package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

// Accepted is the status of a change the cluster has durably queued for
// its partition's owner (a single node answers "applied" instead).
const Accepted = "accepted"

// maxGroup bounds the changes one accept transaction takes.
const maxGroup = 8192

// front accepts changes into the inbox, a group of concurrent requests
// per transaction.
type front struct {
	c    *Cluster
	reqs chan *acceptReq
	done chan struct{} // closed when the loop has stopped
	dec  *ingest.Decoder
	prog *bytecode.Program
	ver  int64          // prog's wf_versions.seq
	hook *engine.Engine // an empty engine of prog: HookKey only
}

type acceptReq struct {
	rows []inboxRow
	out  chan acceptResult
}

type acceptResult struct {
	dup []bool // by row
	err error
}

type inboxRow struct {
	part     int
	clientID string
	data     []byte
	ver      int64 // the version it was accepted under
}

func newFront(c *Cluster) *front {
	return &front{c: c, reqs: make(chan *acceptReq, 1024), done: make(chan struct{})}
}

func (f *front) close() { <-f.done }

// accept hands rows to the loop and waits for their commit.
func (f *front) accept(rows []inboxRow) acceptResult {
	r := &acceptReq{rows: rows, out: make(chan acceptResult, 1)}
	select {
	case f.reqs <- r:
	case <-f.done:
		return acceptResult{err: server.ErrStopped}
	}
	select {
	case res := <-r.out:
		return res
	case <-f.done:
		select {
		case res := <-r.out: // answered as the loop stopped
			return res
		default:
			return acceptResult{err: server.ErrStopped}
		}
	}
}

// version returns the cluster's current program with its version
// number, its decoder, and an engine without records for computing
// incoming webhooks' keys.
func (f *front) version() (*bytecode.Program, int64, *ingest.Decoder, *engine.Engine) {
	f.c.mu.Lock()
	prog, ver := f.c.prog, f.c.ver
	same := f.prog == prog
	dec, hook := f.dec, f.hook
	f.c.mu.Unlock()
	if same {
		return prog, ver, dec, hook
	}
	eng, err := engine.New(prog, engine.Options{})
	if err != nil { // cannot happen for a program the nodes loaded
		eng = nil
	}
	dec = ingest.NewDecoder(prog)
	f.c.mu.Lock()
	f.prog, f.ver, f.dec, f.hook = prog, ver, dec, eng
	f.c.mu.Unlock()
	return prog, ver, dec, eng
}

// Ingest decodes data (one change, a JSON array, or JSON Lines) against
// the current version, and queues every change that decodes for its
// partition's owner; it returns once they are committed to the inbox,
// with one Item per change in input order: "accepted", "duplicate" (its
// client id was accepted before) or "error".
func (c *Cluster) Ingest(data []byte) ([]server.Item, error) {
	prog, ver, dec, hookEng := c.front.version()
	changes, err := dec.Decode(data)
	var items []server.Item
	if err != nil {
		for _, e := range err.(ingest.Errors) {
			items = append(items, server.Item{Line: e.Line, Status: "error", Field: e.Field, Error: e.Msg})
		}
	}
	// Changes that name their record by a unique value go to the
	// partition of the record the unique index says has it.
	keys := make([]*lookup, len(changes))
	var ls []lookup
	for i, ch := range changes {
		l, err := matchKey(prog, hookEng, ch)
		if err != nil || l == nil {
			continue // an error is reported below, by routable
		}
		keys[i] = l
		ls = append(ls, *l)
	}
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	found, err := c.resolve(ctx, ls)
	cancel()
	if err != nil {
		return nil, fmt.Errorf("cluster: resolving unique values: %w: %w", server.ErrUnavailable, err)
	}
	var rows []inboxRow
	var lines []server.Item
	for i, ch := range changes {
		it := server.Item{Line: ch.Line, ClientID: ch.ClientID}
		id := ch.ID
		if keys[i] != nil {
			id = found[*keys[i]]
		}
		if msg, field := routable(prog, hookEng, ch, id); msg != "" {
			it.Status, it.Error, it.Field = "error", msg, field
			it.Retry = keys[i] != nil && id == "" // the value's record may not be applied yet
			items = append(items, it)
			continue
		}
		raw := ch.Raw
		if bytes.ContainsAny(raw, "\r\n") { // one change, one inbox line
			var buf bytes.Buffer
			if err := json.Compact(&buf, raw); err == nil {
				raw = buf.Bytes()
			}
		}
		rows = append(rows, inboxRow{part: store.Partition(prog.Types[ch.Type].Name, id), clientID: ch.ClientID, data: raw, ver: ver})
		lines = append(lines, it)
	}
	if len(rows) > 0 {
		res := c.front.accept(rows)
		if res.err != nil {
			return nil, res.err
		}
		for i := range lines {
			lines[i].Status = Accepted
			if res.dup[i] {
				lines[i].Status = "duplicate"
			}
			c.metrics.Ingested(lines[i].Status)
		}
		items = append(items, lines...)
	}
	for range len(items) - len(lines) {
		c.metrics.Ingested("error")
	}
	return sortItems(items), nil
}

// matchKey is the unique value a change names its record by (an event
// with "match", an incoming webhook call), nil for a change with an id.
func matchKey(prog *bytecode.Program, hookEng *engine.Engine, ch ingest.Change) (*lookup, error) {
	switch {
	case ch.Op == ingest.Hook:
		if hookEng == nil {
			return nil, errors.New("no engine for webhook keys")
		}
		typ, slot, key, err := hookEng.HookKey(prog.Hooks[ch.Hook].Name, ch.Body)
		if err != nil {
			return nil, err
		}
		return &lookup{prog.Types[typ].Name, prog.Types[typ].Props[slot].Name, uniqueKey(key)}, nil
	case ch.Match != nil:
		t := prog.Types[ch.Type]
		return &lookup{t.Name, t.Props[ch.Match.Slot].Name, uniqueKey(ch.Match.Value)}, nil
	}
	return nil, nil
}

// routable says why a change cannot go to one partition ("" if it can);
// id is the record it names (for a change naming it by a unique value,
// the record the index has for it, "" when none).
func routable(prog *bytecode.Program, hookEng *engine.Engine, ch ingest.Change, id string) (msg, field string) {
	switch {
	case strings.ContainsRune(ch.ID, 0) || strings.ContainsRune(ch.ToID, 0):
		return "the record id contains a NUL character, which the database cannot store", "id"
	case strings.ContainsRune(ch.ClientID, 0):
		return "the client_id contains a NUL character, which the database cannot store", "client_id"
	case ch.Op == ingest.Hook:
		typ, slot, key, err := hookEng.HookKey(prog.Hooks[ch.Hook].Name, ch.Body)
		if err != nil {
			return err.Error(), "body"
		}
		if id == "" {
			return fmt.Sprintf("webhook %s: no %s has %s = %s (as of the changes applied so far); nothing was triggered",
				prog.Hooks[ch.Hook].Name, prog.Types[typ].Name, prog.Types[typ].Props[slot].Name, key.String()), "body"
		}
	case ch.Match != nil:
		if id == "" {
			t := prog.Types[ch.Type]
			return fmt.Sprintf("event %s: no %s has %s = %s (as of the changes applied so far); nothing was triggered",
				prog.Events[ch.Event].Name, t.Name, t.Props[ch.Match.Slot].Name, ch.Match.Value.String()), "match"
		}
	case ch.ID == "":
		return "the change names no record", "id"
	case ch.Op == ingest.Associate:
		from := store.Partition(prog.Types[ch.Type].Name, ch.ID)
		to := store.Partition(prog.Types[ch.ToType].Name, ch.ToID)
		if from != to {
			return fmt.Sprintf("in cluster mode both records of an association must be in one partition (%s/%s is in %d, %s/%s in %d)",
				prog.Types[ch.Type].Name, ch.ID, from, prog.Types[ch.ToType].Name, ch.ToID, to), "to_id"
		}
	}
	return "", ""
}

func sortItems(items []server.Item) []server.Item {
	// Insertion sort by line: items come in two runs already sorted.
	for i := 1; i < len(items); i++ {
		for j := i; j > 0 && items[j].Line < items[j-1].Line; j-- {
			items[j], items[j-1] = items[j-1], items[j]
		}
	}
	return items
}

// loop commits groups of accept requests.
func (f *front) loop() {
	defer f.c.wg.Done()
	defer close(f.done)
	for {
		var group []*acceptReq
		select {
		case <-f.c.ctx.Done():
			for { // answer what is queued: not accepted
				select {
				case r := <-f.reqs:
					r.out <- acceptResult{err: server.ErrStopped}
				default:
					return
				}
			}
		case r := <-f.reqs:
			group = append(group, r)
			n := len(r.rows)
		more:
			for n < maxGroup {
				select {
				case r := <-f.reqs:
					group = append(group, r)
					n += len(r.rows)
				default:
					break more
				}
			}
		}
		dups, err := f.commit(group)
		for i, r := range group {
			r.out <- acceptResult{dup: dups[i], err: err}
		}
	}
}

// commit records the group's client ids and appends its rows to the
// inbox in one transaction, and notifies the partitions' owners.
func (f *front) commit(group []*acceptReq) ([][]bool, error) {
	start := time.Now()
	dups := make([][]bool, len(group))
	var ids []string
	first := map[string][2]int{} // client id → the request and row that carry it first
	for i, r := range group {
		dups[i] = make([]bool, len(r.rows))
		for j, row := range r.rows {
			if row.clientID == "" {
				continue
			}
			if _, ok := first[row.clientID]; ok {
				dups[i][j] = true
				continue
			}
			first[row.clientID] = [2]int{i, j}
			ids = append(ids, row.clientID)
		}
	}
	ctx, cancel := context.WithTimeout(f.c.ctx, 30*time.Second)
	defer cancel()
	err := pgx.BeginFunc(ctx, f.c.db.Pool(), func(tx pgx.Tx) error {
		if len(ids) > 0 {
			rows, err := tx.Query(ctx, `INSERT INTO wf_client_ids (id, at) SELECT unnest($1::text[]), now() ON CONFLICT (id) DO NOTHING RETURNING id`, ids)
			if err != nil {
				return err
			}
			fresh, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				return err
			}
			isNew := make(map[string]bool, len(fresh))
			for _, id := range fresh {
				isNew[id] = true
			}
			for _, id := range ids {
				if !isNew[id] {
					at := first[id]
					dups[at[0]][at[1]] = true
				}
			}
		}
		var copyRows [][]any
		parts := map[int]bool{}
		for i, r := range group {
			for j, row := range r.rows {
				if dups[i][j] {
					continue
				}
				copyRows = append(copyRows, []any{int16(row.part), row.data, row.ver})
				parts[row.part] = true
			}
		}
		if len(copyRows) == 0 {
			return nil
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"wf_inbox"}, []string{"part", "data", "ver"}, pgx.CopyFromRows(copyRows)); err != nil {
			return err
		}
		var b pgx.Batch
		for p := range parts {
			b.Queue(`SELECT pg_notify('wf_inbox', $1)`, strconv.Itoa(p))
		}
		return tx.SendBatch(ctx, &b).Close()
	})
	f.c.metrics.ObserveCommit(time.Since(start))
	if err != nil {
		return dups, fmt.Errorf("cluster: accepting changes: %w: %w", server.ErrUnavailable, err)
	}
	return dups, nil
}

// partBatch bounds the inbox rows of one partition a round of the pump
// applies, so that no partition's backlog starves the others.
const partBatch = 2048

// pump applies the inbox of the node's partitions: each round reads the
// oldest rows of every owned partition in one query and hands each
// partition its rows, in sequence order, all partitions at once (their
// commits merge in the committer). It runs until the node stops.
func (c *Cluster) pump() {
	defer c.wg.Done()
	t := time.NewTicker(c.opts.Poll)
	defer t.Stop()
	for {
		more, err := c.pumpOnce()
		if err != nil && c.ctx.Err() == nil {
			c.log.Warn("applying the inbox", "err", err)
		}
		if more && err == nil {
			continue
		}
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		case <-t.C:
		}
	}
}

// pumpOnce applies one round of the inbox. It reports whether a
// partition applied a full batch (more may be waiting).
func (c *Cluster) pumpOnce() (more bool, err error) {
	c.mu.Lock()
	owned := make(map[int]*partition, len(c.parts))
	parts := make([]int32, 0, len(c.parts))
	for p, pt := range c.parts {
		owned[p] = pt
		parts = append(parts, int32(p))
	}
	c.mu.Unlock()
	if len(parts) == 0 {
		return false, nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	rows, err := c.db.Pool().Query(ctx, `SELECT i.part, i.seq, i.data, i.ver FROM unnest($1::int[]) AS o(part)
		CROSS JOIN LATERAL (SELECT part, seq, data, ver FROM wf_inbox WHERE part = o.part ORDER BY seq LIMIT $2) i`, parts, partBatch)
	if err != nil {
		return false, err
	}
	todo := map[int]*work{}
	for rows.Next() {
		var part int16
		var seq, ver int64
		var d []byte
		if err := rows.Scan(&part, &seq, &d, &ver); err != nil {
			rows.Close()
			return false, err
		}
		w := todo[int(part)]
		if w == nil {
			w = &work{}
			todo[int(part)] = w
		}
		w.add(seq, ver, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	behind := false
	for p, w := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pt := owned[p]
			n := 0
			for _, sg := range w.segs {
				if sg.ver > pt.ver.Load() {
					// Accepted under a version this partition has not
					// loaded yet: it waits (the rows stay) until it has.
					mu.Lock()
					behind = true
					mu.Unlock()
					return
				}
				if !c.apply(pt, sg) {
					return // the partition stopped: the rest stays for its next owner
				}
				n += len(sg.seqs)
			}
			if n == partBatch {
				mu.Lock()
				more = true
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if behind {
		go c.checkVersion() // catches up if the notification was missed
	}
	return more, nil
}

// work is one partition's share of a pump round: runs of changes accepted
// under one version, each applied in one call, and the manual
// enrollments between them.
type work struct {
	segs []segment
}

type segment struct {
	seqs   []int64
	lines  [][]byte   // the changes, one JSON line each
	ver    int64      // the version they were accepted under
	enroll *enrollRow // or a manual enrollment
}

// enrollOp marks an inbox row that is a manual enrollment, not a change.
const enrollOp = "wf.enroll"

type enrollRow struct {
	Op       string `json:"op"`
	Workflow string `json:"workflow"`
	Type     string `json:"type"`
	ID       string `json:"id"`
}

func (w *work) add(seq, ver int64, d []byte) {
	d = bytes.TrimSpace(d)
	if bytes.HasPrefix(d, []byte(`{"op":"`+enrollOp+`"`)) {
		var e enrollRow
		if json.Unmarshal(d, &e) == nil {
			w.segs = append(w.segs, segment{seqs: []int64{seq}, ver: ver, enroll: &e})
			return
		}
	}
	if n := len(w.segs); n == 0 || w.segs[n-1].enroll != nil || w.segs[n-1].ver != ver {
		w.segs = append(w.segs, segment{ver: ver})
	}
	sg := &w.segs[len(w.segs)-1]
	sg.seqs = append(sg.seqs, seq)
	sg.lines = append(sg.lines, d)
}

// apply applies a segment of a partition's inbox; the commit of its
// effects deletes its rows, and keeps a change that failed to apply in
// wf_dead with the reason (it was accepted: it is not dropped). It
// reports false when the partition stopped (its rows stay for the next
// owner).
func (c *Cluster) apply(pt *partition, sg segment) bool {
	if e := sg.enroll; e != nil {
		err := pt.node.EnrollThen(e.Workflow, e.Type, e.ID, func() { pt.st.consume(sg.seqs) })
		if errors.Is(err, server.ErrStopped) {
			return false
		}
		if err != nil {
			c.log.Warn("a manual enrollment failed", "partition", pt.p, "workflow", e.Workflow, "record", e.Type+"/"+e.ID, "err", err)
		}
		return true
	}
	data := bytes.Join(sg.lines, []byte("\n"))
	_, err := pt.node.IngestThen(data, func(items []server.Item) {
		pt.st.consume(sg.seqs)
		for _, it := range items {
			if it.Status == "error" && it.Line >= 1 && it.Line <= len(sg.seqs) {
				msg := it.Error
				if it.Field != "" {
					msg = it.Field + ": " + msg
				}
				pt.st.deadLetter(deadRow{seq: sg.seqs[it.Line-1], data: sg.lines[it.Line-1], err: msg})
				c.log.Warn("an accepted change failed to apply; kept in wf_dead", "partition", pt.p, "inbox_seq", sg.seqs[it.Line-1],
					"client_id", it.ClientID, "err", msg)
			}
		}
	})
	if err != nil {
		select {
		case <-pt.node.Done():
		default:
			c.log.Warn("applying the inbox", "partition", pt.p, "err", err)
		}
		return false
	}
	return true
}
