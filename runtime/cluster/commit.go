package cluster

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/runtime/store"
)

// The committer merges the commits of a node's partitions that arrive
// together into one transaction (group commit across partitions): the
// partitions' loops commit independently, and without it each would pay
// a transaction and a WAL flush of its own. A merged transaction checks
// every partition's fence first; when some lease is lost, the whole
// transaction is rolled back, those partitions' commits fail with
// errLeaseLost and the others are retried at once without them, so one
// lost lease never stops another partition.

type commitReq struct {
	b        *store.Batch
	part     int
	epoch    int64
	consumed []int64
	dead     []deadRow
	unique   uniqueWrites
	done     chan error
}

var errCommitterStopped = errors.New("cluster: the node has stopped; nothing was committed")

// maxMerge bounds the writes one merged transaction takes.
const maxMerge = 50000

type committer struct {
	c    *Cluster
	reqs chan *commitReq
	quit chan struct{} // closed by Close once every partition has stopped
	done chan struct{}
}

func newCommitter(c *Cluster) *committer {
	return &committer{c: c, reqs: make(chan *commitReq, store.Partitions), quit: make(chan struct{}), done: make(chan struct{})}
}

// close stops the committer after the commits already handed to it.
func (m *committer) close() {
	close(m.quit)
	<-m.done
}

// commit hands a partition's batch to the committer and waits for it.
func (m *committer) commit(r *commitReq) error {
	r.done = make(chan error, 1)
	select {
	case m.reqs <- r:
	case <-m.done:
		return errCommitterStopped
	}
	select {
	case err := <-r.done:
		return err
	case <-m.done:
		select {
		case err := <-r.done: // answered as the loop stopped
			return err
		default:
			return errCommitterStopped
		}
	}
}

func (m *committer) loop() {
	defer close(m.done)
	for {
		var group []*commitReq
		select {
		case <-m.quit:
			for {
				select {
				case r := <-m.reqs:
					m.run([]*commitReq{r})
				default:
					return
				}
			}
		case r := <-m.reqs:
			group = append(group, r)
			n := r.b.Len()
		more:
			for n < maxMerge {
				select {
				case r := <-m.reqs:
					group = append(group, r)
					n += r.b.Len()
				default:
					break more
				}
			}
		}
		m.run(group)
	}
}

// run commits a group, retrying without the partitions whose lease is
// lost, and answers each request. When the merged transaction fails for
// another reason, each request is tried alone, so that one partition's
// bad write (or a transient error) fails only that partition.
func (m *committer) run(group []*commitReq) {
	for len(group) > 0 {
		lost, err := m.try(group)
		if len(lost) == 0 {
			if err != nil && len(group) > 1 {
				for _, r := range group {
					m.run([]*commitReq{r})
				}
				return
			}
			for _, r := range group {
				r.done <- err
			}
			return
		}
		var rest []*commitReq
		for _, r := range group {
			if lost[[2]int64{int64(r.part), r.epoch}] {
				r.done <- errLeaseLost
			} else {
				rest = append(rest, r)
			}
		}
		group = rest
	}
}

// fenceError says which partitions' fences failed, by partition and epoch.
type fenceError struct{ lost map[[2]int64]bool }

func (e *fenceError) Error() string { return errLeaseLost.Error() }
func (e *fenceError) Unwrap() error { return errLeaseLost }

// try commits the group in one transaction. When fences fail it commits
// nothing and returns the partitions (and epochs) that lost their lease.
func (m *committer) try(group []*commitReq) (map[[2]int64]bool, error) {
	var deadParts []int16
	var (
		all      store.Batch
		parts    []int32
		epochs   []int64
		consumed []int64
		dead     []deadRow
		unique   uniqueWrites
	)
	all.SetTime(group[0].b.Time())
	for _, r := range group {
		for _, op := range r.b.Ops() {
			all.Add(op)
		}
		parts = append(parts, int32(r.part))
		epochs = append(epochs, r.epoch)
		consumed = append(consumed, r.consumed...)
		for _, d := range r.dead {
			dead = append(dead, d)
			deadParts = append(deadParts, int16(r.part))
		}
		unique.records = append(unique.records, r.unique.records...)
		unique.rows = append(unique.rows, r.unique.rows...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := m.c.db.CommitTx(ctx, &all, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE wf_leases l SET owner = owner
			FROM unnest($2::int[], $3::bigint[]) AS f(part, epoch)
			WHERE l.part = f.part AND l.epoch = f.epoch AND l.owner = $1 AND l.expires > now() RETURNING l.part, l.epoch`,
			m.c.id, parts, epochs)
		if err != nil {
			return err
		}
		type held struct {
			Part  int32
			Epoch int64
		}
		ok, err := pgx.CollectRows(rows, pgx.RowToStructByPos[held])
		if err != nil {
			return err
		}
		if len(ok) != len(parts) {
			have := map[[2]int64]bool{}
			for _, h := range ok {
				have[[2]int64{int64(h.Part), h.Epoch}] = true
			}
			lost := map[[2]int64]bool{}
			for i, p := range parts {
				if k := [2]int64{int64(p), epochs[i]}; !have[k] {
					lost[k] = true
				}
			}
			return &fenceError{lost: lost}
		}
		if len(dead) > 0 {
			var seqs []int64
			var datas [][]byte
			var errs []string
			for _, d := range dead {
				seqs, datas, errs = append(seqs, d.seq), append(datas, d.data), append(errs, d.err)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO wf_dead (seq, part, data, error)
				SELECT * FROM unnest($1::bigint[], $2::smallint[], $3::bytea[], $4::text[]) ON CONFLICT (seq) DO NOTHING`,
				seqs, deadParts, datas, errs); err != nil {
				return err
			}
		}
		if len(consumed) > 0 {
			if _, err := tx.Exec(ctx, `DELETE FROM wf_inbox WHERE seq = ANY($1)`, consumed); err != nil {
				return err
			}
		}
		return unique.write(ctx, tx)
	})
	var fe *fenceError
	if errors.As(err, &fe) {
		return fe.lost, err
	}
	return nil, err
}
