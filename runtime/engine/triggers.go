package engine

import (
	"sort"
	"time"

	"github.com/wflang/wf/compiler/bytecode"
)

// Schedule and date triggers run on timers in the same queue as delays.
//
// A schedule trigger (`enroll every monday at 09:00 where …`) fires at each
// occurrence in the workflow's time zone, from the engine's start on (an
// occurrence at the very moment the engine starts counts), and offers every
// record of the workflow's type, in id order: those that are not enrolled,
// not blocked and match the where clause enroll. Every occurrence enrolls
// again; that is what a schedule is for.
//
// A date trigger (`enroll on date renews_on - 7d at 09:00`) is armed per
// record whenever a change re-evaluates the workflow: the record enrolls
// when that moment comes, if the date still says so then. A moment already
// past when the date is set does not enroll.

// armSchedule sets the timer for the next occurrence of schedule trigger
// trig of workflow w after from (or at from, when inclusive).
func (e *Engine) armSchedule(w, trig int, from time.Time, inclusive bool) {
	tr := &e.prog.Workflows[w].Triggers[trig]
	if due, ok := nextFire(tr, from, e.locs[w], inclusive); ok {
		e.globalsDirty = e.opts.Durable
		e.timerSeq++
		e.timers.push(timer{due: due, seq: e.timerSeq, w: w, trig: trig})
	}
}

// nextFire returns the first occurrence of a schedule trigger after from
// (or at it, when inclusive), searching a little over a year ahead.
func nextFire(tr *bytecode.Trigger, from time.Time, loc *time.Location, inclusive bool) (time.Time, bool) {
	at := max(tr.At, 0)
	y, m, d := from.In(loc).Date()
	for i := range 400 {
		day := time.Date(y, m, d+i, 12, 0, 0, 0, loc)
		if tr.MonthDay > 0 && day.Day() != tr.MonthDay || tr.MonthDay <= 0 && !containsInt(tr.Days, int(day.Weekday())) {
			continue
		}
		fire := wallClock(loc, y, m, d+i, at)
		if fire.After(from) || inclusive && fire.Equal(from) {
			return fire, true
		}
	}
	return time.Time{}, false
}

// fireSchedule runs one occurrence of a schedule trigger and arms the next.
func (e *Engine) fireSchedule(tm timer) {
	wf := e.prog.Workflows[tm.w]
	tr := &wf.Triggers[tm.trig]
	if e.disabled[tm.w] {
		e.armSchedule(tm.w, tm.trig, tm.due, false)
		return
	}
	ids := make([]string, 0, len(e.records[wf.Object]))
	for id := range e.records[wf.Object] {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		rec := e.records[wf.Object][id]
		if m := e.members[tm.w][id]; m != nil && m.active != nil {
			continue
		}
		if tr.Expr != bytecode.NoExpr && !e.test(tr.Expr, tm.w, rec, nil) || e.blocked(tm.w, rec) {
			continue
		}
		reason := tr.Text
		if tr.Expr != bytecode.NoExpr {
			if r := e.reads(tr.Expr, tm.w, rec, -1, nil); r != "" {
				reason += " (" + r + ")"
			}
		}
		e.start(tm.w, rec, reason, 0)
	}
	e.armSchedule(tm.w, tm.trig, tm.due, false)
}

// armDates (re-)arms the date triggers of workflow w for rec: a timer at
// the moment each date expression names, unless it is past or unchanged.
func (e *Engine) armDates(w int, rec *record) {
	now := e.clock.Now()
	for i, tr := range e.prog.Workflows[w].Triggers {
		if tr.Kind != bytecode.TriggerDate {
			continue
		}
		due, ok := e.moment(e.eval(tr.Expr, w, rec, nil), tr.At, e.locs[w])
		m := e.members[w][rec.id]
		if m != nil && m.dates[i].seq != 0 && ok && m.dates[i].due.Equal(due) {
			continue // armed already for this moment
		}
		if m != nil && m.dates[i].seq != 0 {
			delete(m.dates, i) // a changed or cleared date disarms the old timer
			e.touch(rec)
		}
		if !ok || due.Before(now) {
			continue
		}
		if m == nil {
			m = e.membership(w, rec)
		}
		if m.dates == nil {
			m.dates = map[int]dateTimer{}
		}
		e.timerSeq++
		m.dates[i] = dateTimer{due: due, seq: e.timerSeq}
		e.timers.push(timer{due: due, seq: e.timerSeq, w: w, trig: i, rec: rec})
		e.touch(rec) // the membership changed even when rec did not
	}
}

// fireDate enrolls a record whose date trigger's moment has come.
func (e *Engine) fireDate(tm timer) {
	m := e.members[tm.w][tm.rec.id]
	delete(m.dates, tm.trig)
	e.touch(tm.rec)
	if e.disabled[tm.w] || m.active != nil || e.blocked(tm.w, tm.rec) {
		return
	}
	tr := &e.prog.Workflows[tm.w].Triggers[tm.trig]
	reason := tr.Text
	if r := e.reads(tr.Expr, tm.w, tm.rec, -1, nil); r != "" {
		reason += " (" + r + ")"
	}
	e.start(tm.w, tm.rec, reason, 0)
}
