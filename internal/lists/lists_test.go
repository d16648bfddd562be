package lists

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeList(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestContains(t *testing.T) {
	dir := t.TempDir()
	vip := filepath.Join(dir, "vip")
	writeList(t, vip, "# VIPs\n\nBoss@Example.ORG\n  <cfo@example.org>  \nproject-x\n")
	f, err := New(map[string]string{"tag:example.org,2026:vip": vip})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		list, value string
		want        bool
	}{
		{"tag:example.org,2026:vip", "boss@example.org", true},
		{"tag:example.org,2026:vip", "BOSS@EXAMPLE.ORG", true},
		{"tag:example.org,2026:vip", "cfo@example.org", true},
		{"tag:example.org,2026:vip", "project-x", true},
		{"tag:example.org,2026:vip", "Project-X", false},
		{"tag:example.org,2026:vip", "# VIPs", false}, // a comment line
		{"tag:example.org,2026:vip", "", false},
		{"tag:example.org,2026:vip", "intern@example.org", false},
		{"tag:example.org,2026:other", "boss@example.org", false},
	}
	for _, tc := range tests {
		got, err := f.Contains(ctx, tc.list, tc.value)
		if err != nil || got != tc.want {
			t.Errorf("Contains(%q, %q) = %v, %v; want %v", tc.list, tc.value, got, err, tc.want)
		}
	}
	for name, want := range map[string]bool{"tag:example.org,2026:vip": true, ":addrbook:default": false} {
		if got, err := f.ListExists(ctx, name); err != nil || got != want {
			t.Errorf("ListExists(%q) = %v, %v; want %v", name, got, err, want)
		}
	}
}

func TestReloadOnChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list")
	writeList(t, path, "a@example.org\n")
	f, err := New(map[string]string{"l": path})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if in, _ := f.Contains(ctx, "l", "b@example.org"); in {
		t.Fatal("b in the list before it was added")
	}
	writeList(t, path, "a@example.org\nb@example.org\n")
	// A same-second rewrite of the same size would keep the mtime and
	// size on some file systems; move the mtime to be sure.
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
	if in, err := f.Contains(ctx, "l", "b@example.org"); err != nil || !in {
		t.Errorf("after the edit: %v, %v; want true", in, err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Contains(ctx, "l", "a@example.org"); err == nil {
		t.Error("a missing list file must be an error, not an empty list")
	}
}

func TestNewRejects(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"relative path": {"l": "lists/vip"},
		"empty name":    {"": "/etc/vip"},
	} {
		if _, err := New(files); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestNilFiles(t *testing.T) {
	var f *Files
	if in, err := f.Contains(context.Background(), "l", "x"); in || err != nil {
		t.Errorf("nil Files: %v, %v", in, err)
	}
	if ok, _ := f.ListExists(context.Background(), "l"); ok {
		t.Error("nil Files has a list")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("# c\nA@B.example\n\n x \n"))
	f.Add([]byte("<a@b>\r\nplain"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for e := range Parse(data) {
			if e == "" {
				t.Fatal("empty entry kept")
			}
			if fold(e) != e {
				t.Fatalf("entry %q not folded", e)
			}
		}
	})
}
