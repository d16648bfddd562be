package delivery

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/sluice-mail/sluice/internal/userdb"
)

// The bad-input table: what a hostile or broken LMTP client can send, and
// the reply and log line each must get. Every case runs over a real socket
// against a server using the real user database (a static source serving
// example.org), so addresses go through the same parser as in production.

// logRecorder is a slog handler that keeps every record as one line
// ("msg key=value ...") for the test to search, and copies it to t.Log.
type logRecorder struct {
	t     testing.TB
	mu    *sync.Mutex
	lines *[]string
	attrs []slog.Attr
}

func newLogRecorder(t testing.TB) logRecorder {
	return logRecorder{t: t, mu: &sync.Mutex{}, lines: new([]string)}
}

func (h logRecorder) Enabled(context.Context, slog.Level) bool { return true }

func (h logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Level.String() + " " + r.Message)
	write := func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	}
	for _, a := range h.attrs {
		write(a)
	}
	r.Attrs(write)
	line := b.String()
	if len(line) > 2000 {
		line = line[:2000] + "..."
	}
	h.mu.Lock()
	*h.lines = append(*h.lines, line)
	h.mu.Unlock()
	h.t.Log(line)
	return nil
}

func (h logRecorder) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr(nil), h.attrs...), as...)
	return h
}

func (h logRecorder) WithGroup(string) slog.Handler { return h }

// find returns the first recorded line containing every one of subs.
func (h logRecorder) find(subs ...string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, l := range *h.lines {
		ok := true
		for _, s := range subs {
			if !strings.Contains(l, s) {
				ok = false
				break
			}
		}
		if ok {
			return l, true
		}
	}
	return "", false
}

