package clock

import (
	"testing"
	"time"
)

func TestVirtualMovesOnlyForward(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewVirtual(start)
	if got := c.Now(); !got.Equal(start) {
		t.Fatalf("Now() = %v, want %v", got, start)
	}
	if err := c.Advance(36 * time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Now(), start.Add(36*time.Hour); !got.Equal(want) {
		t.Fatalf("after Advance: %v, want %v", got, want)
	}
	if err := c.Set(start); err == nil {
		t.Fatal("Set to an earlier time succeeded")
	}
	if err := c.Advance(-time.Second); err == nil {
		t.Fatal("Advance by a negative duration succeeded")
	}
	if got, want := c.Now(), start.Add(36*time.Hour); !got.Equal(want) {
		t.Fatalf("a refused move changed the clock: %v, want %v", got, want)
	}
	later := start.Add(72 * time.Hour)
	if err := c.Set(later); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(later); err != nil {
		t.Fatalf("Set to the same time: %v", err)
	}
	if got := c.Now(); !got.Equal(later) {
		t.Fatalf("after Set: %v, want %v", got, later)
	}
}

func TestRealIsWallClock(t *testing.T) {
	before := time.Now()
	got := Real{}.Now()
	if got.Before(before) {
		t.Fatalf("Real.Now() = %v, before %v", got, before)
	}
}
