package delivery

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// panicWatch is a slog handler that notices panics logged by the server
// whose stack runs through sluice code. (go-smtp v0.26.0 itself can hit a
// nil session in its BDAT goroutine when a client sends "BDAT 0" and
// hangs up; it recovers, and that race is not ours to fix.)
type panicWatch struct{ seen *atomic.Value }

func (h panicWatch) Enabled(context.Context, slog.Level) bool { return true }
func (h panicWatch) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "panic") && strings.Contains(r.Message, "sluice-mail/sluice/delivery.") {
		h.seen.Store(r.Message)
	}
	return nil
}
func (h panicWatch) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h panicWatch) WithGroup(string) slog.Handler      { return h }

// replyLine is a well-formed reply line (RFC 5321 section 4.2).
var replyLine = regexp.MustCompile(`^[2-5][0-9][0-9][ -]`)

// sessionStates are command prefixes that bring a session to a state.
var sessionStates = [][]string{
	nil,
	{"LHLO client.test"},
	{"LHLO client.test", "MAIL FROM:<s@example.net>"},
	{"LHLO client.test", "MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>"},
}

// FuzzSession feeds arbitrary command lines to a session in several
// states. The server must never panic and must answer only with
// well-formed reply lines.
func FuzzSession(f *testing.F) {
	seeds := []string{
		"MAIL FROM:<a@b>", "MAIL FROM:<> SIZE=10 BODY=8BITMIME", "MAIL FROM:<ü@x> SMTPUTF8 BODY=BINARYMIME",
		"RCPT TO:<x@example.org> ORCPT=rfc822;x+2B", "RCPT TO:<nobody@example.org> NOTIFY=NEVER",
		"RCPT TO:<broken@example.org>", "RCPT TO:<a@example.org>\r\nRCPT TO:<a@example.org>\r\nDATA\r\nx\r\n.",
		"DATA\r\nSubject: x\r\n\r\nbody\r\n.", "DATA\r\n..\r\n.", "DATA", "BDAT 5 LAST\r\nhello",
		"BDAT 3\r\nabcBDAT 0 LAST", "BDAT 1000", "BDAT -1", "BDAT 1 FIRST", "RSET", "LHLO again",
		"HELO x", "EHLO x", "VRFY x", "NOOP", "QUIT", "AUTH PLAIN", "STARTTLS", "\x00\xff\r", "",
		strings.Repeat("A", 3000),
	}
	for i, s := range seeds {
		f.Add(uint8(i), s)
	}

	seen := &atomic.Value{}
	res := &fakeResolver{errs: map[string]error{"broken@example.org": errors.New("db down")}}
	ts := startServer(f, "tcp", ServerOptions{
		MaxMessageBytes: 4096, MaxRecipients: 5, SpoolMemory: 64, SpoolDir: f.TempDir(),
		Logger: slog.New(panicWatch{seen}),
	}, res, nil)

	f.Fuzz(func(t *testing.T, state uint8, input string) {
		prefix := sessionStates[int(state)%len(sessionStates)]
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
		// The greeting and at least one answer. (go-smtp drops a
		// connection on an over-long line before answering the commands
		// pipelined ahead of it, so more cannot be asked for.)
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

// FuzzCRLFToLF checks the streaming CRLF conversion against the obvious
// whole-buffer one, however the input is split.
func FuzzCRLFToLF(f *testing.F) {
	f.Add([]byte("a\r\nb\r\n"), uint8(1))
	f.Add([]byte("\r\r\n\r"), uint8(2))
	f.Add([]byte("no line end"), uint8(0))
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		n := int(step)%7 + 1
		var out bytes.Buffer
		c := crlfToLF{w: &out}
		for i := 0; i < len(in); i += n {
			end := min(i+n, len(in))
			if _, err := c.Write(in[i:end]); err != nil {
				t.Fatal(err)
			}
		}
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
		want := bytes.ReplaceAll(in, []byte("\r\n"), []byte("\n"))
		if !bytes.Equal(out.Bytes(), want) {
			t.Fatalf("convert(%q) = %q, want %q", in, out.Bytes(), want)
		}
	})
}
