package scripts

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

type syncBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuf) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuf) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestWatchSetDegradesQuietly(t *testing.T) {
	var logs syncBuf
	log := slog.New(slog.NewTextHandler(&logs, nil))
	ws := newWatchSet(log, false, time.Millisecond, func(string) {}, func() {})
	defer ws.close()

	dir := t.TempDir()
	ws.set(1, []string{dir, dir + "/does-not-exist"})
	if n := ws.count(); n != 1 {
		t.Errorf("count = %d, want 1 (missing directories are left to stat)", n)
	}
	if logs.String() != "" {
		t.Errorf("a missing directory is normal, logged %q", logs.String())
	}
	ws.mu.Lock()
	ws.warnLocked(errors.New("too many watches"))
	ws.warnLocked(errors.New("too many watches"))
	ws.mu.Unlock()
	if n := strings.Count(logs.String(), "degraded"); n != 1 {
		t.Errorf("logged %d warnings, want exactly 1:\n%s", n, logs.String())
	}
	ws.set(2, []string{dir})
	ws.release(1)
	if n := ws.count(); n != 1 {
		t.Errorf("count = %d, want 1 while owner 2 still uses it", n)
	}
	ws.release(2)
	if n := ws.count(); n != 0 {
		t.Errorf("count = %d after release, want 0", n)
	}
}

// TestCacheWatcherMarksSuspect checks the wiring from fsnotify to the
// suspect mark. Correctness never depends on it (the stat checks decide); the
// deadline only bounds how long the test waits for the event to arrive.
func TestCacheWatcherMarksSuspect(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/a.sieve"
	writeFile(t, p, "v1\n")
	c, _ := testCache(t, CacheOptions{})
	mustGet(t, c, p, IncludeRoots{}, "v1\n")
	replace(t, p, "v2\n")
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		suspect := c.entries[cacheKey{path: p}].suspect
		c.mu.Unlock()
		if suspect {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no watch event marked the entry suspect")
		}
		time.Sleep(5 * time.Millisecond)
	}
	mustGet(t, c, p, IncludeRoots{}, "v2\n")
}

// TestCacheWatchesLinkAndTarget checks that an active-script symlink gets
// both its own directory and its target's directory watched, and that an
// event on either concerns the entry.
func TestCacheWatchesLinkAndTarget(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/sieve/a.sieve", "a\n")
	symlink(t, "sieve/a.sieve", dir+"/.dovecot.sieve")
	c, fc := testCache(t, CacheOptions{})
	mustGet(t, c, dir+"/.dovecot.sieve", IncludeRoots{}, "a\n")
	if s := c.Stats(); s.Watches != 2 {
		t.Errorf("Watches = %d, want 2 (link and target directories)", s.Watches)
	}
	for _, p := range []string{dir + "/.dovecot.sieve", dir + "/sieve/a.sieve", dir + "/sieve"} {
		c.markPath(p)
		c.mu.Lock()
		suspect := c.entries[cacheKey{path: dir + "/.dovecot.sieve"}].suspect
		c.mu.Unlock()
		if !suspect {
			t.Errorf("event on %s did not concern the entry", p)
		}
		mustGet(t, c, dir+"/.dovecot.sieve", IncludeRoots{}, "a\n")
	}
	wantCompiles(t, fc, 1)
}
