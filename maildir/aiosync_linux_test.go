package maildir

import (
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"golang.org/x/sys/unix"
)

func openTestFile(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "f"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.WriteString("data\n"); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestStartFsync(t *testing.T) {
	f := openTestFile(t)
	wait := startFsync(int(f.Fd()))
	if wait == nil {
		t.Skip("AIO fsync is not available here: fsyncs are system calls")
	}
	if err := wait(); err != nil {
		t.Fatalf("AIO fsync: %v", err)
	}
	// A pipe has no fsync: AIO refuses it at submission, and the system
	// call gives the error.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if wait := startFsync(int(w.Fd())); wait != nil {
		t.Errorf("AIO fsync of a pipe was submitted (result %v)", wait())
	}
	if err := fsyncFD(int(w.Fd())); !errors.Is(err, unix.EINVAL) {
		t.Errorf("fsyncFD of a pipe = %v, want EINVAL", err)
	}
}

// TestFsyncFDConcurrent runs more fsyncs at once than the AIO ring holds:
// those beyond it are system calls, and all succeed.
func TestFsyncFDConcurrent(t *testing.T) {
	files := make([]*os.File, 2*aioRing)
	for i := range files {
		files[i] = openTestFile(t)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(files))
	for i, f := range files {
		wg.Go(func() { errs[i] = fsyncFD(int(f.Fd())) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	if n := syncing.Load(); n != 0 {
		t.Errorf("%d fsyncs still counted after all returned", n)
	}
}

// TestAIOFail checks that a syncer whose reaper broke fails what waits
// (with EIO, so the delivery is retried) and submits nothing more.
func TestAIOFail(t *testing.T) {
	defer aioOff.Store(aioOff.Load())
	a := &aioSyncer{waiting: make(map[uint64]chan int64)}
	req := &aioRequest{done: make(chan int64, 1)}
	a.waiting[1] = req.done
	a.fail()
	if err := a.wait(req); !errors.Is(err, unix.EIO) {
		t.Errorf("waiting fsync = %v, want EIO", err)
	}
	if a.submit(0) != nil {
		t.Error("a broken syncer took a submission")
	}
	if !aioOff.Load() {
		t.Error("AIO still on after the reaper broke")
	}
}
