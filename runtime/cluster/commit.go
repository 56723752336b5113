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
// lost, and answers each request.
func (m *committer) run(group []*commitReq) {
	for len(group) > 0 {
		lost, err := m.try(group)
		if len(lost) == 0 {
			for _, r := range group {
				r.done <- err
			}
			return
		}
		var rest []*commitReq
		for _, r := range group {
			if lost[r.part] {
				r.done <- errLeaseLost
			} else {
				rest = append(rest, r)
			}
		}
		group = rest
	}
}

// fenceError says which partitions' fences failed.
type fenceError struct{ lost map[int]bool }

func (e *fenceError) Error() string { return errLeaseLost.Error() }

// try commits the group in one transaction. When fences fail it commits
// nothing and returns the partitions that lost their lease.
func (m *committer) try(group []*commitReq) (map[int]bool, error) {
	var (
		all      store.Batch
		parts    []int32
		epochs   []int64
		consumed []int64
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
		unique.records = append(unique.records, r.unique.records...)
		unique.rows = append(unique.rows, r.unique.rows...)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := m.c.db.CommitTx(ctx, &all, func(ctx context.Context, tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `UPDATE wf_leases l SET owner = owner
			FROM unnest($2::int[], $3::bigint[]) AS f(part, epoch)
			WHERE l.part = f.part AND l.epoch = f.epoch AND l.owner = $1 AND l.expires > now() RETURNING l.part`,
			m.c.id, parts, epochs)
		if err != nil {
			return err
		}
		held, err := pgx.CollectRows(rows, pgx.RowTo[int32])
		if err != nil {
			return err
		}
		if len(held) != len(parts) {
			ok := map[int32]bool{}
			for _, p := range held {
				ok[p] = true
			}
			lost := map[int]bool{}
			for _, p := range parts {
				if !ok[p] {
					lost[int(p)] = true
				}
			}
			return &fenceError{lost: lost}
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
