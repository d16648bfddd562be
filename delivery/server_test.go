package delivery

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var networks = []string{"tcp", "unix"}

// agentFunc adapts a function to Agent.
type agentFunc func(ctx context.Context, d *Delivery) (Outcome, error)

func (f agentFunc) Deliver(ctx context.Context, d *Delivery) (Outcome, error) { return f(ctx, d) }

func TestLHLOCapabilities(t *testing.T) {
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, ServerOptions{MaxMessageBytes: 1000}, nil, nil)
			c := ts.dial(t)
			c.send("MAIL FROM:<a@example.net>")
			c.expect("502 5.5.1")
			c.send("LHLO client.test")
			got := c.expect("250 ")
			for _, capa := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 1000", "CHUNKING", "SMTPUTF8"} {
				if !strings.Contains(got, "250-"+capa+"\n") && !strings.HasSuffix(got, "250 "+capa) {
					t.Errorf("capability %s missing in:\n%s", capa, got)
				}
			}
			c.send("QUIT")
			c.expect("221 2.0.0")
		})
	}
}

func TestHELOAndEHLORefused(t *testing.T) {
	ts := startServer(t, "tcp", ServerOptions{}, nil, nil)
	c := ts.dial(t)
	for _, cmd := range []string{"HELO client.test", "EHLO client.test"} {
		c.send(cmd)
		c.expect("500 5.5.1")
	}
	c.send("LHLO client.test")
	c.expect("250 ")
}

func TestRcptReplies(t *testing.T) {
	res := &fakeResolver{errs: map[string]error{
		"bad@example.org":    fmt.Errorf("parse: %w", ErrBadAddress),
		"broken@example.org": errors.New("userdb: connection refused"),
	}}
	tests := []struct {
		rcpt, want string
	}{
		{"alice@example.org", "250 2.0.0"},
		{"nobody@example.org", "550 5.1.1 <nobody@example.org> User doesn't exist"},
		{"bad@example.org", "501 5.1.3 <bad@example.org>"},
		{"broken@example.org", "451 4.3.0 <broken@example.org> Temporary user lookup failure"},
	}
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, ServerOptions{}, res, nil)
			c := ts.lhlo(t)
			c.send("MAIL FROM:<a@example.net>")
			c.expect("250 2.0.0")
			for _, tt := range tests {
				c.send("RCPT TO:<" + tt.rcpt + ">")
				if got := c.expect(tt.want); strings.Contains(got, "refused") {
					t.Errorf("internal detail leaked: %q", got)
				}
			}
		})
	}
}

func TestTooManyRecipients(t *testing.T) {
	ts := startServer(t, "tcp", ServerOptions{MaxRecipients: 2}, nil, nil)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<a@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "RCPT TO:<c@example.org>")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("452 4.5.3")
	c.send("DATA")
	c.expect("354 ")
	c.sendRaw(dataBody(testMsg))
	c.expect("250 2.0.0 <a@example.org>")
	c.expect("250 2.0.0 <b@example.org>")
	if n := ts.store.total(); n != 2 {
		t.Errorf("stored %d copies, want 2", n)
	}
}

func TestMixedOutcomesInRcptOrder(t *testing.T) {
	for _, network := range networks {
		t.Run(network, func(t *testing.T) {
			ts := startServer(t, network, ServerOptions{}, nil, nil)
			ts.store.fail["full"] = &StorageError{Mailbox: "INBOX", Err: fmt.Errorf("write: %w", syscall.ENOSPC)}
			c := ts.lhlo(t)
			c.send("MAIL FROM:<s@example.net>")
			c.expect("250 ")
			c.send("RCPT TO:<a@example.org>")
			c.expect("250 ")
			c.send("RCPT TO:<nobody@example.org>")
			c.expect("550 5.1.1 <nobody@example.org>")
			c.send("RCPT TO:<full@example.org>")
			c.expect("250 ")
			c.send("RCPT TO:<c@example.org>")
			c.expect("250 ")
			c.send("DATA")
			c.expect("354 ")
			c.sendRaw(dataBody(testMsg))
			first := c.expect("250 2.0.0 <a@example.org> ")
			if !strings.HasSuffix(first, " Saved") {
				t.Errorf("got %q, want ... Saved", first)
			}
			c.expect("452 4.3.1 <full@example.org> Insufficient system storage")
			c.expect("250 2.0.0 <c@example.org> ")
			if len(ts.store.get("a")) != 1 || len(ts.store.get("c")) != 1 || len(ts.store.get("full")) != 0 {
				t.Errorf("store: a=%d c=%d full=%d", len(ts.store.get("a")), len(ts.store.get("c")), len(ts.store.get("full")))
			}
			// The session goes on after a transaction.
			c.send("MAIL FROM:<>", "RCPT TO:<a@example.org>", "DATA")
			c.expect("250 ")
			c.expect("250 ")
			c.expect("354 ")
			c.sendRaw(dataBody(testMsg))
			c.expect("250 2.0.0 <a@example.org>")
		})
	}
}