// waitLog waits (bounded by ioDeadline, as a safety net only) for a log
// line containing every one of subs: some lines are written just after
// the reply the client sees.
func (h logRecorder) waitLog(t testing.TB, subs ...string) string {
	t.Helper()
	deadline := time.Now().Add(ioDeadline)
	for {
		if l, ok := h.find(subs...); ok {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q", subs)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// countStore counts what it is given and keeps nothing, so that tests of
// big messages measure the server, not the store.
type countStore struct {
	n     atomic.Int64
	bytes atomic.Int64
	last  atomic.Value // string: the first 4 KiB of the last message
}

var _ Store = (*countStore)(nil)

func (c *countStore) Store(ctx context.Context, rcpt userdb.Recipient, mailbox string, _ StoreOptions, msg io.Reader) (Stored, error) {
	head := make([]byte, 4096)
	k, err := io.ReadFull(msg, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return Stored{}, err
	}
	rest, err := io.Copy(io.Discard, msg)
	if err != nil {
		return Stored{}, err
	}
	c.last.Store(string(head[:k]))
	c.n.Add(1)
	c.bytes.Add(int64(k) + rest)
	return Stored{Mailbox: mailbox, Path: "/dev/null", Size: int64(k) + rest}, nil
}

// badServer starts a server with the real user database; agent nil keeps
// into a countStore.
func badServer(t *testing.T, opts ServerOptions, agent Agent) (*testServer, logRecorder, *countStore) {
	t.Helper()
	res, err := userdb.NewResolver(userdb.Options{
		Source:             userdb.SourceStatic,
		Domains:            []string{"example.org"},
		StaticHome:         "/nonexistent/vmail/%d/%n",
		StaticUID:          -1,
		StaticGID:          -1,
		RecipientDelimiter: "+",
	})
	if err != nil {
		t.Fatal(err)
	}
	rec := newLogRecorder(t)
	opts.Logger = slog.New(rec)
	store := &countStore{}
	if agent == nil {
		agent = &KeepAgent{Store: store}
	}
	return startServer(t, "tcp", opts, res, agent), rec, store
}

// convStep is one exchange: send (CRLF added unless raw) and the replies
// expected, each a prefix of one reply's last line, in order.
type convStep struct {
	send string
	raw  bool
	want []string
}

func TestBadInputConversations(t *testing.T) {
	const from = "MAIL FROM:<s@example.net>"
	long := func(n int) string { return strings.Repeat("a", n) }
	label63 := long(63)
	domain256 := strings.Repeat(label63+".", 4)[:256-len(".org")] + ".org" // 256 octets
	tests := []struct {
		name  string
		opts  ServerOptions
		steps []convStep
		log   []string // substrings of one log line
		gone  bool     // the server closes the connection at the end
	}{
		// Addresses (RFC 5321 §4.1.2, §4.5.3.1; RFC 6531).
		{name: "quoted local part with space",
			// go-smtp hands the path over unquoted ("a b@example.org"),
			// which is not an address any more: refused as bad syntax.
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<"a b"@example.org>`, want: []string{"501 5.1.3 <a b@example.org> Bad recipient address syntax"}}},
			log:   []string{"recipient refused", `rcpt="a b@example.org"`, `reply="501 5.1.3`}},
		{name: "quoted local part that needs no quotes",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<"alice"@example.org>`, want: []string{"250 2.0.0"}}}},
		{name: "quoted local part hiding an at sign",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<"a@b"@example.org>`, want: []string{"501 5.1.3"}}},
			log:   []string{"recipient refused", `rcpt="a@b@example.org"`}},
		{name: "comment before local part",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<(comment)alice@example.org>`, want: []string{"501 5.5.2"}}}},
		{name: "comment after local part",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<alice(comment)@example.org>`, want: []string{"501 5.5.2"}}}},
		{name: "comment in domain",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<alice@example.org(comment)>`, want: []string{"501 5.1.3"}}},
			log:   []string{"recipient refused", "alice@example.org(comment)"}},
		{name: "IPv4 literal, not served",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<alice@[127.0.0.1]>`, want: []string{"550 5.1.1 <alice@[127.0.0.1]> User doesn't exist"}}},
			log:   []string{"recipient refused", "domain not served"}},
		{name: "IPv6 literal, not served",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<alice@[IPv6:::1]>`, want: []string{"550 5.1.1"}}}},
		{name: "bad IPv4 literal",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: `RCPT TO:<alice@[300.1.1.1]>`, want: []string{"501 5.1.3"}}},
			log:   []string{"recipient refused", "300.1.1.1"}},
		{name: "local part of 64 octets",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<" + long(64) + "@example.org>", want: []string{"250 2.0.0"}}}},
		{name: "local part of 65 octets",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<" + long(65) + "@example.org>", want: []string{"501 5.1.3"}}},
			log:   []string{"recipient refused", "local part too long"}},
		{name: "domain of 256 octets",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<a@" + domain256 + ">", want: []string{"501 5.1.3"}}},
			log:   []string{"recipient refused", `reply="501 5.1.3`}},
		{name: "domain label of 64 octets",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<a@" + long(64) + ".org>", want: []string{"501 5.1.3"}}}},
		{name: "invalid UTF-8 without SMTPUTF8",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<al\xffce@example.org>", want: []string{"553 5.6.7"}}}},
		{name: "invalid UTF-8 with SMTPUTF8",
			steps: []convStep{{send: from + " SMTPUTF8", want: []string{"250"}}, {send: "RCPT TO:<al\xffce@example.org>", want: []string{"501 5.1.3"}}},
			log:   []string{"recipient refused", `reply="501 5.1.3`}},
		{name: "UTF-8 without SMTPUTF8",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<jörg@example.org>", want: []string{"553 5.6.7"}}}},
		{name: "UTF-8 with SMTPUTF8",
			steps: []convStep{{send: from + " SMTPUTF8", want: []string{"250"}}, {send: "RCPT TO:<jörg@example.org>", want: []string{"250 2.0.0"}}}},
		{name: "invalid UTF-8 sender without SMTPUTF8",
			steps: []convStep{{send: "MAIL FROM:<s\xfe@example.net>", want: []string{"553 5.6.7"}}}},
		{name: "null recipient",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<>", want: []string{"501 5.5.2"}}}},
		{name: "missing brackets are tolerated",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:alice@example.org", want: []string{"250 2.0.0"}}}},
		{name: "unbalanced bracket",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org", want: []string{"501 5.5.2"}}}},
		{name: "source route is ignored",
			// RFC 5321 §4.1.1.3 and appendix C: a server SHOULD ignore
			// the source route and deliver to the mailbox.
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<@relay.example.net,@b.example:alice@example.org>", want: []string{"250 2.0.0"}}}},
		{name: "postmaster without domain",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<Postmaster>", want: []string{"550 5.1.1"}}}},
		{name: "malformed ORCPT",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org> ORCPT=nonsense", want: []string{"501 5.5.4"}}}},
		{name: "NUL in an address",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<al\x00ice@example.org>", want: []string{"501 5.1.3"}}},
			log:   []string{"recipient refused", `reply="501 5.1.3`}},
		{name: "NUL in a command verb",
			steps: []convStep{{send: "NO\x00P", want: []string{"500 5.5.2"}}, {send: "NOOP", want: []string{"250"}}}},
		{name: "10 KB command line",
			// RFC 5321 §4.5.3.1.4: a command line is at most 512 octets;
			// go-smtp allows 2000 and then closes the connection.
			steps: []convStep{{send: "RCPT TO:<" + long(10<<10) + "@example.org>", want: []string{"500 5.4.0"}}},
			gone:  true},
		{name: "too many recipients",
			opts: ServerOptions{MaxRecipients: 2},
			steps: []convStep{{send: from, want: []string{"250"}},
				{send: "RCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nRCPT TO:<c@example.org>", want: []string{"250", "250", "452 4.5.3"}}}},
		{name: "DATA without recipients",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "DATA", want: []string{"502 5.5.1"}}}},

		// Message bodies: each must be stored (or refused) with a clear
		// reply per recipient and leave the session usable.
		{name: "bare LF line endings",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org>", want: []string{"250"}},
				{send: "DATA", want: []string{"354"}}, {raw: true, send: "Subject: lf\nX: y\n\nbody\n\r\n.\r\n", want: []string{"250 2.0.0 <alice@example.org>"}},
				{send: "NOOP", want: []string{"250"}}},
			log: []string{"delivery", `rcpt="alice@example.org"`, `reply="250 2.0.0`}},
		{name: "bare CR",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org>", want: []string{"250"}},
				{send: "DATA", want: []string{"354"}}, {raw: true, send: "Subject: cr\rX: y\r\n\r\nbo\rdy\r\n.\r\n", want: []string{"250 2.0.0"}}}},
		{name: "bare LF before the dot",
			// "\n.\n" does not end the message (RFC 5321 §4.1.1.4); only
			// CRLF.CRLF does.
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org>", want: []string{"250"}},
				{send: "DATA", want: []string{"354"}}, {raw: true, send: "Subject: x\r\n\r\nbody\n.\nmore\r\n.\r\n", want: []string{"250 2.0.0"}}}},
		{name: "NUL bytes in the body and header",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org>", want: []string{"250"}},
				{send: "DATA", want: []string{"354"}}, {raw: true, send: "Subject: a\x00b\r\n\r\n\x00\x00\x00\r\n.\r\n", want: []string{"250 2.0.0"}}}},
		{name: "empty message",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org>", want: []string{"250"}},
				{send: "DATA", want: []string{"354"}}, {send: ".", want: []string{"250 2.0.0"}}}},
		{name: "header without body separator",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org>", want: []string{"250"}},
				{send: "DATA", want: []string{"354"}}, {send: "Subject: no body\r\nX-Broken header line\r\n.", want: []string{"250 2.0.0"}}}},
		{name: "BDAT with binary bytes",
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org>", want: []string{"250"}},
				{raw: true, send: "BDAT 12 LAST\r\nA\x00\xff\r\n.\r\n\x01\r\n\x7f", want: []string{"250 2.0.0"}}}},
		{name: "message over the size limit",
			opts: ServerOptions{MaxMessageBytes: 1000},
			steps: []convStep{{send: from, want: []string{"250"}}, {send: "RCPT TO:<alice@example.org>", want: []string{"250"}},
				{send: "DATA", want: []string{"354"}}, {raw: true, send: strings.Repeat(long(900)+"\r\n", 3) + ".\r\n", want: []string{"552 5.3.4"}},
				{send: "NOOP", want: []string{"250"}}},
			log: []string{"message not received", `reply="552 5.3.4`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, rec, _ := badServer(t, tt.opts, nil)
			c := ts.lhlo(t)
			for _, st := range tt.steps {
				if st.raw {
					c.sendRaw(st.send)
				} else {
					c.send(st.send)
				}
				for _, w := range st.want {
					c.expect(w)
				}
			}
			if tt.gone {
				if got, err := c.reply(); err == nil {
					t.Fatalf("connection still open, got %q", got)
				}
			}
			if tt.log != nil {
				rec.waitLog(t, tt.log...)
			}
			if l, ok := rec.find("panic"); ok {
				t.Fatalf("server panicked: %s", l)
			}
		})
	}
}

