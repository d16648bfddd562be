package maildir

import (
	"os"
	"path/filepath"
	"testing"
)

func TestStale(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, root string)
		want   bool
	}{
		{"unchanged", func(*testing.T, string) {}, false},
		{"new message", func(t *testing.T, root string) {
			if err := os.WriteFile(filepath.Join(root, "new", "1.x"), nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"removed", func(t *testing.T, root string) {
			if err := os.RemoveAll(root); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"replaced", func(t *testing.T, root string) {
			if err := os.Rename(root, root+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Mkdir(root, 0o700); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"symlink to another directory", func(t *testing.T, root string) {
			other := root + ".other"
			if err := os.Mkdir(other, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(root, root+".old"); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(other, root); err != nil {
				t.Fatal(err)
			}
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, root := newTestMaildir(t, Options{})
			tt.change(t, root)
			if got := m.Stale(); got != tt.want {
				t.Errorf("Stale() = %v, want %v", got, tt.want)
			}
		})
	}
}
