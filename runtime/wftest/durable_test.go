package wftest

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/wflang/wf/compiler"
	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/store"
)

// bolt opens a fresh embedded store per test block.
func bolt(t *testing.T) func() (store.Store, error) {
	return func() (store.Store, error) { return store.Open(t.TempDir()) }
}

// traced runs p and returns what Print writes and the trace, each event as
// JSON.
func traced(p *bytecode.Program, opts Options) (string, []string) {
	var trace []string
	opts.Trace = func(test string, ev engine.TraceEvent) {
		data, _ := json.Marshal(ev)
		trace = append(trace, test+" "+string(data))
	}
	var b strings.Builder
	Print(&b, Run(p, opts), true)
	return b.String(), trace
}

// TestDurableLikeMemory: a durable run reports what an in-memory run does,
// failures included, and its trace is the same: one trace across the
// engines rebuilt from the store, nothing repeated by a rebuild.
func TestDurableLikeMemory(t *testing.T) {
	p, diags, err := compiler.CompileFiles("testdata/leads.wf")
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v\n%v", err, diags)
	}
	mem, memTrace := traced(p, Options{})
	dur, durTrace := traced(p, Options{Store: bolt(t)})
	if diff := cmp.Diff(mem, dur); diff != "" {
		t.Errorf("durable run (-memory +durable):\n%s", diff)
	}
	if diff := cmp.Diff(memTrace, durTrace); diff != "" {
		t.Errorf("durable trace (-memory +durable):\n%s", diff)
	}
	if !strings.Contains(dur, "2 passed, 1 failed") {
		t.Errorf("durable run:\n%s", dur)
	}
}

// TestDurableOrder: what a rebuilt engine must keep beyond values: the
// order timers due together fire in, the order waiting enrollments resume
// in, and a created record with no property set. Each failed durably
// before the engine's state kept it.
func TestDurableOrder(t *testing.T) {
	p, diags := compiler.CompileSource("t.wf", `
object member {
  x: bool
  owner: string
  tag: string
  n: number
}
workflow rr {
  on member
  enroll when n > 0 and n < 7
  delay 1d
  assign owner round_robin ["a", "b"]
}
test "timers due together fire in the order they were set" {
  upsert member m2 { n: 1 }
  upsert member m1 { n: 1 }
  advance 1d
  expect m2.owner == "a"
  expect m1.owner == "b"
}
workflow first_enrolled {
  on member
  enroll when n == 7
  delay 1h
  wait until x == true
  set tag = "first_enrolled"
}
workflow first_waiting {
  on member
  enroll when n == 7
  wait until x == true
  set tag = "first_waiting"
}
test "waiters resume in the order they began to wait" {
  upsert member m1 { n: 7 }
  advance 2h
  upsert member m1 { x: true }
  expect m1.tag == "first_enrolled"
}
object voucher {
  code: string
}
workflow mk {
  on member
  enroll when n == 9
  create voucher { } as v
  set tag = v.id
}
test "a record created with no property set is kept" {
  upsert member m1 { n: 9 }
  expect created voucher where code is empty count 1
  expect m1.tag == "voucher-1"
}
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	for _, opts := range []Options{{}, {Store: bolt(t)}} {
		for _, r := range Run(p, opts) {
			if !r.Passed {
				t.Errorf("durable %v: %q: %+v", opts.Store != nil, r.Name, r.Failures)
			}
		}
	}
}

// lossy is a store that drops the enrollments it is given.
type lossy struct{ store.Store }

func (l lossy) Commit(b *store.Batch) error {
	var kept store.Batch
	kept.SetTime(b.Time())
	for _, op := range b.Ops() {
		if op.Kind != store.OpPutEnrollment {
			kept.Add(op)
		}
	}
	return l.Store.Commit(&kept)
}

// TestDurableReportsLoss: a store that loses state fails the statement
// after which the rebuilt engine differs, naming what.
func TestDurableReportsLoss(t *testing.T) {
	p, diags, err := compiler.CompileFiles("testdata/leads.wf")
	if err != nil || diags.HasErrors() {
		t.Fatalf("compile: %v\n%v", err, diags)
	}
	res := Run(p, Options{Store: func() (store.Store, error) {
		st, err := store.Open(t.TempDir())
		return lossy{st}, err
	}})
	if res[0].Passed {
		t.Fatalf("passed over a store that drops enrollments")
	}
	f := res[0].Failures[0]
	if f.Line != 17 || !strings.Contains(f.Message, "the engine rebuilt from the store differs: record contact/c1: enrollments was [") {
		t.Errorf("first failure = %+v", f)
	}
}
