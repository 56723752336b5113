package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
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
	done chan struct{}
	dec  *ingest.Decoder
	prog *bytecode.Program
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
}

func newFront(c *Cluster) *front {
	return &front{c: c, reqs: make(chan *acceptReq, 1024), done: make(chan struct{})}
}

func (f *front) close() {}

// version returns the cluster's current program with its decoder and an
// engine without records for computing incoming webhooks' keys.
func (f *front) version() (*bytecode.Program, *ingest.Decoder, *engine.Engine) {
	prog := f.c.Program()
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	if f.prog != prog {
		eng, err := engine.New(prog, engine.Options{})
		if err != nil { // cannot happen for a program the nodes loaded
			eng = nil
		}
		f.prog, f.dec, f.hook = prog, ingest.NewDecoder(prog), eng
	}
	return f.prog, f.dec, f.hook
}

// Ingest decodes data (one change, a JSON array, or JSON Lines) against
// the current version, and queues every change that decodes for its
// partition's owner; it returns once they are committed to the inbox,
// with one Item per change in input order: "accepted", "duplicate" (its
// client id was accepted before) or "error".
func (c *Cluster) Ingest(data []byte) ([]server.Item, error) {
	prog, dec, hookEng := c.front.version()
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
		rows = append(rows, inboxRow{part: store.Partition(prog.Types[ch.Type].Name, id), clientID: ch.ClientID, data: raw})
		lines = append(lines, it)
	}
	if len(rows) > 0 {
		r := &acceptReq{rows: rows, out: make(chan acceptResult, 1)}
		select {
		case c.front.reqs <- r:
		case <-c.ctx.Done():
			return nil, server.ErrStopped
		}
		res := <-r.out
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
	for {
		var group []*acceptReq
		select {
		case <-f.c.ctx.Done():
			return
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
				copyRows = append(copyRows, []any{int16(row.part), row.data})
				parts[row.part] = true
			}
		}
		if len(copyRows) == 0 {
			return nil
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{"wf_inbox"}, []string{"part", "data"}, pgx.CopyFromRows(copyRows)); err != nil {
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

// inboxBatch bounds the inbox rows one round of the pump applies.
const inboxBatch = 16384

// pump applies the inbox of the node's partitions: each round reads the
// oldest rows of every owned partition in one query and hands each
// partition its rows, in sequence order, all partitions at once (their
// commits merge in the committer). It runs until the node stops.
func (c *Cluster) pump() {
	defer c.wg.Done()
	t := time.NewTicker(c.opts.Poll)
	defer t.Stop()
	for {
		n, err := c.pumpOnce()
		if err != nil && c.ctx.Err() == nil {
			c.log.Warn("applying the inbox", "err", err)
		}
		if n == inboxBatch {
			continue // more may be waiting
		}
		select {
		case <-c.ctx.Done():
			return
		case <-c.wake:
		case <-t.C:
		}
	}
}

// pumpOnce applies one round of the inbox and says how many rows it read.
func (c *Cluster) pumpOnce() (int, error) {
	c.mu.Lock()
	owned := make(map[int]*partition, len(c.parts))
	parts := make([]int32, 0, len(c.parts))
	for p, pt := range c.parts {
		owned[p] = pt
		parts = append(parts, int32(p))
	}
	c.mu.Unlock()
	if len(parts) == 0 {
		return 0, nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	rows, err := c.db.Pool().Query(ctx, `SELECT part, seq, data FROM wf_inbox WHERE part = ANY($1) ORDER BY seq LIMIT $2`, parts, inboxBatch)
	if err != nil {
		return 0, err
	}
	todo := map[int]*work{}
	n := 0
	for rows.Next() {
		var part int16
		var seq int64
		var d []byte
		if err := rows.Scan(&part, &seq, &d); err != nil {
			rows.Close()
			return 0, err
		}
		w := todo[int(part)]
		if w == nil {
			w = &work{}
			todo[int(part)] = w
		}
		w.add(seq, d)
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	var wg sync.WaitGroup
	for p, w := range todo {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, sg := range w.segs {
				if !c.apply(owned[p], sg) {
					return // the partition stopped: the rest stays for its next owner
				}
			}
		}()
	}
	wg.Wait()
	return n, nil
}

// work is one partition's share of a pump round: runs of changes, each
// applied in one call, and the manual enrollments between them.
type work struct {
	segs []segment
}

type segment struct {
	seqs   []int64
	data   bytes.Buffer // JSON Lines of changes
	enroll *enrollRow   // or a manual enrollment
}

// enrollOp marks an inbox row that is a manual enrollment, not a change.
const enrollOp = "wf.enroll"

type enrollRow struct {
	Op       string `json:"op"`
	Workflow string `json:"workflow"`
	Type     string `json:"type"`
	ID       string `json:"id"`
}

func (w *work) add(seq int64, d []byte) {
	d = bytes.TrimSpace(d)
	if bytes.HasPrefix(d, []byte(`{"op":"`+enrollOp+`"`)) {
		var e enrollRow
		if json.Unmarshal(d, &e) == nil {
			w.segs = append(w.segs, segment{seqs: []int64{seq}, enroll: &e})
			return
		}
	}
	if len(w.segs) == 0 || w.segs[len(w.segs)-1].enroll != nil {
		w.segs = append(w.segs, segment{})
	}
	sg := &w.segs[len(w.segs)-1]
	sg.seqs = append(sg.seqs, seq)
	sg.data.Write(d)
	sg.data.WriteByte('\n')
}

// apply applies a segment of a partition's inbox; the commit of its
// effects deletes its rows. It reports false when the partition stopped
// (its rows stay for the next owner).
func (c *Cluster) apply(pt *partition, sg segment) bool {
	consume := func() { pt.st.consume(sg.seqs) }
	if e := sg.enroll; e != nil {
		err := pt.node.EnrollThen(e.Workflow, e.Type, e.ID, consume)
		if errors.Is(err, server.ErrStopped) {
			return false
		}
		if err != nil {
			c.log.Warn("a manual enrollment failed", "partition", pt.p, "workflow", e.Workflow, "record", e.Type+"/"+e.ID, "err", err)
		}
		return true
	}
	items, err := pt.node.IngestThen(sg.data.Bytes(), consume)
	if err != nil {
		select {
		case <-pt.node.Done():
		default:
			c.log.Warn("applying the inbox", "partition", pt.p, "err", err)
		}
		return false
	}
	for _, it := range items {
		if it.Status == "error" {
			c.log.Warn("an accepted change failed to apply", "partition", pt.p, "inbox_seq", sg.seqs[it.Line-1],
				"client_id", it.ClientID, "field", it.Field, "err", it.Error)
		}
	}
	return true
}
