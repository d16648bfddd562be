package state

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testRedis is a redis-server process run by a test, with persistence off.
type testRedis struct {
	dir  string // holds the socket; short, for the 108-byte sun_path limit
	addr string // the socket, for RedisOptions.Addr
	cmd  *exec.Cmd
	out  *bytes.Buffer
	args []string
	// exited is closed when the current process has exited.
	exited <-chan struct{}
}

// startRedis runs redis-server on a Unix socket, with extra arguments, and
// waits until it answers PING. It skips the test when redis-server is not
// installed.
func startRedis(t *testing.T, extra ...string) *testRedis {
	t.Helper()
	s, err := tryStartRedis(t, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tryStartRedis is startRedis returning the failure to start.
func tryStartRedis(t *testing.T, extra ...string) (*testRedis, error) {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not found in PATH; install the redis-server package to run the Redis state tests")
	}
	dir, err := os.MkdirTemp("", "sluice-redis")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &testRedis{dir: dir, out: new(bytes.Buffer)}
	s.args = []string{"--save", "", "--appendonly", "no", "--dir", dir, "--daemonize", "no", "--loglevel", "warning"}
	s.addr = filepath.Join(dir, "redis.sock")
	s.args = append(s.args, "--port", "0", "--unixsocket", s.addr, "--unixsocketperm", "700")
	s.args = append(s.args, extra...)
	if err := s.start(bin); err != nil {
		return nil, err
	}
	t.Cleanup(s.stop)
	return s, nil
}

func (s *testRedis) start(bin string) error {
	s.out.Reset()
	s.cmd = exec.Command(bin, s.args...)
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() {
		_ = s.cmd.Wait()
		close(exited)
	}()
	s.exited = exited
	if err := s.waitReady(exited); err != nil {
		s.stop()
		return fmt.Errorf("redis-server not ready: %w\n%s", err, s.out)
	}
	return nil
}

// waitReady polls with a raw PING until the server answers (+PONG, or a
// NOAUTH error when a password is required).
func (s *testRedis) waitReady(exited <-chan struct{}) error {
	var last error
	for range 500 {
		last = rawPing("unix", s.addr)
		if last == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("redis-server exited")
		case <-time.After(20 * time.Millisecond):
		}
	}
	return last
}

func rawPing(network, addr string) error {
	c, err := net.DialTimeout(network, addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH") {
		return nil
	}
	return fmt.Errorf("PING answered %q", line)
}

// stop kills the server and waits for it to exit.
func (s *testRedis) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.exited:
		return
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT) // in case a test stopped it
	_ = s.cmd.Process.Kill()
	<-s.exited
}

