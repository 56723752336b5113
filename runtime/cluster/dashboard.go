package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/wflang/wf/runtime/dashboard"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

// The dashboard (runtime/dashboard) on a node of a cluster: the pages of
// one node (server.NewDashboardSource) over the whole database, so that
// every node shows the cluster's data, whichever partitions it owns.
//
//   - Workflows: the running version of one of the node's partitions (the
//     first it owns; the cluster's program while it owns none), each
//     workflow enabled or disabled as switched through the API
//     (wf_switches), else as the partition's engine has it; the enrollments
//     in progress counted by one query over the current enrollments of all
//     partitions, which also counts those at a step the running version
//     does not have.
//   - A workflow: records at each step, totals and the enrollments listed,
//     from the database (all partitions).
//   - A record: properties, enrollments and action log from the database;
//     why it was or was not enrolled comes from the engine holding the
//     record, so only when this node owns the record's partition. For any
//     other record the page says which node owns the partition (wf_leases,
//     with the address from wf_nodes) instead.
//   - Webhook deliveries: the enrollments of all partitions at a webhook
//     step that are delivering or waiting to retry, with their attempts and
//     next attempt times (the engines store them in the enrollment), and
//     the finished deliveries from the action log, as on one node.
//   - Cluster: the nodes, the partitions each holds and the inbox backlog
//     (Status).

// DashboardSource is the data of the dashboard the node serves at / (the
// HTTP API mounts it: see server.NewHandler).
func (c *Cluster) DashboardSource() dashboard.Source {
	now := time.Now
	if c.opts.Node.Clock != nil {
		now = c.opts.Node.Clock.Now
	}
	return &dashSource{c: c, Source: server.NewDashboardSource(server.DashboardConfig{
		Store:     c.db,
		Now:       now,
		Running:   c.running,
		Workflows: c.dashWorkflows,
		Explain:   c.explain,
	})}
}

// dashSource is the single node's source over the database, with the
// Cluster page.
type dashSource struct {
	dashboard.Source
	c *Cluster
}

var _ dashboard.ClusterSource = (*dashSource)(nil)

// firstPartition is the lowest-numbered partition the node runs, or nil.
func (c *Cluster) firstPartition() *partition {
	c.mu.Lock()
	defer c.mu.Unlock()
	var first *partition
	for _, pt := range c.parts {
		if first == nil || pt.p < first.p {
			first = pt
		}
	}
	return first
}

// running is the version the dashboard shows: the first owned
// partition's, with the cluster's switches.
func (c *Cluster) running() server.Running {
	var r server.Running
	if pt := c.firstPartition(); pt != nil {
		r = pt.node.RunningVersion()
	} else {
		r = server.Running{Program: c.Program(), Enabled: func(string) bool { return true }}
	}
	engineSays := r.Enabled
	r.Enabled = func(workflow string) bool {
		if on, ok := c.switched(workflow); ok {
			return on
		}
		return engineSays(workflow)
	}
	return r
}

// dashWorkflows is the workflows page's data, its counts the cluster's.
// Left counts the current enrollments, in any partition, at a step the
// running version does not have (of a workflow it has or not); OnOld,
// which only the engine holding a record knows, is not given.
func (c *Cluster) dashWorkflows() server.Workflows {
	r := c.running()
	out := server.Workflows{Loaded: r.Loaded, ReloadError: r.Diagnostics.HasErrors(), Diagnostics: []server.Diagnostic{}}
	for _, d := range r.Diagnostics {
		out.Diagnostics = append(out.Diagnostics, server.Diagnostic{File: d.Pos.Filename, Line: d.Pos.Line, Col: d.Pos.Column,
			Severity: d.Severity.String(), Code: d.Code, Message: d.Message, Hint: d.Hint})
	}
	counts, err := c.currentCounts()
	if err != nil {
		c.log.Warn("dashboard: counting the enrollments in progress", "err", err)
	}
	for _, wf := range r.Program.Workflows {
		info := server.WorkflowInfo{Name: wf.Name, Object: r.Program.Types[wf.Object].Name, File: wf.File, Version: wf.Hash, Status: "disabled"}
		if r.Enabled(wf.Name) {
			info.Status = "enabled"
		}
		steps := map[string]bool{}
		for _, st := range wf.Steps {
			steps[st.ID] = true
		}
		for step, n := range counts[wf.Name] {
			info.Current += n
			if !steps[step] {
				out.Left += n
			}
		}
		delete(counts, wf.Name)
		out.Workflows = append(out.Workflows, info)
	}
	for _, bySteps := range counts { // workflows the running version does not have
		for _, n := range bySteps {
			out.Left += n
		}
	}
	return out
}

// currentCounts counts the current enrollments of every partition by
// workflow and step.
func (c *Cluster) currentCounts() (map[string]map[string]int, error) {
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	rows, err := c.db.Pool().Query(ctx, `SELECT workflow, step, count(*) FROM wf_enrollments WHERE current GROUP BY workflow, step`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]int{}
	for rows.Next() {
		var wf, step string
		var n int
		if err := rows.Scan(&wf, &step, &n); err != nil {
			return out, err
		}
		if out[wf] == nil {
			out[wf] = map[string]int{}
		}
		out[wf][step] = n
	}
	return out, rows.Err()
}

// explain asks the engine of the record's partition why the record was
// or was not enrolled: this node's, or the owner node's through its API;
// when neither can answer, the note says why.
func (c *Cluster) explain(typ, id string) ([]engine.Explanation, string, error) {
	xs, note, owner, addr, err := c.explainLocal(typ, id)
	if err != nil || note == "" || owner == "" {
		return xs, note, err
	}
	xs, ferr := c.askOwner(addr, typ, id)
	if ferr != nil {
		return nil, fmt.Sprintf("%s Asking it failed (%v): open this page on that node's dashboard.", note, ferr), nil
	}
	return xs, "", nil
}

// Cluster is the Cluster page: the nodes, the partitions they hold and
// the inbox backlog, from the database (Status). A node is live when its
// last heartbeat is within LeaseTTL of this node's clock.
func (s *dashSource) Cluster() (dashboard.ClusterView, error) {
	ctx, cancel := context.WithTimeout(s.c.ctx, 10*time.Second)
	defer cancel()
	st, err := s.c.Status(ctx)
	if err != nil {
		return dashboard.ClusterView{}, err
	}
	out := dashboard.ClusterView{Node: st.Node, Version: st.Version, Partitions: store.Partitions, Owned: st.Owned, Inbox: st.Inbox}
	held, listed := 0, map[string]bool{}
	for _, n := range st.Nodes {
		listed[n.ID] = true
		out.Nodes = append(out.Nodes, dashboard.ClusterNode{ID: n.ID, Addr: n.Addr, Heartbeat: n.Heartbeat, Partitions: st.Owners[n.ID],
			Self: n.ID == st.Node, Live: time.Since(n.Heartbeat) < s.c.opts.LeaseTTL})
	}
	for owner, n := range st.Owners {
		if owner == "" {
			continue
		}
		held += n
		if !listed[owner] { // a lease still held by a node whose heartbeat row is gone
			out.Nodes = append(out.Nodes, dashboard.ClusterNode{ID: owner, Partitions: n, Self: owner == st.Node})
		}
	}
	out.Unowned = store.Partitions - held
	return out, nil
}
