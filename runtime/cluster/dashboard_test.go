package cluster

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

// busyWebhook answers every attempt 503, asking for a retry in an hour.
func busyWebhook(c engine.WebhookCall) engine.WebhookResult {
	return engine.WebhookResult{Status: 503, Retry: c.Now.Add(time.Hour), Err: "busy"}
}

func startWebhooks(t testing.TB, db DB, prog *bytecode.Program, id string) *Cluster {
	t.Helper()
	c, err := Start(prog, "test", Options{DB: db, ID: id, LeaseTTL: 2 * time.Second, RenewEvery: 200 * time.Millisecond,
		Poll: 50 * time.Millisecond, Logger: quiet(), Node: server.Options{Webhook: busyWebhook}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// dashClient signs in to a node's dashboard with ?token= and keeps the
// session cookie.
func dashClient(t *testing.T, url, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	code, body := fetch(t, client, url+"/?token="+token)
	if code != 200 || !strings.Contains(body, "Workflows") {
		t.Fatalf("signing in: %d %.300s", code, body)
	}
	return client
}

func fetch(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	res, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(data)
}

// rowBadge is the status badge in the workflows page's row of a workflow.
func rowBadge(body, workflow string) string {
	i := strings.Index(body, ">"+workflow+"<")
	if i < 0 {
		return ""
	}
	rest := body[i:]
	j := strings.Index(rest, `class="badge badge-`)
	if j < 0 {
		return ""
	}
	rest = rest[j+len(`class="badge badge-`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// Two nodes share the examples' records: each node's dashboard shows the
// whole cluster's workflows, waiting counts, deliveries and records,
// explains the records of its own partitions and names the owner of the
// others, and has a Cluster page.
func TestDashboardAcrossNodes(t *testing.T) {
	db := testDB(t)
	prog := program(t, "../../examples/...")
	a, b := startWebhooks(t, db, prog, "a"), startWebhooks(t, db, prog, "b")
	defer a.Close()
	defer b.Close()
	waitFor(t, 15*time.Second, "two nodes share the partitions", func() (bool, string) { return balanced(a, b) })
	owner := map[int]*Cluster{}
	for _, c := range []*Cluster{a, b} {
		for _, p := range c.Owned() {
			owner[p] = c
		}
	}

	// Acme leads, at least two in each node's partitions, wait at
	// lead_nurturing's warm_up delay; c4 converts (and enrolls in
	// webhook_sync, whose delivery is answered 503).
	var changes strings.Builder
	var leads []string
	perNode := map[*Cluster]int{}
	for k := 0; perNode[a] < 2 || perNode[b] < 2; k++ {
		id := fmt.Sprintf("l%d", k)
		leads = append(leads, id)
		perNode[owner[store.Partition("contact", id)]]++
		fmt.Fprintf(&changes, `{"op":"upsert","type":"contact","id":%q,"props":{"email":"%s@acme.com","lifecyclestage":"lead","country":"NL","score":%d}}`+"\n", id, id, k)
	}
	changes.WriteString(`{"op":"upsert","type":"contact","id":"c4","props":{"email":"finn@acme.com","lifecyclestage":"lead","country":"FR"}}
{"op":"upsert","type":"contact","id":"c4","props":{"lifecyclestage":"customer"}}
{"op":"upsert","type":"ticket","id":"t1","props":{"subject":"Checkout is down","status":"new","priority":"urgent","owner":"sam"}}
{"op":"upsert","type":"deal","id":"d1","props":{"dealname":"Globex renewal","dealstage":"contractsent","amount":12000}}
`)
	srvA, srvB := httptest.NewServer(a.Handler("secret")), httptest.NewServer(b.Handler("secret"))
	defer srvA.Close()
	defer srvB.Close()
	req, _ := http.NewRequest("POST", srvA.URL+"/v1/changes", strings.NewReader(changes.String()))
	req.Header.Set("Authorization", "Bearer secret")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("POST /v1/changes: %d", res.StatusCode)
	}
	waitFor(t, 15*time.Second, "every lead waits at warm_up and c4's delivery is retrying", func() (bool, string) {
		at, err := db.EnrollmentsAt("lead_nurturing", "warm_up")
		if err != nil || len(at) != len(leads) {
			return false, fmt.Sprint(len(at), err)
		}
		d, err := a.DashboardSource().Deliveries()
		return err == nil && len(d.Retrying) == 1, fmt.Sprintf("deliveries %+v %v", d, err)
	})

	// The source: the cluster's figures on either node.
	for _, c := range []*Cluster{a, b} {
		src := c.DashboardSource()
		ov := src.Overview()
		current := map[string]int{}
		for _, w := range ov.Workflows {
			current[w.Name] = w.Current
		}
		if len(ov.Workflows) != 4 || current["lead_nurturing"] != len(leads) || ov.Left != 0 {
			t.Errorf("%s: overview %+v", c.ID(), ov)
		}
		w, ok, err := src.Workflow("lead_nurturing")
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if w.AtStep["warm_up"] != len(leads) || w.Totals.Enrolled != len(leads)+1 || w.Totals.Converted != 1 || w.Info.Status != "enabled" {
			t.Errorf("%s: lead_nurturing: at %v, totals %+v, info %+v", c.ID(), w.AtStep, w.Totals, w.Info)
		}
		d, err := src.Deliveries()
		if err != nil || len(d.Retrying) != 1 || d.Retrying[0].Record != "contact/c4" || d.Retrying[0].Status != 503 ||
			d.Retrying[0].Attempt != 1 || time.Until(d.Retrying[0].Next) < 59*time.Minute {
			t.Errorf("%s: deliveries %+v %v", c.ID(), d, err)
		}
	}

	// Switched off through b: a's page says so.
	if err := b.SetEnabled("deal_hygiene", false); err != nil {
		t.Fatal(err)
	}

	// The pages, through each node's HTTP handler, signed in with ?token=.
	for _, n := range []struct {
		c, other *Cluster
		url      string
	}{{a, b, srvA.URL}, {b, a, srvB.URL}} {
		client := dashClient(t, n.url, "secret")
		waitFor(t, 10*time.Second, n.c.ID()+": the workflows page lists the examples, deal_hygiene disabled", func() (bool, string) {
			code, body := fetch(t, client, n.url+"/")
			for _, s := range []string{"lead_nurturing", "deal_hygiene", "ticket_sla", "webhook_sync", `href="/cluster"`} {
				if !strings.Contains(body, s) {
					return false, fmt.Sprintf("%d: no %q in %.2000s", code, s, body)
				}
			}
			return code == 200 && rowBadge(body, "lead_nurturing") == "enabled" && rowBadge(body, "deal_hygiene") == "disabled",
				rowBadge(body, "lead_nurturing") + " " + rowBadge(body, "deal_hygiene")
		})
		waiting := fmt.Sprintf("%d waiting", len(leads))
		if code, body := fetch(t, client, n.url+"/workflows/lead_nurturing"); code != 200 || !strings.Contains(body, waiting) {
			t.Errorf("%s: lead_nurturing page lacks %q: %d\n%s", n.c.ID(), waiting, code, body)
		}
		if code, body := fetch(t, client, n.url+"/workflows/lead_nurturing?live=1"); code != 200 || !strings.Contains(body, waiting) {
			t.Errorf("%s: live lead_nurturing lacks %q: %d", n.c.ID(), waiting, code)
		}
		// A lead of each node: its data everywhere, its explanation on its owner.
		for _, id := range leads {
			mine := owner[store.Partition("contact", id)] == n.c
			code, body := fetch(t, client, n.url+"/records/contact/"+id)
			if code != 200 || !strings.Contains(body, id+"@acme.com") || !strings.Contains(body, "warm_up") {
				t.Errorf("%s: record %s: %d\n%s", n.c.ID(), id, code, body)
				continue
			}
			if mine && (!strings.Contains(body, "holds") || strings.Contains(body, "owned by node")) {
				t.Errorf("%s: its own record %s is not explained:\n%s", n.c.ID(), id, body)
			}
			if !mine && (strings.Contains(body, "holds") || !strings.Contains(body, "owned by node "+n.other.ID())) {
				t.Errorf("%s: record %s of node %s does not name its owner:\n%s", n.c.ID(), id, n.other.ID(), body)
			}
		}
		if code, _ := fetch(t, client, n.url+"/records/contact/nobody"); code != 404 {
			t.Errorf("%s: a missing record: %d", n.c.ID(), code)
		}
		if code, body := fetch(t, client, n.url+"/deliveries"); code != 200 || !strings.Contains(body, "contact/c4") || !strings.Contains(body, ">503<") {
			t.Errorf("%s: deliveries page: %d\n%s", n.c.ID(), code, body)
		}
		code, body := fetch(t, client, n.url+"/cluster")
		if code != 200 || !strings.Contains(body, "<code>a</code>") || !strings.Contains(body, "<code>b</code>") ||
			!strings.Contains(body, "this node") || !strings.Contains(body, "changes in the inbox") {
			t.Errorf("%s: cluster page: %d\n%s", n.c.ID(), code, body)
		}
	}
}
