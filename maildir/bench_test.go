package maildir

import (
	"bytes"
	"context"
	"testing"
)

// BenchmarkDeliver4K measures a full durable delivery (tmp write, fsync,
// rename, directory fsync) of a 4 KiB message into INBOX.
func BenchmarkDeliver4K(b *testing.B) {
	m, err := Open(b.TempDir(), Options{Hostname: "host.example"})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()
	msg := bytes.Repeat([]byte("0123456789abcde\n"), 256)
	ctx := context.Background()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := m.Deliver(ctx, "INBOX", bytes.NewReader(msg), DeliverOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
