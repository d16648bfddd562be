package maildir

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// faultFS wraps an FS and asks fail before every operation; a non-nil
// answer is returned instead of doing it.
//
// It offers unnamed files (TempFS) when the FS it wraps does and unnamed
// is set; otherwise the writer takes the classic tmp/ and rename path.
type faultFS struct {
	FS
	mu      sync.Mutex
	fail    func(op, name string) error
	unnamed bool
}

var (
	_ FS     = (*faultFS)(nil)
	_ TempFS = (*faultFS)(nil)
)

// OpenTemp checks "open" with the name "<dir>/": the unnamed file is in
// tmp/ as far as fault rows are concerned.
func (f *faultFS) OpenTemp(dir string, perm os.FileMode) (File, error) {
	tfs, ok := f.FS.(TempFS)
	if !f.unnamed || !ok {
		return nil, ErrTempUnsupported
	}
	name := dir + "/"
	if err := f.check("open", name); err != nil {
		return nil, err
	}
	fh, err := tfs.OpenTemp(dir, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: fh, fs: f, name: name}, nil
}

// Link checks "rename": it is the step that gives the message its name.
// The directory it returns checks "syncdir" when fsynced, as SyncDir does.
func (f *faultFS) Link(file File, newname string) (Dir, error) {
	if err := f.check("rename", newname); err != nil {
		return nil, err
	}
	d, err := f.FS.(TempFS).Link(file.(*faultFile).File, newname)
	if err != nil {
		return nil, err
	}
	return &faultDir{Dir: d, fs: f, name: path.Dir(newname)}, nil
}

type faultDir struct {
	Dir
	fs   *faultFS
	name string
}

func (d *faultDir) Sync() error {
	if err := d.fs.check("syncdir", d.name); err != nil {
		return err
	}
	return d.Dir.Sync()
}

func (f *faultFS) check(op, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail == nil {
		return nil
	}
	if err := f.fail(op, name); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

func (f *faultFS) OpenFile(name string, flag int, perm os.FileMode) (File, error) {
	if err := f.check("open", name); err != nil {
		return nil, err
	}
	fh, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &faultFile{File: fh, fs: f, name: name}, nil
}

func (f *faultFS) Mkdir(name string, perm os.FileMode) error {
	if err := f.check("mkdir", name); err != nil {
		return err
	}
	return f.FS.Mkdir(name, perm)
}

func (f *faultFS) Rename(o, n string) error {
	if err := f.check("rename", n); err != nil {
		return err
	}
	return f.FS.Rename(o, n)
}

func (f *faultFS) Remove(name string) error {
	if err := f.check("remove", name); err != nil {
		return err
	}
	return f.FS.Remove(name)
}

func (f *faultFS) SyncDir(name string) error {
	if err := f.check("syncdir", name); err != nil {
		return err
	}
	return f.FS.SyncDir(name)
}

type faultFile struct {
	File
	fs   *faultFS
	name string
}

func (f *faultFile) Write(p []byte) (int, error) {
	if err := f.fs.check("write", f.name); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *faultFile) Sync() error {
	if err := f.fs.check("sync", f.name); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *faultFile) Close() error {
	if err := f.fs.check("close", f.name); err != nil {
		f.File.Close()
		return err
	}
	return f.File.Close()
}

// newFaultMaildir opens a Maildir whose FS is a faultFS over the real one.
func newFaultMaildir(t *testing.T, opts Options) (*Maildir, *faultFS, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "Maildir")
	if err := os.Mkdir(root, 0o700); err != nil {
		t.Fatal(err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	ffs := &faultFS{FS: NewRootFS(r)}
	opts.FS = ffs
	opts.Hostname = "host.example"
	m, err := Open(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, ffs, root
}

func TestDeliverFaults(t *testing.T) {
	tests := []struct {
		op, dir string // dir: which directory's operation fails
		flags   []string
	}{
		{"open", "tmp", nil},
		{"write", "tmp", nil},
		{"sync", "tmp", nil},
		{"close", "tmp", nil},
		{"rename", "new", nil},
		{"rename", "cur", []string{`\Seen`}},
		{"syncdir", "new", nil},
		{"syncdir", "cur", []string{`\Seen`}},
	}
	for _, tt := range tests {
		for _, errno := range []syscall.Errno{syscall.EIO, syscall.ENOSPC, syscall.EACCES} {
			t.Run(tt.op+"/"+tt.dir+"/"+errno.Error(), func(t *testing.T) {
				m, ffs, root := newFaultMaildir(t, Options{})
				ffs.fail = func(op, name string) error {
					if op == tt.op && (strings.HasPrefix(name, tt.dir+"/") || name == tt.dir) {
						return errno
					}
					return nil
				}
				_, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{Flags: tt.flags})
				if !errors.Is(err, errno) || !Temporary(err) {
					t.Fatalf("Deliver = %v, want temporary %v", err, errno)
				}
				assertEmpty(t, root, "new", "cur", "tmp")
			})
		}
	}
}

func TestDeliverFaultNoCleanup(t *testing.T) {
	// When removing the temporary file fails too, it stays in tmp/ (for
	// CleanTmp) and nothing reaches new/.
	m, ffs, root := newFaultMaildir(t, Options{})
	ffs.fail = func(op, name string) error {
		if op == "rename" || op == "remove" {
			return syscall.EIO
		}
		return nil
	}
	if _, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{}); err == nil {
		t.Fatal("Deliver succeeded")
	}
	assertEmpty(t, root, "new", "cur")
	if n := len(listDir(t, filepath.Join(root, "tmp"))); n != 1 {
		t.Errorf("%d files in tmp/, want 1", n)
	}
}

func TestDeliverCrashAfterTmpSync(t *testing.T) {
	// Simulate a crash right after the temporary file was fsynced: from
	// then on no operation reaches the disk.
	m, ffs, root := newFaultMaildir(t, Options{})
	crashed := false
	ffs.fail = func(op, name string) error {
		if crashed {
			return syscall.EIO
		}
		if op == "close" && strings.HasPrefix(name, "tmp/") {
			crashed = true
			return syscall.EIO
		}
		return nil
	}
	if _, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{Flags: []string{`\Seen`}}); err == nil {
		t.Fatal("Deliver succeeded")
	}
	assertEmpty(t, root, "new", "cur")
	tmp := listDir(t, filepath.Join(root, "tmp"))
	if len(tmp) > 1 {
		t.Errorf("tmp/ holds %v", tmp)
	}
	for _, name := range tmp {
		if got := readFile(t, filepath.Join(root, "tmp", name)); got != testMsg {
			t.Errorf("tmp file content %q", got)
		}
	}
}

