package filecache

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCache(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "list")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	parses := 0
	c := New(p, 0, func(b []byte) (string, error) {
		parses++
		if strings.Contains(string(b), "bad") {
			return "", errors.New("bad line")
		}
		return string(b), nil
	})
	get := func() (string, error) {
		t.Helper()
		return c.Get()
	}

	if _, err := get(); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("missing file: %v, want ErrNotExist", err)
	}
	write("one")
	if v, err := get(); v != "one" || err != nil {
		t.Fatalf("Get = %q, %v", v, err)
	}
	if _, _ = get(); parses != 1 {
		t.Errorf("parsed %d times for an unchanged file, want 1", parses)
	}

	// Same size, mtime put back: the ctime still tells.
	fi, _ := os.Stat(p)
	time.Sleep(20 * time.Millisecond)
	write("two")
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	if v, _ := get(); v != "two" {
		t.Errorf("after an edit with the mtime put back: %q, want two", v)
	}

	write("bad")
	if _, err := get(); err == nil || !strings.Contains(err.Error(), p) {
		t.Errorf("parse error = %v, want it with the path", err)
	}
	write("three")
	if v, err := get(); v != "three" || err != nil {
		t.Errorf("after a fix: %q, %v", v, err)
	}

	// A FIFO in the file's place is refused, not waited on.
	os.Remove(p)
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	if _, err := get(); !errors.Is(err, ErrNotRegular) {
		t.Errorf("FIFO: %v, want ErrNotRegular", err)
	}
}

func TestCacheEvery(t *testing.T) {
	p := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(p, []byte("a"), 0o644); err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1000, 0)
	c := New(p, time.Second, func(b []byte) (string, error) { return string(b), nil })
	c.now = func() time.Time { return clock }
	if v, _ := c.Get(); v != "a" {
		t.Fatalf("Get = %q", v)
	}
	if err := os.WriteFile(p, []byte("bb"), 0o644); err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Get(); v != "a" {
		t.Errorf("within the interval: %q, want the cached a", v)
	}
	clock = clock.Add(time.Second)
	if v, _ := c.Get(); v != "bb" {
		t.Errorf("after the interval: %q, want bb", v)
	}
	clock = clock.Add(-time.Hour) // a clock set back looks again
	os.WriteFile(p, []byte("ccc"), 0o644)
	if v, _ := c.Get(); v != "ccc" {
		t.Errorf("after the clock went back: %q, want ccc", v)
	}
}
