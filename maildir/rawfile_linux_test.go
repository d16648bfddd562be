package maildir

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openRootFS opens the default FS on a fresh directory with a tmp/ and a
// new/ in it; both handles are closed at the end of the test.
func openRootFS(t *testing.T) (rootFS, *os.Root, string) {
	t.Helper()
	root := t.TempDir()
	mkdirs(t, root, "tmp", "new")
	r, err := os.OpenRoot(root)
	if err != nil {
		t.Fatal(err)
	}
	f := newRootFS(r)
	t.Cleanup(func() { f.close(); r.Close() })
	return f, r, root
}

// newRootFSAt is openRootFS that skips the test where openat2 is not
// available.
func newRootFSAt(t *testing.T) (rootFS, string) {
	t.Helper()
	f, _, root := openRootFS(t)
	if f.dir == nil || openat2Missing.Load() {
		t.Skip("openat2 is not available: every open goes through os.Root")
	}
	return f, root
}

// TestRawUnnamedFile follows the hot path: an unnamed file opened with
// openat2, written, read back, fsynced and linked through a directory
// opened the same way.
func TestRawUnnamedFile(t *testing.T) {
	f, root := newRootFSAt(t)
	fh, err := f.OpenTemp("tmp", 0o600)
	if err != nil {
		t.Fatal(err)
	}
	raw, ok := fh.(*rawFile)
	if !ok {
		t.Fatalf("OpenTemp gave a %T, want a *rawFile", fh)
	}
	if _, err := io.WriteString(raw, "Subject: x\r\n\r\nbody\r\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(raw); err != nil || string(b) != "Subject: x\r\n\r\nbody\r\n" {
		t.Fatalf("read back %q, %v", b, err)
	}
	if err := raw.Sync(); err != nil {
		t.Fatal(err)
	}
	d, err := f.Link(raw, "new/msg")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := d.(*rawDir); !ok {
		t.Errorf("Link gave a %T, want a *rawDir", d)
	}
	if err := d.Sync(); err != nil {
		t.Error(err)
	}
	if err := d.Close(); err != nil {
		t.Error(err)
	}
	if err := raw.Close(); err != nil {
		t.Error(err)
	}
	if got := readFile(t, filepath.Join(root, "new", "msg")); got != "Subject: x\r\n\r\nbody\r\n" {
		t.Errorf("linked file holds %q", got)
	}
	if _, err := f.Link(raw, "new/again"); err == nil {
		t.Error("Link of a closed file succeeded")
	}
	if err := raw.Close(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Close = %v, want os.ErrClosed", err)
	}
	if _, err := raw.Write([]byte("x")); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Write after Close = %v, want EBADF", err)
	}
}

// TestOpenBeneathConfined checks that the one-step open refuses what
// os.Root refuses: "..", absolute symlinks and symlinks that lead out.
func TestOpenBeneathConfined(t *testing.T) {
	f, root := newRootFSAt(t)
	outside := t.TempDir()
	mkdirs(t, outside, "tmp", "new")
	symlink(t, outside, filepath.Join(root, ".Abs"))
	symlink(t, "../"+filepath.Base(outside), filepath.Join(root, ".Rel"))
	mkdirs(t, root, ".In")
	symlink(t, ".In", filepath.Join(root, ".Alias"))
	tests := []struct {
		name string
		ok   bool
	}{
		{"tmp", true},
		{".Alias", true}, // a symlink that stays inside is followed, as os.Root does
		{"../" + filepath.Base(outside) + "/tmp", false},
		{".Abs/tmp", false},
		{".Rel/tmp", false},
		{"/tmp", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fh, err := f.OpenTemp(tt.name, 0o600)
			if err == nil {
				fh.Close()
			}
			if (err == nil) != tt.ok {
				t.Errorf("OpenTemp(%q) = %v, want success %v", tt.name, err, tt.ok)
			}
			d, err := f.Link(&rawFile{fd: -1, name: "x"}, tt.name+"/x")
			if err == nil {
				d.Close()
				t.Errorf("Link of a bad descriptor into %q succeeded", tt.name)
			}
			if !tt.ok && errors.Is(err, syscall.EBADF) {
				t.Errorf("Link into %q reached the link step: %v", tt.name, err)
			}
		})
	}
	if names := listDir(t, filepath.Join(outside, "new")); len(names) > 0 {
		t.Errorf("files outside the root: %v", names)
	}
	var pe *fs.PathError
	if _, err := f.OpenTemp("missing", 0o600); !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("OpenTemp of a missing directory = %v, want a PathError for ENOENT", err)
	}
}

// TestOpenat2Refused plays a sandbox that refuses openat2 with EPERM:
// the writer falls back to os.Root and stops trying openat2, while an
// EPERM about the file itself leaves openat2 in use.
func TestOpenat2Refused(t *testing.T) {
	tests := []struct {
		name        string
		refuseProbe bool // EPERM for the path-only probe of the root too
		wantMissing bool
	}{
		{"system call filtered", true, true},
		{"refused for this file", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _ := newRootFSAt(t)
			real := openat2
			t.Cleanup(func() { openat2 = real; openat2Missing.Store(false) })
			openat2 = func(dirfd int, path string, how *unix.OpenHow) (int, error) {
				if path == "." && how.Flags&unix.O_PATH != 0 && !tt.refuseProbe {
					return real(dirfd, path, how)
				}
				return -1, unix.EPERM
			}
			fh, err := f.OpenTemp("tmp", 0o600)
			if err != nil {
				t.Fatalf("OpenTemp = %v, want success through os.Root", err)
			}
			fh.Close()
			if _, raw := fh.(*rawFile); raw {
				t.Error("OpenTemp gave a descriptor from the refused openat2")
			}
			if got := openat2Missing.Load(); got != tt.wantMissing {
				t.Errorf("openat2Missing = %v, want %v", got, tt.wantMissing)
			}
		})
	}
}

// TestDeliverUnnamedLinkViaProc names the unnamed file through
// /proc/self/fd, the way a process without CAP_DAC_READ_SEARCH does.
func TestDeliverUnnamedLinkViaProc(t *testing.T) {
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("no /proc")
	}
	old := linkMethod.Load()
	linkMethod.Store(linkProc)
	t.Cleanup(func() { linkMethod.Store(old) })
	m, root := newTestMaildir(t, Options{})
	d, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, d.Path); got != testMsg {
		t.Errorf("stored %q", got)
	}
	assertEmpty(t, root, "tmp")
}

// TestRootFSClosedHandle checks that once the FS's own handle on the root
// is closed, opens go through os.Root, and fail once it is closed too.
func TestRootFSClosedHandle(t *testing.T) {
	f, r, _ := openRootFS(t)
	if err := f.close(); err != nil {
		t.Fatal(err)
	}
	fh, err := f.OpenTemp("tmp", 0o600)
	if err != nil {
		t.Fatalf("OpenTemp after the handle closed = %v, want os.Root to open it", err)
	}
	if _, ok := fh.(*os.File); !ok {
		t.Errorf("OpenTemp gave a %T, want an *os.File from os.Root", fh)
	}
	d, err := f.Link(fh, "new/msg")
	if err != nil {
		t.Fatalf("Link: %v", err)
	}
	d.Close()
	fh.Close()
	r.Close()
	if _, err := f.OpenTemp("tmp", 0o600); !errors.Is(err, os.ErrClosed) {
		t.Errorf("OpenTemp with everything closed = %v, want os.ErrClosed", err)
	}
}
