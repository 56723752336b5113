package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

var _ server.Backend = (*Cluster)(nil)

// Handler is the node's HTTP API: the same routes as one node's, over
// the whole database, plus GET /v1/cluster.
func (c *Cluster) Handler(token string) http.Handler {
	c.mu.Lock()
	c.token = token // for asking other nodes (they share it)
	c.mu.Unlock()
	mux := http.NewServeMux()
	// A request another node forwards is answered from this node's own
	// partitions only.
	mux.Handle("GET /v1/records/{type}/{id}/why", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !server.Authorized(r, token) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			server.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong bearer token"})
			return
		}
		xs, err := c.explainVia(r.PathValue("type"), r.PathValue("id"), r.Header.Get(forwardedHeader) == "")
		if err != nil {
			server.WriteJSON(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		if xs == nil {
			xs = []engine.Explanation{}
		}
		server.WriteJSON(w, http.StatusOK, xs)
	}))
	api := server.NewHandler(c, token, c.log)
	mux.Handle("/", api)
	mux.HandleFunc("GET /v1/cluster", func(w http.ResponseWriter, r *http.Request) {
		if !server.Authorized(r, token) {
			w.Header().Set("WWW-Authenticate", "Bearer")
			server.WriteJSON(w, http.StatusUnauthorized, map[string]string{"error": "missing or wrong bearer token"})
			return
		}
		st, err := c.Status(r.Context())
		if err != nil {
			server.WriteJSON(w, http.StatusInternalServerError, map[string]string{"error": err.Error()})
			return
		}
		server.WriteJSON(w, http.StatusOK, st)
	})
	return mux
}

// Status is what GET /v1/cluster shows.
type Status struct {
	Node    string         `json:"node"`
	Version int64          `json:"version"`
	Owned   []int          `json:"owned"`
	Nodes   []NodeStatus   `json:"nodes"`
	Owners  map[string]int `json:"partitions_by_owner"`
	Inbox   int64          `json:"inbox"` // changes accepted and not yet applied
	Dead    int64          `json:"dead"`  // changes accepted that could not be applied (wf_dead)
}

// NodeStatus is one node as the database knows it.
type NodeStatus struct {
	ID        string    `json:"id"`
	Addr      string    `json:"addr"`
	Heartbeat time.Time `json:"heartbeat"`
}