func TestDataReplyCodes(t *testing.T) {
	tests := []struct {
		name  string
		opts  ServerOptions
		err   error
		rej   string
		want  string
		store bool
	}{
		{name: "saved", want: "250 2.0.0 <u@example.org> ", store: true},
		{name: "quota", err: &QuotaError{Mailbox: "INBOX", Err: errors.New("over")}, want: "552 5.2.2 <u@example.org> "},
		{name: "quota temporary", opts: ServerOptions{QuotaTemporary: true}, err: &QuotaError{Mailbox: "INBOX"}, want: "452 4.2.2 <u@example.org> "},
		{name: "read-only", err: &StorageError{Mailbox: "INBOX", Err: &net.OpError{Err: syscall.EROFS}}, want: "451 4.2.0 <u@example.org> "},
		{name: "disk full", err: fmt.Errorf("sync: %w", syscall.ENOSPC), want: "452 4.3.1 <u@example.org> "},
		{name: "unknown error", err: errors.New("secret /var/mail detail"), want: "451 4.3.0 <u@example.org> Temporary internal error"},
		{name: "rejected", rej: "I don't want\r\nyour mail", want: "550 5.7.1 <u@example.org> I don't want your mail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored := false
			agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
				if tt.err != nil {
					return Outcome{}, tt.err
				}
				if tt.rej != "" {
					return Outcome{Reject: tt.rej}, nil
				}
				stored = true
				return Outcome{Stored: []Stored{{Mailbox: "INBOX"}}}, nil
			})
			ts := startServer(t, "tcp", tt.opts, nil, agent)
			c := ts.lhlo(t)
			c.send("MAIL FROM:<s@example.net>", "RCPT TO:<u@example.org>", "DATA")
			c.expect("250 ")
			c.expect("250 ")
			c.expect("354 ")
			c.sendRaw(dataBody(testMsg))
			got := c.expect(tt.want)
			if strings.Contains(got, "secret") {
				t.Errorf("detail leaked: %q", got)
			}
			if stored != tt.store {
				t.Errorf("stored = %v, want %v", stored, tt.store)
			}
		})
	}
}

func TestPipelining(t *testing.T) {
	ts := startServer(t, "tcp", ServerOptions{}, nil, nil)
	c := ts.lhlo(t)
	// RFC 2920: the whole envelope and DATA in one write.
	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "DATA")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	c.sendRaw(dataBody(testMsg) + "QUIT\r\n")
	c.expect("250 2.0.0 <a@example.org>")
	c.expect("250 2.0.0 <b@example.org>")
	c.expect("221 ")
	wantBody := "Return-Path: <s@example.net>\nDelivered-To: <b@example.org>\n" + testMsg
	if got := ts.store.get("b"); len(got) != 1 || got[0] != wantBody {
		t.Errorf("b got %q, want %q", got, wantBody)
	}
}

// writeCounter counts the writes made to the connections it accepts.
type writeCounter struct {
	net.Listener
	writes atomic.Int32
}

func (l *writeCounter) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countedConn{Conn: c, n: &l.writes}, nil
}

type countedConn struct {
	net.Conn
	n *atomic.Int32
}

