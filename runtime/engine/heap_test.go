package engine

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func TestTimerHeapOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h timerHeap
	var want []timer
	for i := range 500 {
		tm := timer{due: t0.Add(time.Duration(r.IntN(50)) * time.Minute), seq: uint64(i + 1)}
		want = append(want, tm)
		h.push(tm)
		if i%7 == 6 { // interleave pops with pushes
			got := h.pop()
			sort.Slice(want, func(a, b int) bool {
				return want[a].due.Before(want[b].due) || want[a].due.Equal(want[b].due) && want[a].seq < want[b].seq
			})
			if got.seq != want[0].seq {
				t.Fatalf("pop %d: got timer %d, want %d", i, got.seq, want[0].seq)
			}
			want = want[1:]
		}
	}
	sort.Slice(want, func(a, b int) bool {
		return want[a].due.Before(want[b].due) || want[a].due.Equal(want[b].due) && want[a].seq < want[b].seq
	})
	for i, w := range want {
		if got := h.pop(); got.seq != w.seq {
			t.Fatalf("drain %d: got timer %d, want %d", i, got.seq, w.seq)
		}
	}
	if len(h) != 0 {
		t.Fatalf("%d timers left", len(h))
	}
}