// Status reads the cluster's state from the database.
func (c *Cluster) Status(ctx context.Context) (Status, error) {
	c.mu.Lock()
	st := Status{Node: c.id, Version: c.ver, Owners: map[string]int{}}
	c.mu.Unlock()
	st.Owned = c.Owned()
	pool := c.db.Pool()
	rows, err := pool.Query(ctx, `SELECT id, addr, heartbeat FROM wf_nodes ORDER BY id`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var n NodeStatus
		if err := rows.Scan(&n.ID, &n.Addr, &n.Heartbeat); err != nil {
			rows.Close()
			return st, err
		}
		st.Nodes = append(st.Nodes, n)
	}
	rows.Close()
	rows, err = pool.Query(ctx, `SELECT coalesce(owner, ''), count(*) FROM wf_leases WHERE expires > now() OR owner IS NULL GROUP BY 1`)
	if err != nil {
		return st, err
	}
	for rows.Next() {
		var owner string
		var n int
		if err := rows.Scan(&owner, &n); err != nil {
			rows.Close()
			return st, err
		}
		st.Owners[owner] = n
	}
	rows.Close()
	err = pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM wf_inbox), (SELECT count(*) FROM wf_dead)`).Scan(&st.Inbox, &st.Dead)
	return st, err
}

// Record reads a committed record.
func (c *Cluster) Record(typ, id string) (server.RecordJSON, bool, error) {
	return server.StoredRecord(c.db, typ, id)
}

// Enrollments reads a record's committed enrollments.
func (c *Cluster) Enrollments(typ, id string) ([]server.EnrollmentJSON, error) {
	return server.StoredEnrollments(c.db, typ, id)
}

// Log reads a workflow's committed action log.
func (c *Cluster) Log(workflow string, after uint64, limit int) ([]server.LogJSON, error) {
	return server.StoredLog(c.db, workflow, after, limit)
}

// CallHook routes an incoming webhook call to the owner of the record it
// names (by the unique index): it returns once the call is durably
// queued there, saying which record it matched; the owner then runs it
// as one node would. A call that names no record is answered at once,
// as on one node (not matched, with the reason).
func (c *Cluster) CallHook(name string, body map[string]any) (server.HookResult, error) {
	prog, ver, _, hookEng := c.front.version()
	if hookEng == nil {
		return server.HookResult{}, errors.New("cluster: no engine for the running version")
	}
	typ, slot, key, err := hookEng.HookKey(name, body)
	if err != nil {
		return server.HookResult{}, err
	}
	t := prog.Types[typ]
	match := t.Props[slot].Name + " = " + key.String()
	l := lookup{t.Name, t.Props[slot].Name, uniqueKey(key)}
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	found, err := c.resolve(ctx, []lookup{l})
	if err != nil {
		return server.HookResult{}, fmt.Errorf("cluster: resolving %s: %w: %w", match, server.ErrUnavailable, err)
	}
	id, ok := found[l]
	if key.IsEmpty() || !ok {
		return server.HookResult{Reason: fmt.Sprintf("no %s has %s; nothing was triggered", t.Name, match)}, nil
	}
	data, err := json.Marshal(map[string]any{"op": "hook", "hook": name, "body": body})
	if err != nil {
		return server.HookResult{}, err
	}
	if err := c.front.accept([]inboxRow{{part: store.Partition(t.Name, id), data: data, ver: ver}}).err; err != nil {
		return server.HookResult{}, err
	}
	rec := t.Name + "/" + id
	return server.HookResult{Matched: true, Record: rec,
		Reason: "matched " + rec + " by " + match + "; queued for the record's owner, which runs the call"}, nil
}

// Enroll queues a manual enrollment for the owner of the record's
// partition, like a change: it returns once the request is durable, and
// the owner enrolls the record in order with the record's changes (a
// refusal — the record is missing, already enrolled — is logged there).
func (c *Cluster) Enroll(workflow, typ, id string) error {
	if strings.ContainsRune(id, 0) {
		return errors.New("the record id contains a NUL character, which the database cannot store")
	}
	prog, ver, _, _ := c.front.version()
	obj := ""
	for _, wf := range prog.Workflows {
		if wf.Name == workflow {
			obj = prog.Types[wf.Object].Name
		}
	}
	switch {
	case obj == "":
		return fmt.Errorf("no workflow %s", workflow)
	case typ != "" && typ != obj:
		return fmt.Errorf("workflow %s is on %s, not %s", workflow, obj, typ)
	}
	if on, ok := c.switched(workflow); ok && !on {
		return fmt.Errorf("workflow %s is not enabled", workflow)
	}
	data, err := json.Marshal(enrollRow{Op: enrollOp, Workflow: workflow, Type: obj, ID: id})
	if err != nil {
		return err
	}
	return c.front.accept([]inboxRow{{part: store.Partition(obj, id), data: data, ver: ver}}).err
}

// QueuesEnrollments tells the HTTP API that Enroll only queues the
// enrollment (answered 202 "accepted").
func (c *Cluster) QueuesEnrollments() bool { return true }

// SetEnabled enables or disables a workflow on every node: the switch is
// recorded in wf_switches and announced with NOTIFY; each node applies
// it to its partitions (enabling runs enroll existing on each partition's
// records), and a partition loaded later applies it before it runs. It
// returns once this node's partitions have applied it.
func (c *Cluster) SetEnabled(workflow string, on bool) error {
	if !c.HasWorkflow(workflow) {
		return fmt.Errorf("no workflow %s", workflow)
	}
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	err := pgx.BeginFunc(ctx, c.db.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO wf_switches (workflow, enabled) VALUES ($1, $2)
			ON CONFLICT (workflow) DO UPDATE SET enabled = $2, at = now()`, workflow, on); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `SELECT pg_notify('wf_switch', $1)`, workflow)
		return err
	})
	if err != nil {
		return fmt.Errorf("cluster: switching %s: %w: %w", workflow, server.ErrUnavailable, err)
	}
	return c.applySwitch(workflow, on)
}

// loadSwitches reads every switch.
func (c *Cluster) loadSwitches(ctx context.Context) error {
	rows, err := c.db.Pool().Query(ctx, `SELECT workflow, enabled FROM wf_switches`)
	if err != nil {
		return err
	}
	type sw struct {
		Workflow string
		Enabled  bool
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[sw])
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range all {
		c.switches[s.Workflow] = s.Enabled
	}
	return nil
}