func (c *countedConn) Write(b []byte) (int, error) {
	c.n.Add(1)
	return c.Conn.Write(b)
}

// TestPipelinedRepliesTogether checks that the replies to a pipelined
// group leave in one write (RFC 2920 section 3.2 lets a server hold them
// while it reads on), that a client sending one command at a time gets
// each reply, and that replies held when the client stops sending, or
// when the server closes, are not lost.
func TestPipelinedRepliesTogether(t *testing.T) {
	srv, err := NewServer(ServerOptions{Hostname: "mx.test", Logger: testLogger(t)}, &fakeResolver{}, &KeepAgent{Store: newMemStore()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := Listen(t.Context(), "tcp", "127.0.0.1:0", UnixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wc := &writeCounter{Listener: ln}
	go srv.Serve(context.Background(), wc)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
		defer cancel()
		srv.Shutdown(ctx)
	})
	ts := &testServer{network: "tcp", addr: ln.Addr().String()}
	c := ts.lhlo(t)

	before := wc.writes.Load()
	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "DATA")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	if n := wc.writes.Load() - before; n != 1 {
		t.Errorf("the 4 replies to a pipelined group took %d writes, want 1", n)
	}
	c.sendRaw(dataBody(testMsg))
	c.expect("250 2.0.0 <a@example.org>")
	c.expect("250 2.0.0 <b@example.org>")

	// A group that ends without DATA: its replies come when the server
	// waits for more.
	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>")
	c.expect("250 ")
	c.expect("250 ")
	// One command at a time, as a client without pipelining talks.
	c.send("RSET")
	c.expect("250 ")
	c.send("MAIL FROM:<s@example.net>")
	c.expect("250 ")
	// QUIT after held replies: the server closes, and sends them first.
	c.send("RCPT TO:<a@example.org>", "QUIT")
	c.expect("250 ")
	c.expect("221 ")
}