// freePort finds a loopback TCP port nobody listens on (by listening on
// port 0 and closing).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// openRedis opens a store and closes it when the test ends.
func openRedis(t *testing.T, opts RedisOptions) *Redis {
	t.Helper()
	r, err := OpenRedis(t.Context(), opts)
	if err != nil {
		t.Fatalf("OpenRedis: %v", err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// pttl returns the remaining lifetime of key's record as the server sees
// it (-2 when absent, -1 when it has no expiry).
func pttl(t *testing.T, r *Redis, key Key) time.Duration {
	t.Helper()
	d, err := r.client.PTTL(t.Context(), r.key(key)).Result()
	if err != nil {
		t.Fatalf("PTTL: %v", err)
	}
	return d
}

// TestRedisSemantics runs the Store scenarios of TestStoreSemantics on
// Redis. Redis expires keys on its own clock, so instead of advancing a
// fake clock the scenarios check the expiry the server holds (PTTL) and
// simulate the passing of time by expiring a record at once (PEXPIREAT in
// the past), which leaves nothing timing-dependent.
func TestRedisSemantics(t *testing.T) {
	srv := startRedis(t)
	alice := Key{User: "alice", Kind: KindVacation, ID: "bob@example.org"}
	aliceCarol := Key{User: "alice", Kind: KindVacation, ID: "carol@example.org"}
	bobSame := Key{User: "bob", Kind: KindVacation, ID: "bob@example.org"}
	aliceRedirect := Key{User: "alice", Kind: KindRedirect, ID: "bob@example.org"}
	// Swapped boundary between user and id must not collide.
	shifted := Key{User: "alic", Kind: KindVacation, ID: "ebob@example.org"}

	type step struct {
		op      string // "seen", "mark", "markIfAbsent", "expire", "ttl"
		key     Key
		ttl     time.Duration // ttl for marks; the upper bound for "ttl"
		want    bool          // result of seen / markIfAbsent
		comment string
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"empty store", []step{
			{op: "seen", key: alice, want: false},
		}},
		{"mark then seen", []step{
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "seen", key: alice, want: true},
			{op: "seen", key: aliceCarol, want: false, comment: "other id"},
			{op: "seen", key: bobSame, want: false, comment: "other user"},
			{op: "seen", key: aliceRedirect, want: false, comment: "other kind"},
			{op: "seen", key: shifted, want: false, comment: "user/id boundary"},
		}},
		{"mark sets the expiry", []step{
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "ttl", key: alice, ttl: time.Hour},
		}},
		{"expiry", []step{
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "expire", key: alice},
			{op: "seen", key: alice, want: false},
		}},
		{"mark extends", []step{
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "mark", key: alice, ttl: 30 * 24 * time.Hour},
			{op: "ttl", key: alice, ttl: 30 * 24 * time.Hour},
		}},
		{"mark replaces a longer expiry", []step{
			{op: "mark", key: alice, ttl: 7 * 24 * time.Hour},
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "ttl", key: alice, ttl: time.Hour},
		}},
		{"mark after expiry", []step{
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "expire", key: alice},
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "seen", key: alice, want: true},
		}},
		{"markIfAbsent", []step{
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: true},
			{op: "ttl", key: alice, ttl: time.Hour},
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: false},
			{op: "seen", key: alice, want: true},
			{op: "markIfAbsent", key: aliceCarol, ttl: time.Hour, want: true},
		}},
		{"markIfAbsent keeps the first expiry", []step{
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: true},
			{op: "markIfAbsent", key: alice, ttl: 5 * time.Hour, want: false},
			{op: "ttl", key: alice, ttl: time.Hour},
		}},
		{"markIfAbsent after mark", []step{
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: false},
		}},
		{"markIfAbsent after expiry", []step{
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: true},
			{op: "expire", key: alice},
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: true},
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: false},
		}},
		{"sub-second ttl", []step{
			{op: "mark", key: alice, ttl: 10 * time.Minute / 3},
			{op: "ttl", key: alice, ttl: 10*time.Minute/3 + time.Millisecond},
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A prefix per scenario keeps them apart on the shared server.
			r := openRedis(t, RedisOptions{Addr: srv.addr, KeyPrefix: fmt.Sprintf("t%d:", i)})
			ctx := t.Context()
			for i, st := range tt.steps {
				var got bool
				var err error
				switch st.op {
				case "seen":
					got, err = r.Seen(ctx, st.key)
				case "mark":
					err = r.Mark(ctx, st.key, st.ttl)
					got = st.want
				case "markIfAbsent":
					got, err = r.MarkIfAbsent(ctx, st.key, st.ttl)
				case "expire":
					// A past Unix time expires the key at once.
					err = r.client.PExpireAt(ctx, r.key(st.key), time.UnixMilli(1)).Err()
					got = st.want
				case "ttl":
					// Bounded above by the ttl asked for and well above
					// zero; the lower bound leaves the test ample time.
					if d := pttl(t, r, st.key); d <= st.ttl/2 || d > st.ttl {
						t.Fatalf("step %d: PTTL %v, want in (%v, %v]", i, d, st.ttl/2, st.ttl)
					}
					got = st.want
				default:
					t.Fatalf("step %d: unknown op %q", i, st.op)
				}
				if err != nil {
					t.Fatalf("step %d (%s): %v", i, st.op, err)
				}
				if got != st.want {
					t.Fatalf("step %d (%s %+v) %s: got %v, want %v", i, st.op, st.key, st.comment, got, st.want)
				}
			}
		})
	}
}

