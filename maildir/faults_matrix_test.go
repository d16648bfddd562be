package maildir

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// faultRow is one storage operation that can fail during a delivery.
type faultRow struct {
	name string
	// op and match pick the faultFS operation that fails.
	op    string
	match func(name string) bool
	// mailbox and opts are the delivery that meets the fault; quota is
	// the Maildir's quota.
	mailbox string
	opts    DeliverOptions
	quota   Quota
	// prime makes a first, fault-free delivery, which writes maildirsize.
	prime bool
	// stored is set for the one fault a delivery survives by design.
	stored bool
	// unnamed is set for a step only an unnamed file has.
	unnamed bool
}

// nth matches the n-th name that match does.
func nth(n int, match func(string) bool) func(string) bool {
	seen := 0
	return func(name string) bool {
		if !match(name) {
			return false
		}
		seen++
		return seen == n
	}
}

func namePrefix(p string) func(string) bool {
	return func(name string) bool { return strings.HasPrefix(name, p) }
}

func nameIs(want string) func(string) bool {
	return func(name string) bool { return name == want }
}

// faultRows are the operations of a delivery that touch the disk: the
// message file itself, a folder created for it, the keyword lock, and the
// Maildir++ quota file.
var faultRows = []faultRow{
	{name: "create tmp file", op: "open", match: namePrefix("tmp/")},
	{name: "write", op: "write", match: namePrefix("tmp/")},
	{name: "fsync file", op: "sync", match: namePrefix("tmp/")},
	{name: "fsync linked file", op: "sync", match: nth(2, nameIs("tmp/")), unnamed: true},
	{name: "close", op: "close", match: namePrefix("tmp/")},
	{name: "rename into new", op: "rename", match: namePrefix("new/")},
	{name: "rename into cur", op: "rename", match: namePrefix("cur/"), opts: DeliverOptions{Flags: []string{`\Seen`}}},
	{name: "fsync new dir", op: "syncdir", match: nameIs("new")},
	{name: "fsync cur dir", op: "syncdir", match: nameIs("cur"), opts: DeliverOptions{Flags: []string{`\Seen`}}},
	{name: "mkdir new folder", op: "mkdir", match: namePrefix(".Box"), mailbox: "Box", opts: DeliverOptions{Create: true}},
	{name: "fsync new folder", op: "syncdir", match: nameIs(".Box"), mailbox: "Box", opts: DeliverOptions{Create: true}},
	{name: "keyword lock", op: "open", match: nameIs(uidlistLock), opts: DeliverOptions{Flags: []string{"$Junk"}}},
	{name: "keyword file write", op: "write", match: namePrefix("tmp/"), opts: DeliverOptions{Flags: []string{"$Junk"}}},
	{name: "maildirsize rewrite", op: "rename", match: nameIs(quotaFile), quota: Quota{Messages: 100}},
	// The usage line is appended after the message is durable: a failure
	// there is logged and the next recalculation repairs the count, so
	// the delivery stands (see quotaAdd).
	{name: "maildirsize append", op: "write", match: nameIs(quotaFile), quota: Quota{Messages: 100}, prime: true, stored: true},
}

var faultErrnos = []syscall.Errno{syscall.EIO, syscall.ENOSPC, syscall.EACCES, syscall.EROFS, syscall.EDQUOT}

// TestFaultMatrix fails each storage operation with each errno a disk can
// give: the error reaches the caller (errors.Is the errno, so the delivery
// layer can answer precisely), nothing is visible in new/ or cur/, and no
// temporary file or lock is left behind.
//
// It runs for both ways of writing a message: an unnamed file linked into
// place, and the classic tmp/ file renamed into place.
func TestFaultMatrix(t *testing.T) {
	for _, unnamed := range []bool{true, false} {
		proto := "tmp+rename"
		if unnamed {
			proto = "unnamed+link"
		}
		t.Run(proto, func(t *testing.T) { testFaultMatrix(t, unnamed) })
	}
}

func testFaultMatrix(t *testing.T, unnamed bool) {
	for _, row := range faultRows {
		if row.unnamed && !unnamed {
			continue
		}
		for _, errno := range faultErrnos {
			t.Run(row.name+"/"+errnoName(errno), func(t *testing.T) {
				if row.unnamed {
					row.match = nth(2, nameIs("tmp/")) // a fresh count per case
				}
				var logs strings.Builder
				m, ffs, root := newFaultMaildir(t, Options{
					Quota:  row.quota,
					Logger: slog.New(slog.NewTextHandler(&logs, nil)),
				})
				ffs.unnamed = unnamed
				if row.prime {
					if _, err := m.Deliver(context.Background(), "INBOX", strings.NewReader(testMsg), DeliverOptions{}); err != nil {
						t.Fatal(err)
					}
					moveNewToSide(t, root)
				}
				hits := 0
				ffs.fail = func(op, name string) error {
					if op == row.op && row.match(name) {
						hits++
						return errno
					}
					return nil
				}
				mailbox := row.mailbox
				if mailbox == "" {
					mailbox = "INBOX"
				}
				d, err := m.Deliver(context.Background(), mailbox, strings.NewReader(testMsg), row.opts)
				ffs.fail = nil
				if hits == 0 {
					t.Fatalf("the fault was never reached (Deliver = %v)", err)
				}
				dirs := []string{"new", "cur", "tmp", ".Box/new", ".Box/cur", ".Box/tmp"}
				if row.stored {
					if err != nil {
						t.Fatalf("Deliver = %v, want success", err)
					}
					if got := readFile(t, d.Path); got != testMsg {
						t.Errorf("stored %q", got)
					}
					if !strings.Contains(logs.String(), errno.Error()) {
						t.Errorf("no warning naming %q in the log:\n%s", errno.Error(), logs.String())
					}
					if err := os.Remove(d.Path); err != nil {
						t.Fatal(err)
					}
				} else {
					if !errors.Is(err, errno) {
						t.Fatalf("Deliver = %v, want an error wrapping %v", err, errno)
					}
					if !Temporary(err) {
						t.Errorf("Temporary(%v) = false", err)
					}
				}
				assertEmpty(t, root, dirs...)
				for _, lock := range []string{uidlistLock, ".Box/" + uidlistLock} {
					if _, err := os.Lstat(filepath.Join(root, lock)); err == nil {
						t.Errorf("%s left behind", lock)
					}
				}
			})
		}
	}
}

// moveNewToSide moves the messages in root/new out of the Maildir, so the
// next delivery starts from empty directories.
func moveNewToSide(t *testing.T, root string) {
	t.Helper()
	side := t.TempDir()
	for _, name := range listDir(t, filepath.Join(root, "new")) {
		if err := os.Rename(filepath.Join(root, "new", name), filepath.Join(side, name)); err != nil {
			t.Fatal(err)
		}
	}
}

func errnoName(e syscall.Errno) string {
	switch e {
	case syscall.EIO:
		return "EIO"
	case syscall.ENOSPC:
		return "ENOSPC"
	case syscall.EACCES:
		return "EACCES"
	case syscall.EROFS:
		return "EROFS"
	case syscall.EDQUOT:
		return "EDQUOT"
	}
	return e.Error()
}