func TestCreateFaults(t *testing.T) {
	for _, op := range []string{"mkdir", "syncdir", "open"} {
		t.Run(op, func(t *testing.T) {
			m, ffs, root := newFaultMaildir(t, Options{})
			ffs.fail = func(o, name string) error {
				if o == op && strings.HasPrefix(name, ".Box") {
					return syscall.ENOSPC
				}
				return nil
			}
			_, err := m.Deliver(context.Background(), "Box", strings.NewReader(testMsg), DeliverOptions{Create: true})
			if !errors.Is(err, syscall.ENOSPC) || !Temporary(err) {
				t.Fatalf("Deliver = %v", err)
			}
			assertEmpty(t, root, "new", "cur", "tmp", ".Box/new", ".Box/cur")
			// Once the fault is gone, a retry completes the folder.
			ffs.fail = nil
			if _, err := m.Deliver(context.Background(), "Box", strings.NewReader(testMsg), DeliverOptions{Create: true}); err != nil {
				t.Fatalf("retry: %v", err)
			}
			if _, err := os.Stat(filepath.Join(root, ".Box", "maildirfolder")); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestKeywordFaults(t *testing.T) {
	for _, op := range []string{"write", "sync", "rename", "syncdir"} {
		t.Run(op, func(t *testing.T) {
			m, ffs, root := newFaultMaildir(t, Options{})
			ffs.fail = func(o, name string) error {
				if o == op && (strings.Contains(name, keywordsFile) || op == "syncdir" && name == ".") {
					return syscall.EIO
				}
				return nil
			}
			_, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{Flags: []string{"$Junk"}})
			if !errors.Is(err, syscall.EIO) {
				t.Fatalf("Deliver = %v", err)
			}
			assertEmpty(t, root, "new", "cur", "tmp")
			if _, err := os.Stat(filepath.Join(root, uidlistLock)); err == nil {
				t.Error("lock left behind")
			}
		})
	}
}