func TestRedisPXMillis(t *testing.T) {
	tests := []struct {
		ttl  time.Duration
		want int64
	}{
		{time.Nanosecond, 1},
		{time.Millisecond, 1},
		{1500 * time.Microsecond, 2},
		{1500 * time.Millisecond, 1500},
		{time.Hour, 3_600_000},
		{7 * 24 * time.Hour, 604_800_000},
	}
	for _, tt := range tests {
		if got := pxMillis(tt.ttl); got != tt.want {
			t.Errorf("pxMillis(%v) = %d, want %d", tt.ttl, got, tt.want)
		}
	}
}

func TestRedisKeyLayout(t *testing.T) {
	srv := startRedis(t)
	key := Key{User: "alice@example.org", Kind: KindRedirect, ID: "<m1@example.org> carol@example.net"}
	hexDigest := regexp.MustCompile(`^[0-9a-f]{64}$`)
	tests := []struct {
		name       string
		opts       RedisOptions
		wantPrefix string
	}{
		{name: "default prefix", opts: RedisOptions{}, wantPrefix: "sluice:redirect:"},
		{name: "own prefix", opts: RedisOptions{KeyPrefix: "mx1/sluice:"}, wantPrefix: "mx1/sluice:redirect:"},
		{name: "other database", opts: RedisOptions{DB: 3}, wantPrefix: "sluice:redirect:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			opts.Addr = srv.addr
			r := openRedis(t, opts)
			ctx := t.Context()
			if err := r.client.FlushAll(ctx).Err(); err != nil {
				t.Fatal(err)
			}
			if err := r.Mark(ctx, key, time.Hour); err != nil {
				t.Fatal(err)
			}
			keys, err := r.client.Keys(ctx, "*").Result()
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) != 1 {
				t.Fatalf("keys in db %d: %q, want exactly one", opts.DB, keys)
			}
			k := keys[0]
			if !strings.HasPrefix(k, tt.wantPrefix) || !hexDigest.MatchString(strings.TrimPrefix(k, tt.wantPrefix)) {
				t.Errorf("key %q, want %q + 64 hex digits", k, tt.wantPrefix)
			}
			for _, clear := range []string{"alice", "carol", "m1@"} {
				if strings.Contains(k, clear) {
					t.Errorf("key %q contains %q in clear", k, clear)
				}
			}
			if v, err := r.client.Get(ctx, k).Result(); err != nil || v != "1" {
				t.Errorf("value %q, %v; want \"1\"", v, err)
			}
			if opts.DB != 0 {
				// Nothing leaked into database 0.
				r0 := openRedis(t, RedisOptions{Addr: srv.addr})
				if n, err := r0.client.DBSize(ctx).Result(); err != nil || n != 0 {
					t.Errorf("database 0 holds %d keys (%v), want 0", n, err)
				}
			}
		})
	}
}

func TestRedisInvalidArguments(t *testing.T) {
	srv := startRedis(t)
	r := openRedis(t, RedisOptions{Addr: srv.addr})
	tests := []struct {
		name string
		key  Key
		ttl  time.Duration
	}{
		{"empty kind", Key{User: "u", ID: "x"}, time.Hour},
		{"upper-case kind", Key{User: "u", Kind: "Vacation", ID: "x"}, time.Hour},
		{"kind with colon", Key{User: "u", Kind: "a:b", ID: "x"}, time.Hour},
		{"kind with NUL", Key{User: "u", Kind: "\x00sweep", ID: "x"}, time.Hour},
		{"empty id", Key{User: "u", Kind: KindVacation}, time.Hour},
		{"zero ttl", Key{User: "u", Kind: KindVacation, ID: "x"}, 0},
		{"negative ttl", Key{User: "u", Kind: KindVacation, ID: "x"}, -time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := r.Mark(t.Context(), tt.key, tt.ttl); !errors.Is(err, ErrInvalid) {
				t.Errorf("Mark: got %v, want ErrInvalid", err)
			}
			if _, err := r.MarkIfAbsent(t.Context(), tt.key, tt.ttl); !errors.Is(err, ErrInvalid) {
				t.Errorf("MarkIfAbsent: got %v, want ErrInvalid", err)
			}
		})
	}
}

