package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
	"github.com/wflang/wf/runtime/ingest"
	"github.com/wflang/wf/value"
)

// timedChange is one decoded input change with the time it applies at.
type timedChange struct {
	ingest.Change
	at   time.Time // zero: at the clock's time when its turn comes
	line int
}

// inputError is one bad input line.
type inputError struct {
	file string
	line int
	msg  string
}

func (e inputError) Error() string { return fmt.Sprintf("%s:%d: %s", e.file, e.line, e.msg) }

// readChanges decodes a JSON Lines file of changes against prog's schema.
// Each line is one change object as ingest accepts it, plus an optional
// "at" (RFC 3339 or epoch milliseconds) saying when it happens; for an
// event, "at" is also the event's time. Blank lines are skipped. It
// returns every change, or every error, each naming its line.
func readChanges(name string, prog *bytecode.Program) ([]timedChange, []error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, []error{err}
	}
	dec := ingest.NewDecoder(prog)
	var (
		out  []timedChange
		errs []error
		last time.Time
	)
	for i, line := range bytes.Split(data, []byte("\n")) {
		n := i + 1
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		bad := func(format string, args ...any) {
			errs = append(errs, inputError{name, n, fmt.Sprintf(format, args...)})
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(line, &m); err != nil {
			bad("not a JSON change object: %v", err)
			continue
		}
		var at time.Time
		if raw, ok := m["at"]; ok {
			t, err := parseAt(raw)
			if err != nil {
				bad("at: %v", err)
				continue
			}
			at = t
			// ingest takes "at" only on events, where it is the event's time.
			if op := string(bytes.TrimSpace(m["op"])); op != `"event"` {
				delete(m, "at")
				line, _ = json.Marshal(m)
			}
		}
		ch, err := dec.DecodeOne(n, line)
		if err != nil {
			if ie, ok := err.(*ingest.Error); ok {
				msg := ie.Msg
				if ie.Field != "" {
					msg = ie.Field + ": " + msg
				}
				bad("%s", msg)
			} else {
				bad("%v", err)
			}
			continue
		}
		if !at.IsZero() {
			if at.Before(last) {
				bad("at %s is before the change before it (%s); changes must be in time order",
					at.Format(time.RFC3339), last.Format(time.RFC3339))
				continue
			}
			last = at
		}
		out = append(out, timedChange{Change: ch, at: at, line: n})
	}
	return out, errs
}

// parseAt reads an "at" value: an RFC 3339 datetime or epoch milliseconds.
func parseAt(raw json.RawMessage) (time.Time, error) {
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return time.Time{}, err
	}
	if v == nil {
		return time.Time{}, fmt.Errorf("null; give a datetime or leave \"at\" out")
	}
	t, err := value.FromJSON(value.DateTimeType, v)
	if err != nil {
		return time.Time{}, err
	}
	return t.Time(), nil
}
