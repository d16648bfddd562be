package delivery

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
)

// BenchmarkLMTPData4K measures one pipelined LMTP transaction with a 4 KiB
// message and one recipient, over loopback TCP, into an agent that only
// reads the copy.
func BenchmarkLMTPData4K(b *testing.B) {
	agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
		n, err := io.Copy(io.Discard, d.Message.Open())
		return Outcome{Stored: []Stored{{Mailbox: "INBOX", Size: n}}}, err
	})
	ts := startServer(b, "tcp", ServerOptions{Logger: slog.New(slog.DiscardHandler), AddReceived: true}, nil, agent)
	c := ts.lhlo(b)
	line := strings.Repeat("x", 62) + "\r\n"
	body := "Subject: bench\r\nMessage-ID: <b@example.net>\r\n\r\n" + strings.Repeat(line, 4096/len(line))
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