// sendData runs MAIL, one RCPT per rcpts and DATA, one command at a
// time, then writes body (in wire form, terminator included) while
// reading the replies to it: one per recipient.
func sendData(t *testing.T, c *conv, rcpts []string, body string) []string {
	t.Helper()
	c.send("MAIL FROM:<s@example.net>")
	c.expect("250")
	for _, r := range rcpts {
		c.send("RCPT TO:<" + r + ">")
		c.expect("250")
	}
	c.send("DATA")
	c.expect("354")
	go func() { _, _ = io.WriteString(c.c, body) }()
	var got []string
	for range rcpts {
		r, err := c.reply()
		if err != nil {
			t.Fatalf("reading replies: %v (so far %q)", err, got)
		}
		got = append(got, r)
	}
	return got
}

func TestBadInputHugeLines(t *testing.T) {
	tests := []struct {
		name string
		body string
		want string // reply to DATA for the one recipient
		gone bool   // the server then closes the connection
		log  []string
	}{
		// go-smtp limits a DATA line to 2000 octets (RFC 5321 allows
		// 1000): the message is refused for good, and the connection,
		// whose input is out of convStep, is closed with 500 5.4.0.
		{"1 MB header line", "Subject: " + strings.Repeat("x", 1<<20) + "\r\n\r\nbody\r\n.\r\n", "554 5.6.0", true,
			[]string{"message not received", `reply="554 5.6.0 Line too long in the message"`}},
		{"1 MB body line", "Subject: x\r\n\r\n" + strings.Repeat("y", 1<<20) + "\r\n.\r\n", "554 5.6.0", true, nil},
		{"line of 2000 octets", "Subject: x\r\n\r\n" + strings.Repeat("y", 1998) + "\r\n.\r\n", "250 2.0.0", false, nil},
		{"100k header fields", strings.Repeat("X-Field: value\r\n", 100_000) + "\r\nbody\r\n.\r\n", "250 2.0.0", false,
			[]string{"delivery", `reply="250 2.0.0`}},
		{"1000-deep MIME nesting", deepMIME(1000), "250 2.0.0", false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, rec, store := badServer(t, ServerOptions{SpoolMemory: 64 << 10, SpoolDir: t.TempDir()}, nil)
			c := ts.lhlo(t)
			got := sendData(t, c, []string{"alice@example.org"}, tt.body)
			if !strings.HasPrefix(got[0], tt.want) {
				t.Fatalf("DATA reply %q, want %q", got[0], tt.want)
			}
			if tt.gone {
				if rest := readUntilClosed(t, c); len(rest) != 1 || !strings.HasPrefix(rest[0], "500 5.4.0") {
					t.Errorf("then %q, want 500 5.4.0 and the end", rest)
				}
			} else {
				c.send("NOOP")
				c.expect("250")
			}
			wantStored := int64(0)
			if strings.HasPrefix(tt.want, "250") {
				wantStored = 1
			}
			if n := store.n.Load(); n != wantStored {
				t.Errorf("%d messages stored, want %d", n, wantStored)
			}
			if tt.log != nil {
				rec.waitLog(t, tt.log...)
			}
		})
	}
}

