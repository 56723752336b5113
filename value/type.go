package value

import "strings"

// TypeKind is the static kind of a Type.
type TypeKind uint8

const (
	TAny      TypeKind = iota // unknown or unconstrained (used after an error, and by generic builtins)
	TBool                     // bool
	TNumber                   // number
	TString                   // string
	TURL                      // url: a string of up to 1024 characters
	TEnum                     // enum("a", "b"): one of Options
	TSet                      // set("a", "b"): any subset of Options
	TDateTime                 // datetime
	TDate                     // date
	TDuration                 // a duration such as 2d
	TList                     // a list of strings (list literals, split())
)

var typeNames = [...]string{"any", "bool", "number", "string", "url", "enum", "set", "datetime", "date", "duration", "list"}

// Type is the static type of a property, expression or function parameter.
type Type struct {
	Kind    TypeKind
	Options []string // enum and set options, in declaration order
}

// Common types.
var (
	AnyType      = Type{Kind: TAny}
	BoolType     = Type{Kind: TBool}
	NumberType   = Type{Kind: TNumber}
	StringType   = Type{Kind: TString}
	URLType      = Type{Kind: TURL}
	DateTimeType = Type{Kind: TDateTime}
	DateType     = Type{Kind: TDate}
	DurationType = Type{Kind: TDuration}
	ListType     = Type{Kind: TList}
)

// String renders the type as written in .wf source.
func (t Type) String() string {
	name := "type"
	if int(t.Kind) < len(typeNames) {
		name = typeNames[t.Kind]
	}
	if t.Kind == TEnum || t.Kind == TSet {
		q := make([]string, len(t.Options))
		for i, o := range t.Options {
			q[i] = `"` + o + `"`
		}
		return name + "(" + strings.Join(q, ", ") + ")"
	}
	return name
}

// TypeByName returns the scalar type named in source (`string`, `number`,
// `bool`, `datetime`, `date`, `url`, `duration`); enum and set take options
// and are built by the caller.
func TypeByName(name string) (Type, bool) {
	switch name {
	case "string":
		return StringType, true
	case "number":
		return NumberType, true
	case "bool":
		return BoolType, true
	case "datetime":
		return DateTimeType, true
	case "date":
		return DateType, true
	case "url":
		return URLType, true
	case "duration":
		return DurationType, true
	}
	return Type{}, false
}

// ValueKind is the runtime Kind that values of type t have.
func (t Type) ValueKind() Kind {
	switch t.Kind {
	case TBool:
		return Bool
	case TNumber:
		return Number
	case TString, TURL, TEnum:
		return String
	case TDateTime:
		return DateTime
	case TDate:
		return Date
	case TDuration:
		return Duration
	case TSet, TList:
		return List
	}
	return Empty
}

// IsStringLike reports whether values of t are strings (string, url, enum).
func (t Type) IsStringLike() bool {
	return t.Kind == TString || t.Kind == TURL || t.Kind == TEnum
}

// IsTime reports whether t is a date or datetime.
func (t Type) IsTime() bool { return t.Kind == TDate || t.Kind == TDateTime }

// HasOption reports whether an enum or set type declares option o.
func (t Type) HasOption(o string) bool {
	for _, x := range t.Options {
		if x == o {
			return true
		}
	}
	return false
}
