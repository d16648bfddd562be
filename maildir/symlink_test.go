package maildir

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSymlinkEscape(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, root, outside string)
		mailbox string
		create  bool
		flags   []string
	}{
		{"folder", func(t *testing.T, root, outside string) {
			mkdirs(t, outside, "cur", "new", "tmp")
			symlink(t, outside, filepath.Join(root, ".Evil"))
		}, "Evil", false, []string{"$Junk"}},
		{"folder create", func(t *testing.T, root, outside string) {
			symlink(t, outside, filepath.Join(root, ".Evil"))
		}, "Evil", true, nil},
		{"inbox tmp", func(t *testing.T, root, outside string) {
			os.Remove(filepath.Join(root, "tmp"))
			symlink(t, outside, filepath.Join(root, "tmp"))
		}, "INBOX", false, nil},
		{"folder tmp", func(t *testing.T, root, outside string) {
			mkdirs(t, filepath.Join(root, ".F"), "cur", "new")
			symlink(t, outside, filepath.Join(root, ".F", "tmp"))
		}, "F", false, nil},
		{"inbox new", func(t *testing.T, root, outside string) {
			os.Remove(filepath.Join(root, "new"))
			symlink(t, outside, filepath.Join(root, "new"))
		}, "INBOX", false, nil},
		{"inbox cur", func(t *testing.T, root, outside string) {
			os.Remove(filepath.Join(root, "cur"))
			symlink(t, outside, filepath.Join(root, "cur"))
		}, "INBOX", false, []string{`\Seen`}},
		{"relative", func(t *testing.T, root, outside string) {
			symlink(t, "../outside", filepath.Join(root, ".Evil"))
		}, "Evil", true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, root := newTestMaildir(t, Options{})
			outside := filepath.Join(filepath.Dir(root), "outside")
			if err := os.Mkdir(outside, 0o700); err != nil {
				t.Fatal(err)
			}
			tt.setup(t, root, outside)
			before := walk(t, outside)
			_, err := m.Deliver(context.Background(), tt.mailbox, strings.NewReader(testMsg), DeliverOptions{Create: tt.create, Flags: tt.flags})
			if err == nil {
				t.Fatal("delivery through a symlink out of the root succeeded")
			}
			if after := walk(t, outside); after != before {
				t.Errorf("outside directory changed: %q -> %q", before, after)
			}
		})
	}
}

func TestSymlinkInsideRootFollowed(t *testing.T) {
	m, root := newTestMaildir(t, Options{})
	ctx := context.Background()
	if err := m.CreateMailbox(ctx, "Real", false); err != nil {
		t.Fatal(err)
	}
	symlink(t, ".Real", filepath.Join(root, ".Alias"))
	if _, err := m.Deliver(ctx, "Alias", strings.NewReader(testMsg), DeliverOptions{}); err != nil {
		t.Fatal(err)
	}
	if n := len(listDir(t, filepath.Join(root, ".Real", "new"))); n != 1 {
		t.Errorf("%d messages in .Real/new", n)
	}
}

func mkdirs(t *testing.T, dir string, subs ...string) {
	t.Helper()
	for _, s := range subs {
		if err := os.MkdirAll(filepath.Join(dir, s), 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// walk lists every path below dir.
func walk(t *testing.T, dir string) string {
	t.Helper()
	var names []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		names = append(names, strings.TrimPrefix(p, dir))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(names, " ")
}
