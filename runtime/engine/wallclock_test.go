package engine

import (
	"testing"
	"time"
)

func TestWallClockAcrossDST(t *testing.T) {
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Fatal(err)
	}
	nyc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	hm := func(h, m int) int { return h*3600 + m*60 }
	for _, tc := range []struct {
		name string
		loc  *time.Location
		y    int
		m    time.Month
		d    int
		secs int
		want string // UTC
	}{
		{"ams ordinary", ams, 2026, 1, 5, hm(9, 0), "2026-01-05T08:00:00Z"},
		{"ams spring gap", ams, 2026, 3, 29, hm(2, 30), "2026-03-29T01:30:00Z"},
		{"ams spring before gap", ams, 2026, 3, 29, hm(1, 59), "2026-03-29T00:59:00Z"},
		{"ams spring after gap", ams, 2026, 3, 29, hm(3, 0), "2026-03-29T01:00:00Z"},
		{"ams fall twice: first", ams, 2026, 10, 25, hm(2, 30), "2026-10-25T00:30:00Z"},
		{"nyc spring gap", nyc, 2026, 3, 8, hm(2, 30), "2026-03-08T07:30:00Z"},
		{"nyc fall twice: first", nyc, 2026, 11, 1, hm(1, 30), "2026-11-01T05:30:00Z"},
		{"day overflow normalizes", ams, 2026, 1, 32, hm(9, 0), "2026-02-01T08:00:00Z"},
		{"utc", time.UTC, 2026, 3, 29, hm(2, 30), "2026-03-29T02:30:00Z"},
	} {
		got := wallClock(tc.loc, tc.y, tc.m, tc.d, tc.secs).UTC().Format(time.RFC3339)
		if got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
}
