package delivery

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// laterStates extend sessionStates (see FuzzSession) with the states a
// transaction reaches later on: inside DATA, between BDAT chunks, after a
// delivered message, after a refused recipient, and with SMTPUTF8.
var laterStates = [][]string{
	{"LHLO client.test", "MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "DATA"},
	{"LHLO client.test", "MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "BDAT 3\r\nabc"},
	{"LHLO client.test", "MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "DATA", "Subject: x", "", "body", "."},
	{"LHLO client.test", "MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "BDAT 5 LAST\r\nhello"},
	{"LHLO client.test", "MAIL FROM:<s@example.net>", "RCPT TO:<nobody@example.org>"},
	{"LHLO client.test", "MAIL FROM:<ü@example.net> SMTPUTF8", "RCPT TO:<jörg@example.org>"},
	{"LHLO client.test", "MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RSET"},
}

// FuzzSessionStates feeds arbitrary input to a session in the states
// laterStates lead to; in DATA the input is message text, ended by a
// final dot if it has none. The server must never panic and must answer
// only with well-formed reply lines.
func FuzzSessionStates(f *testing.F) {
	seeds := []string{
		"", ".", "..", "\r\n.", "Subject: x\r\n\r\nbody", "\x00\xff\r\r\n\n", strings.Repeat("x", 2100),
		"BDAT 2 LAST\r\nhi", "BDAT 0 LAST", "BDAT 10\r\n0123456789BDAT 1 LAST\r\nx", "BDAT x", "DATA",
		"MAIL FROM:<a@b>", "RCPT TO:<c@example.org>", "RSET", "QUIT", "LHLO again", "NOOP",
		"x\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<a@example.org>\r\nDATA\r\ny\r\n.",
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}

	seen := &atomic.Value{}
	res := &fakeResolver{errs: map[string]error{"broken@example.org": errors.New("db down")}}
	ts := startServer(f, "tcp", ServerOptions{
		MaxMessageBytes: 4096, MaxRecipients: 5, SpoolMemory: 64, SpoolDir: f.TempDir(),
		Logger: slog.New(panicWatch{seen}),
	}, res, &KeepAgent{Store: &countStore{}})

	f.Fuzz(func(t *testing.T, state uint8, input string) {
		prefix := laterStates[int(state)%len(laterStates)]
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(ioDeadline))
		var in bytes.Buffer
		for _, l := range prefix {
			in.WriteString(l + "\r\n")
		}
		in.WriteString(input + "\r\n")
		if prefix[len(prefix)-1] == "DATA" {
			in.WriteString(".\r\nNOOP\r\n")
		}
		if _, err := c.Write(in.Bytes()); err != nil {
			t.Fatal(err)
		}
		_ = c.(*net.TCPConn).CloseWrite()
		out, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("reading replies: %v", err)
		}
		if p := seen.Load(); p != nil {
			t.Fatalf("server panicked: %v", p)
		}
		text := strings.TrimSuffix(string(out), "\r\n")
		lines := strings.Split(text, "\r\n")
		if len(lines) < 2 {
			t.Fatalf("no reply for %q: %q", in.String(), out)
		}
		for _, l := range lines {
			if !replyLine.MatchString(l) {
				t.Fatalf("malformed reply line %q for input %q (all: %q)", l, in.String(), out)
			}
		}
	})
}
