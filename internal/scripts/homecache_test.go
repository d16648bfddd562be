package scripts

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testClock is a settable clock, safe for concurrent use.
type testClock struct{ ns atomic.Int64 }

func (c *testClock) now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) advance(d time.Duration) { c.ns.Add(int64(d)) }

func TestHomeCacheLifetime(t *testing.T) {
	root := t.TempDir()
	real1, real2 := filepath.Join(root, "data1"), filepath.Join(root, "data2")
	for _, d := range []string{real1, real2} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	home := filepath.Join(root, "home")
	symlink(t, real1, home)
	want1, _ := filepath.EvalSymlinks(real1)
	want2, _ := filepath.EvalSymlinks(real2)

	clk := &testClock{}
	c := newHomeCache(4, 5*time.Second, clk.now)
	if got, err := c.resolve(home); err != nil || got != want1 {
		t.Fatalf("resolve = %q, %v; want %q", got, err, want1)
	}
	// The administrator moves the home: remembered for the lifetime ...
	if err := os.Remove(home); err != nil {
		t.Fatal(err)
	}
	symlink(t, real2, home)
	clk.advance(4 * time.Second)
	if got, _ := c.resolve(home); got != want1 {
		t.Errorf("within the lifetime: %q, want the remembered %q", got, want1)
	}
	// ... and seen once it has passed.
	clk.advance(time.Second)
	if got, _ := c.resolve(home); got != want2 {
		t.Errorf("after the lifetime: %q, want %q", got, want2)
	}

	// Failures are not remembered: a home created later is seen at once.
	late := filepath.Join(root, "late")
	if _, err := c.resolve(late); err == nil {
		t.Fatal("resolve of a missing home: no error")
	}
	if err := os.Mkdir(late, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := c.resolve(late); err != nil {
		t.Errorf("home created after a failed lookup: %v", err)
	}
	// A home that disappears is forgotten once its entry expires.
	clk.advance(time.Hour)
	if err := os.Remove(late); err != nil {
		t.Fatal(err)
	}
	if _, err := c.resolve(late); err == nil {
		t.Error("expired entry for a removed home still answered")
	}
}

func TestHomeCacheBounded(t *testing.T) {
	root := t.TempDir()
	clk := &testClock{}
	c := newHomeCache(3, time.Minute, clk.now)
	for i := range 10 {
		d := filepath.Join(root, fmt.Sprint(i))
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		if _, err := c.resolve(d); err != nil {
			t.Fatal(err)
		}
		clk.advance(time.Second)
		if n := c.len(); n > 3 {
			t.Fatalf("%d entries, bound is 3", n)
		}
	}
}

func TestHomeCacheConcurrent(t *testing.T) {
	root := t.TempDir()
	homes := make([]string, 8)
	for i := range homes {
		homes[i] = filepath.Join(root, fmt.Sprint(i))
		if err := os.Mkdir(homes[i], 0o755); err != nil {
			t.Fatal(err)
		}
	}
	clk := &testClock{}
	c := newHomeCache(4, time.Second, clk.now)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				h := homes[(g+i)%len(homes)]
				want, _ := filepath.EvalSymlinks(h)
				if got, err := c.resolve(h); err != nil || got != want {
					t.Errorf("resolve(%s) = %q, %v", h, got, err)
					return
				}
				clk.advance(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	if n := c.len(); n > 4 {
		t.Errorf("%d entries, bound is 4", n)
	}
}
