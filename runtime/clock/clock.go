// Package clock is the runtime's one source of time: the real wall clock for
// `wf serve`, and a virtual clock that tests, `wf test` and `wf run` move by
// hand, so a three-day delay takes no wall time and no result depends on
// when a test happens to run.
//
// A clock only tells the time; it does not fire timers. The engine keeps its
// own timer queue and is told to run up to a moment (engine.RunUntil).
package clock

import (
	"fmt"
	"sync"
	"time"
)

// Clock tells the current time.
type Clock interface {
	Now() time.Time
}

// Real is the wall clock.
type Real struct{}

// Now returns time.Now().
func (Real) Now() time.Time { return time.Now() }

// Virtual is a clock that moves only when told to, and only forward. It is
// safe for concurrent use.
type Virtual struct {
	mu  sync.Mutex
	now time.Time
}

// NewVirtual returns a virtual clock showing t.
func NewVirtual(t time.Time) *Virtual { return &Virtual{now: t} }

// Now returns the time the clock shows.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// Set moves the clock to t. Setting it to an earlier time is an error and
// leaves the clock unchanged; setting it to the time it shows is allowed.
func (v *Virtual) Set(t time.Time) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.Before(v.now) {
		return fmt.Errorf("clock: cannot move back from %s to %s", v.now.Format(time.RFC3339Nano), t.Format(time.RFC3339Nano))
	}
	v.now = t
	return nil
}

// Advance moves the clock forward by d. A negative d is an error and leaves
// the clock unchanged.
func (v *Virtual) Advance(d time.Duration) error {
	if d < 0 {
		return fmt.Errorf("clock: cannot advance by a negative duration %s", d)
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.now = v.now.Add(d)
	return nil
}