func TestRedisOptionsValidate(t *testing.T) {
	tests := []struct {
		name    string
		opts    RedisOptions
		wantErr bool
	}{
		{"zero value", RedisOptions{}, false},
		{"full", RedisOptions{Addr: "redis.example.net:6380", Password: "x", DB: 2, KeyPrefix: "a:b:", PoolSize: 4}, false},
		{"negative db", RedisOptions{DB: -1}, true},
		{"negative pool", RedisOptions{PoolSize: -1}, true},
		{"prefix with space", RedisOptions{KeyPrefix: "a b"}, true},
		{"prefix with newline", RedisOptions{KeyPrefix: "a\r\n"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if (err != nil) != tt.wantErr {
				t.Fatalf("Validate: %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrRedisOptions) {
				t.Errorf("error %v does not wrap ErrRedisOptions", err)
			}
			if err != nil {
				if _, oerr := OpenRedis(t.Context(), tt.opts); !errors.Is(oerr, ErrRedisOptions) || errors.Is(oerr, ErrUnavailable) {
					t.Errorf("OpenRedis: %v, want ErrRedisOptions only", oerr)
				}
			}
		})
	}
}

func TestRedisNetwork(t *testing.T) {
	tests := []struct {
		addr, network, dial string
	}{
		{"localhost:6379", "tcp", "localhost:6379"},
		{"[::1]:6379", "tcp", "[::1]:6379"},
		{"/run/redis/redis.sock", "unix", "/run/redis/redis.sock"},
		{"unix:/run/redis.sock", "unix", "/run/redis.sock"},
		{"unix:///run/redis.sock", "unix", "/run/redis.sock"},
	}
	for _, tt := range tests {
		network, dial := RedisOptions{Addr: tt.addr}.network()
		if network != tt.network || dial != tt.dial {
			t.Errorf("%q: got %s %q, want %s %q", tt.addr, network, dial, tt.network, tt.dial)
		}
	}
}

func TestRedisMarkIfAbsentConcurrent(t *testing.T) {
	srv := startRedis(t)
	r := openRedis(t, RedisOptions{Addr: srv.addr})
	// A second client stands for another process or host.
	other := openRedis(t, RedisOptions{Addr: srv.addr})
	key := Key{User: "alice", Kind: KindRedirect, ID: "<m1@example.org> carol@example.net"}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 100 {
		s := r
		if i%2 == 1 {
			s = other
		}
		wg.Go(func() {
			ok, err := s.MarkIfAbsent(t.Context(), key, time.Hour)
			if err != nil {
				t.Errorf("MarkIfAbsent: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if got := wins.Load(); got != 1 {
		t.Errorf("%d callers saw the key absent, want exactly 1", got)
	}
}

func TestRedisClosed(t *testing.T) {
	srv := startRedis(t)
	r := openRedis(t, RedisOptions{Addr: srv.addr})
	key := Key{User: "u", Kind: KindNotify, ID: "x"}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Seen(t.Context(), key); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrClosed) {
		t.Errorf("Seen after Close: %v", err)
	}
	if err := r.Mark(t.Context(), key, time.Hour); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrClosed) {
		t.Errorf("Mark after Close: %v", err)
	}
	if _, err := r.MarkIfAbsent(t.Context(), key, time.Hour); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrClosed) {
		t.Errorf("MarkIfAbsent after Close: %v", err)
	}
}

func TestRedisCanceledContext(t *testing.T) {
	srv := startRedis(t)
	r := openRedis(t, RedisOptions{Addr: srv.addr})
	key := Key{User: "u", Kind: KindNotify, ID: "x"}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := r.MarkIfAbsent(ctx, key, time.Hour); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("MarkIfAbsent: got %v, want ErrUnavailable wrapping context.Canceled", err)
	}
	if _, err := OpenRedis(ctx, RedisOptions{Addr: srv.addr}); !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Errorf("OpenRedis: got %v, want ErrUnavailable wrapping context.Canceled", err)
	}
}

