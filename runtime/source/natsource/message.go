package natsource

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wflang/wf/runtime/ingest"
)

// part is one change of a message: its line in the message's payload
// and either the change's compact JSON, ready to be one line of a batch,
// or why the change cannot be sent (err).
type part struct {
	line     int
	json     []byte // compact, one line; nil when err is set
	clientID string
	err      string
	field    string // of err, when the sink named one
}

// split cuts a message's payload into its changes, as ingest.Decoder
// reads a body: one change object, a JSON array of changes, or JSON
// Lines. A payload that is not valid JSON as a whole and starts with "["
// is one bad part (none of it is sent: a message is the unit the sender
// published); a bad line of JSON Lines is a bad part of its own.
func split(data []byte) []part {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	first := 1 + bytes.Count(data[:len(data)-len(trimmed)], []byte("\n"))
	trimmed = bytes.TrimRight(trimmed, " \t\r\n")
	switch {
	case len(trimmed) == 0:
		return nil
	case trimmed[0] == '[':
		return splitArray(data, first, trimmed)
	case json.Valid(trimmed):
		return []part{{line: first, json: trimmed}}
	}
	var parts []part
	for i, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		p := part{line: i + 1, json: line}
		if !json.Valid(line) {
			p = part{line: i + 1, err: badJSON(line)}
		}
		parts = append(parts, p)
	}
	return parts
}

// splitArray returns the elements of a JSON array with the line each
// starts on.
func splitArray(data []byte, first int, trimmed []byte) []part {
	if !json.Valid(trimmed) {
		line := first
		var se *json.SyntaxError
		if err := json.Unmarshal(trimmed, new(any)); errors.As(err, &se) {
			line += bytes.Count(trimmed[:se.Offset], []byte("\n"))
		}
		return []part{{line: line, err: badJSON(trimmed)}}
	}
	var parts []part
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	dec.Token() // "["; the array is valid
	for dec.More() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil { // cannot happen: valid JSON
			return []part{{line: first, err: badJSON(trimmed)}}
		}
		// InputOffset was before the separating comma and blanks.
		skip := bytes.TrimLeft(trimmed[start:], " \t\r\n,")
		line := first + bytes.Count(trimmed[:len(trimmed)-len(skip)], []byte("\n"))
		parts = append(parts, part{line: line, json: raw})
	}
	return parts
}

func badJSON(b []byte) string {
	err := json.Unmarshal(b, new(any))
	if err == nil {
		return "bad JSON"
	}
	return "bad JSON: " + err.Error()
}

// prepare checks that p is a change object and gives it its client id:
// the one it carries, or id when it has none ("client_id" absent, null
// or ""). It leaves p.json on one line.
func (p *part) prepare(id string) {
	if p.err != "" {
		return
	}
	if bytes.IndexByte(p.json, '\n') >= 0 { // an element or object over several lines
		var b bytes.Buffer
		if err := json.Compact(&b, p.json); err != nil { // cannot happen: valid JSON
			p.err, p.json = badJSON(p.json), nil
			return
		}
		p.json = b.Bytes()
	}
	if len(p.json) > 0 && p.json[0] == '{' && !bytes.Contains(p.json, []byte("client_id")) && !bytes.Contains(p.json, []byte(`\u`)) {
		// The common case, without decoding: an object (p.json is valid
		// JSON) with no client id, which gets one as its first field.
		// (Text with \u escapes takes the decoding path below: a key
		// spelt "client\u005fid" is a client id too. FuzzSplit found it.)
		quoted, _ := json.Marshal(id)
		rest := bytes.TrimLeft(p.json[1:], " \t\r")
		out := make([]byte, 0, len(p.json)+len(quoted)+14)
		out = append(append(append(out, `{"client_id":`...), quoted...), ',')
		if rest[0] == '}' {
			out = out[:len(out)-1]
		}
		p.json, p.clientID = append(out, rest...), id
		return
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(p.json, &obj); err != nil || obj == nil {
		p.err, p.json = "expected a change object, got "+kind(p.json), nil
		return
	}
	if own, ok := obj["client_id"]; ok && !bytes.Equal(own, []byte("null")) && !bytes.Equal(own, []byte(`""`)) {
		// Its own id (or a bad one, which the sink reports).
		var s string
		if json.Unmarshal(own, &s) == nil {
			p.clientID = s
		}
		return
	}
	quoted, _ := json.Marshal(id)
	obj["client_id"] = quoted
	out, err := json.Marshal(obj) // compacts every value
	if err != nil {
		p.err, p.json = badJSON(p.json), nil
		return
	}
	p.json, p.clientID = out, id
}

// kind names the JSON kind of a valid JSON value.
func kind(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 'n':
		return "null"
	case 't', 'f':
		return "a bool"
	}
	return "a number"
}

// clientID is the client id of the change at pos (1-based) of n in a
// message whose base id is base: base itself when the message has one
// change, base#pos when it has several, with any % and # in base escaped
// (%25, %23) so that no two messages' changes can share an id (a review
// found message "X" with two changes and message "X:1" colliding). An id
// longer than ingest allows is replaced by a hash of it.
func clientID(base string, pos, n int) string {
	id := base
	if n > 1 {
		id = base + "#" + strconv.Itoa(pos)
	}
	if len(id) > ingest.MaxClientID {
		sum := sha256.Sum256([]byte(id))
		id = "nats:sha256:" + hex.EncodeToString(sum[:])
	}
	return id
}

var idEscaper = strings.NewReplacer("%", "%25", "#", "%23")

// baseID is a message's base client id: its Nats-Msg-Id header, else
// nats:<stream>:<stream sequence>. Both are the same at every delivery.
func baseID(msgID, stream string, seq uint64) string {
	if msgID != "" {
		return idEscaper.Replace(msgID)
	}
	// A leading # cannot come from an escaped message id.
	return fmt.Sprintf("#nats:%s:%d", idEscaper.Replace(stream), seq)
}
