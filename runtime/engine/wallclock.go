package engine

import "time"

// wallClock returns the moment the wall clock in loc shows the time of day
// secs (seconds after midnight) on the given day, with one answer on the
// days daylight saving time starts or ends, whatever the zone:
//
//   - a time that does not exist (skipped when the clocks spring forward)
//     is the moment the same span after the jump: 02:30 on a day that
//     jumps from 02:00 to 03:00 is 03:30;
//   - a time that happens twice (when the clocks fall back) is its first
//     occurrence, in the summer offset.
//
// time.Date leaves both cases unspecified (and answers differently per
// zone), so schedules, run windows and `delay until … at` use this.
func wallClock(loc *time.Location, y int, m time.Month, d, secs int) time.Time {
	naive := time.Date(y, m, d, secs/3600, secs/60%60, secs%60, 0, time.UTC)
	y, m, d = naive.Date() // normalized: d may run past the month
	secs = naive.Hour()*3600 + naive.Minute()*60 + naive.Second()
	_, before := naive.Add(-36 * time.Hour).In(loc).Zone()
	_, after := naive.Add(36 * time.Hour).In(loc).Zone()
	var first time.Time
	for _, off := range []int{before, after} {
		t := naive.Add(-time.Duration(off) * time.Second).In(loc)
		if ly, lm, ld := t.Date(); ly != y || lm != m || ld != d || t.Hour()*3600+t.Minute()*60+t.Second() != secs {
			continue
		}
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	if !first.IsZero() {
		return first
	}
	// In the gap: shift forward by the gap, counting with the offset in
	// force before the jump.
	return naive.Add(-time.Duration(before) * time.Second).In(loc)
}
