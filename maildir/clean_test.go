package maildir

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestCleanTmp(t *testing.T) {
	for _, layout := range []Layout{LayoutMaildirPP, LayoutFS} {
		t.Run(layout.String(), func(t *testing.T) {
			m, root := newTestMaildir(t, Options{Layout: layout})
			ctx := context.Background()
			if err := m.CreateMailbox(ctx, "A/B", false); err != nil {
				t.Fatal(err)
			}
			folderTmp := filepath.Join(root, ".A.B", "tmp")
			if layout == LayoutFS {
				folderTmp = filepath.Join(root, "A", "B", "tmp")
			}
			now := time.Now()
			files := []struct {
				path string
				age  time.Duration
				keep bool
			}{
				{filepath.Join(root, "tmp", "old"), 37 * time.Hour, false},
				{filepath.Join(root, "tmp", "young"), 35 * time.Hour, true},
				{filepath.Join(folderTmp, "old"), 72 * time.Hour, false},
				{filepath.Join(folderTmp, "new"), time.Minute, true},
				{filepath.Join(root, "new", "old-but-delivered"), 100 * time.Hour, true},
			}
			for _, f := range files {
				if err := os.WriteFile(f.path, []byte("x"), 0o600); err != nil {
					t.Fatal(err)
				}
				mt := now.Add(-f.age)
				if err := os.Chtimes(f.path, mt, mt); err != nil {
					t.Fatal(err)
				}
			}
			n, err := CleanTmp(ctx, m, now)
			if err != nil || n != 2 {
				t.Errorf("CleanTmp = %d, %v; want 2", n, err)
			}
			for _, f := range files {
				_, err := os.Stat(f.path)
				if (err == nil) != f.keep {
					t.Errorf("%s: kept=%v, want %v", f.path, err == nil, f.keep)
				}
			}
			if got := listDir(t, filepath.Join(root, "tmp")); !slices.Equal(got, []string{"young"}) {
				t.Errorf("tmp/ = %v", got)
			}
		})
	}
}
