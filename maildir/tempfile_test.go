package maildir

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// opLog records the operations a faultFS sees.
type opLog struct {
	mu  sync.Mutex
	ops []string
}

func (l *opLog) record(op, name string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ops = append(l.ops, op+" "+name)
	return nil
}

func (l *opLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.ops, "\n")
}

// TestDeliverUnnamed checks that, where the system offers unnamed files,
// a delivery makes no entry in tmp/: the message is written unnamed and
// linked into new/ or cur/.
func TestDeliverUnnamed(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed files are a Linux feature")
	}
	tests := []struct {
		name    string
		mailbox string
		flags   []string
		dir     string
	}{
		{"inbox new", "INBOX", nil, "new/"},
		{"inbox cur", "INBOX", []string{`\Seen`}, "cur/"},
		{"folder", "Box", nil, ".Box/new/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ffs, root := newFaultMaildir(t, Options{})
			ffs.unnamed = true
			var log opLog
			ffs.fail = log.record
			d, err := m.Deliver(context.Background(), tt.mailbox, strings.NewReader(testMsg), DeliverOptions{Flags: tt.flags, Create: true})
			ffs.fail = nil
			if err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, d.Path); got != testMsg {
				t.Errorf("stored %q", got)
			}
			ops := log.String()
			if strings.Contains(ops, "tmp/1") {
				t.Errorf("a named file was made in tmp/:\n%s", ops)
			}
			if !strings.Contains(ops, "rename "+tt.dir) {
				t.Errorf("no link into %s:\n%s", tt.dir, ops)
			}
			if m.noTemp.Load() {
				t.Error("unnamed files were turned off")
			}
			assertEmpty(t, root, "tmp", ".Box/tmp")
		})
	}
}

// noUnnamedFS is an FS whose unnamed files cannot be created, or can be
// created but not linked.
type noUnnamedFS struct {
	FS
	linkOnly bool // OpenTemp works, Link does not
}

func (f noUnnamedFS) OpenTemp(dir string, perm os.FileMode) (File, error) {
	if !f.linkOnly {
		return nil, fmt.Errorf("open %s: %w", dir, ErrTempUnsupported)
	}
	return f.FS.(TempFS).OpenTemp(dir, perm)
}

func (f noUnnamedFS) Link(File, string) (Dir, error) { return nil, ErrTempUnsupported }

// TestDeliverUnnamedFallback checks both fallbacks: without unnamed files
// the classic tmp/ and rename is used; with unnamed files that cannot be
// linked, the file is copied into tmp/ and renamed. Either way the message
// arrives, and later deliveries go the classic way at once.
func TestDeliverUnnamedFallback(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("unnamed files are a Linux feature")
	}
	for _, linkOnly := range []bool{false, true} {
		t.Run(fmt.Sprintf("linkOnly=%v", linkOnly), func(t *testing.T) {
			root := t.TempDir()
			r, err := os.OpenRoot(root)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			m, err := Open(root, Options{FS: noUnnamedFS{FS: NewRootFS(r), linkOnly: linkOnly}, Hostname: "host.example"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 2 {
				d, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{})
				if err != nil {
					t.Fatalf("delivery %d: %v", i, err)
				}
				if got := readFile(t, d.Path); got != testMsg {
					t.Errorf("delivery %d stored %q", i, got)
				}
				if !m.noTemp.Load() {
					t.Errorf("delivery %d: unnamed files still on", i)
				}
			}
			assertEmpty(t, root, "tmp")
			if n := len(listDir(t, root+"/new")); n != 2 {
				t.Errorf("%d messages in new/, want 2", n)
			}
		})
	}
}
