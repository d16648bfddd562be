package maildir

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
)

// stampErr carries the logical time at which a fake fsync started, so a
// caller of groupSync.sync can tell which fsync covered it.
type stampErr struct{ start int64 }

func (e *stampErr) Error() string { return fmt.Sprintf("fsync started at %d", e.start) }

// TestGroupSyncCoversEveryCaller checks the group commit property on many
// concurrent callers of a few directories: each caller is answered by an
// fsync that started after it called, never by one already running.
func TestGroupSyncCoversEveryCaller(t *testing.T) {
	var g groupSync
	var clock atomic.Int64
	var fsyncs atomic.Int64
	fsync := func(string) error {
		fsyncs.Add(1)
		start := clock.Add(1)
		for range 20 { // stay in progress a little, so that callers pile up
			clock.Add(1)
			runtime.Gosched()
		}
		return &stampErr{start: start}
	}
	const callers = 400
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() {
			dir := []string{"new", "cur", ".Junk/new"}[i%3]
			called := clock.Add(1) // the caller's rename
			err := g.sync(dir, fsync)
			var se *stampErr
			if !errors.As(err, &se) {
				t.Errorf("sync: %v", err)
				return
			}
			if se.start <= called {
				t.Errorf("caller at %d answered by an fsync started at %d", called, se.start)
			}
		})
	}
	wg.Wait()
	if n := fsyncs.Load(); n > callers {
		t.Errorf("%d fsyncs for %d callers", n, callers)
	}
	g.mu.Lock()
	left := len(g.dirs)
	g.mu.Unlock()
	if left != 0 {
		t.Errorf("%d directories still tracked after every sync ended", left)
	}
}

// gateFS holds the first directory fsync of new/ until released, and
// fails the second one; it counts renames into new/ and fsyncs of new/.
type gateFS struct {
	FS
	renames  atomic.Int64
	mu       sync.Mutex
	syncs    int
	started  chan struct{} // closed when the first fsync of new/ begins
	release  chan struct{} // the first fsync of new/ ends when this is closed
	failWith error
}

func (g *gateFS) Rename(o, n string) error {
	err := g.FS.Rename(o, n)
	if filepath.Dir(n) == "new" {
		g.renames.Add(1)
	}
	return err
}

func (g *gateFS) SyncDir(name string) error {
	if name != "new" {
		return g.FS.SyncDir(name)
	}
	g.mu.Lock()
	g.syncs++
	n := g.syncs
	g.mu.Unlock()
	switch n {
	case 1:
		close(g.started)
		<-g.release
		return g.FS.SyncDir(name)
	case 2:
		return g.failWith
	}
	return g.FS.SyncDir(name)
}

// TestGroupSyncFailureFailsEveryCoveredDelivery delivers one message whose
// directory fsync is held, then several more into the same directory:
// they rename while the first fsync is in progress, so none of them may be
// acknowledged by it. They share the next fsync, which fails: every one of
// them fails, and none of their files stays in new/.
func TestGroupSyncFailureFailsEveryCoveredDelivery(t *testing.T) {
	root := filepath.Join(t.TempDir(), "Maildir")
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	gfs := &gateFS{FS: NewRootFS(r), started: make(chan struct{}), release: make(chan struct{}), failWith: syscall.EIO}
	m, err := Open(root, Options{FS: gfs, Hostname: "host.example"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	msg := []byte("Subject: group\n\nbody\n")

	first := make(chan error, 1)
	go func() {
		_, err := m.Deliver(ctx, "INBOX", bytes.NewReader(msg), DeliverOptions{})
		first <- err
	}()
	<-gfs.started

	const followers = 5
	errs := make(chan error, followers)
	for range followers {
		go func() {
			_, err := m.Deliver(ctx, "INBOX", bytes.NewReader(msg), DeliverOptions{})
			errs <- err
		}()
	}
	// Wait until every follower has renamed its file into new/; they now
	// wait for an fsync, and the first one is still in progress.
	for gfs.renames.Load() < followers+1 {
		select {
		case err := <-errs:
			t.Fatalf("a follower returned before the held fsync ended: %v", err)
		default:
		}
		runtime.Gosched()
	}
	close(gfs.release)
	if err := <-first; err != nil {
		t.Fatalf("first delivery: %v", err)
	}
	for range followers {
		if err := <-errs; !errors.Is(err, syscall.EIO) {
			t.Errorf("follower: got %v, want EIO", err)
		}
	}
	gfs.mu.Lock()
	syncs := gfs.syncs
	gfs.mu.Unlock()
	if syncs != 2 {
		t.Errorf("%d fsyncs of new/, want 2 (the held one and one shared by the followers)", syncs)
	}
	if got := listDir(t, filepath.Join(root, "new")); len(got) != 1 {
		t.Errorf("new/ holds %v, want only the first message", got)
	}
	assertEmpty(t, root, "tmp", "cur")
}
