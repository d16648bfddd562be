package maildir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// newTestMaildir opens a Maildir in a fresh temporary directory.
func newTestMaildir(t *testing.T, opts Options) (*Maildir, string) {
	t.Helper()
	root := filepath.Join(t.TempDir(), "Maildir")
	if opts.Hostname == "" {
		opts.Hostname = "host.example"
	}
	m, err := Open(root, opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	return m, root
}

// listDir returns the sorted names in dir; a missing dir lists as empty.
func listDir(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	slices.Sort(names)
	return names
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	return string(b)
}

// assertEmpty fails unless each of the dirs (relative to root) is empty.
func assertEmpty(t *testing.T, root string, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if names := listDir(t, filepath.Join(root, d)); len(names) > 0 {
			t.Errorf("%s is not empty: %v", d, names)
		}
	}
}
