package server

import (
	"fmt"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/runtime/store"
)

// Enrollments on old versions.
//
// A reload moves each in-flight enrollment to the new version of its
// workflow when the step it is at (and the wait it is suspended in) exist
// there. One whose step is gone finishes on the version it started on: the
// node keeps that version's Program alive, with an engine of its own (every
// workflow disabled, so it enrolls nothing) holding only those enrollments
// and their records, and routes to it:
//
//   - its timers, fired on the loop with the current version's;
//   - the changes ingested for its records: the record's properties are
//     copied from the current engine into it before it runs anything, and
//     the events, re-decoded against the old program, are applied to it;
//     a record deleted in the current engine is deleted there too;
//   - what its steps do: properties they set are applied to the current
//     engine as an upsert (so the current version's workflows react to
//     them), and its enrollments, action log entries and outbox effects are
//     committed in the same transaction as the group that caused them.
//
// When the last of its enrollments ends the old version is dropped. The
// current version does not know the record is enrolled on the old one, so
// it may enroll the record in the new version of the workflow meanwhile.
// Old programs are not stored: after a restart, enrollments whose step is
// in no loaded program wait in the store, as they are, and resume if a
// later version has their step again. Incoming webhook calls and manual
// enrollments reach the current version only.
type oldVersion struct {
	prog *bytecode.Program
	eng  *engine.Engine
	dec  *ingest.Decoder
	keys map[string]bool // "type/id" of the records with enrollments here
}

// buildOld starts engines for the enrollments the current program could not
// take, each on the program among cands that has its workflow version and
// step. It returns them and the enrollments no candidate has.
func (n *Node) buildOld(cands []*bytecode.Program, left []engine.EnrollmentState, recs []engine.RecordState) ([]*oldVersion, []engine.EnrollmentState) {
	byKey := map[string]*engine.RecordState{}
	for i := range recs {
		byKey[recs[i].Key()] = &recs[i]
	}
	type group struct {
		recs  map[string]*engine.RecordState
		order []string
	}
	groups := map[*bytecode.Program]*group{}
	var stuck []engine.EnrollmentState
	for _, es := range left {
		p := findVersion(cands, es)
		rs := byKey[es.Type+"/"+es.ID]
		if p == nil || rs == nil {
			stuck = append(stuck, es)
			continue
		}
		g := groups[p]
		if g == nil {
			g = &group{recs: map[string]*engine.RecordState{}}
			groups[p] = g
		}
		r := g.recs[rs.Key()]
		if r == nil {
			r = &engine.RecordState{Type: rs.Type, ID: rs.ID, Props: rs.Props, Links: rs.Links}
			g.recs[rs.Key()] = r
			g.order = append(g.order, rs.Key())
		}
		r.Enrollments = append(r.Enrollments, es)
	}
	var olds []*oldVersion
	for _, p := range cands {
		g := groups[p]
		if g == nil {
			continue
		}
		opts := n.engineOptions()
		for _, wf := range p.Workflows {
			opts.Disabled = append(opts.Disabled, wf.Name)
		}
		eng, err := engine.New(p, opts)
		if err != nil {
			n.log.Warn("old version not loaded", "err", err)
			continue
		}
		var rs []engine.RecordState
		for _, k := range g.order {
			rs = append(rs, *g.recs[k])
		}
		again, err := eng.Restore(nil, rs)
		if err != nil {
			n.log.Warn("restoring enrollments on their old version", "err", err)
		}
		stuck = append(stuck, again...)
		o := &oldVersion{prog: p, eng: eng, dec: ingest.NewDecoder(p), keys: map[string]bool{}}
		for _, k := range g.order {
			o.keys[k] = true
		}
		olds = append(olds, o)
	}
	return olds, stuck
}

// findVersion returns the program of cands whose version of es's workflow
// is the one es runs on and has its step.
func findVersion(cands []*bytecode.Program, es engine.EnrollmentState) *bytecode.Program {
	for _, p := range cands {
		for _, wf := range p.Workflows {
			if wf.Name != es.Workflow || wf.Hash != es.Version {
				continue
			}
			for _, st := range wf.Steps {
				if st.ID == es.Step {
					return p
				}
			}
		}
	}
	return nil
}

