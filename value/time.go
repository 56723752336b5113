package value

import (
	"errors"
	"time"
)

// MinMillis and MaxMillis bound the datetimes wf accepts on input: the years
// 0000 to 9999, the range RFC 3339 can write.
const (
	MinMillis = -62167219200000 // 0000-01-01T00:00:00Z
	MaxMillis = 253402300799999 // 9999-12-31T23:59:59.999Z
)

var (
	errTimeSyntax = errors.New(`not an RFC 3339 date or datetime (like "2026-01-05" or "2026-01-05T08:00:00Z")`)
	errMonth      = errors.New("month out of range")
	errDay        = errors.New("day out of range")
	errClock      = errors.New("time of day out of range")
	errOffset     = errors.New("time zone offset out of range")
)

// ParseDateTime parses an ISO 8601 / RFC 3339 date or datetime without
// allocating. It accepts a date ("2026-01-05"), or a date, a "T" (or "t" or
// a space), a time of day with minutes, optional seconds and an optional
// fraction ("08:00", "08:00:00", "08:00:00.250"), and an optional zone
// ("Z", "+01:00", "+0100", "+01"). Without a zone the time is read in loc
// (UTC when loc is nil); a date alone is midnight in loc and dateOnly is
// true.
func ParseDateTime(s string, loc *time.Location) (t time.Time, dateOnly bool, err error) {
	if loc == nil {
		loc = time.UTC
	}
	p := scan{s: s}
	y, ok1 := p.digits(4)
	ok2 := p.byte('-')
	mo, ok3 := p.digits(2)
	ok4 := p.byte('-')
	d, ok5 := p.digits(2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return time.Time{}, false, errTimeSyntax
	}
	if mo < 1 || mo > 12 {
		return time.Time{}, false, errMonth
	}
	if d < 1 || d > daysIn(time.Month(mo), y) {
		return time.Time{}, false, errDay
	}
	if p.done() {
		return time.Date(y, time.Month(mo), d, 0, 0, 0, 0, loc), true, nil
	}
	if !p.byte('T') && !p.byte('t') && !p.byte(' ') {
		return time.Time{}, false, errTimeSyntax
	}
	h, ok1 := p.digits(2)
	ok2 = p.byte(':')
	mi, ok3 := p.digits(2)
	if !(ok1 && ok2 && ok3) {
		return time.Time{}, false, errTimeSyntax
	}
	sec, ns := 0, 0
	if p.byte(':') {
		var ok bool
		if sec, ok = p.digits(2); !ok {
			return time.Time{}, false, errTimeSyntax
		}
		if p.byte('.') || p.byte(',') {
			n, scale := 0, 100000000
			start := p.i
			for !p.done() && isDigit(p.s[p.i]) {
				n += int(p.s[p.i]-'0') * scale
				scale /= 10
				p.i++
			}
			if p.i == start {
				return time.Time{}, false, errTimeSyntax
			}
			ns = n
		}
	}
	if h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, false, errClock
	}
	if p.done() {
		return time.Date(y, time.Month(mo), d, h, mi, sec, ns, loc), false, nil
	}
	offset := 0
	switch {
	case p.byte('Z') || p.byte('z'):
	case !p.done() && (p.s[p.i] == '+' || p.s[p.i] == '-'):
		sign := 1
		if p.s[p.i] == '-' {
			sign = -1
		}
		p.i++
		oh, ok := p.digits(2)
		if !ok {
			return time.Time{}, false, errTimeSyntax
		}
		om := 0
		if !p.done() {
			p.byte(':')
			if om, ok = p.digits(2); !ok {
				return time.Time{}, false, errTimeSyntax
			}
		}
		if oh > 23 || om > 59 {
			return time.Time{}, false, errOffset
		}
		offset = sign * (oh*3600 + om*60)
	default:
		return time.Time{}, false, errTimeSyntax
	}
	if !p.done() {
		return time.Time{}, false, errTimeSyntax
	}
	t = time.Date(y, time.Month(mo), d, h, mi, sec, ns, time.UTC).Add(-time.Duration(offset) * time.Second)
	return t, false, nil
}

// scan is a cursor over a string being parsed.
type scan struct {
	s string
	i int
}

func (p *scan) done() bool { return p.i >= len(p.s) }

// byte consumes c if it is next.
func (p *scan) byte(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// digits consumes exactly n decimal digits.
func (p *scan) digits(n int) (int, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// daysIn returns the number of days of month m in year y.
func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// DateTimeMillis returns a datetime value at ms Unix milliseconds.
func DateTimeMillis(ms int64) Value { return Value{K: DateTime, N: float64(ms)} }

// DateDays returns a date value days after 1970-01-01.
func DateDays(days int64) Value { return Value{K: Date, N: float64(days)} }
