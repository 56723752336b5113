package ingest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/compiler"
)

func TestDecodeHook(t *testing.T) {
	p, diags := compiler.CompileSource("hooks.wf", `
extend deal { order_id: string unique }
webhook order_paid { match deal by order_id = body.order.id }`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	d := NewDecoder(p)
	got, err := d.Decode([]byte(`{"op":"hook","hook":"order_paid","at":"2026-01-05T08:00:00Z","body":{"order":{"id":"o1","total":10}}}
{"op":"hook","hook":"order_paid"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Op: Hook, Type: typeIdx(p, "deal"), Hook: 0, Line: 1, At: time.Date(2026, 1, 5, 8, 0, 0, 0, time.UTC),
			Body: map[string]any{"order": map[string]any{"id": "o1", "total": float64(10)}}},
		{Op: Hook, Type: typeIdx(p, "deal"), Hook: 0, Line: 2},
	}
	if diff := cmp.Diff(want, got, ignoreRaw); diff != "" {
		t.Errorf("Decode (-want +got):\n%s", diff)
	}
	for _, c := range []struct{ in, want string }{
		{`{"op":"hook","hook":"order_payd"}`, `line 1: hook: unknown incoming webhook "order_payd"; did you mean "order_paid"?`},
		{`{"op":"hook"}`, `line 1: hook: missing`},
		{`{"op":"hook","hook":"order_paid","body":[1]}`, `line 1: body: expected an object, got an array`},
		{`{"op":"hook","hook":"order_paid","id":"d1"}`, `line 1: id: not allowed in a hook change`},
	} {
		_, err := d.Decode([]byte(c.in))
		if err == nil || err.Error() != c.want {
			t.Errorf("Decode(%s) = %v, want %s", c.in, err, c.want)
		}
	}
}