func TestBDAT(t *testing.T) {
	msg := strings.ReplaceAll(testMsg, "\n", "\r\n")
	tests := []struct {
		name   string
		chunks []string // the last one is sent with LAST
	}{
		{"one chunk", []string{msg}},
		{"several chunks", []string{msg[:7], msg[7:40], msg[40:]}},
		{"split CRLF", []string{msg[:strings.Index(msg, "\n")], msg[strings.Index(msg, "\n"):]}},
		{"empty LAST", []string{msg, ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, "tcp", ServerOptions{}, nil, nil)
			c := ts.lhlo(t)
			c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<nobody@example.org>", "RCPT TO:<b@example.org>")
			c.expect("250 ")
			c.expect("250 ")
			c.expect("550 5.1.1")
			c.expect("250 ")
			for i, ch := range tt.chunks {
				if i == len(tt.chunks)-1 {
					c.sendRaw(fmt.Sprintf("BDAT %d LAST\r\n%s", len(ch), ch))
					break
				}
				c.sendRaw(fmt.Sprintf("BDAT %d\r\n%s", len(ch), ch))
				c.expect("250 2.0.0")
			}
			c.expect("250 2.0.0 <a@example.org>")
			c.expect("250 2.0.0 <b@example.org>")
			// BDAT carries no dot-stuffing: ".dot line" is kept as is.
			want := "Return-Path: <s@example.net>\nDelivered-To: <a@example.org>\n" + testMsg
			if got := ts.store.get("a"); len(got) != 1 || got[0] != want {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestSMTPUTF8(t *testing.T) {
	fixed := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	ts := startServer(t, "tcp", ServerOptions{AddReceived: true, Now: func() time.Time { return fixed }}, nil, nil)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<jörg@bücher.example> SMTPUTF8 BODY=8BITMIME", "RCPT TO:<zoë@example.org>", "DATA")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	c.sendRaw(dataBody("Subject: café\n\nnaïve\n"))
	c.expect("250 2.0.0 <zoë@example.org>")
	got := ts.store.get("zoë")
	if len(got) != 1 {
		t.Fatalf("stored %d", len(got))
	}
	for _, want := range []string{"Return-Path: <jörg@bücher.example>\n", "Delivered-To: <zoë@example.org>\n", "with UTF8LMTP id ", "\tfor <zoë@example.org>; Mon, 06 May 2024 07:08:09 +0000\n", "Subject: café\n\nnaïve\n"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("missing %q in %q", want, got[0])
		}
	}
}

func TestHeadersOnEveryCopy(t *testing.T) {
	fixed := time.Date(2024, 1, 2, 3, 4, 5, 0, time.FixedZone("", 3600))
	var mu sync.Mutex
	var ids []string
	store := newMemStore()
	agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
		mu.Lock()
		ids = append(ids, d.SessionID)
		mu.Unlock()
		return (&KeepAgent{Store: store}).Deliver(ctx, d)
	})
	ts := startServer(t, "tcp", ServerOptions{AddReceived: true, Now: func() time.Time { return fixed }}, nil, agent)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<>", "RCPT TO:<a@example.org>", "RCPT TO:<b+x@example.org>", "DATA")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	c.sendRaw(dataBody(strings.ReplaceAll(testMsg, "\n", "\r\n")))
	r1 := c.expect("250 2.0.0 <a@example.org> ")
	c.expect("250 2.0.0 <b+x@example.org> ")
	if len(ids) != 2 || !strings.Contains(r1, " "+ids[0]+" Saved") {
		t.Fatalf("session id %v not in reply %q", ids, r1)
	}
	for user, rcpt := range map[string]string{"a": "a@example.org", "b": "b+x@example.org"} {
		want := "Return-Path: <>\nDelivered-To: <" + rcpt + ">\n" +
			"Received: from client.test (127.0.0.1)\n\tby mx.test (sluice) with LMTP id " + ids[0] +
			"\n\tfor <" + rcpt + ">; Tue, 02 Jan 2024 03:04:05 +0100\n" + testMsg
		got := store.get(user)
		if len(got) != 1 {
			t.Fatalf("%s: %d copies", user, len(got))
		}
		// The remote port varies; drop it.
		g := strings.Replace(got[0], got[0][strings.Index(got[0], "(127.0.0.1"):strings.Index(got[0], ")\n\tby")], "(127.0.0.1", 1)
		if g != want {
			t.Errorf("%s copy:\n%q\nwant\n%q", user, g, want)
		}
	}
}

func TestDuplicateRecipientDeliveredOnce(t *testing.T) {
	ts := startServer(t, "tcp", ServerOptions{}, nil, nil)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "RCPT TO:<a@example.org>", "DATA")
	for range 4 {
		c.expect("250 ")
	}
	c.expect("354 ")
	c.sendRaw(dataBody(testMsg))
	r1 := c.expect("250 2.0.0 <a@example.org> ")
	c.expect("250 2.0.0 <b@example.org> ")
	r3 := c.expect("250 2.0.0 <a@example.org> ")
	if r1 != r3 {
		t.Errorf("replies differ: %q vs %q", r1, r3)
	}
	if n := len(ts.store.get("a")); n != 1 {
		t.Errorf("a got %d copies, want 1", n)
	}
}

func TestORCPT(t *testing.T) {
	got := make(chan *Delivery, 1)
	agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
		got <- d
		return Outcome{Stored: []Stored{{Mailbox: "INBOX"}}}, nil
	})
	ts := startServer(t, "tcp", ServerOptions{}, nil, agent)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<s@example.net> BODY=8BITMIME", "RCPT TO:<a@example.org> ORCPT=rfc822;orig+2Bx@example.net", "DATA")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	c.sendRaw(dataBody(testMsg))
	c.expect("250 ")
	d := <-got
	if d.OriginalRecipient != "orig+x@example.net" || d.Recipient.Address != "a@example.org" || d.Sender != "s@example.net" || d.LHLO != "client.test" || d.Body != "8BITMIME" {
		t.Errorf("delivery = %+v", d)
	}
	if id := d.Message.MessageID(); id != "m1@example.net" {
		t.Errorf("message id %q", id)
	}
}

