package scripts

import (
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
)

func TestReadLimited(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		size, max, hint int64
		err             error
	}{
		{0, 10, 0, nil},
		{10, 10, 10, nil},
		{11, 10, 11, ErrTooLarge},
		{11, 10, 0, ErrTooLarge},
		{5000, 1 << 20, 3, nil},       // grew since stat: still read whole
		{5000, 1 << 20, 1 << 30, nil}, // hint larger than the limit
		{5000, 4999, 5000, ErrTooLarge},
		{3 << 20, 4 << 20, 3 << 20, nil},
	}
	for _, tt := range tests {
		p := dir + "/f"
		want := strings.Repeat("x", int(tt.size))
		writeFile(t, p, want)
		got, err := readLimited(p, tt.max, tt.hint)
		if !errors.Is(err, tt.err) || (tt.err == nil && string(got) != want) {
			t.Errorf("size %d max %d hint %d: %d bytes, %v; want %v", tt.size, tt.max, tt.hint, len(got), err, tt.err)
		}
	}
	if _, err := readLimited(dir, 10, 0); !errors.Is(err, ErrNotRegular) {
		t.Errorf("directory: %v", err)
	}
	if _, err := readLimited(dir+"/missing", 10, 0); !missing(err) {
		t.Errorf("missing file: %v", err)
	}
}

func TestCheckReadable(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir+"/f", "x")
	symlink(t, "f", dir+"/l")
	if err := syscall.Mkfifo(dir+"/fifo", 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path     string
		nofollow bool
		check    func(error) bool
	}{
		{"f", false, func(err error) bool { return err == nil }},
		{"f", true, func(err error) bool { return err == nil }},
		{"l", false, func(err error) bool { return err == nil }},
		{"l", true, func(err error) bool { return errors.Is(err, syscall.ELOOP) }},
		{"fifo", false, func(err error) bool { return errors.Is(err, ErrNotRegular) }}, // and no hang
		{".", false, func(err error) bool { return errors.Is(err, ErrNotRegular) }},
		{"missing", false, missing},
		{"f/below", false, missing},
	}
	for _, tt := range tests {
		if err := checkReadable(dir+"/"+tt.path, tt.nofollow); !tt.check(err) {
			t.Errorf("checkReadable(%s, nofollow=%v) = %v", tt.path, tt.nofollow, err)
		}
	}
	if err := os.Remove(dir + "/fifo"); err != nil {
		t.Fatal(err)
	}
}
