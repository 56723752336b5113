package bytecode

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func encode(t testing.TB, p *Program) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, p); err != nil {
		t.Fatalf("Encode: %v", err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for name, p := range map[string]*Program{
		"full":  fullProgram(),
		"empty": {Version: Version},
	} {
		t.Run(name, func(t *testing.T) {
			if err := p.Validate(); err != nil {
				t.Fatalf("the test program does not validate: %v", err)
			}
			data := encode(t, p)
			got, err := Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(p, got); diff != "" {
				t.Errorf("Decode(Encode(p)) differs from p (-want +got):\n%s", diff)
			}
			if again := encode(t, got); !bytes.Equal(again, data) {
				t.Errorf("re-encoding the decoded program gives other bytes")
			}
		})
	}
}

func TestEncodeRejectsOtherVersion(t *testing.T) {
	err := Encode(io.Discard, &Program{Version: Version + 1})
	if err == nil || !strings.Contains(err.Error(), "version") {
		t.Errorf("Encode of a version %d program: err = %v, want a version error", Version+1, err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestEncodeReportsWriteError(t *testing.T) {
	if err := Encode(failWriter{}, fullProgram()); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Encode to a failing writer: err = %v, want the write error", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encode(t, fullProgram())
	other := append([]byte(Magic), binary.AppendUvarint(nil, Version+1)...)
	other = append(other, good[len(Magic)+1:]...)
	badBool := encode(t, &Program{Version: Version, Types: []*ObjectType{{Name: "x"}}})
	// Types count (2), presence flag (1): make the presence flag 7.
	badBool[len(Magic)+2] = 7
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"empty input", nil, "bad magic"},
		{"not a program", []byte("workflow w { on contact }"), "bad magic"},
		{"other version", other, "compiled by bytecode version 2; this wf reads version 1: recompile"},
		{"no version", []byte(Magic), "truncated"},
		{"truncated", good[:len(good)/2], "truncated"},
		{"trailing bytes", append(append([]byte(nil), good...), 0), "1 unexpected bytes after its end"},
		{"huge length", append([]byte(Magic), 1, 0xff, 0xff, 0xff, 0xff, 0x0f), "exceeds the remaining 0 bytes"},
		{"bad boolean", badBool, "bad boolean 7"},
		{"bad varint", append([]byte(Magic), 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01), "malformed varint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Decode(bytes.NewReader(tt.data))
			if err == nil {
				t.Fatalf("Decode succeeded with %d types, want an error containing %q", len(p.Types), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Decode error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestDecodeEveryPrefix checks that each truncation of a valid encoding is
// reported as an error rather than decoded or panicking.
func TestDecodeEveryPrefix(t *testing.T) {
	good := encode(t, fullProgram())
	for n := range len(good) {
		if _, err := Decode(bytes.NewReader(good[:n])); err == nil {
			t.Fatalf("Decode of the first %d of %d bytes succeeded", n, len(good))
		}
	}
}

// TestDecodeValidates checks that Decode rejects a well-encoded program
// whose code does not hold together.
func TestDecodeValidates(t *testing.T) {
	p := fullProgram()
	p.Code[p.Exprs[0].Start+1] = Make(CONST, 999)
	_, err := Decode(bytes.NewReader(encode(t, p)))
	if err == nil || !strings.Contains(err.Error(), "CONST operand 999") {
		t.Errorf("Decode of a program with a bad constant index: err = %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(encode(f, fullProgram()))
	f.Add(encode(f, &Program{Version: Version}))
	f.Add([]byte(Magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		// Whatever decodes must validate, re-encode to the same bytes and
		// disassemble.
		if err := p.Validate(); err != nil {
			t.Fatalf("decoded program does not validate: %v", err)
		}
		if again := encode(t, p); !bytes.Equal(again, data) {
			t.Fatalf("re-encoding gives other bytes")
		}
		if err := Disasm(io.Discard, p); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFullProgramSetsEveryField guards the round-trip test: every field of
// every struct reachable from Program must be non-zero somewhere in
// fullProgram, so that a field added to the Program without being encoded
// makes TestRoundTrip fail.
func TestFullProgramSetsEveryField(t *testing.T) {
	set := map[string]bool{}
	all := map[string]bool{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem())
			}
		case reflect.Slice:
			for i := range v.Len() {
				walk(v.Index(i))
			}
		case reflect.Struct:
			for i := range v.NumField() {
				name := v.Type().Name() + "." + v.Type().Field(i).Name
				all[name] = true
				if !v.Field(i).IsZero() {
					set[name] = true
				}
				walk(v.Field(i))
			}
		}
	}
	walk(reflect.ValueOf(fullProgram()))
	for name := range all {
		if !set[name] {
			t.Errorf("fullProgram never sets %s: set it (and encode it)", name)
		}
	}
}
