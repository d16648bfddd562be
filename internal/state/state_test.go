package state

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable clock for expiry tests.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type factory struct {
	name string
	open func(t *testing.T, opts Options) Store
}

// factories returns every Store implementation under test.
func factories() []factory {
	return []factory{
		{"memory", func(t *testing.T, opts Options) Store {
			t.Helper()
			return NewMemory(opts)
		}},
		{"bolt", func(t *testing.T, opts Options) Store {
			t.Helper()
			return openBolt(t, filepath.Join(t.TempDir(), "state.db"), opts)
		}},
		{"bolt-hold-open", func(t *testing.T, opts Options) Store {
			t.Helper()
			opts.HoldOpen = true
			return openBolt(t, filepath.Join(t.TempDir(), "state.db"), opts)
		}},
	}
}

func openBolt(t *testing.T, path string, opts Options) *Bolt {
	t.Helper()
	b, err := OpenBolt(path, opts)
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestStoreSemantics(t *testing.T) {
	alice := Key{User: "alice", Kind: KindVacation, ID: "bob@example.org"}
	aliceCarol := Key{User: "alice", Kind: KindVacation, ID: "carol@example.org"}
	bobSame := Key{User: "bob", Kind: KindVacation, ID: "bob@example.org"}
	aliceRedirect := Key{User: "alice", Kind: KindRedirect, ID: "bob@example.org"}

	type step struct {
		op      string // "seen", "mark", "markIfAbsent", "advance"
		key     Key
		ttl     time.Duration // ttl for marks, duration for advance
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
		}},
		{"expiry", []step{
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "advance", ttl: time.Hour - time.Second},
			{op: "seen", key: alice, want: true},
			{op: "advance", ttl: time.Second},
			{op: "seen", key: alice, want: false},
		}},
		{"mark extends", []step{
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "advance", ttl: 50 * time.Minute},
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "advance", ttl: 50 * time.Minute},
			{op: "seen", key: alice, want: true},
			{op: "advance", ttl: 10 * time.Minute},
			{op: "seen", key: alice, want: false},
		}},
		{"mark replaces a longer expiry", []step{
			{op: "mark", key: alice, ttl: 7 * 24 * time.Hour},
			{op: "mark", key: alice, ttl: time.Hour},
			{op: "advance", ttl: time.Hour},
			{op: "seen", key: alice, want: false},
		}},
		{"markIfAbsent", []step{
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: true},
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: false},
			{op: "seen", key: alice, want: true},
			{op: "markIfAbsent", key: aliceCarol, ttl: time.Hour, want: true},
		}},
		{"markIfAbsent keeps the first expiry", []step{
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: true},
			{op: "markIfAbsent", key: alice, ttl: 5 * time.Hour, want: false},
			{op: "advance", ttl: time.Hour},
			{op: "seen", key: alice, want: false},
		}},
		{"markIfAbsent after expiry", []step{
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: true},
			{op: "advance", ttl: 2 * time.Hour},
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: true},
			{op: "markIfAbsent", key: alice, ttl: time.Hour, want: false},
		}},
		{"sub-second ttl never expires early", []step{
			{op: "advance", ttl: 300 * time.Millisecond},
			{op: "mark", key: alice, ttl: 1500 * time.Millisecond},
			{op: "advance", ttl: 1499 * time.Millisecond},
			{op: "seen", key: alice, want: true},
			{op: "advance", ttl: 2 * time.Second},
			{op: "seen", key: alice, want: false},
		}},
	}
	for _, f := range factories() {
		for _, tt := range tests {
			t.Run(f.name+"/"+tt.name, func(t *testing.T) {
				clock := newFakeClock()
				s := f.open(t, Options{Now: clock.Now})
				ctx := t.Context()
				for i, st := range tt.steps {
					var got bool
					var err error
					switch st.op {
					case "seen":
						got, err = s.Seen(ctx, st.key)
					case "mark":
						err = s.Mark(ctx, st.key, st.ttl)
						got = st.want
					case "markIfAbsent":
						got, err = s.MarkIfAbsent(ctx, st.key, st.ttl)
					case "advance":
						clock.Advance(st.ttl)
						got = st.want
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
}

func TestInvalidArguments(t *testing.T) {
	tests := []struct {
		name string
		key  Key
		ttl  time.Duration
	}{
		{"empty kind", Key{User: "u", ID: "x"}, time.Hour},
		{"upper-case kind", Key{User: "u", Kind: "Vacation", ID: "x"}, time.Hour},
		{"kind with NUL", Key{User: "u", Kind: "\x00sweep", ID: "x"}, time.Hour},
		{"empty id", Key{User: "u", Kind: KindVacation}, time.Hour},
		{"zero ttl", Key{User: "u", Kind: KindVacation, ID: "x"}, 0},
		{"negative ttl", Key{User: "u", Kind: KindVacation, ID: "x"}, -time.Second},
	}
	for _, f := range factories() {
		for _, tt := range tests {
			t.Run(f.name+"/"+tt.name, func(t *testing.T) {
				s := f.open(t, Options{})
				if err := s.Mark(t.Context(), tt.key, tt.ttl); !errors.Is(err, ErrInvalid) {
					t.Errorf("Mark: got %v, want ErrInvalid", err)
				}
				if _, err := s.MarkIfAbsent(t.Context(), tt.key, tt.ttl); !errors.Is(err, ErrInvalid) {
					t.Errorf("MarkIfAbsent: got %v, want ErrInvalid", err)
				}
			})
		}
	}
}

func TestMarkIfAbsentConcurrent(t *testing.T) {
	for _, f := range factories() {
		t.Run(f.name, func(t *testing.T) {
			s := f.open(t, Options{})
			key := Key{User: "alice", Kind: KindRedirect, ID: "<m1@example.org> carol@example.net"}
			var wins atomic.Int32
			var wg sync.WaitGroup
			for range 100 {
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
		})
	}
}

func TestClosedStore(t *testing.T) {
	key := Key{User: "u", Kind: KindNotify, ID: "x"}
	for _, f := range factories() {
		t.Run(f.name, func(t *testing.T) {
			s := f.open(t, Options{})
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Seen(t.Context(), key); !errors.Is(err, ErrUnavailable) || !errors.Is(err, ErrClosed) {
				t.Errorf("Seen after Close: %v", err)
			}
			if err := s.Mark(t.Context(), key, time.Hour); !errors.Is(err, ErrUnavailable) {
				t.Errorf("Mark after Close: %v", err)
			}
		})
	}
}

func TestCanceledContext(t *testing.T) {
	key := Key{User: "u", Kind: KindNotify, ID: "x"}
	for _, f := range factories() {
		t.Run(f.name, func(t *testing.T) {
			s := f.open(t, Options{})
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := s.MarkIfAbsent(ctx, key, time.Hour)
			if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want ErrUnavailable wrapping context.Canceled", err)
			}
		})
	}
}

func TestMemorySweep(t *testing.T) {
	clock := newFakeClock()
	m := NewMemory(Options{Now: clock.Now, SweepBatch: 1000})
	ctx := t.Context()
	for i := range 20 {
		ttl := time.Hour
		if i%2 == 0 {
			ttl = 3 * time.Hour
		}
		if err := m.Mark(ctx, Key{User: "u", Kind: KindDuplicate, ID: string(rune('a' + i))}, ttl); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(2 * time.Hour)
	// This write is past SweepInterval, so it sweeps the 10 expired ones.
	if err := m.Mark(ctx, Key{User: "u", Kind: KindDuplicate, ID: "new"}, time.Hour); err != nil {
		t.Fatal(err)
	}
	if got, want := m.Len(), 11; got != want {
		t.Errorf("after sweep: %d records, want %d", got, want)
	}
}
