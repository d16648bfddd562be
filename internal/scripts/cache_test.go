package scripts

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// testCache returns a cache over a counting fake compiler, closed at the end
// of the test.
func testCache(t testing.TB, opts CacheOptions) (*Cache[string], *fakeCompiler) {
	t.Helper()
	fc := &fakeCompiler{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(testWriter{t}, nil))
	}
	c := NewCache(fc.compile, opts)
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return c, fc
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// mustGet asserts that Get succeeds with want.
func mustGet(t *testing.T, c *Cache[string], path string, inc IncludeRoots, want string) {
	t.Helper()
	got, err := c.Get(context.Background(), path, inc)
	if err != nil {
		t.Fatalf("Get(%s): %v", path, err)
	}
	if got != want {
		t.Fatalf("Get(%s) = %q, want %q", path, got, want)
	}
}

func wantCompiles(t *testing.T, fc *fakeCompiler, n int64) {
	t.Helper()
	if got := fc.calls.Load(); got != n {
		t.Fatalf("compiles = %d, want %d", got, n)
	}
}

// replace writes content to a new file and renames it over path, as
// editors and ManageSieve servers do.
func replace(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// switchLink points link at target atomically (new link, rename over).
func switchLink(t *testing.T, target, link string) {
	t.Helper()
	tmp := link + ".new"
	symlink(t, target, tmp)
	if err := os.Rename(tmp, link); err != nil {
		t.Fatal(err)
	}
}

// rewriteSameTick rewrites path in place with content of the same size and
// puts the old mtime back: only ctime (if the clock ticked) and the
// content tell the versions apart.
func rewriteSameTick(t *testing.T, path, content string) {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != int64(len(content)) {
		t.Fatalf("test bug: size %d != %d", st.Size(), len(content))
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(path, st.ModTime(), st.ModTime()); err != nil {
		t.Fatal(err)
	}
}

// editScenarios are run with watching on and off: the stat checks alone
// must catch every edit, and the next Get right after the write must see
// it, without any waiting.
var editScenarios = []struct {
	name string
	run  func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string)
}{
	{"hit", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		p := dir + "/a.sieve"
		writeFile(t, p, "v1\n")
		mustGet(t, c, p, IncludeRoots{}, "v1\n")
		mustGet(t, c, p, IncludeRoots{}, "v1\n")
		mustGet(t, c, p, IncludeRoots{}, "v1\n")
		wantCompiles(t, fc, 1)
		if s := c.Stats(); s.Hits != 2 || s.Misses != 1 || s.Compiles != 1 || s.Entries != 1 {
			t.Errorf("Stats = %+v", s)
		}
	}},
	{"edit in place same size same mtime", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		p := dir + "/a.sieve"
		writeFile(t, p, "AAAA\n")
		mustGet(t, c, p, IncludeRoots{}, "AAAA\n")
		rewriteSameTick(t, p, "BBBB\n")
		mustGet(t, c, p, IncludeRoots{}, "BBBB\n")
		rewriteSameTick(t, p, "CCCC\n")
		mustGet(t, c, p, IncludeRoots{}, "CCCC\n")
		wantCompiles(t, fc, 3)
	}},
	{"edit in place with an old mtime", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		p := dir + "/a.sieve"
		old := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)
		writeFile(t, p, "AAAA\n")
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		mustGet(t, c, p, IncludeRoots{}, "AAAA\n")
		rewriteSameTick(t, p, "BBBB\n")
		mustGet(t, c, p, IncludeRoots{}, "BBBB\n")
	}},
	{"replace by rename", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		p := dir + "/a.sieve"
		writeFile(t, p, "v1\n")
		mustGet(t, c, p, IncludeRoots{}, "v1\n")
		replace(t, p, "v2\n")
		mustGet(t, c, p, IncludeRoots{}, "v2\n")
		wantCompiles(t, fc, 2)
	}},
	{"switch active symlink", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		link := dir + "/.dovecot.sieve"
		writeFile(t, dir+"/sieve/one.sieve", "one\n")
		writeFile(t, dir+"/sieve/two.sieve", "two\n")
		symlink(t, "sieve/one.sieve", link)
		mustGet(t, c, link, IncludeRoots{}, "one\n")
		mustGet(t, c, link, IncludeRoots{}, "one\n")
		switchLink(t, "sieve/two.sieve", link)
		mustGet(t, c, link, IncludeRoots{}, "two\n")
		// ln -sf style: remove, then create.
		if err := os.Remove(link); err != nil {
			t.Fatal(err)
		}
		symlink(t, "sieve/one.sieve", link)
		mustGet(t, c, link, IncludeRoots{}, "one\n")
		wantCompiles(t, fc, 3)
	}},
	{"symlink target edited", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		link := dir + "/.dovecot.sieve"
		writeFile(t, dir+"/sieve/one.sieve", "one\n")
		symlink(t, "sieve/one.sieve", link)
		mustGet(t, c, link, IncludeRoots{}, "one\n")
		replace(t, dir+"/sieve/one.sieve", "uno\n")
		mustGet(t, c, link, IncludeRoots{}, "uno\n")
	}},
	{"include edited", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		inc := IncludeRoots{Personal: dir + "/sieve", Global: dir + "/global"}
		p := dir + "/main.sieve"
		writeFile(t, p, "include foo\ninclude-global bar\n")
		writeFile(t, dir+"/sieve/foo.sieve", "foo1\n")
		writeFile(t, dir+"/global/bar.sieve", "bar1\n")
		mustGet(t, c, p, inc, "foo1\nbar1\n")
		rewriteSameTick(t, dir+"/sieve/foo.sieve", "foo2\n")
		mustGet(t, c, p, inc, "foo2\nbar1\n")
		replace(t, dir+"/global/bar.sieve", "bar2\n")
		mustGet(t, c, p, inc, "foo2\nbar2\n")
		mustGet(t, c, p, inc, "foo2\nbar2\n")
		wantCompiles(t, fc, 3)
	}},
	{"missing optional include created", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		inc := IncludeRoots{Personal: dir + "/sieve"}
		p := dir + "/main.sieve"
		writeFile(t, p, "include-optional extra\n")
		mustGet(t, c, p, inc, "(missing extra)")
		mustGet(t, c, p, inc, "(missing extra)")
		writeFile(t, dir+"/sieve/extra.sieve", "extra\n")
		mustGet(t, c, p, inc, "extra\n")
		if err := os.Remove(dir + "/sieve/extra.sieve"); err != nil {
			t.Fatal(err)
		}
		mustGet(t, c, p, inc, "(missing extra)")
		wantCompiles(t, fc, 3)
	}},
	{"compile error cached until fixed", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		p := dir + "/a.sieve"
		writeFile(t, p, "error bad command\n")
		for range 3 {
			if _, err := c.Get(context.Background(), p, IncludeRoots{}); err == nil || !strings.Contains(err.Error(), "bad command") {
				t.Fatalf("Get err = %v, want the compile error", err)
			}
		}
		wantCompiles(t, fc, 1)
		if s := c.Stats(); s.Errors != 1 {
			t.Errorf("Stats.Errors = %d", s.Errors)
		}
		replace(t, p, "fixed\n")
		mustGet(t, c, p, IncludeRoots{}, "fixed\n")
	}},
	{"script deleted and recreated", func(t *testing.T, c *Cache[string], fc *fakeCompiler, dir string) {
		p := dir + "/a.sieve"
		writeFile(t, p, "v1\n")
		mustGet(t, c, p, IncludeRoots{}, "v1\n")
		if err := os.Remove(p); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Get(context.Background(), p, IncludeRoots{}); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Get after delete: %v", err)
		}
		writeFile(t, p, "v2\n")
		mustGet(t, c, p, IncludeRoots{}, "v2\n")
	}},
}

