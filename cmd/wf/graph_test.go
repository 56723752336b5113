package main

import (
	"strings"
	"testing"
)

func TestGraph(t *testing.T) {
	code, out, errs := wf("graph", "lead_nurturing", "../../examples/lead_nurturing")
	if code != 0 || errs != "" {
		t.Fatalf("graph: %d %q", code, errs)
	}
	golden(t, "graph_lead_nurturing.mmd", out)

	code, out, errs = wf("graph", "--format", "dot", "ticket_sla", "../../examples/ticket_sla")
	if code != 0 || errs != "" {
		t.Fatalf("graph --format dot: %d %q", code, errs)
	}
	golden(t, "graph_ticket_sla.dot", out)

	for _, tt := range []struct {
		args []string
		code int
		err  string
	}{
		{[]string{"graph"}, 2, "no workflow named"},
		{[]string{"graph", "--format", "png", "x"}, 2, `unknown format "png"`},
		{[]string{"graph", "nope", "../../examples/ticket_sla"}, 2, "no workflow nope; the workflows are: ticket_sla"},
		{[]string{"graph", "bad", "testdata/bad"}, 1, "bad.wf:"},
	} {
		code, _, errs := wf(tt.args...)
		if code != tt.code || !strings.Contains(errs, tt.err) {
			t.Errorf("wf %v: %d %q, want %d and %q", tt.args, code, errs, tt.code, tt.err)
		}
	}
}
