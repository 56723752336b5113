package cluster

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/store"
)

// Why a record was or was not enrolled is known only to the engine of
// its partition: GET /v1/records/{type}/{id}/why on any node answers, by
// asking the owner's API when the record is another node's.
func TestExplainAsksTheOwner(t *testing.T) {
	db := testDB(t)
	prog := program(t, "testdata/count.wf")
	var nodes []*Cluster
	var bases []string
	for _, id := range []string{"a", "b"} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c, err := Start(prog, "test", Options{DB: db, ID: id, Addr: ln.Addr().String(), LeaseTTL: 2 * time.Second,
			RenewEvery: 200 * time.Millisecond, Poll: 50 * time.Millisecond, Logger: quiet()})
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: c.Handler("secret")}
		go srv.Serve(ln)
		defer srv.Close()
		defer c.Close()
		nodes, bases = append(nodes, c), append(bases, "http://"+ln.Addr().String())
	}
	waitFor(t, 15*time.Second, "two nodes share the partitions", func() (bool, string) { return balanced(nodes...) })
	// One contact in a partition of each node.
	var ids [2]string
	for k := 0; ids[0] == "" || ids[1] == ""; k++ {
		id := fmt.Sprintf("c%d", k)
		for i, c := range nodes {
			for _, p := range c.Owned() {
				if p == store.Partition("contact", id) && ids[i] == "" {
					ids[i] = id
				}
			}
		}
	}
	for _, id := range ids {
		if _, err := nodes[0].Ingest([]byte(`{"op":"upsert","type":"contact","id":"` + id + `"}
{"op":"event","event":"ping","type":"contact","id":"` + id + `","props":{"n":1}}`)); err != nil {
			t.Fatal(err)
		}
	}
	for i, base := range bases {
		for _, id := range ids {
			waitFor(t, 10*time.Second, fmt.Sprintf("node %d explains %s", i, id), func() (bool, string) {
				req, _ := http.NewRequest("GET", base+"/v1/records/contact/"+id+"/why", nil)
				req.Header.Set("Authorization", "Bearer secret")
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					return false, err.Error()
				}
				defer res.Body.Close()
				var xs []engine.Explanation
				if res.StatusCode != 200 || json.NewDecoder(res.Body).Decode(&xs) != nil {
					return false, res.Status
				}
				for _, x := range xs {
					if x.Workflow == "counter" && len(x.Enrollments) == 1 && strings.Contains(x.Enrollments[0].Why, "event ping") {
						return true, ""
					}
				}
				return false, fmt.Sprintf("%+v", xs)
			})
		}
	}
	// Without the token, no answer (also not through a forward).
	res, err := http.Get(bases[0] + "/v1/records/contact/" + ids[1] + "/why")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Errorf("without the token: %s", res.Status)
	}
}
