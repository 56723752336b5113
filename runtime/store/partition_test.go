package store

import "testing"

func TestPartition(t *testing.T) {
	// Fixed values: a partition must never change, or stored rows would
	// belong to the wrong owner.
	for _, c := range []struct {
		typ, id string
		want    int
	}{
		{"contact", "c1", 28},
		{"deal", "d-42", 21},
		{"contact", "", 36},
	} {
		if got := Partition(c.typ, c.id); got != c.want {
			t.Errorf("Partition(%q, %q) = %d, want %d", c.typ, c.id, got, c.want)
		}
	}
	seen := map[int]int{}
	for i := 0; i < 6400; i++ {
		p := Partition("contact", "c"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)))
		if p < 0 || p >= Partitions {
			t.Fatalf("partition %d out of range", p)
		}
		seen[p]++
	}
	if len(seen) != Partitions {
		t.Errorf("6400 ids fell in %d of %d partitions", len(seen), Partitions)
	}
}
