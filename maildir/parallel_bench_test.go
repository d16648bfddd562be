package maildir

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkDeliver4KParallel delivers 4 KiB messages into one INBOX from
// 8 goroutines per core: concurrent deliveries into one directory, whose
// directory fsyncs group commit shares.
func BenchmarkDeliver4KParallel(b *testing.B) {
	m, err := Open(b.TempDir(), Options{Hostname: "host.example"})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	msg := bytes.Repeat([]byte("0123456789abcde\n"), 256)
	ctx := context.Background()
	b.SetBytes(int64(len(msg)))
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Deliver(ctx, "INBOX", bytes.NewReader(msg), DeliverOptions{}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
}
