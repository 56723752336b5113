package natsource

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkNATSIngest measures changes per second from a JetStream
// stream into a node over bbolt (decode, apply, one commit with fsync per
// sink call, acks), on an embedded nats-server: each round publishes
// 20,000 changes (not timed; one change per message, or ten as JSON
// Lines), then starts a source on the durable and times it until every
// message is acknowledged. The program is the end-to-end test's (one
// workflow; a third of the changes are ping events that run it) over
// 1,000 contacts. direct is the same changes given to node.Ingest in
// calls of 512, for comparison.
func BenchmarkNATSIngest(b *testing.B) {
	const contacts, round = 1000, 20_000
	change := func(i int) string {
		if i%3 == 0 {
			return fmt.Sprintf(`{"op":"event","event":"ping","type":"contact","id":"c%d","props":{"k":%d}}`, i%contacts, i)
		}
		return fmt.Sprintf(`{"op":"upsert","type":"contact","id":"c%d","props":{"n":%d}}`, i%contacts, i)
	}
	seed := func(b *testing.B) func(data []byte) ([]Item, error) {
		node := newNode(b)
		var sb strings.Builder
		for c := range contacts {
			fmt.Fprintf(&sb, `{"op":"upsert","type":"contact","id":"c%d","props":{"n":0}}`+"\n", c)
		}
		if _, err := node.Ingest([]byte(sb.String())); err != nil {
			b.Fatal(err)
		}
		return nodeSink(node)
	}
	for _, per := range []int{1, 10} {
		b.Run(fmt.Sprintf("changes_per_message=%d", per), func(b *testing.B) {
			ns := startNATS(b)
			pub := newPublisher(b, ns, jetstream.StreamConfig{})
			sink := seed(b)
			i, total := 0, 0
			for b.Loop() {
				b.StopTimer()
				for sent := 0; sent < round; {
					for range min(2000, (round-sent)/per) {
						lines := make([]string, per)
						for k := range lines {
							lines[k] = change(i)
							i++
						}
						if _, err := pub.js.PublishAsync("crm.changes", []byte(strings.Join(lines, "\n"))); err != nil {
							b.Fatal(err)
						}
						sent += per
					}
					<-pub.js.PublishAsyncComplete()
				}
				src := start(b, ns, Options{Logger: quietLogger()}, sink)
				b.StartTimer()
				for src.Stats().Acked < round/uint64(per) {
					time.Sleep(200 * time.Microsecond)
				}
				b.StopTimer()
				if st := src.Stats(); st.Applied != round || st.Errors != 0 {
					b.Fatalf("stats %+v", st)
				}
				src.Close()
				total += round
				b.StartTimer()
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "changes/s")
		})
	}
	b.Run("direct", func(b *testing.B) {
		sink := seed(b)
		i, total := 0, 0
		var sb strings.Builder
		for b.Loop() {
			for range round / 512 {
				b.StopTimer()
				sb.Reset()
				for range 512 {
					fmt.Fprintf(&sb, "%s\n", strings.Replace(change(i), `{`, fmt.Sprintf(`{"client_id":"k%d",`, i), 1))
					i++
				}
				b.StartTimer()
				if _, err := sink([]byte(sb.String())); err != nil {
					b.Fatal(err)
				}
				total += 512
			}
		}
		b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "changes/s")
	})
}