func TestCacheEdits(t *testing.T) {
	for _, watch := range []bool{true, false} {
		for _, sc := range editScenarios {
			t.Run(fmt.Sprintf("watch=%v/%s", watch, sc.name), func(t *testing.T) {
				c, fc := testCache(t, CacheOptions{NoWatch: !watch})
				sc.run(t, c, fc, t.TempDir())
			})
		}
	}
}

// TestCacheSettledClock runs the scenarios with a clock far in the future, so
// every dependency counts as settled and no content is re-hashed: stat
// (with ctime) alone must still see the edits that change the inode, the
// size, or the link.
func TestCacheSettledClock(t *testing.T) {
	for _, sc := range editScenarios {
		if strings.Contains(sc.name, "same mtime") || strings.Contains(sc.name, "include edited") {
			continue // same-tick rewrites need the hash or ctime; see TestDepSameTick
		}
		t.Run(sc.name, func(t *testing.T) {
			later := func() time.Time { return time.Now().Add(time.Hour) }
			c, fc := testCache(t, CacheOptions{NoWatch: true, Now: later})
			sc.run(t, c, fc, t.TempDir())
		})
	}
}

func TestCacheConcurrentFirstGet(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/a.sieve"
	writeFile(t, p, "include inc\n")
	writeFile(t, dir+"/sieve/inc.sieve", "x\n")
	inc := IncludeRoots{Personal: dir + "/sieve"}
	c, fc := testCache(t, CacheOptions{})
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for range 50 {
		wg.Go(func() {
			got, err := c.Get(context.Background(), p, inc)
			if err == nil && got != "x\n" {
				err = fmt.Errorf("got %q", got)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	wantCompiles(t, fc, 1)
	if s := c.Stats(); s.Hits+s.Misses != 50 || s.Compiles != 1 {
		t.Errorf("Stats = %+v", s)
	}
}

func TestCacheEviction(t *testing.T) {
	root := t.TempDir()
	c, fc := testCache(t, CacheOptions{MaxEntries: 2})
	paths := make([]string, 3)
	for i := range paths {
		paths[i] = filepath.Join(root, fmt.Sprint(i), "s.sieve")
		writeFile(t, paths[i], fmt.Sprintln(i))
	}
	mustGet(t, c, paths[0], IncludeRoots{}, "0\n")
	mustGet(t, c, paths[1], IncludeRoots{}, "1\n")
	mustGet(t, c, paths[0], IncludeRoots{}, "0\n") // 1 is now least recent
	mustGet(t, c, paths[2], IncludeRoots{}, "2\n") // evicts 1
	wantCompiles(t, fc, 3)
	if s := c.Stats(); s.Entries != 2 || s.Watches != 2 {
		t.Errorf("Stats = %+v, want 2 entries and 2 watched directories", s)
	}
	mustGet(t, c, paths[0], IncludeRoots{}, "0\n")
	wantCompiles(t, fc, 3)
	mustGet(t, c, paths[1], IncludeRoots{}, "1\n") // was evicted
	wantCompiles(t, fc, 4)
	if s := c.Stats(); s.Entries != 2 || s.Watches != 2 {
		t.Errorf("Stats = %+v, want 2 entries and 2 watched directories", s)
	}
}

// TestCacheWatchEvent drives the hook the watcher calls. An event makes the
// next Get compare content: a same-size rewrite that stat cannot see (here:
// dependencies count as settled, so stat alone is trusted) is caught, and
// an event for unchanged content costs no compile.
func TestCacheWatchEvent(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/a.sieve"
	writeFile(t, p, "AAAA\n")
	later := func() time.Time { return time.Now().Add(time.Hour) }
	c, fc := testCache(t, CacheOptions{NoWatch: true, Now: later})
	mustGet(t, c, p, IncludeRoots{}, "AAAA\n")

	c.markPath(p) // content unchanged: verified, not recompiled
	mustGet(t, c, p, IncludeRoots{}, "AAAA\n")
	wantCompiles(t, fc, 1)

	rewriteSameTick(t, p, "BBBB\n")
	// Make stat blind to the rewrite, as a write within one ctime tick is.
	c.mu.Lock()
	c.entries[cacheKey{path: p}].res.deps[0].state = observe(p)
	c.mu.Unlock()
	c.markPath(p)
	mustGet(t, c, p, IncludeRoots{}, "BBBB\n")
	wantCompiles(t, fc, 2)

	c.markPath(dir + "/unrelated.sieve")
	c.markAll()
	mustGet(t, c, p, IncludeRoots{}, "BBBB\n")
	wantCompiles(t, fc, 2)
}

func TestCacheIncludeRefused(t *testing.T) {
	dir := t.TempDir()
	inc := IncludeRoots{Personal: dir + "/sieve"}
	writeFile(t, dir+"/secret.sieve", "secret\n")
	symlink(t, "../secret.sieve", dir+"/sieve/escape.sieve")
	tests := []struct {
		script string
		want   error
	}{
		{"include ../secret\n", ErrInvalidName},
		{"include escape\n", ErrOutsideRoot},
		{"include-global x\n", ErrNoIncludeDir},
		{"include nothere\n", fs.ErrNotExist},
	}
	c, _ := testCache(t, CacheOptions{})
	for i, tt := range tests {
		p := filepath.Join(dir, fmt.Sprintf("s%d.sieve", i))
		writeFile(t, p, tt.script)
		if _, err := c.Get(context.Background(), p, inc); !errors.Is(err, tt.want) {
			t.Errorf("%q: err = %v, want %v", tt.script, err, tt.want)
		}
	}
}

func TestCacheUncachedFailures(t *testing.T) {
	dir := t.TempDir()
	c, fc := testCache(t, CacheOptions{})

	p := dir + "/panic.sieve"
	writeFile(t, p, "panic\n")
	for range 2 {
		if _, err := c.Get(context.Background(), p, IncludeRoots{}); err == nil {
			t.Fatal("panicking compiler: want an error")
		}
	}
	wantCompiles(t, fc, 1) // a panic is deterministic: cached

	q := dir + "/ctx.sieve"
	writeFile(t, q, "include x\n")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, q, IncludeRoots{Personal: dir}); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Get: %v", err)
	}
	writeFile(t, dir+"/x.sieve", "x\n")
	mustGet(t, c, q, IncludeRoots{Personal: dir}, "x\n")

	big := dir + "/big.sieve"
	writeFile(t, big, strings.Repeat("x", 100))
	c2, _ := testCache(t, CacheOptions{MaxScriptSize: 10})
	if _, err := c2.Get(context.Background(), big, IncludeRoots{}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big script: %v", err)
	}
}

func TestCacheNotRegular(t *testing.T) {
	dir := t.TempDir()
	c, _ := testCache(t, CacheOptions{})
	if _, err := c.Get(context.Background(), dir, IncludeRoots{}); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("Get(dir): %v", err)
	}
	// A FIFO as an included script is refused, not waited on: the
	// delivery must not hang on what a user put in ~/sieve.
	if err := syscall.Mkfifo(dir+"/fifo.sieve", 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	p := dir + "/main.sieve"
	writeFile(t, p, "include fifo\n")
	if _, err := c.Get(context.Background(), p, IncludeRoots{Personal: dir}); !errors.Is(err, ErrNotRegular) {
		t.Fatalf("include of a FIFO: %v", err)
	}
}

func BenchmarkCacheHit(b *testing.B) {
	for _, n := range []int{1, 5} {
		for _, settled := range []bool{true, false} {
			b.Run(fmt.Sprintf("deps=%d/settled=%v", n, settled), func(b *testing.B) {
				dir := b.TempDir()
				var src strings.Builder
				for i := 1; i < n; i++ {
					fmt.Fprintf(&src, "include inc%d\n", i)
					writeFile(b, fmt.Sprintf("%s/sieve/inc%d.sieve", dir, i), "x\n")
				}
				p := dir + "/main.sieve"
				writeFile(b, p, src.String())
				opts := CacheOptions{NoWatch: true}
				if settled {
					opts.Now = func() time.Time { return time.Now().Add(time.Hour) }
				} else {
					opts.Now = func() time.Time { return time.Unix(0, 0) }
				}
				fc := &fakeCompiler{}
				c := NewCache(fc.compile, opts)
				defer c.Close()
				inc := IncludeRoots{Personal: dir + "/sieve"}
				ctx := context.Background()
				if _, err := c.Get(ctx, p, inc); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.Get(ctx, p, inc); err != nil {
						b.Fatal(err)
					}
				}
				if fc.calls.Load() != 1 {
					b.Fatalf("compiles = %d", fc.calls.Load())
				}
			})
		}
	}
}

// TestCacheEvictionConcurrent churns a small cache from many goroutines and
// checks that evicted entries leave no watches behind.
func TestCacheEvictionConcurrent(t *testing.T) {
	root := t.TempDir()
	paths := make([]string, 6)
	for i := range paths {
		paths[i] = filepath.Join(root, fmt.Sprint(i), "s.sieve")
		writeFile(t, paths[i], fmt.Sprintln(i))
	}
	c, _ := testCache(t, CacheOptions{MaxEntries: 2})
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 100 {
				n := (g + i*7) % len(paths)
				got, err := c.Get(context.Background(), paths[n], IncludeRoots{})
				if err != nil || got != fmt.Sprintln(n) {
					t.Errorf("Get(%d) = %q, %v", n, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if s := c.Stats(); s.Entries > 2 || s.Watches > s.Entries {
		t.Errorf("Stats = %+v: at most 2 entries, and no more watches than entries", s)
	}
}

// TestCacheSettleFine runs the cache on a clock injected through
// CacheOptions.Now on a file system with fine timestamps: within 100 ms of
// the last write a same-size rewrite that stat cannot see is caught by the
// content check; after 100 ms the dependency settles and stat alone is
// trusted. (The 2 s window of whole-second timestamps is covered by
// TestDepSettleWindows, since a test cannot choose ctime.)
func TestCacheSettleFine(t *testing.T) {
	dir := t.TempDir()
	p := dir + "/a.sieve"
	writeFile(t, p, "AAAA\n")
	if observe(p).settleWindow() != settleFine {
		t.Skip("the test file system keeps whole-second timestamps")
	}
	var clock atomic.Int64
	now := func() time.Time { return time.Unix(0, clock.Load()) }
	setAge := func(d time.Duration) { clock.Store(observe(p).newest() + int64(d)) }
	c, fc := testCache(t, CacheOptions{NoWatch: true, Now: now})
	blind := func() { // make stat blind to the last rewrite
		t.Helper()
		c.mu.Lock()
		defer c.mu.Unlock()
		c.entries[cacheKey{path: p}].res.deps[0].state = observe(p)
	}

	setAge(50 * time.Millisecond)
	mustGet(t, c, p, IncludeRoots{}, "AAAA\n")
	rewriteSameTick(t, p, "BBBB\n")
	blind()
	setAge(90 * time.Millisecond)
	mustGet(t, c, p, IncludeRoots{}, "BBBB\n")
	wantCompiles(t, fc, 2)

	setAge(settleFine) // content verified once more, then settled
	mustGet(t, c, p, IncludeRoots{}, "BBBB\n")
	rewriteSameTick(t, p, "CCCC\n")
	blind()
	setAge(time.Hour)
	mustGet(t, c, p, IncludeRoots{}, "BBBB\n") // stat trusted: as designed
	wantCompiles(t, fc, 2)
}
