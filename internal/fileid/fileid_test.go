package fileid

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

func TestOf(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "plan9" {
		t.Skip("no inode or ctime here")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	st := func() ID {
		t.Helper()
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return Of(fi)
	}
	a := st()
	if a.Ino == 0 || a.Ctime == 0 {
		t.Fatalf("Of = %+v, want inode and ctime", a)
	}
	// An edit with the mtime put back still moves the ctime.
	fi, _ := os.Stat(p)
	time.Sleep(20 * time.Millisecond)
	if err := os.WriteFile(p, []byte("two"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if b := st(); b.Ctime == a.Ctime {
		t.Errorf("ctime unchanged after an edit with the mtime put back: %+v", b)
	}
	// A file renamed into place has another inode.
	q := filepath.Join(dir, "g")
	if err := os.WriteFile(q, []byte("three"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(q, p); err != nil {
		t.Fatal(err)
	}
	if c := st(); c.Ino == a.Ino {
		t.Errorf("same inode after a rename into place: %+v", c)
	}
}
