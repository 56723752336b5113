package wftest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/server"
	"github.com/wflang/wf/runtime/store"
)

// Durable runs (Options.Store): the engine commits to the store after
// every statement that can change state and is rebuilt from it, so the
// rest of the test sees only what the store kept.

// changesState reports whether a statement of this kind can change the
// engine's state: after it a durable run commits and rebuilds.
func changesState(k bytecode.TestStmtKind) bool {
	switch k {
	case bytecode.TestAt, bytecode.TestAdvance, bytecode.TestUpsert, bytecode.TestDelete, bytecode.TestEvent,
		bytecode.TestAssociate, bytecode.TestHook, bytecode.TestEnable, bytecode.TestEnroll:
		return true
	}
	return false
}

// start loads the empty store into the first engine and commits what
// that wrote (the globals: enabling, the schedules' first timers), as a
// node starting on an empty store does; then, as after every statement
// that changes state, the engine is rebuilt from the store.
func (r *run) start() error {
	g, recs, err := server.LoadState(r.st)
	if err != nil {
		return err
	}
	if _, err := r.eng.Restore(g, recs); err != nil {
		return err
	}
	if err := r.commit(); err != nil {
		return err
	}
	eng, err := r.rebuild()
	if err != nil {
		return err
	}
	if diff := stateDiff(r.eng, eng); diff != "" {
		return fmt.Errorf("the engine rebuilt from the store differs: %s", diff)
	}
	r.eng = eng
	return nil
}

// commit writes the engine's delta to the store in one transaction.
func (r *run) commit() error {
	d := r.eng.TakeDelta()
	var b store.Batch
	b.SetTime(r.clock.Now())
	if err := server.DeltaBatch(&d, &b); err != nil {
		return err
	}
	return r.st.Commit(&b)
}

// persist commits what st changed and replaces the engine with one
// rebuilt from the store, failing st if the rebuilt engine's state is not
// the state it replaces.
func (r *run) persist(st *bytecode.TestStmt) {
	if err := r.commit(); err != nil {
		r.failf(st, "%s: committing to the store: %v", st.Text, err)
		r.broken = true
		return
	}
	eng, err := r.rebuild()
	if err != nil {
		r.failf(st, "%s: rebuilding the engine from the store: %v", st.Text, err)
		r.broken = true
		return
	}
	if diff := stateDiff(r.eng, eng); diff != "" {
		r.failf(st, "%s: the engine rebuilt from the store differs: %s", st.Text, diff)
	}
	r.eng = eng
}

// rebuild makes a new engine from what the store holds, as a node does
// at start: the workflows the stored globals say are disabled start
// disabled, and Restore loads the rest.
func (r *run) rebuild() (*engine.Engine, error) {
	g, recs, err := server.LoadState(r.st)
	if err != nil {
		return nil, err
	}
	if g == nil {
		return nil, fmt.Errorf("the store has no globals")
	}
	r.muted = true
	defer func() { r.muted = false }()
	eo := r.eo
	eo.Disabled = g.Disabled
	eng, err := engine.New(r.p, eo)
	if err != nil {
		return nil, err
	}
	left, err := eng.Restore(g, recs)
	if err != nil {
		return nil, err
	}
	if len(left) > 0 {
		return nil, fmt.Errorf("%d enrollment(s) could not be restored, the first %s in %s at %q", len(left), left[0].Type+"/"+left[0].ID, left[0].Workflow, left[0].Step)
	}
	return eng, nil
}

// stateDiff compares two engines' whole state (engine.Export) as a store
// would write it, and describes the first difference ("" when none).
func stateDiff(old, rebuilt *engine.Engine) string {
	og, orecs := old.Export()
	ng, nrecs := rebuilt.Export()
	if d := jsonDiff(og, ng); d != "" {
		return "globals: " + d
	}
	byKey := map[string]*engine.RecordState{}
	for i := range nrecs {
		byKey[nrecs[i].Key()] = &nrecs[i]
	}
	for i := range orecs {
		k := orecs[i].Key()
		n := byKey[k]
		if n == nil {
			return fmt.Sprintf("record %s is missing", k)
		}
		if d := jsonDiff(orecs[i], *n); d != "" {
			return fmt.Sprintf("record %s: %s", k, d)
		}
		delete(byKey, k)
	}
	keys := slices.Sorted(maps.Keys(byKey))
	if len(keys) > 0 {
		return fmt.Sprintf("record %s was not there", keys[0])
	}
	return ""
}

// jsonDiff compares a and b as JSON and describes the first difference
// ("" when none) as the path to it with both values.
func jsonDiff(a, b any) string {
	var x, y any
	if err := roundTrip(a, &x); err != nil {
		return err.Error()
	}
	if err := roundTrip(b, &y); err != nil {
		return err.Error()
	}
	d, _ := firstDiff("", x, y)
	return d
}

func roundTrip(v any, out *any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, out)
}

// firstDiff walks two decoded JSON values in step.
func firstDiff(path string, a, b any) (string, bool) {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			keys := slices.Sorted(maps.Keys(x))
			for k := range y {
				if _, ok := x[k]; !ok {
					keys = append(keys, k)
				}
			}
			for _, k := range keys {
				if d, ok := firstDiff(join(path, k), x[k], y[k]); ok {
					return d, true
				}
			}
			return "", false
		}
	case []any:
		if y, ok := b.([]any); ok {
			for i := range max(len(x), len(y)) {
				var xi, yi any
				if i < len(x) {
					xi = x[i]
				}
				if i < len(y) {
					yi = y[i]
				}
				if d, ok := firstDiff(fmt.Sprintf("%s[%d]", path, i), xi, yi); ok {
					return d, true
				}
			}
			return "", false
		}
	default:
		if a == b {
			return "", false
		}
	}
	return fmt.Sprintf("%s was %s, rebuilt %s", path, short(a), short(b)), true
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// short renders a decoded JSON value for a message, cut at 200 bytes.
func short(v any) string {
	if v == nil {
		return "nothing"
	}
	data, _ := json.Marshal(v)
	if len(data) > 200 {
		return string(data[:200]) + "…"
	}
	return string(data)
}

// outbox returns every effect so far, oldest first: the engine's in
// memory, the store's in a durable run.
func (r *run) outbox(st *bytecode.TestStmt) []engine.Effect {
	if r.st == nil {
		return r.eng.Outbox()
	}
	var out []engine.Effect
	var after uint64
	for {
		entries, err := r.st.Outbox(after, 1000)
		if err != nil {
			r.failf(st, "%s: reading the outbox: %v", st.Text, err)
			return out
		}
		for _, en := range entries {
			var ef engine.Effect
			if err := json.Unmarshal(en.Data, &ef); err != nil {
				r.failf(st, "%s: outbox entry %d: %v", st.Text, en.Seq, err)
				return out
			}
			out = append(out, ef)
			after = en.Seq
		}
		if len(entries) < 1000 {
			return out
		}
	}
}