// syncSwitches reads every switch and applies those that differ from
// what the node last applied: after a notification, and after the
// listener (re)connects, when notifications may have been missed. It
// reads under the reload lock, so switches apply in the order they were
// made and never while a partition loads.
func (c *Cluster) syncSwitches() {
	c.reloading.Lock()
	defer c.reloading.Unlock()
	ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
	defer cancel()
	rows, err := c.db.Pool().Query(ctx, `SELECT workflow, enabled FROM wf_switches`)
	if err != nil {
		c.log.Warn("reading switches", "err", err)
		return
	}
	type sw struct {
		Workflow string
		Enabled  bool
	}
	all, err := pgx.CollectRows(rows, pgx.RowToStructByPos[sw])
	if err != nil {
		c.log.Warn("reading switches", "err", err)
		return
	}
	for _, s := range all {
		if on, ok := c.switched(s.Workflow); ok && on == s.Enabled {
			continue
		}
		if err := c.applySwitchLocked(s.Workflow, s.Enabled); err != nil {
			c.log.Warn("applying a switch", "workflow", s.Workflow, "err", err)
		}
	}
}

// applySwitch records a switch and applies it to every owned partition.
func (c *Cluster) applySwitch(workflow string, on bool) error {
	c.reloading.Lock()
	defer c.reloading.Unlock()
	return c.applySwitchLocked(workflow, on)
}

func (c *Cluster) applySwitchLocked(workflow string, on bool) error {
	c.mu.Lock()
	c.switches[workflow] = on
	parts := make([]*partition, 0, len(c.parts))
	for _, pt := range c.parts {
		parts = append(parts, pt)
	}
	c.mu.Unlock()
	var errs []error
	for _, pt := range parts {
		if err := pt.node.SetEnabled(workflow, on); err != nil && !errors.Is(err, server.ErrStopped) {
			errs = append(errs, fmt.Errorf("partition %d: %w", pt.p, err))
		}
	}
	return errors.Join(errs...)
}

// switched is the partitions' server.Options.Switch.
func (c *Cluster) switched(workflow string) (on, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	on, ok = c.switches[workflow]
	return on, ok
}

// Workflows lists the running version's workflows, as a partition of
// this node sees them (the counts are the database's).
func (c *Cluster) Workflows() server.Workflows {
	c.mu.Lock()
	var any *partition
	for _, pt := range c.parts {
		any = pt
		break
	}
	c.mu.Unlock()
	if any != nil {
		return any.node.Workflows()
	}
	prog := c.Program()
	out := server.Workflows{Diagnostics: []server.Diagnostic{}}
	for _, wf := range prog.Workflows {
		info := server.WorkflowInfo{Name: wf.Name, Object: prog.Types[wf.Object].Name, File: wf.File, Version: wf.Hash, Status: "enabled"}
		if at, err := c.db.EnrollmentsAt(wf.Name, ""); err == nil {
			info.Current = len(at)
		}
		out.Workflows = append(out.Workflows, info)
	}
	return out
}

// HasWorkflow reports whether the running version has the workflow.
func (c *Cluster) HasWorkflow(name string) bool {
	for _, wf := range c.Program().Workflows {
		if wf.Name == name {
			return true
		}
	}
	return false
}

// Done is closed when the node has left the cluster.
func (c *Cluster) Done() <-chan struct{} { return c.ctx.Done() }

// Watch publishes the directory's program whenever its .wf files change
// (every node then reloads, this one included); a program with errors is
// logged and not published. It returns when stop is closed.
func (c *Cluster) Watch(dir, by string, stop <-chan struct{}) error {
	return server.WatchDir(dir, stop, c.ctx.Done(), c.log, func() {
		prog, diags, err := compiler.CompileFiles(dir + "/...")
		if err != nil {
			c.log.Error("reload: reading the sources", "err", err)
			return
		}
		if prog == nil {
			for _, d := range diags {
				c.log.Error("reload: not published; the running version is kept", "diagnostic", d.String())
			}
			return
		}
		ctx, cancel := context.WithTimeout(c.ctx, 30*time.Second)
		defer cancel()
		seq, err := Publish(ctx, c.db, prog, by)
		if err != nil {
			c.log.Error("reload: publishing", "err", err)
			return
		}
		c.log.Info("published", "version", seq)
	})
}
