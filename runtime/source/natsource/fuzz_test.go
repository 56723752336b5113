package natsource

import (
	"bytes"
	"encoding/json"
	"testing"
)

// FuzzSplit feeds arbitrary payloads (what a bus hands over is anyone's
// bytes) through split and prepare: nothing panics, every part that is
// sent is one line of valid JSON, and an object sent carries a client id
// — its own, or the one derived from the message.
func FuzzSplit(f *testing.F) {
	for _, s := range []string{
		`{"op":"upsert","type":"contact","id":"c1","props":{"email":"a@x.io"}}`,
		"{\"op\":\"upsert\",\n \"type\":\"contact\",\"id\":\"c1\"}",
		`[{"op":"delete","type":"contact","id":"c1"},{"op":"delete","type":"contact","id":"c2","client_id":"own"}]`,
		"{\"op\":\"delete\"}\n\nnot json\n{\"client_id\":null}\n{ }",
		`{"props":{"note":"client_id"}}`,
		`[1, "x", null]`,
		`{"client\u005fid":"escaped"}`,
		"[",
		"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, p := range split(data) {
			p.prepare("derived")
			if p.err != "" {
				continue
			}
			if bytes.IndexByte(p.json, '\n') >= 0 || !json.Valid(p.json) {
				t.Fatalf("part of %q sent as %q: not one line of valid JSON", data, p.json)
			}
			var obj map[string]any
			if json.Unmarshal(p.json, &obj) != nil || obj == nil {
				continue // not an object: the sink reports it
			}
			id, _ := obj["client_id"].(string)
			if id == "" {
				t.Fatalf("object of %q sent without a client id: %s", data, p.json)
			}
			if p.clientID != "" && id != p.clientID {
				t.Fatalf("object of %q sent with client id %q, recorded %q", data, id, p.clientID)
			}
		}
	})
}
