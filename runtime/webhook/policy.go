package webhook

import (
	"context"
	"errors"
	"time"
)

// Policy is when a failed delivery is tried again.
type Policy struct {
	First  time.Duration // wait after the first failure
	Factor float64       // each further wait is the previous times Factor
	Max    time.Duration // no wait is longer
	GiveUp time.Duration // no attempt starts later than this after the first
}

// DefaultPolicy retries 1 minute after a failure, doubling the wait up to
// 8 hours, for 3 days after the first attempt.
var DefaultPolicy = Policy{First: time.Minute, Factor: 2, Max: 8 * time.Hour, GiveUp: 72 * time.Hour}

// Final reports whether the outcome of an attempt ends the delivery:
// success (2xx), a refused target, a step that cannot be signed
// (ErrConfig), a 4xx other than 408 and 429, or any
// other status below 500 that is not 408/429 (a redirect not followed).
// Transport errors, timeouts, 5xx, 408 and 429 are retried.
func Final(status int, err error) bool {
	if errors.Is(err, ErrForbidden) || errors.Is(err, ErrConfig) {
		return true
	}
	if status == 0 || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if status == 408 || status == 429 || status >= 500 {
		return false
	}
	return true
}

// Next says when to make attempt number attempt+1 after attempt number
// attempt (1-based) failed at now; first is when attempt 1 was made. The
// wait is First·Factor^(attempt-1), capped at Max; a Retry-After answer
// (retryAfter > 0) replaces it (also capped at Max). ok is false when the
// outcome is final or the next attempt would start more than GiveUp after
// the first.
func (p Policy) Next(attempt int, first, now time.Time, status int, err error, retryAfter time.Duration) (at time.Time, ok bool) {
	if Final(status, err) {
		return time.Time{}, false
	}
	wait := p.First
	for i := 1; i < attempt && wait < p.Max; i++ {
		wait = time.Duration(float64(wait) * p.Factor)
	}
	if retryAfter > 0 {
		wait = retryAfter
	}
	wait = min(wait, p.Max)
	at = now.Add(wait)
	if at.Sub(first) > p.GiveUp {
		return time.Time{}, false
	}
	return at, true
}
