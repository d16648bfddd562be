package delivery

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/userdb"
)

// ioDeadline only keeps a broken test from hanging forever.
const ioDeadline = 60 * time.Second

// fakeResolver knows example.org users; other results come from errs.
type fakeResolver struct {
	errs map[string]error // address -> error to return
}

func (f *fakeResolver) Resolve(_ context.Context, address string) (userdb.Recipient, error) {
	if err, ok := f.errs[address]; ok {
		return userdb.Recipient{}, err
	}
	local, domain, ok := strings.Cut(address, "@")
	if !ok || local == "" {
		return userdb.Recipient{}, fmt.Errorf("resolve %q: %w", address, ErrBadAddress)
	}
	if strings.HasPrefix(local, "nobody") {
		return userdb.Recipient{}, fmt.Errorf("resolve %q: %w", address, userdb.ErrUnknownUser)
	}
	user, detail, _ := strings.Cut(local, "+")
	return userdb.Recipient{Address: address, User: user, Local: user, Domain: domain, Detail: detail, UID: -1, GID: -1}, nil
}

// memStore keeps stored messages in memory; fail maps a user to an error.
type memStore struct {
	mu   sync.Mutex
	msgs map[string][]string // user -> messages
	fail map[string]error
}

var _ Store = (*memStore)(nil)

func newMemStore() *memStore {
	return &memStore{msgs: map[string][]string{}, fail: map[string]error{}}
}

func (m *memStore) Store(ctx context.Context, rcpt userdb.Recipient, mailbox string, _ StoreOptions, msg io.Reader) (Stored, error) {
	b, err := io.ReadAll(msg)
	if err != nil {
		return Stored{}, err
	}
	if err := ctx.Err(); err != nil {
		return Stored{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.fail[rcpt.User]; err != nil {
		return Stored{}, err
	}
	m.msgs[rcpt.User] = append(m.msgs[rcpt.User], string(b))
	return Stored{Mailbox: mailbox, Path: "/mem/" + rcpt.User, Size: int64(len(b))}, nil
}

func (m *memStore) get(user string) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.msgs[user]...)
}

func (m *memStore) total() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, v := range m.msgs {
		n += len(v)
	}
	return n
}

// testLogger sends logs to t.Log.
func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// testServer is a running server with its store and address.
type testServer struct {
	srv     *Server
	store   *memStore
	network string
	addr    string
	done    chan error
}

// startServer runs a server on 127.0.0.1:0 ("tcp") or a unix socket in
// t.TempDir() ("unix"). agent nil means a KeepAgent on a memStore.
func startServer(t testing.TB, network string, opts ServerOptions, res Resolver, agent Agent) *testServer {
	t.Helper()
	store := newMemStore()
	if agent == nil {
		agent = &KeepAgent{Store: store}
	}
	if res == nil {
		res = &fakeResolver{}
	}
	if opts.Hostname == "" {
		opts.Hostname = "mx.test"
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	srv, err := NewServer(opts, res, agent)
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "l.sock")
	}
	ln, err := Listen(context.Background(), network, addr, UnixOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{srv: srv, store: store, network: network, addr: ln.Addr().String(), done: make(chan error, 1)}
	go func() { ts.done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), ioDeadline)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil && !errors.Is(err, ErrServerClosed) {
			t.Errorf("shutdown: %v", err)
		}
	})
	return ts
}

// conv is one client conversation: send lines, expect replies.
type conv struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

// dial connects and reads the 220 greeting.
func (ts *testServer) dial(t testing.TB) *conv {
	t.Helper()
	c, err := net.Dial(ts.network, ts.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(ioDeadline))
	cv := &conv{t: t, c: c, r: bufio.NewReader(c)}
	cv.expect("220 ")
	return cv
}

// lhlo dials and completes LHLO.
func (ts *testServer) lhlo(t testing.TB) *conv {
	t.Helper()
	cv := ts.dial(t)
	cv.send("LHLO client.test")
	cv.expect("250 ")
	return cv
}

// send writes lines, each ended with CRLF, in one write.
func (c *conv) send(lines ...string) {
	c.t.Helper()
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	c.sendRaw(b.String())
}

func (c *conv) sendRaw(s string) {
	c.t.Helper()
	if _, err := io.WriteString(c.c, s); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// reply reads one whole (possibly multi-line) reply.
func (c *conv) reply() (string, error) {
	var lines []string
	for {
		line, err := c.r.ReadString('\n')
		if err != nil {
			return strings.Join(lines, "\n"), err
		}
		line = strings.TrimRight(line, "\r\n")
		lines = append(lines, line)
		if len(line) < 4 || line[3] != '-' {
			return strings.Join(lines, "\n"), nil
		}
	}
}

// expect reads one reply and checks its last line starts with prefix.
func (c *conv) expect(prefix string) string {
	c.t.Helper()
	got, err := c.reply()
	if err != nil {
		c.t.Fatalf("expecting %q: read error %v (got %q)", prefix, err, got)
	}
	last := got[strings.LastIndex(got, "\n")+1:]
	if !strings.HasPrefix(last, prefix) {
		c.t.Fatalf("expected reply %q..., got %q", prefix, got)
	}
	return got
}

// dataBody dot-stuffs body (LF or CRLF lines) and appends the terminator.
func dataBody(body string) string {
	body = strings.ReplaceAll(body, "\r\n", "\n")
	body = strings.TrimSuffix(body, "\n")
	var b strings.Builder
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, ".") {
			b.WriteByte('.')
		}
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	return b.String()
}

const testMsg = "From: a@example.net\nTo: b@example.org\nSubject: hi\nMessage-ID: <m1@example.net>\n\nhello\n.dot line\n"