// guardCtx bounds a call that must fail on its own, well before the
// deadline, through the store's timeouts; reaching the deadline means the
// call hung.
func guardCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestRedisServerKilled(t *testing.T) {
	srv := startRedis(t)
	opts := RedisOptions{Addr: srv.addr, DialTimeout: time.Second, ReadTimeout: time.Second, WriteTimeout: time.Second}
	r := openRedis(t, opts)
	key := Key{User: "u", Kind: KindVacation, ID: "bob@example.org"}
	if err := r.Mark(t.Context(), key, time.Hour); err != nil {
		t.Fatal(err)
	}

	srv.stop()

	ctx := guardCtx(t)
	ops := []struct {
		name string
		call func() error
	}{
		{"Seen", func() error { _, err := r.Seen(ctx, key); return err }},
		{"Mark", func() error { return r.Mark(ctx, key, time.Hour) }},
		{"MarkIfAbsent", func() error { _, err := r.MarkIfAbsent(ctx, key, time.Hour); return err }},
	}
	for _, op := range ops {
		err := op.call()
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s with the server gone: %v, want ErrUnavailable", op.name, err)
		}
		if ctx.Err() != nil {
			t.Fatalf("%s hung until the guard deadline", op.name)
		}
	}
	if _, err := OpenRedis(ctx, opts); !errors.Is(err, ErrUnavailable) {
		t.Errorf("OpenRedis with the server gone: %v, want ErrUnavailable", err)
	}

	// The same store works again once a server is back (an empty one:
	// persistence is off). The client library may hold back dials for a
	// moment after failures, so poll.
	if err := srv.start(srv.cmd.Path); err != nil {
		t.Fatal(err)
	}
	var err error
	for range 200 {
		var ok bool
		if ok, err = r.MarkIfAbsent(ctx, key, time.Hour); err == nil {
			if !ok {
				t.Errorf("MarkIfAbsent on the restarted, empty server: false")
			}
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("store did not recover after the server restarted: %v", err)
	}
}

// TestRedisServerStopped stops (SIGSTOP) the server, so that connections
// stay open but nothing answers: calls must give up through the read
// timeout or the context deadline, not hang.
func TestRedisServerStopped(t *testing.T) {
	srv := startRedis(t)
	key := Key{User: "u", Kind: KindVacation, ID: "bob@example.org"}
	short := openRedis(t, RedisOptions{Addr: srv.addr, ReadTimeout: 200 * time.Millisecond})
	long := openRedis(t, RedisOptions{Addr: srv.addr, ReadTimeout: time.Hour})
	if err := srv.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.cmd.Process.Signal(syscall.SIGCONT) })

	guard := guardCtx(t)
	if _, err := short.MarkIfAbsent(guard, key, time.Hour); !errors.Is(err, ErrUnavailable) {
		t.Errorf("read timeout: %v, want ErrUnavailable", err)
	}
	if guard.Err() != nil {
		t.Fatal("MarkIfAbsent hung until the guard deadline despite ReadTimeout")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := long.Seen(ctx, key)
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("context deadline: %v, want ErrUnavailable wrapping context.DeadlineExceeded", err)
	}
}

// TestRedisOpenSilentServer dials a listener that accepts connections and
// never answers, standing in for a wedged server or a wrong port.
func TestRedisOpenSilentServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})

	guard := guardCtx(t)
	_, err = OpenRedis(guard, RedisOptions{Addr: l.Addr().String(), ReadTimeout: 200 * time.Millisecond})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("OpenRedis: %v, want ErrUnavailable", err)
	}
	if guard.Err() != nil {
		t.Fatal("OpenRedis hung until the guard deadline")
	}
}