func TestMessageTooBig(t *testing.T) {
	big := strings.Repeat("x", 300)
	ts := startServer(t, "tcp", ServerOptions{MaxMessageBytes: 200}, nil, nil)
	c := ts.lhlo(t)

	c.send("MAIL FROM:<s@example.net> SIZE=1000")
	c.expect("552 5.3.4")

	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "DATA")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	c.sendRaw(dataBody("Subject: big\n\n" + big + "\n"))
	c.expect("552 5.3.4 <a@example.org>")

	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>")
	c.expect("250 ")
	c.expect("250 ")
	c.sendRaw(fmt.Sprintf("BDAT %d LAST\r\n%s", len(big), big))
	c.expect("552 5.3.4")

	// The connection is still usable and small messages pass.
	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "DATA")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	c.sendRaw(dataBody(testMsg))
	c.expect("250 2.0.0 <a@example.org>")
	if n := ts.store.total(); n != 1 {
		t.Errorf("stored %d, want 1", n)
	}
}

// waitNoConns waits until the server tracks no connection.
func waitNoConns(t *testing.T, s *Server) {
	t.Helper()
	deadline := time.Now().Add(ioDeadline)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		n := len(s.conns)
		s.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("connections never went away")
}

func TestDisconnectMidMessageStoresNothing(t *testing.T) {
	msg := strings.ReplaceAll(testMsg, "\n", "\r\n")
	tests := []struct {
		name string
		send string
	}{
		{"DATA", "DATA\r\n" + msg[:30]},
		{"DATA after full body without dot", "DATA\r\n" + msg},
		{"BDAT LAST short", fmt.Sprintf("BDAT %d LAST\r\n%s", len(msg), msg[:30])},
		{"BDAT not last", fmt.Sprintf("BDAT %d\r\n%s", len(msg), msg)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t, "tcp", ServerOptions{}, nil, nil)
			c := ts.lhlo(t)
			c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>")
			c.expect("250 ")
			c.expect("250 ")
			c.sendRaw(tt.send)
			c.c.Close()
			waitNoConns(t, ts.srv)
			if n := ts.store.total(); n != 0 {
				t.Errorf("stored %d messages", n)
			}
		})
	}
}

func TestMaxConnections(t *testing.T) {
	ts := startServer(t, "tcp", ServerOptions{MaxConnections: 1}, nil, nil)
	c1 := ts.lhlo(t)
	c2, err := net.Dial("tcp", ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	_ = c2.SetDeadline(time.Now().Add(ioDeadline))
	cv := &conv{t: t, c: c2, r: bufio.NewReader(c2)}
	cv.expect("421 4.3.2")
	if _, err := cv.reply(); err == nil {
		t.Error("excess connection not closed")
	}
	c1.send("QUIT")
	c1.expect("221 ")
	waitNoConns(t, ts.srv)
	ts.lhlo(t) // a slot is free again
}

func TestShutdownFinishesInFlight(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	store := newMemStore()
	agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
		close(started)
		<-release
		return (&KeepAgent{Store: store}).Deliver(ctx, d)
	})
	ts := startServer(t, "unix", ServerOptions{}, nil, agent)
	busy := ts.lhlo(t)
	idle := ts.lhlo(t)
	busy.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "DATA")
	busy.expect("250 ")
	busy.expect("250 ")
	busy.expect("354 ")
	busy.sendRaw(dataBody(testMsg))
	<-started

	done := make(chan error, 1)
	go func() { done <- ts.srv.Shutdown(context.Background()) }()
	idle.expect("421 4.3.2")
	if _, err := net.Dial("unix", ts.addr); err == nil {
		t.Error("new connection accepted during shutdown")
	}
	select {
	case err := <-done:
		t.Fatalf("Shutdown returned %v during a delivery", err)
	default:
	}
	close(release)
	busy.expect("250 2.0.0 <a@example.org>")
	busy.expect("421 4.3.2")
	if err := <-done; err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if n := len(store.get("a")); n != 1 {
		t.Errorf("stored %d, want 1", n)
	}
	if err := <-ts.done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

