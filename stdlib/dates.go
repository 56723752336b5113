package stdlib

import (
	"fmt"
	"strconv"
	"time"

	"github.com/wflang/wf/internal/spell"
	"github.com/wflang/wf/value"
)

// Date and time builtins. They work in the workflow's time zone
// (Context.Loc); a date argument stands for its midnight there.

// msPerDay is the length of a day in milliseconds (a date value is its UTC midnight).
const msPerDay = 86400000

// weekdays are day_of_week's results, indexed by time.Weekday.
var weekdays = [...]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// weekdayType is day_of_week's result type, so that comparing it with a
// misspelt day is a compile error.
var weekdayType = value.Type{Kind: value.TEnum, Options: []string{"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}}

// diffUnits are date_diff's units.
var diffUnits = []string{"seconds", "minutes", "hours", "days", "weeks", "months", "years"}

// unitLength returns the length of one of date_diff's units: positive for
// elapsed-time units, 0 for calendar units; ok is false for an unknown unit.
func unitLength(unit string) (d time.Duration, ok bool) {
	switch unit {
	case "seconds":
		return time.Second, true
	case "minutes":
		return time.Minute, true
	case "hours":
		return time.Hour, true
	case "days", "weeks", "months", "years":
		return 0, true
	}
	return 0, false
}

func init() {
	register(&Func{
		Name: "date_diff", Sig: "date_diff(a date | datetime, b date | datetime, unit string) number",
		Doc: `Returns b − a in whole units (truncated toward zero): "seconds", "minutes" or "hours" of elapsed time, ` +
			`or calendar "days", "weeks", "months" or "years" between the dates of a and b in the workflow's time zone ` +
			`(a month is complete when b's day of the month reaches a's).`,
		Check:      fixed("date_diff", value.NumberType, 3, 3, timeArg, timeArg, strArg),
		CheckConst: checkUnit,
		Call:       dateDiff,
	})

	register(&Func{
		Name: "format_date", Sig: "format_date(d date | datetime, layout string) string",
		Doc: `Formats d in the workflow's time zone by a layout such as "YYYY-MM-DD HH:mm" or "dddd D MMMM YYYY [at] h:mm A"; ` +
			layoutDoc,
		Check:      fixed("format_date", value.StringType, 2, 2, timeArg, strArg),
		CheckConst: checkLayout,
		Call: func(ctx *Context, a []value.Value) value.Value {
			if !isTime(a[0]) || a[1].K != value.String {
				return value.Value{}
			}
			var buf [64]byte
			b, err := appendLayout(buf[:0], local(a[0], zone(ctx)), a[1].S)
			if err != nil {
				return value.Value{}
			}
			return value.Str(string(b))
		},
	})

	register(&Func{
		Name: "parse_date", Sig: "parse_date(s string) datetime",
		Doc: `Parses an ISO 8601 / RFC 3339 date or datetime ("2026-01-05", "2026-01-05 09:30", "2026-01-05T09:30:00+01:00"); ` +
			"without a zone it is read in the workflow's time zone. Anything else gives empty.",
		Check: fixed("parse_date", value.DateTimeType, 1, 1, strArg),
		Call: func(ctx *Context, a []value.Value) value.Value {
			if a[0].K != value.String {
				return value.Value{}
			}
			t, _, err := value.ParseDateTime(a[0].S, zone(ctx))
			if err != nil || t.UnixMilli() < value.MinMillis || t.UnixMilli() > value.MaxMillis {
				return value.Value{}
			}
			return value.Time(t)
		},
	})

	register(&Func{
		Name: "date", Sig: "date(d datetime) date",
		Doc:   "Returns the date of d in the workflow's time zone (a date is returned as it is).",
		Check: fixed("date", value.DateType, 1, 1, timeArg),
		Call: func(ctx *Context, a []value.Value) value.Value {
			if !isTime(a[0]) {
				return value.Value{}
			}
			if a[0].K == value.Date {
				return a[0]
			}
			return value.DateOf(local(a[0], zone(ctx)))
		},
	})

	register(&Func{
		Name: "start_of_day", Sig: "start_of_day(d date | datetime) datetime",
		Doc:   "Returns midnight at the start of d's day in the workflow's time zone.",
		Check: fixed("start_of_day", value.DateTimeType, 1, 1, timeArg),
		Call: func(ctx *Context, a []value.Value) value.Value {
			if !isTime(a[0]) {
				return value.Value{}
			}
			loc := zone(ctx)
			y, m, d := local(a[0], loc).Date()
			return value.Time(time.Date(y, m, d, 0, 0, 0, 0, loc))
		},
	})

	register(&Func{
		Name: "day_of_week", Sig: `day_of_week(d date | datetime) enum("monday", …, "sunday")`,
		Doc:   `Returns the day of the week of d in the workflow's time zone, in lower case: "monday" … "sunday".`,
		Check: fixed("day_of_week", weekdayType, 1, 1, timeArg),
		Call: func(ctx *Context, a []value.Value) value.Value {
			if !isTime(a[0]) {
				return value.Value{}
			}
			return value.Str(weekdays[local(a[0], zone(ctx)).Weekday()])
		},
	})

	register(&Func{
		Name: "hour", Sig: "hour(d datetime) number",
		Doc:   "Returns the hour (0 to 23) of d in the workflow's time zone; 0 for a date.",
		Check: fixed("hour", value.NumberType, 1, 1, timeArg),
		Call: func(ctx *Context, a []value.Value) value.Value {
			if !isTime(a[0]) {
				return value.Value{}
			}
			return value.Num(float64(local(a[0], zone(ctx)).Hour()))
		},
	})

	register(&Func{
		Name: "add_days", Sig: "add_days(d date | datetime, n number) date | datetime",
		Doc: "Returns d moved by n calendar days (n a whole number, negative to go back), keeping the time of day " +
			"in the workflow's time zone across daylight saving changes.",
		Check: sameAsFirst("add_days", 2, 2, timeArg, numArg),
		Call: func(ctx *Context, a []value.Value) value.Value {
			return addDate(ctx, a, 0)
		},
	})

	register(&Func{
		Name: "add_months", Sig: "add_months(d date | datetime, n number) date | datetime",
		Doc: "Returns d moved by n calendar months (n a whole number), on the same day of the month or, " +
			"when that month is shorter, its last day: add_months(2026-01-31, 1) is 2026-02-28.",
		Check: sameAsFirst("add_months", 2, 2, timeArg, numArg),
		Call: func(ctx *Context, a []value.Value) value.Value {
			return addDate(ctx, a, 1)
		},
	})
}

func isTime(v value.Value) bool { return v.K == value.Date || v.K == value.DateTime }

func zone(ctx *Context) *time.Location {
	if ctx == nil || ctx.Loc == nil {
		return time.UTC
	}
	return ctx.Loc
}

// local returns a date or datetime as a time in loc: a datetime's instant,
// a date's midnight.
func local(v value.Value, loc *time.Location) time.Time {
	if v.K == value.Date {
		y, m, d := v.Time().Date()
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	}
	return time.UnixMilli(int64(v.N)).In(loc)
}

// civilDay numbers the calendar date of t: days since 1970-01-01.
func civilDay(t time.Time) int64 {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
}

func dateDiff(ctx *Context, a []value.Value) value.Value {
	if !isTime(a[0]) || !isTime(a[1]) || a[2].K != value.String {
		return value.Value{}
	}
	unit, ok := unitLength(a[2].S)
	if !ok {
		return value.Value{}
	}
	loc := zone(ctx)
	ta, tb := local(a[0], loc), local(a[1], loc)
	if unit > 0 {
		ms := tb.UnixMilli() - ta.UnixMilli()
		return value.Num(float64(ms / unit.Milliseconds()))
	}
	switch a[2].S {
	case "days":
		return value.Num(float64(civilDay(tb) - civilDay(ta)))
	case "weeks":
		return value.Num(float64((civilDay(tb) - civilDay(ta)) / 7))
	}
	ya, ma, da := ta.Date()
	yb, mb, db := tb.Date()
	months := (yb-ya)*12 + int(mb-ma)
	switch {
	case months > 0 && db < da:
		months--
	case months < 0 && db > da:
		months++
	}
	if a[2].S == "years" {
		return value.Num(float64(months / 12))
	}
	return value.Num(float64(months))
}

func checkUnit(i int, v value.Value) error {
	if i != 2 || v.K != value.String {
		return nil
	}
	if _, ok := unitLength(v.S); ok {
		return nil
	}
	if s := spell.Nearest(v.S, diffUnits); s != "" {
		return fmt.Errorf("date_diff: unknown unit %q; did you mean %q?", v.S, s)
	}
	return fmt.Errorf("date_diff: unknown unit %q; use one of %q", v.S, diffUnits)
}

// addDate implements add_days (what 0) and add_months (what 1).
func addDate(ctx *Context, a []value.Value, what int) value.Value {
	n, ok := integer(a[1])
	if !isTime(a[0]) || !ok {
		return value.Value{}
	}
	loc := zone(ctx)
	t := local(a[0], loc)
	if what == 0 {
		t = t.AddDate(0, 0, n)
	} else {
		y, m, d := t.Date()
		first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), loc)
		last := first.AddDate(0, 1, -1).Day()
		t = first.AddDate(0, 0, min(d, last)-1)
	}
	if a[0].K == value.Date {
		if y := t.Year(); y < 0 || y > 9999 {
			return value.Value{}
		}
		return value.DateOf(t)
	}
	if ms := t.UnixMilli(); ms < value.MinMillis || ms > value.MaxMillis {
		return value.Value{}
	}
	return value.Time(t)
}