func TestRedisAuth(t *testing.T) {
	srv := startRedis(t, "--requirepass", "s3cret")
	tests := []struct {
		name     string
		password string
		ok       bool
	}{
		{"no password", "", false},
		{"wrong password", "wrong", false},
		{"right password", "s3cret", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := OpenRedis(t.Context(), RedisOptions{Addr: srv.addr, Password: tt.password})
			if !tt.ok {
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("OpenRedis: %v, want ErrUnavailable", err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error reveals the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("OpenRedis: %v", err)
			}
			defer r.Close()
			if ok, err := r.MarkIfAbsent(t.Context(), Key{User: "u", Kind: KindDuplicate, ID: "x"}, time.Hour); err != nil || !ok {
				t.Errorf("MarkIfAbsent: %v, %v", ok, err)
			}
		})
	}
}

// TestRedisTLS connects over TCP to a loopback TLS port.
func TestRedisTLS(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not found in PATH; install the redis-server package to run the Redis state tests")
	}
	dir := t.TempDir()
	pool := writeTestCert(t, dir)
	port := freePort(t)
	_, err := tryStartRedis(t,
		"--tls-port", strconv.Itoa(port),
		"--tls-cert-file", filepath.Join(dir, "cert.pem"),
		"--tls-key-file", filepath.Join(dir, "key.pem"),
		"--tls-ca-cert-file", filepath.Join(dir, "cert.pem"),
		"--tls-auth-clients", "no",
	)
	if err != nil {
		// Builds without TLS reject the tls-* directives.
		if strings.Contains(err.Error(), "tls") || strings.Contains(err.Error(), "TLS") {
			t.Skipf("redis-server cannot serve TLS here: %v", err)
		}
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))

	r := openRedis(t, RedisOptions{Addr: addr, TLS: &tls.Config{RootCAs: pool, ServerName: "localhost"}})
	key := Key{User: "u", Kind: KindDuplicate, ID: "x"}
	if ok, err := r.MarkIfAbsent(t.Context(), key, time.Hour); err != nil || !ok {
		t.Errorf("MarkIfAbsent over TLS: %v, %v", ok, err)
	}

	// A certificate the client does not trust is an unavailable store.
	_, err = OpenRedis(guardCtx(t), RedisOptions{Addr: addr, TLS: &tls.Config{ServerName: "localhost"}})
	if !errors.Is(err, ErrUnavailable) {
		t.Errorf("untrusted certificate: %v, want ErrUnavailable", err)
	}
}

// writeTestCert writes a self-signed certificate for localhost and
// 127.0.0.1 to dir/cert.pem and dir/key.pem and returns a pool trusting it.
func writeTestCert(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	for name, data := range map[string][]byte{
		"cert.pem": certPEM,
		"key.pem":  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(certPEM)
	return pool
}

// ExampleOpenRedis shares vacation memory between several delivery hosts
// through one Redis server.
func ExampleOpenRedis() {
	ctx := context.Background()
	store, err := OpenRedis(ctx, RedisOptions{
		Addr:      "redis.example.net:6379",
		Password:  os.Getenv("SLUICE_REDIS_PASSWORD"),
		KeyPrefix: "sluice:",
		TLS:       &tls.Config{ServerName: "redis.example.net"},
	})
	if err != nil {
		// Wraps ErrUnavailable: retry later rather than give up.
		fmt.Println(err)
		return
	}
	defer store.Close()

	key := Key{User: "alice", Kind: KindVacation, ID: "bob@example.org"}
	first, err := store.MarkIfAbsent(ctx, key, 7*24*time.Hour)
	if err != nil {
		// Temporary: defer the delivery and do not reply.
		fmt.Println(err)
		return
	}
	fmt.Println("send reply:", first)
}
