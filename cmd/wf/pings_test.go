package main

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// pings is the ledger of the crash tests (TestServeCrash,
// TestClusterKill): contacts c0…cN-1, the pings sent to them by client
// id, and which of those the server acknowledged.
type pings struct {
	contacts int
	ok       string // the status of a change taken: "applied", or "accepted" in a cluster

	mu    sync.Mutex
	next  int
	sent  []ping
	acked map[string]bool
}

type ping struct {
	id      string
	contact int
}

func newPings(contacts int, ok string) *pings {
	return &pings{contacts: contacts, ok: ok, acked: map[string]bool{}}
}

// seed creates the contacts.
func (p *pings) seed(t *testing.T, base string) {
	t.Helper()
	var seed strings.Builder
	for c := range p.contacts {
		fmt.Fprintf(&seed, `{"op":"upsert","type":"contact","id":"c%d","client_id":"seed-%d","props":{"email":"c%d@example.com"}}`+"\n", c, c, c)
	}
	if items := post(t, base, seed.String()); len(items) != p.contacts {
		t.Fatalf("seeding: %d items", len(items))
	}
}

func (p ping) line() string {
	return fmt.Sprintf(`{"op":"event","event":"ping","type":"contact","id":"c%d","client_id":%q,"props":{"n":1}}`+"\n", p.contact, p.id)
}

// send posts the next ten pings to base and records what was
// acknowledged; a failed request acknowledges nothing.
func (p *pings) send(base string) {
	p.mu.Lock()
	var body strings.Builder
	for range 10 {
		pg := ping{id: fmt.Sprintf("p-%d", p.next), contact: p.next % p.contacts}
		p.next++
		p.sent = append(p.sent, pg)
		body.WriteString(pg.line())
	}
	p.mu.Unlock()
	items, err := tryPost(base, body.String())
	if err != nil {
		return // not acknowledged
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, it := range items {
		if it.Status == p.ok || it.Status == "duplicate" {
			p.acked[it.ClientID] = true
		}
	}
}

// counts says how many pings were sent and acknowledged.
func (p *pings) counts() (sent, acked int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.sent), len(p.acked)
}

// resend posts again every ping that was not acknowledged, and the first
// 100 that were: those must come back as duplicates.
func (p *pings) resend(t *testing.T, base string) {
	t.Helper()
	p.mu.Lock()
	var body strings.Builder
	dups := 0
	for _, pg := range p.sent {
		if !p.acked[pg.id] || dups < 100 {
			if p.acked[pg.id] {
				dups++
			}
			body.WriteString(pg.line())
		}
	}
	p.mu.Unlock()
	nDup := 0
	for _, it := range post(t, base, body.String()) {
		switch it.Status {
		case "duplicate":
			nDup++
		case p.ok:
		default:
			t.Fatalf("resending: %+v", it)
		}
	}
	if nDup < dups {
		t.Errorf("%d of the %d resent acknowledged pings were duplicates", nDup, dups)
	}
}

// want is how many pings each contact must count once all are applied.
func (p *pings) want() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := make([]int, p.contacts)
	for _, pg := range p.sent {
		want[pg.contact]++
	}
	return want
}