// TestBadInputLongLinePipelined documents a go-smtp limit: its line
// length check counts every byte it reads ahead, so a long line
// pipelined behind MAIL, RCPT and DATA ends the session before those
// commands are answered. The client gets one clear reply.
func TestBadInputLongLinePipelined(t *testing.T) {
	ts, _, store := badServer(t, ServerOptions{}, nil)
	c := ts.lhlo(t)
	go func() {
		_, _ = io.WriteString(c.c, "MAIL FROM:<s@example.net>\r\nRCPT TO:<alice@example.org>\r\nDATA\r\nSubject: "+
			strings.Repeat("x", 100<<10)+"\r\n\r\n.\r\n")
	}()
	got := readUntilClosed(t, c)
	if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], "500 5.4.0") {
		t.Fatalf("replies %q, want the last to be 500 5.4.0", got)
	}
	if n := store.n.Load(); n != 0 {
		t.Errorf("%d messages stored", n)
	}
}

// deepMIME is a message of depth nested multipart/mixed parts.
func deepMIME(depth int) string {
	var b strings.Builder
	b.WriteString("Subject: deep\r\nMIME-Version: 1.0\r\n")
	for i := range depth {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\nleaf\r\n")
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	b.WriteString(".\r\n")
	return b.String()
}

// dribble writes s one byte at a time, every gap, until done is closed or
// a write fails (the server hung up).
func dribble(c net.Conn, s string, gap time.Duration, done <-chan struct{}) {
	for i := 0; i < len(s); i++ {
		select {
		case <-done:
			return
		case <-time.After(gap):
		}
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return
		}
	}
}