// layoutDoc documents the layout language of format_date.
const layoutDoc = "YYYY year, YY two-digit year, MMMM month name, MMM short month name, MM month (01), M month (1), " +
	"DD day (05), D day (5), dddd weekday name, ddd short weekday name, HH hour (00-23), H hour (0-23), hh hour (01-12), " +
	"h hour (1-12), mm minute, ss second, SSS millisecond, A AM/PM, a am/pm, Z offset (+01:00), ZZ offset (+0100), " +
	"z zone abbreviation (CET); other letters are errors, text in [brackets] and punctuation are copied."

// layoutTokens are the layout's tokens, longest first where one is a prefix
// of another.
var layoutTokens = [...]string{"YYYY", "YY", "MMMM", "MMM", "MM", "M", "DD", "D", "dddd", "ddd", "HH", "H",
	"hh", "h", "mm", "m", "ss", "s", "SSS", "A", "a", "ZZ", "Z", "z"}

// appendLayout appends t formatted by layout (see layoutDoc) to b.
func appendLayout(b []byte, t time.Time, layout string) ([]byte, error) {
	for i := 0; i < len(layout); {
		c := layout[i]
		if c == '[' {
			end := i + 1
			for end < len(layout) && layout[end] != ']' {
				end++
			}
			if end == len(layout) {
				return b, fmt.Errorf("format_date: layout has an unclosed [ at %d", i+1)
			}
			b = append(b, layout[i+1:end]...)
			i = end + 1
			continue
		}
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			b = append(b, c)
			i++
			continue
		}
		tok := ""
		for _, k := range layoutTokens {
			if len(layout)-i >= len(k) && layout[i:i+len(k)] == k {
				tok = k
				break
			}
		}
		if tok == "" {
			end := i
			for end < len(layout) && layout[end] == c {
				end++
			}
			return b, fmt.Errorf("format_date: %q at %d is not part of the layout language; put literal text in [brackets]", layout[i:end], i+1)
		}
		b = appendToken(b, t, tok)
		i += len(tok)
	}
	return b, nil
}