// syncProps makes the properties of record typ/id in to equal those in
// from, for the properties both programs declare with the same kind, by
// applying an upsert to to. It reports whether the record exists in from.
func syncProps(from *engine.Engine, fromProg *bytecode.Program, to *engine.Engine, toProg *bytecode.Program, typ, id string) (bool, error) {
	src, ok := from.Record(typ, id)
	if !ok {
		return false, nil
	}
	dst, _ := to.Record(typ, id)
	var ft, tt *bytecode.ObjectType
	ti := -1
	for _, t := range fromProg.Types {
		if t.Name == typ {
			ft = t
		}
	}
	for i, t := range toProg.Types {
		if t.Name == typ {
			tt, ti = t, i
		}
	}
	if ft == nil || tt == nil {
		return true, nil
	}
	ch := ingest.Change{Op: ingest.Upsert, Type: ti, ID: id}
	for slot, p := range tt.Props {
		for fs, q := range ft.Props {
			if q.Name != p.Name || q.Type.ValueKind() != p.Type.ValueKind() {
				continue
			}
			v := src.Props[fs]
			if slot < len(dst.Props) && dst.Props[slot] == v {
				continue
			}
			ch.Props = append(ch.Props, ingest.Prop{Slot: slot, Value: v})
		}
	}
	if len(ch.Props) == 0 && dst.Props != nil {
		return true, nil
	}
	return true, to.Apply(ch)
}

// refreshOld copies the current properties of o's records into o.
func (n *Node) refreshOld(v *version, o *oldVersion) {
	for k := range o.keys {
		typ, id := splitKey(k)
		ok, err := syncProps(v.eng, v.prog, o.eng, o.prog, typ, id)
		if err != nil {
			n.log.Warn("old version: copying properties", "record", k, "err", err)
		}
		if !ok {
			ti := typeIndex(o.prog, typ)
			if err := o.eng.Apply(ingest.Change{Op: ingest.Delete, Type: ti, ID: id}); err != nil {
				n.log.Warn("old version: deleting", "record", k, "err", err)
			}
		}
	}
}

// routeChanges applies to the old versions the events of data that were
// applied to the current version (lines in applied) for their records.
func (n *Node) routeChanges(v *version, data []byte, applied map[int]bool, touched map[string]bool) {
	for _, o := range v.olds {
		hit := false
		for k := range touched {
			if o.keys[k] {
				hit = true
			}
		}
		if !hit {
			continue
		}
		n.refreshOld(v, o)
		changes, _ := o.dec.Decode(data)
		for _, ch := range changes {
			if !applied[ch.Line] || ch.Op != ingest.Event || !o.keys[o.prog.Types[ch.Type].Name+"/"+ch.ID] {
				continue
			}
			if err := o.eng.Apply(ch); err != nil {
				n.log.Warn("old version: event", "record", ch.ID, "err", err)
			}
		}
	}
}

// settleOld brings what the old versions did into the current engine and
// the batch, and drops the old versions whose enrollments all ended.
func (n *Node) settleOld(v *version, b *store.Batch) error {
	keep := v.olds[:0]
	for _, o := range v.olds {
		d := o.eng.TakeDelta()
		for i := range d.Records {
			rs := &d.Records[i]
			if rs.Deleted {
				continue
			}
			if _, err := syncProps(o.eng, o.prog, v.eng, v.prog, rs.Type, rs.ID); err != nil {
				n.log.Warn("old version: setting properties", "record", rs.Key(), "err", err)
			}
			for j := range rs.Enrollments {
				if err := putEnrollment(b, &rs.Enrollments[j]); err != nil {
					return err
				}
			}
		}
		if err := deltaBatch(&engine.Delta{Log: d.Log, Outbox: d.Outbox}, b); err != nil {
			return err
		}
		for k := range o.keys {
			typ, id := splitKey(k)
			current := false
			for _, en := range o.eng.Enrollments(typ, id) {
				current = current || en.Status.Current()
			}
			if !current {
				delete(o.keys, k)
			}
		}
		if len(o.keys) > 0 {
			keep = append(keep, o)
		} else {
			n.log.Info("old version done: its last enrollment ended")
		}
	}
	v.olds = keep
	n.mu.Lock()
	n.onOld = 0
	for _, o := range keep {
		n.onOld += len(o.keys)
	}
	n.mu.Unlock()
	return nil
}

func splitKey(k string) (typ, id string) {
	for i := 0; i < len(k); i++ {
		if k[i] == '/' {
			return k[:i], k[i+1:]
		}
	}
	return k, ""
}

func typeIndex(p *bytecode.Program, name string) int {
	for i, t := range p.Types {
		if t.Name == name {
			return i
		}
	}
	panic(fmt.Sprintf("server: no type %s", name))
}