func TestShutdownGivesUp(t *testing.T) {
	started := make(chan struct{})
	agent := agentFunc(func(ctx context.Context, d *Delivery) (Outcome, error) {
		close(started)
		<-ctx.Done()
		return Outcome{}, ctx.Err()
	})
	ts := startServer(t, "tcp", ServerOptions{}, nil, agent)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "DATA")
	c.expect("250 ")
	c.expect("250 ")
	c.expect("354 ")
	c.sendRaw(dataBody(testMsg))
	<-started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ts.srv.Shutdown(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Shutdown = %v, want context.Canceled", err)
	}
	waitNoConns(t, ts.srv)
}

func TestNewServerNeedsDeps(t *testing.T) {
	if _, err := NewServer(ServerOptions{}, nil, &KeepAgent{}); err == nil {
		t.Error("nil resolver accepted")
	}
	if _, err := NewServer(ServerOptions{MaxRecipients: -1}, &fakeResolver{}, &KeepAgent{}); err == nil {
		t.Error("negative limit accepted")
	}
}

var _ Resolver = (*fakeResolver)(nil)

func TestServeSeveralListeners(t *testing.T) {
	store := newMemStore()
	srv, err := NewServer(ServerOptions{Hostname: "mx.test", Logger: testLogger(t)}, &fakeResolver{}, &KeepAgent{Store: store})
	if err != nil {
		t.Fatal(err)
	}
	tcp, err := Listen(context.Background(), "tcp", "127.0.0.1:0", UnixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	unix, err := Listen(context.Background(), "unix", t.TempDir()+"/s", UnixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tcpCtx, stopTCP := context.WithCancel(context.Background())
	tcpDone, unixDone := make(chan error, 1), make(chan error, 1)
	go func() { tcpDone <- srv.Serve(tcpCtx, tcp) }()
	go func() { unixDone <- srv.Serve(context.Background(), unix) }()

	for _, ts := range []*testServer{{srv: srv, network: "tcp", addr: tcp.Addr().String()}, {srv: srv, network: "unix", addr: unix.Addr().String()}} {
		c := ts.lhlo(t)
		c.send("MAIL FROM:<>", "RCPT TO:<a@example.org>", "DATA")
		c.expect("250 ")
		c.expect("250 ")
		c.expect("354 ")
		c.sendRaw(dataBody(testMsg))
		c.expect("250 2.0.0 <a@example.org>")
		c.send("QUIT")
		c.expect("221 ")
	}
	if n := len(store.get("a")); n != 2 {
		t.Errorf("stored %d, want 2", n)
	}
	stopTCP()
	if err := <-tcpDone; err != nil {
		t.Errorf("Serve(tcp) after cancel = %v", err)
	}
	(&testServer{srv: srv, network: "unix", addr: unix.Addr().String()}).lhlo(t)
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := <-unixDone; err != nil {
		t.Errorf("Serve(unix) after Shutdown = %v", err)
	}
	if err := srv.Serve(context.Background(), tcp); !errors.Is(err, ErrServerClosed) {
		t.Errorf("Serve after Shutdown = %v", err)
	}
}

func TestCaseVariantsDeliveredOnce(t *testing.T) {
	ts := startServer(t, "tcp", ServerOptions{}, nil, nil)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<a@EXAMPLE.org>", "DATA")
	for range 3 {
		c.expect("250 ")
	}
	c.expect("354 ")
	c.sendRaw(dataBody(testMsg))
	r1 := c.expect("250 2.0.0 <a@example.org> ")
	c.expect("250 2.0.0 <a@EXAMPLE.org> ")
	if !strings.Contains(r1, "Saved") {
		t.Errorf("reply %q", r1)
	}
	if n := len(ts.store.get("a")); n != 1 {
		t.Errorf("a got %d copies, want 1", n)
	}
}

func TestNonASCIIAddressNeedsSMTPUTF8(t *testing.T) {
	ts := startServer(t, "tcp", ServerOptions{}, nil, nil)
	c := ts.lhlo(t)
	c.send("MAIL FROM:<jörg@example.net>")
	c.expect("553 5.6.7 ")
	c.send("MAIL FROM:<s@example.net>", "RCPT TO:<zoë@example.org>")
	c.expect("250 ")
	c.expect("553 5.6.7 ")
}