// readUntilClosed reads replies until the server closes the connection
// and returns them.
func readUntilClosed(t *testing.T, c *conv) []string {
	t.Helper()
	var got []string
	for {
		r, err := c.reply()
		if r != "" {
			got = append(got, r)
		}
		if err != nil {
			return got
		}
	}
}

func TestBadInputTimeouts(t *testing.T) {
	// The server timeout is short to keep the test fast; nothing here
	// measures time, the test only checks what the client is told.
	const timeout = time.Second
	tests := []struct {
		name   string
		before []string // commands sent (and answered 250/354) first
		slow   string   // then dribbled one byte every 300ms, "" for idle
		want   string   // the last reply before the server hangs up
		log    []string
	}{
		{name: "idle after greeting", want: "421 4.4.2"},
		{name: "idle in a transaction", before: []string{"LHLO c", "MAIL FROM:<s@example.net>", "RCPT TO:<alice@example.org>"}, want: "421 4.4.2"},
		// The part of the line read before the timeout may be answered
		// (as a bad command) before the 421.
		{name: "slow command line", before: []string{"LHLO c"}, slow: "NOOP and some more text\r\n", want: "421 4.4.2"},
		{name: "slow command in a transaction", before: []string{"LHLO c", "MAIL FROM:<s@example.net>"}, slow: "RCPT TO:<alice@example.org>\r\n", want: "421 4.4.2"},
		{name: "idle in DATA", before: []string{"LHLO c", "MAIL FROM:<s@example.net>", "RCPT TO:<alice@example.org>", "DATA"},
			want: "421 4.4.2", log: []string{"message not received", `reply="451 4.4.2 Timeout receiving the message"`}},
		// go-smtp sets the read deadline when it reads the DATA command
		// and not again before the final dot: the whole message must
		// arrive within the timeout, however steadily it trickles in.
		{name: "slow DATA", before: []string{"LHLO c", "MAIL FROM:<s@example.net>", "RCPT TO:<alice@example.org>", "DATA"},
			slow: "Subject: slow\r\n\r\nbody\r\n.\r\n", want: "421 4.4.2", log: []string{"message not received", `reply="451 4.4.2`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ts, rec, store := badServer(t, ServerOptions{ReadTimeout: timeout, WriteTimeout: timeout}, nil)
			c := ts.dial(t)
			for _, l := range tt.before {
				c.send(l)
				if l == "DATA" {
					c.expect("354")
				} else {
					c.expect("250")
				}
			}
			done := make(chan struct{})
			defer close(done)
			if tt.slow != "" {
				go dribble(c.c, tt.slow, 300*time.Millisecond, done)
			}
			got := readUntilClosed(t, c)
			if len(got) == 0 || !strings.HasPrefix(got[len(got)-1], tt.want) {
				t.Fatalf("replies %q, want the last to be %q", got, tt.want)
			}
			for _, r := range got {
				if !replyLine.MatchString(r) {
					t.Errorf("malformed reply %q", r)
				}
			}
			if n := store.n.Load(); n != 0 {
				t.Errorf("%d messages stored", n)
			}
			if tt.log != nil {
				rec.waitLog(t, tt.log...)
			}
			rec.waitLog(t, "connection closed: client timed out", `timeout="1s"`)
			waitNoConns(t, ts.srv)
		})
	}
}

