package dashboard

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fakeCluster is the source of a node of a cluster: its records are held
// by another node, and it has a Cluster page.
type fakeCluster struct{ fakeSource }

func (f fakeCluster) Record(typ, id string) (RecordView, bool, error) {
	return RecordView{Type: typ, ID: id, Props: []Prop{{"email", "anna@acme.com"}},
		ExplainNote: "contact/c1 is in partition 56, owned by node b"}, id == "c1", nil
}

func (f fakeCluster) Cluster() (ClusterView, error) {
	return ClusterView{Node: "a", Version: 3, Partitions: 64, Owned: []int{0, 1, 2, 3, 7, 9, 10}, Unowned: 25, Inbox: 12,
		Nodes: []ClusterNode{
			{ID: "a", Addr: ":8080", Heartbeat: f.Now(), Live: true, Partitions: 7, Self: true},
			{ID: "b", Addr: ":8081", Heartbeat: f.Now().Add(-time.Minute), Partitions: 32},
		}}, nil
}

func TestClusterPage(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	get := func(h *Handler, path string) (int, string) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		return rec.Code, rec.Body.String()
	}
	h := New(fakeCluster{fakeSource{t}}, Options{Logger: quiet})
	code, body := get(h, "/cluster")
	for _, s := range []string{`href="/cluster" aria-current="page"`, "<code>a</code> <span class=\"badge badge-active\">this node</span>",
		"partitions: 0–3, 7, 9–10", ">25<", "12</span> <span class=\"stat-l\">changes in the inbox", "badge-failed\">silent", "(1m ago)"} {
		if !strings.Contains(body, s) {
			t.Errorf("cluster page lacks %q: %d\n%s", s, code, body)
		}
	}
	if code, body := get(h, "/cluster?live=1"); code != 200 || !strings.Contains(body, `"cluster"`) {
		t.Errorf("live cluster page: %d %s", code, body)
	}
	code, body = get(h, "/records/contact/c1")
	if code != 200 || !strings.Contains(body, `<p class="card elsewhere">contact/c1 is in partition 56, owned by node b</p>`) ||
		strings.Contains(body, "No workflow runs on") || strings.Contains(body, `role="alert"`) {
		t.Errorf("record page of another node's record: %d\n%s", code, body)
	}

	// One node: no Cluster page, no link to it.
	h = New(fakeSource{t}, Options{Logger: quiet})
	if code, body := get(h, "/"); code != 200 || strings.Contains(body, `href="/cluster"`) {
		t.Errorf("a single node links a cluster page: %d", code)
	}
	if code, _ := get(h, "/cluster"); code != 404 {
		t.Errorf("a single node's /cluster: %d", code)
	}
}
