package value

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	plan  = Type{Kind: TEnum, Options: []string{"free", "pro", "enterprise"}}
	flags = Type{Kind: TEnum, Options: []string{"1", "2", "true"}}
	tags  = Type{Kind: TSet, Options: []string{"beta", "vip", "partner"}}
	stage = Type{Kind: TEnum, Options: []string{"subscriber", "lead", "marketingqualifiedlead",
		"salesqualifiedlead", "opportunity", "customer", "evangelist", "other", "a", "b", "c", "d", "e", "f"}}
)

func ms(s string) Value {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return Time(t)
}

func day(s string) Value {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return DateOf(t)
}

func TestFromJSON(t *testing.T) {
	tests := []struct {
		name string
		t    Type
		in   any
		want Value
	}{
		{"null clears", NumberType, nil, Value{}},
		{"null string", StringType, nil, Value{}},
		{"string", StringType, "Ada", Str("Ada")},
		{"empty string", StringType, "", Str("")},
		{"url", URLType, "https://acme.com/x", Str("https://acme.com/x")},
		{"json number", NumberType, json.Number("42"), Num(42)},
		{"json fraction", NumberType, json.Number("-1.5e3"), Num(-1500)},
		{"float64", NumberType, 2.5, Num(2.5)},
		{"int", NumberType, 7, Num(7)},
		{"int64", NumberType, int64(1) << 53, Num(1 << 53)},
		{"numeric string", NumberType, " 12.50 ", Num(12.5)},
		{"bool true", BoolType, true, True},
		{"bool false", BoolType, false, False},
		{"bool string", BoolType, "true", True},
		{"bool string any case", BoolType, "FALSE", False},
		{"datetime rfc3339", DateTimeType, "2026-01-05T08:00:00Z", ms("2026-01-05T08:00:00Z")},
		{"datetime offset", DateTimeType, "2026-01-05T09:00:00+01:00", ms("2026-01-05T08:00:00Z")},
		{"datetime fraction", DateTimeType, "2026-01-05T08:00:00.25Z", ms("2026-01-05T08:00:00.25Z")},
		{"datetime lower t and z", DateTimeType, "2026-01-05t08:00:00z", ms("2026-01-05T08:00:00Z")},
		{"datetime space no zone", DateTimeType, "2026-01-05 08:00", ms("2026-01-05T08:00:00Z")},
		{"datetime basic offset", DateTimeType, "2026-01-05T03:00:00-0500", ms("2026-01-05T08:00:00Z")},
		{"datetime date only", DateTimeType, "2026-01-05", ms("2026-01-05T00:00:00Z")},
		{"datetime epoch ms", DateTimeType, json.Number("1767600000000"), ms("2026-01-05T08:00:00Z")},
		{"datetime epoch float", DateTimeType, 1767600000000.0, ms("2026-01-05T08:00:00Z")},
		{"datetime epoch string", DateTimeType, "1767600000000", ms("2026-01-05T08:00:00Z")},
		{"datetime before 1970", DateTimeType, "1969-12-31T23:59:59Z", DateTimeMillis(-1000)},
		{"date", DateType, "2026-01-05", day("2026-01-05")},
		{"date leap day", DateType, "2024-02-29", day("2024-02-29")},
		{"date from datetime keeps its own date", DateType, "2026-01-05T23:30:00-05:00", day("2026-01-05")},
		{"date epoch ms", DateType, json.Number("1767657599999"), day("2026-01-05")},
		{"date epoch ms before 1970", DateType, -1.0, day("1969-12-31")},
		{"date epoch string", DateType, "0", day("1970-01-01")},
		{"enum", plan, "pro", Str("pro")},
		{"enum number text", flags, json.Number("2"), Str("2")},
		{"enum bool text", flags, true, Str("true")},
		{"set array", tags, []any{"vip", "beta", "vip"}, SetOf([]string{"beta", "vip"})},
		{"set string slice", tags, []string{"partner"}, SetOf([]string{"partner"})},
		{"set semicolons", tags, "vip; beta;;", SetOf([]string{"beta", "vip"})},
		{"set empty array", tags, []any{}, SetOf(nil)},
		{"set empty string", tags, "", SetOf(nil)},
		{"list", ListType, []any{"b", "a", "b"}, ListOf([]string{"b", "a", "b"})},
		{"list semicolons", ListType, "x;y", ListOf([]string{"x", "y"})},
		{"duration ms", DurationType, json.Number("90000"), Dur(90 * time.Second)},
		{"duration string", DurationType, "1000", Dur(time.Second)},
		{"any string", AnyType, "x", Str("x")},
		{"any number", AnyType, json.Number("3"), Num(3)},
		{"any bool", AnyType, false, False},
		{"any array", AnyType, []any{"p", "q"}, ListOf([]string{"p", "q"})},
		{"any null", AnyType, nil, Value{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromJSON(tt.t, tt.in)
			if err != nil {
				t.Fatalf("FromJSON(%v, %#v): %v", tt.t, tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("FromJSON(%v, %#v) (-want +got):\n%s", tt.t, tt.in, diff)
			}
		})
	}
}

func TestFromJSONErrors(t *testing.T) {
	tests := []struct {
		t    Type
		in   any
		want string
	}{
		{StringType, json.Number("5"), `expected a string, got number 5`},
		{StringType, 5.5, `expected a string, got number 5.5`},
		{StringType, true, `expected a string, got bool true`},
		{StringType, []any{"a"}, `expected a string, got an array`},
		{StringType, map[string]any{"a": 1}, `expected a string, got an object`},
		{URLType, false, `expected a url string, got bool false`},
		{NumberType, "abc", `expected a number, got string "abc"`},
		{NumberType, "", `expected a number, got string ""`},
		{NumberType, "NaN", `expected a number, got string "NaN"`},
		{NumberType, "0x10", `expected a number, got string "0x10"`},
		{NumberType, "1e999", `expected a number, got string "1e999"`},
		{NumberType, json.Number("1e999"), `number 1e999 is out of range`},
		{NumberType, true, `expected a number, got bool true`},
		{NumberType, []any{json.Number("1")}, `expected a number, got an array`},
		{BoolType, "yes", `expected true or false, got string "yes"`},
		{BoolType, json.Number("1"), `expected true or false, got number 1`},
		{DateTimeType, "tomorrow", `expected a datetime (RFC 3339 or epoch milliseconds), got string "tomorrow": not an RFC 3339 date or datetime (like "2026-01-05" or "2026-01-05T08:00:00Z")`},
		{DateTimeType, "2026-13-01", `expected a datetime (RFC 3339 or epoch milliseconds), got string "2026-13-01": month out of range`},
		{DateTimeType, "2026-02-29", `expected a datetime (RFC 3339 or epoch milliseconds), got string "2026-02-29": day out of range`},
		{DateTimeType, "2026-01-05T24:00:00Z", `expected a datetime (RFC 3339 or epoch milliseconds), got string "2026-01-05T24:00:00Z": time of day out of range`},
		{DateTimeType, "2026-01-05T08:00:00+25:00", `expected a datetime (RFC 3339 or epoch milliseconds), got string "2026-01-05T08:00:00+25:00": time zone offset out of range`},
		{DateTimeType, "2026-01-05T08:00:00Zjunk", `expected a datetime (RFC 3339 or epoch milliseconds), got string "2026-01-05T08:00:00Zjunk": not an RFC 3339 date or datetime (like "2026-01-05" or "2026-01-05T08:00:00Z")`},
		{DateTimeType, json.Number("1e20"), `datetime: 1e+20 milliseconds is outside the years 0000 to 9999`},
		{DateTimeType, true, `expected a datetime (RFC 3339 or epoch milliseconds), got bool true`},
		{DateTimeType, "0000-01-01T00:00:00+01:00", `datetime: -62167222800000 milliseconds is outside the years 0000 to 9999`},
		{DateType, "05/01/2026", `expected a date ("2006-01-02"), got string "05/01/2026": not an RFC 3339 date or datetime (like "2026-01-05" or "2026-01-05T08:00:00Z")`},
		{DateType, -1e15, `date: -1e+15 milliseconds is outside the years 0000 to 9999`},
		{DateType, []any{}, `expected a date ("2006-01-02"), got an array`},
		{plan, "Pro", `"Pro" is not one of "free", "pro", "enterprise"; did you mean "pro"?`},
		{plan, "enterprize", `"enterprize" is not one of "free", "pro", "enterprise"; did you mean "enterprise"?`},
		{plan, "gold", `"gold" is not one of "free", "pro", "enterprise"`},
		{plan, json.Number("3"), `expected one of "free", "pro", "enterprise", got number 3`},
		{plan, []any{"pro"}, `expected one of "free", "pro", "enterprise", got an array`},
		{stage, "customr", `"customr" is not one of "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist", "other", "a", "b", "c", "d", … (2 more); did you mean "customer"?`},
		{tags, "vip;gold", `"gold" is not one of "beta", "vip", "partner"`},
		{tags, []any{"beta", "VIP"}, `"VIP" is not one of "beta", "vip", "partner"; did you mean "vip"?`},
		{tags, []any{"beta", json.Number("2")}, `member 2: expected a string, got number 2`},
		{tags, json.Number("2"), `expected a set (an array of strings or a ";"-separated string), got number 2`},
		{ListType, true, `expected a list of strings, got bool true`},
		{DurationType, "2d", `expected a duration in milliseconds, got string "2d"`},
		{AnyType, map[string]any{}, `expected a string, number, bool or list of strings, got an object`},
		{AnyType, []any{nil}, `member 1: expected a string, got null`},
		{StringType, struct{}{}, `expected a string, got a Go struct {}`},
		{NumberType, "a very long string that goes on and on and on and on", `expected a number, got string "a very long string that goes on and on a…"`},
	}
	for _, tt := range tests {
		got, err := FromJSON(tt.t, tt.in)
		if err == nil {
			t.Errorf("FromJSON(%v, %#v) = %#v, want error %q", tt.t, tt.in, got, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("FromJSON(%v, %#v) error:\n got %s\nwant %s", tt.t, tt.in, err, tt.want)
		}
	}
}

func TestParseLiteral(t *testing.T) {
	tests := []struct {
		t    Type
		in   string
		want Value
		err  string
	}{
		{StringType, "", Value{}, ""},
		{NumberType, "", Value{}, ""},
		{tags, "", Value{}, ""},
		{StringType, "Ada", Str("Ada"), ""},
		{NumberType, "1,5", Value{}, `expected a number, got string "1,5"`},
		{NumberType, "1.5", Num(1.5), ""},
		{BoolType, "True", True, ""},
		{DateTimeType, "2026-01-05T08:00:00Z", ms("2026-01-05T08:00:00Z"), ""},
		{DateType, "2026-01-05", day("2026-01-05"), ""},
		{plan, "free", Str("free"), ""},
		{plan, "fre", Value{}, `"fre" is not one of "free", "pro", "enterprise"; did you mean "free"?`},
		{tags, "vip;partner", SetOf([]string{"partner", "vip"}), ""},
	}
	for _, tt := range tests {
		got, err := ParseLiteral(tt.t, tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tt.err {
			t.Errorf("ParseLiteral(%v, %q) error = %q, want %q", tt.t, tt.in, gotErr, tt.err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseLiteral(%v, %q) (-want +got):\n%s", tt.t, tt.in, diff)
		}
	}
}

func TestJSON(t *testing.T) {
	tests := []struct {
		v    Value
		want string // encoding/json's rendering of v.JSON()
	}{
		{Value{}, `null`},
		{True, `true`},
		{Num(42), `42`},
		{Num(-0.125), `-0.125`},
		{Num(nan()), `null`},
		{Str("a\"b"), `"a\"b"`},
		{ms("2026-01-05T08:00:00Z"), `"2026-01-05T08:00:00Z"`},
		{ms("2026-01-05T08:00:00.123Z"), `"2026-01-05T08:00:00.123Z"`},
		{day("2026-01-05"), `"2026-01-05"`},
		{Dur(90 * time.Second), `90000`},
		{ListOf([]string{"a", "b"}), `["a","b"]`},
		{SetOf(nil), `[]`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v.JSON())
		if err != nil {
			t.Errorf("json.Marshal(%#v.JSON()): %v", tt.v, err)
			continue
		}
		if string(b) != tt.want {
			t.Errorf("%#v.JSON() encodes as %s, want %s", tt.v, b, tt.want)
		}
	}
}

// TestJSONRoundTrip encodes values with JSON, decodes them as the ingest
// path does (UseNumber) and converts them back with FromJSON.
func TestJSONRoundTrip(t *testing.T) {
	tests := []struct {
		t Type
		v Value
	}{
		{StringType, Str("héllo")},
		{StringType, Value{}},
		{URLType, Str("https://acme.com")},
		{NumberType, Num(tenth + 0.2)},
		{NumberType, Num(1 << 53)},
		{NumberType, Num(-1e-7)},
		{BoolType, False},
		{DateTimeType, ms("2026-01-05T08:00:00.001Z")},
		{DateTimeType, ms("1901-12-13T20:45:52Z")},
		{DateTimeType, ms("9999-12-31T23:59:59.999Z")},
		{DateType, day("2026-01-05")},
		{DateType, day("0001-01-01")},
		{plan, Str("enterprise")},
		{tags, SetOf([]string{"vip", "beta"})},
		{tags, SetOf(nil)},
		{ListType, ListOf([]string{"z", "a"})},
		{DurationType, Dur(36 * time.Hour)},
		{AnyType, Str("x")},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.v.JSON())
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			t.Fatal(err)
		}
		got, err := FromJSON(tt.t, x)
		if err != nil {
			t.Errorf("FromJSON(%v, %s): %v", tt.t, b, err)
			continue
		}
		if diff := cmp.Diff(tt.v, got); diff != "" {
			t.Errorf("%v round trip through %s (-want +got):\n%s", tt.t, b, diff)
		}
		// Without UseNumber, numbers arrive as float64.
		var f any
		if err := json.Unmarshal(b, &f); err != nil {
			t.Fatal(err)
		}
		if got, err := FromJSON(tt.t, f); err != nil || !cmp.Equal(tt.v, got) {
			t.Errorf("FromJSON(%v, %#v) = %#v, %v; want %#v", tt.t, f, got, err, tt.v)
		}
	}
}
