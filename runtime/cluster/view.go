package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/store"
)

// View is the whole cluster's state as one store, for reading it as a
// single node's (wf plan): its queries are the database's, and its
// Globals merge the partitions' engine-wide states — every workflow any
// partition knows, disabled when the cluster's switch says so or, for a
// workflow never switched, when a partition has it disabled. It must not
// be committed to.
func View(ctx context.Context, db DB) (store.Store, error) {
	g := engine.Globals{Workflows: []string{}}
	known, disabled := map[string]bool{}, map[string]bool{}
	found := false
	for p := range store.Partitions {
		data, err := db.Meta(fmt.Sprintf("globals/%d", p))
		if err != nil {
			return nil, err
		}
		if data == nil {
			continue
		}
		found = true
		var pg engine.Globals
		if err := json.Unmarshal(data, &pg); err != nil {
			return nil, fmt.Errorf("cluster: partition %d's globals: %v", p, err)
		}
		for _, w := range pg.Workflows {
			known[w] = true
		}
		for _, w := range pg.Disabled {
			disabled[w] = true
		}
	}
	rows, err := db.Pool().Query(ctx, `SELECT workflow, enabled FROM wf_switches`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var w string
		var on bool
		if err := rows.Scan(&w, &on); err != nil {
			rows.Close()
			return nil, err
		}
		if known[w] {
			disabled[w] = !on
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for w := range known {
		g.Workflows = append(g.Workflows, w)
		if disabled[w] {
			g.Disabled = append(g.Disabled, w)
		}
	}
	slices.Sort(g.Workflows)
	slices.Sort(g.Disabled)
	v := &view{DB: db}
	if found {
		if v.globals, err = json.Marshal(g); err != nil {
			return nil, err
		}
	}
	return v, nil
}

type view struct {
	DB
	globals []byte
}

func (v *view) Globals() ([]byte, error) { return v.globals, nil }

func (v *view) Commit(*store.Batch) error {
	return fmt.Errorf("cluster: the cluster's view is read-only")
}
