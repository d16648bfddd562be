package delivery

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// BenchmarkLMTPDataLarge receives one 8 MiB message over loopback LMTP
// into a file spool and reads it back once: the receive path of the large
// scenario, without the Maildir writes.
func BenchmarkLMTPDataLarge(b *testing.B) {
	agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
		n, err := io.Copy(io.Discard, d.Message.Open())
		return Outcome{Stored: []Stored{{Mailbox: "INBOX", Size: n}}}, err
	})
	ts := startServer(b, "tcp", ServerOptions{Logger: slog.New(slog.DiscardHandler), SpoolDir: b.TempDir()}, nil, agent)
	c := ts.lhlo(b)
	line := strings.Repeat("x", 74) + "\r\n"
	body := "Subject: large\r\nMessage-ID: <l@example.net>\r\n\r\n" + strings.Repeat(line, (8<<20)/len(line))
	txn := "MAIL FROM:<s@example.net>\r\nRCPT TO:<a@example.org>\r\nDATA\r\n" + dataBody(body)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		c.sendRaw(txn)
		c.expect("250 ")
		c.expect("250 ")
		c.expect("354 ")
		c.expect("250 2.0.0 <a@example.org>")
	}
}