func appendToken(b []byte, t time.Time, tok string) []byte {
	switch tok {
	case "YYYY":
		return pad(b, t.Year(), 4)
	case "YY":
		return pad(b, t.Year()%100, 2)
	case "MMMM":
		return append(b, t.Month().String()...)
	case "MMM":
		return append(b, t.Month().String()[:3]...)
	case "MM":
		return pad(b, int(t.Month()), 2)
	case "M":
		return pad(b, int(t.Month()), 1)
	case "DD":
		return pad(b, t.Day(), 2)
	case "D":
		return pad(b, t.Day(), 1)
	case "dddd":
		return append(b, t.Weekday().String()...)
	case "ddd":
		return append(b, t.Weekday().String()[:3]...)
	case "HH":
		return pad(b, t.Hour(), 2)
	case "H":
		return pad(b, t.Hour(), 1)
	case "hh":
		return pad(b, hour12(t), 2)
	case "h":
		return pad(b, hour12(t), 1)
	case "mm":
		return pad(b, t.Minute(), 2)
	case "m":
		return pad(b, t.Minute(), 1)
	case "ss":
		return pad(b, t.Second(), 2)
	case "s":
		return pad(b, t.Second(), 1)
	case "SSS":
		return pad(b, t.Nanosecond()/1e6, 3)
	case "A":
		if t.Hour() >= 12 {
			return append(b, "PM"...)
		}
		return append(b, "AM"...)
	case "a":
		if t.Hour() >= 12 {
			return append(b, "pm"...)
		}
		return append(b, "am"...)
	case "Z", "ZZ":
		_, off := t.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		b = pad(append(b, sign), off/3600, 2)
		if tok == "Z" {
			b = append(b, ':')
		}
		return pad(b, off%3600/60, 2)
	case "z":
		name, _ := t.Zone()
		return append(b, name...)
	}
	return b
}

func hour12(t time.Time) int {
	if h := t.Hour() % 12; h != 0 {
		return h
	}
	return 12
}

// pad appends n in decimal with at least width digits.
func pad(b []byte, n, width int) []byte {
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	for p := 10; width > 1; p *= 10 {
		if n < p {
			b = append(b, '0')
		}
		width--
	}
	return strconv.AppendInt(b, int64(n), 10)
}

func checkLayout(i int, v value.Value) error {
	if i != 1 || v.K != value.String {
		return nil
	}
	var buf [64]byte
	_, err := appendLayout(buf[:0], time.Unix(0, 0).UTC(), v.S)
	return err
}
