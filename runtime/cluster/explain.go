package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

// forwardedHeader marks a request one node makes of another on a
// client's behalf; the other answers from its own partitions only, so a
// request is forwarded at most once.
const forwardedHeader = "X-Wf-Forwarded"

// Explain says, for each workflow on the record's type, why the record
// was or was not enrolled (GET /v1/records/{type}/{id}/why). Only the
// engine of the record's partition knows: this node answers for its own
// partitions and asks the owner's API for the others.
func (c *Cluster) Explain(typ, id string) ([]engine.Explanation, error) {
	return c.explainVia(typ, id, true)
}

func (c *Cluster) explainVia(typ, id string, forward bool) ([]engine.Explanation, error) {
	xs, note, owner, addr, err := c.explainLocal(typ, id)
	switch {
	case err != nil || note == "":
		return xs, err
	case !forward || owner == "":
		return nil, fmt.Errorf("%w: %s", server.ErrUnavailable, note)
	}
	xs, ferr := c.askOwner(addr, typ, id)
	if ferr != nil {
		return nil, fmt.Errorf("%w: %s (asking node %s: %v)", server.ErrUnavailable, note, owner, ferr)
	}
	return xs, nil
}

// explainLocal answers from this node's partition, or says which node
// owns the record's partition (note, owner and its API address).
func (c *Cluster) explainLocal(typ, id string) (xs []engine.Explanation, note, owner, addr string, err error) {
	p := store.Partition(typ, id)
	c.mu.Lock()
	pt := c.parts[p]
	_, loading := c.loading[p]
	c.mu.Unlock()
	if pt != nil {
		xs, err := pt.node.Explain(typ, id)
		if !errors.Is(err, server.ErrStopped) {
			return xs, "", "", "", err
		}
		// The partition stopped meanwhile: say who holds it now.
	} else if loading {
		return nil, fmt.Sprintf("%s/%s is in partition %d, which this node (%s) is loading; the explanation shows once it runs.", typ, id, p, c.id), "", "", nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, 10*time.Second)
	defer cancel()
	var held bool
	err = c.db.Pool().QueryRow(ctx, `SELECT coalesce(l.owner, ''), coalesce(n.addr, ''), l.owner IS NOT NULL AND l.expires > now()
		FROM wf_leases l LEFT JOIN wf_nodes n ON n.id = l.owner WHERE l.part = $1`, p).Scan(&owner, &addr, &held)
	if err != nil {
		return nil, "", "", "", fmt.Errorf("reading the owner of partition %d: %w", p, err)
	}
	what := fmt.Sprintf("Only the engine holding a record explains it, and %s/%s is in partition %d", typ, id, p)
	switch {
	case held && owner == c.id:
		return nil, what + ", which this node is starting or has just given up; reload the page.", "", "", nil
	case held:
		at := ""
		if addr != "" {
			at = " (its API at " + addr + ")"
		}
		return nil, fmt.Sprintf("%s, owned by node %s%s.", what, owner, at), owner, addr, nil
	}
	return nil, what + ", which no node owns now (its lease is free or expired); a node will claim it within a lease's lifetime.", "", "", nil
}

// askOwner asks another node's API why a record was or was not enrolled.
// The address is the one the node listens on; one that names no host
// (":8080", "0.0.0.0:8080") cannot be reached from here.
func (c *Cluster) askOwner(addr, typ, id string) ([]engine.Explanation, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil || host == "" || net.ParseIP(host).IsUnspecified() {
		return nil, fmt.Errorf("its address %q names no host to ask", addr)
	}
	u := "http://" + addr + "/v1/records/" + url.PathEscape(typ) + "/" + url.PathEscape(id) + "/why"
	ctx, cancel := context.WithTimeout(c.ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(forwardedHeader, c.id)
	c.mu.Lock()
	token := c.token
	c.mu.Unlock()
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		var e struct{ Error string }
		json.NewDecoder(res.Body).Decode(&e)
		return nil, fmt.Errorf("%s: %s", res.Status, e.Error)
	}
	var xs []engine.Explanation
	if err := json.NewDecoder(res.Body).Decode(&xs); err != nil {
		return nil, err
	}
	return xs, nil
}
