package value

import (
	"testing"
	"time"
)

func TestAssignable(t *testing.T) {
	freePro := Type{Kind: TEnum, Options: []string{"free", "pro"}}
	vip := Type{Kind: TSet, Options: []string{"vip"}}
	tests := []struct {
		to, from Type
		want     bool
	}{
		{StringType, StringType, true},
		{StringType, URLType, true},
		{StringType, plan, true},
		{StringType, NumberType, false},
		{StringType, AnyType, true},
		{AnyType, NumberType, true},
		{URLType, StringType, true},
		{URLType, plan, false},
		{NumberType, NumberType, true},
		{NumberType, StringType, false},
		{NumberType, BoolType, false},
		{BoolType, BoolType, true},
		{plan, StringType, false},
		{plan, freePro, true},
		{freePro, plan, false},
		{plan, plan, true},
		{plan, tags, false},
		{tags, vip, true},
		{vip, tags, false},
		{tags, ListType, false},
		{tags, freePro, false},
		{ListType, tags, true},
		{ListType, ListType, true},
		{ListType, StringType, false},
		{DateTimeType, DateTimeType, true},
		{DateTimeType, DateType, true},
		{DateType, DateTimeType, false},
		{DateType, DateType, true},
		{DurationType, DurationType, true},
		{DurationType, NumberType, false},
	}
	for _, tt := range tests {
		if got := Assignable(tt.to, tt.from); got != tt.want {
			t.Errorf("Assignable(%v, %v) = %v, want %v", tt.to, tt.from, got, tt.want)
		}
	}
}

func TestComparable(t *testing.T) {
	tests := []struct {
		a, b Type
		want bool
	}{
		{StringType, StringType, true},
		{StringType, plan, true},
		{URLType, StringType, true},
		{plan, Type{Kind: TEnum, Options: []string{"x"}}, true},
		{NumberType, NumberType, true},
		{NumberType, StringType, false},
		{NumberType, DurationType, false},
		{BoolType, BoolType, true},
		{BoolType, NumberType, false},
		{DateType, DateTimeType, true},
		{DateTimeType, DateType, true},
		{DateType, NumberType, false},
		{DurationType, DurationType, true},
		{tags, ListType, true},
		{tags, StringType, false},
		{AnyType, NumberType, true},
		{DateType, AnyType, true},
	}
	for _, tt := range tests {
		if got := Comparable(tt.a, tt.b); got != tt.want {
			t.Errorf("Comparable(%v, %v) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestTypeString(t *testing.T) {
	tests := []struct {
		t    Type
		want string
	}{
		{StringType, "string"},
		{DateTimeType, "datetime"},
		{plan, `enum("free", "pro", "enterprise")`},
		{Type{Kind: TSet, Options: []string{"a"}}, `set("a")`},
		{AnyType, "any"},
	}
	for _, tt := range tests {
		if got := tt.t.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		if got := tt.t.Kind.String(); tt.t.Options == nil && got != tt.want {
			t.Errorf("Kind.String() = %q, want %q", got, tt.want)
		}
	}
}

func TestParseDateTimeInZone(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	tests := []struct {
		in       string
		want     string // RFC 3339 in UTC
		dateOnly bool
	}{
		{"2026-01-05", "2026-01-04T23:00:00Z", true},
		{"2026-07-05 09:30", "2026-07-05T07:30:00Z", false},
		{"2026-07-05T09:30:15,5", "2026-07-05T07:30:15.5Z", false},
		{"2026-07-05T09:30:00Z", "2026-07-05T09:30:00Z", false},
		{"2026-07-05T09:30:00+05", "2026-07-05T04:30:00Z", false},
	}
	for _, tt := range tests {
		got, dateOnly, err := ParseDateTime(tt.in, ams)
		if err != nil {
			t.Errorf("ParseDateTime(%q): %v", tt.in, err)
			continue
		}
		if s := got.UTC().Format(time.RFC3339Nano); s != tt.want || dateOnly != tt.dateOnly {
			t.Errorf("ParseDateTime(%q) = %s, %v; want %s, %v", tt.in, s, dateOnly, tt.want, tt.dateOnly)
		}
	}
	for _, bad := range []string{"", "2026", "2026-1-5", "2026-01-05T", "2026-01-05T9:30", "2026-01-05T09:30:00.", "2026-01-05T09:30:00+1", "2026-01-05X09:30"} {
		if _, _, err := ParseDateTime(bad, ams); err == nil {
			t.Errorf("ParseDateTime(%q) succeeded, want an error", bad)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _, _, _ = ParseDateTime("2026-07-05T09:30:00+01:00", ams) }); n != 0 {
		t.Errorf("ParseDateTime allocates %v times, want 0", n)
	}
}
