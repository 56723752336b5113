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

// String returns the kind's name as written in source: "string", "enum", ….
func (k TypeKind) String() string {
	if int(k) < len(typeNames) {
		return typeNames[k]
	}
	return "type"
}

// Assignable reports whether a value of static type from may be stored in a
// property (or parameter) of type to. An unknown type (any) on either side is
// assignable, so one error is not reported twice. Strings are assignable
// from any string-like type (url, enum); a url from a string (its length is
// checked when the value is known); an enum or set from an enum or set whose
// options are all among to's options; a datetime from a date (its UTC
// midnight); a list from a set or list. A string constant assigned to an
// enum is checked against the options by the compiler, not here: a string
// type is not assignable to an enum.
func Assignable(to, from Type) bool {
	if to.Kind == TAny || from.Kind == TAny {
		return true
	}
	switch to.Kind {
	case TString:
		return from.IsStringLike()
	case TURL:
		return from.Kind == TString || from.Kind == TURL
	case TEnum, TSet:
		if from.Kind != to.Kind {
			return false
		}
		for _, o := range from.Options {
			if !to.HasOption(o) {
				return false
			}
		}
		return true
	case TDateTime:
		return from.IsTime()
	case TList:
		return from.Kind == TList || from.Kind == TSet
	}
	return from.Kind == to.Kind
}

// Comparable reports whether values of types a and b may be compared with
// == and the ordering operators: both string-like (string, url, enum), both
// dates or datetimes (by instant), both lists or sets, or the same type.
// An unknown type (any) is comparable with everything.
func Comparable(a, b Type) bool {
	if a.Kind == TAny || b.Kind == TAny {
		return true
	}
	if a.IsTime() && b.IsTime() {
		return true
	}
	return a.ValueKind() == b.ValueKind()
}
