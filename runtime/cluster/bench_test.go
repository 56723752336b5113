package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkClusterIngest measures end-to-end throughput of one, two and
// three nodes on one database (all in this process, on this machine):
// clients post batches of 1,000 upserts, spread over the nodes, and the
// clock stops when every change has been applied by its partition's
// owner (the inbox is empty). Each change is one contact's upsert that a
// workflow reads (enroll when score >= 50), so changes run the engine,
// with an email, so the unique index is kept too.
func BenchmarkClusterIngest(b *testing.B) {
	for _, n := range []int{1, 2, 3} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			db := testDB(b)
			prog := program(b, "testdata/bench.wf")
			var nodes []*Cluster
			for i := range n {
				nodes = append(nodes, start(b, db, prog, fmt.Sprintf("b%d", i)))
			}
			defer func() {
				for _, c := range nodes {
					c.Close()
				}
			}()
			deadline := time.Now().Add(30 * time.Second)
			for {
				if ok, _ := balanced(nodes...); ok {
					break
				}
				if time.Now().After(deadline) {
					b.Fatal("the partitions were not shared out")
				}
				time.Sleep(50 * time.Millisecond)
			}
			const batch = 1000
			const clients = 4
			var body []string
			for k := range 8 {
				var s strings.Builder
				for i := range batch {
					fmt.Fprintf(&s, `{"op":"upsert","type":"contact","id":"c%d-%d","props":{"score":%d,"email":"c%d-%d@x.io"}}`+"\n", k, i, (i*7)%100, k, i)
				}
				body = append(body, s.String())
			}
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			work := make(chan int)
			for w := range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range work {
						if _, err := nodes[(w+i)%n].Ingest([]byte(body[i%len(body)])); err != nil {
							b.Error(err)
						}
					}
				}()
			}
			for i := range b.N {
				work <- i
			}
			close(work)
			wg.Wait()
			accepted := time.Since(start)
			for {
				var left int64
				if err := db.Pool().QueryRow(context.Background(), `SELECT count(*) FROM wf_inbox`).Scan(&left); err != nil {
					b.Fatal(err)
				}
				if left == 0 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N*batch)/el.Seconds(), "changes/s")
			b.ReportMetric(float64(b.N*batch)/accepted.Seconds(), "accepted/s")
		})
	}
}
