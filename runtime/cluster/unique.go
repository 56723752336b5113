package cluster

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/engine"
	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/value"
)

// The unique index (wf_unique) maps each value of a unique property to
// the record that has it. Partitions keep it as they commit (in the same
// transaction, so it is exactly as current as the records), and any node
// reads it to route a change that names its record by such a value — an
// event with "match", an incoming webhook — to the record's partition,
// whose engine then resolves the match itself. A record accepted but not
// yet applied is not in the index yet: a change naming it by value
// meanwhile is refused with the reason, as one naming no record is.

// uniqueKey is the index's text for a value: its kind and content, so
// values of different kinds never meet, the string quoted (PostgreSQL
// text cannot hold a NUL byte).
func uniqueKey(v value.Value) string {
	return strconv.Itoa(int(v.K)) + ":" + strconv.Quote(v.S) + ":" + strconv.FormatFloat(v.N, 'g', -1, 64)
}

// uniqueProps lists each object type's unique properties by name.
func uniqueProps(prog *bytecode.Program) map[string][]string {
	out := map[string][]string{}
	for _, t := range prog.Types {
		for _, p := range t.Props {
			if p.Unique {
				out[t.Name] = append(out[t.Name], p.Name)
			}
		}
	}
	return out
}

type recKey struct{ typ, id string }

type uniqueRow struct{ typ, prop, value, id string }

// uniqueWrites is what one commit changes in the index: the records whose
// rows are replaced, and their rows now.
type uniqueWrites struct {
	records []recKey
	rows    []uniqueRow
}

// indexOp adds a batch write's effect on the index.
func (u *uniqueWrites) indexOp(op store.Op, props map[string][]string) error {
	switch op.Kind {
	case store.OpDeleteRecord:
		u.records = append(u.records, recKey{op.Record.Type, op.Record.ID})
	case store.OpPutRecord:
		names := props[op.Record.Type]
		if len(names) == 0 {
			return nil
		}
		var rs engine.RecordState
		if err := json.Unmarshal(op.Record.State, &rs); err != nil {
			return fmt.Errorf("cluster: indexing %s/%s: %v", op.Record.Type, op.Record.ID, err)
		}
		u.records = append(u.records, recKey{op.Record.Type, op.Record.ID})
		for _, name := range names {
			if v, ok := rs.Props[name]; ok && !v.IsEmpty() {
				u.rows = append(u.rows, uniqueRow{op.Record.Type, name, uniqueKey(v), op.Record.ID})
			}
		}
	}
	return nil
}

// write applies the index writes of a merged commit in its transaction.
func (u *uniqueWrites) write(ctx context.Context, tx pgx.Tx) error {
	if len(u.records) == 0 {
		return nil
	}
	var types, ids []string
	for _, r := range u.records {
		types, ids = append(types, r.typ), append(ids, r.id)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM wf_unique u USING unnest($1::text[], $2::text[]) AS d(type, id)
		WHERE u.type = d.type AND u.id = d.id`, types, ids); err != nil {
		return err
	}
	if len(u.rows) == 0 {
		return nil
	}
	// One row per value: the last write of a value wins.
	last := map[[3]string]int{}
	for i, r := range u.rows {
		last[[3]string{r.typ, r.prop, r.value}] = i
	}
	var ts, ps, vs, is []string
	for i, r := range u.rows {
		if last[[3]string{r.typ, r.prop, r.value}] == i {
			ts, ps, vs, is = append(ts, r.typ), append(ps, r.prop), append(vs, r.value), append(is, r.id)
		}
	}
	_, err := tx.Exec(ctx, `INSERT INTO wf_unique (type, prop, value, id)
		SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
		ON CONFLICT (type, prop, value) DO UPDATE SET id = excluded.id`, ts, ps, vs, is)
	return err
}

// lookup is one value to resolve: which record of typ has prop = value.
type lookup struct{ typ, prop, value string }

// resolve finds the records that have the values (absent: none has).
func (c *Cluster) resolve(ctx context.Context, ls []lookup) (map[lookup]string, error) {
	out := map[lookup]string{}
	if len(ls) == 0 {
		return out, nil
	}
	var ts, ps, vs []string
	for _, l := range ls {
		ts, ps, vs = append(ts, l.typ), append(ps, l.prop), append(vs, l.value)
	}
	rows, err := c.db.Pool().Query(ctx, `SELECT u.type, u.prop, u.value, u.id FROM wf_unique u
		JOIN unnest($1::text[], $2::text[], $3::text[]) AS q(type, prop, value)
		ON u.type = q.type AND u.prop = q.prop AND u.value = q.value`, ts, ps, vs)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var l lookup
		var id string
		if err := rows.Scan(&l.typ, &l.prop, &l.value, &id); err != nil {
			return nil, err
		}
		out[l] = id
	}
	return out, rows.Err()
}
