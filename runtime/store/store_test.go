package store_test

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/wflang/wf/runtime/store"
	"github.com/wflang/wf/runtime/store/storetest"
)

// TestContract runs the Store contract suite (package storetest, which the
// PostgreSQL store runs too) on the embedded store.
func TestContract(t *testing.T) {
	base := t.TempDir()
	storetest.Run(t, func(t *testing.T, db string) store.Store {
		s, err := store.Open(filepath.Join(base, t.Name(), db))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// BenchmarkCommit measures committed changes per second in batches of 1
// and 1,000 small records, each commit fsync'd.
func BenchmarkCommit(b *testing.B) {
	for _, size := range []int{1, 1000} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s, err := store.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			n := 0
			for b.Loop() {
				var batch store.Batch
				for range size {
					n++
					batch.PutRecord(store.Record{Type: "contact", ID: fmt.Sprint("c", n), State: []byte(`{"props":{"score":{"K":2,"N":1}}}`)})
				}
				if err := s.Commit(&batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "changes/s")
		})
	}
}
