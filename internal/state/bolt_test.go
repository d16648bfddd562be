package state

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestMain lets the test binary act as a second process holding the state
// file open, for TestBoltLockedByOtherProcess.
func TestMain(m *testing.M) {
	if path := os.Getenv("SLUICE_STATE_TEST_HOLDER"); path != "" {
		os.Exit(holdFile(path))
	}
	os.Exit(m.Run())
}

// holdFile opens path, says "ready" and keeps it open until stdin closes.
func holdFile(path string) int {
	b, err := OpenBolt(path, Options{HoldOpen: true})
	if err != nil {
		fmt.Println("error:", err)
		return 1
	}
	defer b.Close()
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	return 0
}

func TestBoltLockedByOtherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SLUICE_STATE_TEST_HOLDER="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || line != "ready\n" {
		t.Fatalf("holder process: %q, %v", line, err)
	}

	// Opening waits at most LockTimeout, then fails temporarily.
	_, err = OpenBolt(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("OpenBolt while locked: got %v, want ErrLocked and ErrUnavailable", err)
	}
	t.Logf("error while locked: %v", err)

	// Once the other process lets go, the file is usable.
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("holder process: %v", err)
	}
	b := openBolt(t, path, Options{LockTimeout: 5 * time.Second})
	if err := b.Mark(t.Context(), Key{User: "u", Kind: KindVacation, ID: "x"}, time.Hour); err != nil {
		t.Fatal(err)
	}
}

func TestBoltSecondOpenWhileHeld(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	held := openBolt(t, path, Options{HoldOpen: true})
	_, err := OpenBolt(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrLocked) || !errors.Is(err, ErrUnavailable) {
		t.Fatalf("second OpenBolt: got %v, want ErrLocked", err)
	}
	if err := held.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenBolt(path, Options{}); err != nil {
		t.Fatalf("OpenBolt after Close: %v", err)
	}
}

// Two stores on one file, as two LDA processes would have: they take turns
// on the lock, and the test-and-set stays exact across them.
func TestBoltTwoStoresShareFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	stores := []*Bolt{
		openBolt(t, path, Options{LockTimeout: 10 * time.Second}),
		openBolt(t, path, Options{LockTimeout: 10 * time.Second}),
	}
	key := Key{User: "alice", Kind: KindVacation, ID: "bob@example.org"}
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ok, err := stores[i%2].MarkIfAbsent(t.Context(), key, time.Hour)
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
		t.Errorf("%d callers saw the key absent, want 1", got)
	}
	for i, s := range stores {
		if seen, err := s.Seen(t.Context(), key); err != nil || !seen {
			t.Errorf("store %d: Seen = %v, %v", i, seen, err)
		}
	}
}

func TestBoltRememberedAcrossRestarts(t *testing.T) {
	for _, holdOpen := range []bool{false, true} {
		t.Run(fmt.Sprintf("HoldOpen=%v", holdOpen), func(t *testing.T) {
			clock := newFakeClock()
			path := filepath.Join(t.TempDir(), "state.db")
			opts := Options{Now: clock.Now, HoldOpen: holdOpen}
			key := Key{User: "alice", Kind: KindVacation, ID: "bob@example.org"}

			b, err := OpenBolt(path, opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := b.Mark(t.Context(), key, 7*24*time.Hour); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}

			clock.Advance(6 * 24 * time.Hour)
			b = openBolt(t, path, opts)
			if seen, err := b.Seen(t.Context(), key); err != nil || !seen {
				t.Fatalf("after reopen: Seen = %v, %v; want true", seen, err)
			}
			clock.Advance(24 * time.Hour)
			if seen, err := b.Seen(t.Context(), key); err != nil || seen {
				t.Fatalf("after expiry: Seen = %v, %v; want false", seen, err)
			}
		})
	}
}

func TestBoltFileModeAndNoClearText(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	b := openBolt(t, path, Options{})
	keys := []Key{
		{User: "alice@example.org", Kind: KindVacation, ID: "bob@example.net"},
		{User: "alice@example.org", Kind: KindRedirect, ID: "<unique-msgid-1234@example.net> carol@example.com"},
	}
	for _, k := range keys {
		if err := b.Mark(t.Context(), k, time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := fi.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode %o, want 600", mode)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"alice", "bob@", "example", "unique-msgid", "carol"} {
		if bytes.Contains(data, []byte(s)) {
			t.Errorf("state file contains %q in clear", s)
		}
	}
}

func TestBoltCorruptFile(t *testing.T) {
	tests := []struct {
		name string
		data []byte
	}{
		{"text", bytes.Repeat([]byte("this is not a database\n"), 1000)},
		{"zeros", make([]byte, 64<<10)},
		{"short", []byte("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(path, tt.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := OpenBolt(path, Options{})
			if !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrUnavailable) {
				t.Fatalf("got %v, want ErrCorrupt and ErrUnavailable", err)
			}
			t.Logf("error: %v", err)
		})
	}
}

func TestBoltMissingDirectory(t *testing.T) {
	_, err := OpenBolt(filepath.Join(t.TempDir(), "no", "such", "state.db"), Options{})
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want ErrUnavailable wrapping ErrNotExist", err)
	}
}

func TestBoltSweep(t *testing.T) {
	clock := newFakeClock()
	path := filepath.Join(t.TempDir(), "state.db")
	// A large SweepInterval keeps writes from sweeping on their own.
	b := openBolt(t, path, Options{Now: clock.Now, SweepBatch: 4, SweepInterval: 1000 * time.Hour})
	ctx := t.Context()
	// The first write sweeps an empty store and sets the next sweep far away.
	for i := range 20 {
		ttl := time.Hour
		if i%2 == 0 {
			ttl = 3 * time.Hour
		}
		k := Key{User: "u", Kind: KindDuplicate, ID: fmt.Sprint(i)}
		if i%3 == 0 {
			k.Kind = KindNotify
		}
		if err := b.Mark(ctx, k, ttl); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(2 * time.Hour)
	total := 0
	for range 20 {
		n, err := b.Sweep(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n > 4 {
			t.Fatalf("one sweep removed %d records, batch is 4", n)
		}
		total += n
	}
	if total != 10 {
		t.Errorf("sweeps removed %d records, want 10", total)
	}
	for i := range 20 {
		k := Key{User: "u", Kind: KindDuplicate, ID: fmt.Sprint(i)}
		if i%3 == 0 {
			k.Kind = KindNotify
		}
		seen, err := b.Seen(ctx, k)
		if err != nil {
			t.Fatal(err)
		}
		if want := i%2 == 0; seen != want {
			t.Errorf("key %d: Seen = %v, want %v", i, seen, want)
		}
	}
}