func TestBadInputConnectionLimit(t *testing.T) {
	ts, rec, _ := badServer(t, ServerOptions{MaxConnections: 2}, nil)
	a := ts.lhlo(t)
	ts.lhlo(t)
	// The third is told why and closed, without a session.
	c, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(ioDeadline))
	third := &conv{t: t, c: c, r: bufio.NewReader(c)}
	got := readUntilClosed(t, third)
	if len(got) != 1 || !strings.HasPrefix(got[0], "421 4.3.2 mx.test Too many connections") {
		t.Fatalf("over the limit got %q, want one 421 4.3.2", got)
	}
	rec.waitLog(t, "connection refused", "too many connections", `limit="2"`)
	// The sessions in place go on; once one leaves, a new one is let in.
	a.send("NOOP")
	a.expect("250")
	a.send("QUIT")
	a.expect("221")
	// The slot is freed when the server has closed its side, a moment
	// after the 221: until then a new client may still be turned away.
	deadline := time.Now().Add(ioDeadline)
	for {
		c, err := net.Dial("tcp", ts.addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = c.SetDeadline(time.Now().Add(ioDeadline))
		greeting, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err == nil && strings.HasPrefix(greeting, "220 ") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no connection accepted after one left (last: %q, %v)", greeting, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// base64Body writes a message with a base64 body of n bytes to w in
// pieces, so that the client side never holds it in memory.
func base64Body(w io.Writer, n int) error {
	if _, err := io.WriteString(w, "Subject: big\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"); err != nil {
		return err
	}
	line := strings.Repeat("QUJD", 19) + "\r\n" // 76 characters
	chunk := strings.Repeat(line, 1000)
	for sent := 0; sent < n; sent += len(chunk) {
		if _, err := io.WriteString(w, chunk); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, ".\r\n")
	return err
}

// TestBadInputHugeMessage sends a 20 MB message to three recipients and
// checks that the server's heap stays far below the message size: the
// message is spooled to a file once and streamed to each recipient.
func TestBadInputHugeMessage(t *testing.T) {
	const size = 20 << 20
	ts, _, store := badServer(t, ServerOptions{SpoolMemory: 1 << 20, SpoolDir: t.TempDir()}, nil)
	c := ts.lhlo(t)
	rcpts := []string{"alice@example.org", "bob@example.org", "carol@example.org"}
	c.send("MAIL FROM:<s@example.net>")
	c.expect("250")
	for _, r := range rcpts {
		c.send("RCPT TO:<" + r + ">")
		c.expect("250")
	}
	c.send("DATA")
	c.expect("354")

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var ms runtime.MemStats
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	werr := make(chan error, 1)
	go func() { werr <- base64Body(c.c, size) }()
	for _, r := range rcpts {
		c.expect("250 2.0.0 <" + r + ">")
	}
	close(stop)
	<-sampled
	if err := <-werr; err != nil {
		t.Fatal(err)
	}
	if n := store.n.Load(); n != 3 {
		t.Fatalf("%d copies stored, want 3", n)
	}
	// Stored with LF line ends: 77 of every 78 bytes sent.
	if b, want := store.bytes.Load(), int64(3*(size/78*77)); b < want {
		t.Errorf("stored %d bytes, want at least %d", b, want)
	}
	// Generous: the point is that no copy of the message is held.
	if grow := int64(peak.Load()) - int64(base); grow > size/2 {
		t.Errorf("heap grew by %d bytes for a %d-byte message", grow, size)
	} else {
		t.Logf("heap growth %d bytes for %d bytes x %d recipients", grow, size, len(rcpts))
	}
}

// manyRcpts sends MAIL, n RCPTs and a small message, all pipelined, and
// returns the replies: MAIL, n RCPT, DATA (354) and one per accepted RCPT.
func manyRcpts(t *testing.T, c *conv, n, accepted int) []string {
	t.Helper()
	var b strings.Builder
	b.WriteString("MAIL FROM:<s@example.net>\r\n")
	for i := range n {
		fmt.Fprintf(&b, "RCPT TO:<u%d@example.org>\r\n", i)
	}
	b.WriteString("DATA\r\n")
	b.WriteString("Subject: many\r\n\r\nhi\r\n.\r\n")
	go func() { _, _ = io.WriteString(c.c, b.String()) }()
	got := make([]string, 0, n+2+accepted)
	for range 1 + n + 1 + accepted {
		r, err := c.reply()
		if err != nil {
			t.Fatalf("after %d replies: %v", len(got), err)
		}
		got = append(got, r)
	}
	return got
}

func TestBadInputTenThousandRecipients(t *testing.T) {
	const n = 10_000
	t.Run("over max_recipients", func(t *testing.T) {
		ts, _, store := badServer(t, ServerOptions{MaxRecipients: 100}, nil)
		c := ts.lhlo(t)
		got := manyRcpts(t, c, n, 100)
		for i, r := range got[1 : n+1] {
			want := "250 2.0.0"
			if i >= 100 {
				want = "452 4.5.3"
			}
			if !strings.HasPrefix(r, want) {
				t.Fatalf("RCPT %d: %q, want %q", i, r, want)
			}
		}
		for i, r := range got[n+2:] {
			if want := fmt.Sprintf("250 2.0.0 <u%d@example.org>", i); !strings.HasPrefix(r, want) {
				t.Fatalf("DATA reply %d: %q, want %q", i, r, want)
			}
		}
		if s := store.n.Load(); s != 100 {
			t.Errorf("%d copies stored, want 100", s)
		}
	})
	t.Run("no limit", func(t *testing.T) {
		ts, _, store := badServer(t, ServerOptions{}, nil)
		c := ts.lhlo(t)
		got := manyRcpts(t, c, n, n)
		for i, r := range got[n+2:] {
			if want := fmt.Sprintf("250 2.0.0 <u%d@example.org>", i); !strings.HasPrefix(r, want) {
				t.Fatalf("DATA reply %d: %q, want %q", i, r, want)
			}
		}
		if s := store.n.Load(); s != n {
			t.Errorf("%d copies stored, want %d", s, n)
		}
		c.send("NOOP")
		c.expect("250")
	})
}

// TestBadInputReplies pins the replies for errors met while receiving a
// message from a misbehaving client.
func TestBadInputReplies(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{fmt.Errorf("spool: %w", &net.OpError{Op: "read", Net: "tcp", Err: os.ErrDeadlineExceeded}), "451 4.4.2 Timeout receiving the message"},
		{fmt.Errorf("spool: %w", smtp.ErrTooLongLine), "554 5.6.0 Line too long in the message"},
		{fmt.Errorf("spool: %w", io.ErrUnexpectedEOF), "451 4.3.0 Message transfer aborted"},
		{ErrClientGone, "451 4.3.0 Message transfer aborted"},
	}
	for _, tt := range tests {
		if got := replyString(Reply(tt.err)); got != tt.want {
			t.Errorf("Reply(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}
