package delivery

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/sluice-mail/sluice/internal/userdb"
	"github.com/sluice-mail/sluice/maildir"
)

// storeFaultFS wraps a maildir.FS and fails the operations fail picks.
type storeFaultFS struct {
	maildir.FS
	fail func(op, name string) error
}

var _ maildir.FS = (*storeFaultFS)(nil)

func (f *storeFaultFS) check(op, name string) error {
	if err := f.fail(op, name); err != nil {
		return &fs.PathError{Op: op, Path: name, Err: err}
	}
	return nil
}

func (f *storeFaultFS) OpenFile(name string, flag int, perm os.FileMode) (maildir.File, error) {
	if err := f.check("open", name); err != nil {
		return nil, err
	}
	fh, err := f.FS.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	return &storeFaultFile{File: fh, fs: f, name: name}, nil
}

func (f *storeFaultFS) Mkdir(name string, perm os.FileMode) error {
	if err := f.check("mkdir", name); err != nil {
		return err
	}
	return f.FS.Mkdir(name, perm)
}

func (f *storeFaultFS) Rename(o, n string) error {
	if err := f.check("rename", n); err != nil {
		return err
	}
	return f.FS.Rename(o, n)
}

func (f *storeFaultFS) SyncDir(name string) error {
	if err := f.check("syncdir", name); err != nil {
		return err
	}
	return f.FS.SyncDir(name)
}

type storeFaultFile struct {
	maildir.File
	fs   *storeFaultFS
	name string
}

func (f *storeFaultFile) Write(p []byte) (int, error) {
	if err := f.fs.check("write", f.name); err != nil {
		return 0, err
	}
	return f.File.Write(p)
}

func (f *storeFaultFile) Sync() error {
	if err := f.fs.check("sync", f.name); err != nil {
		return err
	}
	return f.File.Sync()
}

func (f *storeFaultFile) Close() error {
	if err := f.fs.check("close", f.name); err != nil {
		f.File.Close()
		return err
	}
	return f.File.Close()
}

// mailboxAgent stores every copy into one mailbox with fixed options.
type mailboxAgent struct {
	store   Store
	mailbox string
	opts    StoreOptions
}

var _ Agent = (*mailboxAgent)(nil)

func (a *mailboxAgent) Deliver(ctx context.Context, d *Delivery) (Outcome, error) {
	st, err := a.store.Store(ctx, d.Recipient, a.mailbox, a.opts, d.Message.Open())
	if err != nil {
		return Outcome{}, err
	}
	return Outcome{Stored: []Stored{st}}, nil
}

// failingResolver is rootResolver with lookup failures for some addresses.
type failingResolver struct {
	rootResolver
	errs map[string]error
}

func (r failingResolver) Resolve(ctx context.Context, addr string) (userdb.Recipient, error) {
	if err := r.errs[addr]; err != nil {
		return userdb.Recipient{}, err
	}
	return r.rootResolver.Resolve(ctx, addr)
}

// countMessages counts the files in new/ and cur/ of root and its .Box
// folder.
func countMessages(t *testing.T, root string) int {
	t.Helper()
	n := 0
	for _, d := range []string{"new", "cur", ".Box/new", ".Box/cur"} {
		n += len(dirNames(t, filepath.Join(root, d)))
	}
	return n
}

// storeFaultRows are the storage operations of one delivery, as in the
// maildir package's fault matrix.
var storeFaultRows = []struct {
	name    string
	op      string
	match   func(string) bool
	mailbox string
	opts    StoreOptions
	quota   maildir.Quota
	// stored: the fault comes after the message is durable (the
	// maildirsize usage line), so the recipient still gets 250.
	stored bool
}{
	{name: "create tmp file", op: "open", match: prefixOf("tmp/")},
	{name: "write", op: "write", match: prefixOf("tmp/")},
	{name: "fsync file", op: "sync", match: prefixOf("tmp/")},
	{name: "close", op: "close", match: prefixOf("tmp/")},
	{name: "rename", op: "rename", match: prefixOf("new/")},
	{name: "fsync dir", op: "syncdir", match: equalTo("new")},
	{name: "mkdir new folder", op: "mkdir", match: prefixOf(".Box"), mailbox: "Box", opts: StoreOptions{Create: true}},
	{name: "keyword lock", op: "open", match: equalTo("dovecot-uidlist.lock"), opts: StoreOptions{Flags: []string{"$Junk"}}},
	{name: "maildirsize rewrite", op: "rename", match: equalTo("maildirsize"), quota: maildir.Quota{Messages: 100}},
	{name: "maildirsize append", op: "write", match: equalTo("maildirsize"), quota: maildir.Quota{Messages: 100}, stored: true},
}

func prefixOf(p string) func(string) bool {
	return func(name string) bool { return strings.HasPrefix(name, p) }
}

func equalTo(want string) func(string) bool {
	return func(name string) bool { return name == want }
}

// storeFaultReplies is the documented reply for each errno (errors.go).
var storeFaultReplies = []struct {
	errno syscall.Errno
	reply string
}{
	{syscall.ENOSPC, "452 4.3.1"},
	{syscall.EIO, "451 4.3.0"},
	{syscall.EACCES, "451 4.2.0"},
	{syscall.EROFS, "451 4.2.0"},
	{syscall.EDQUOT, "552 5.2.2"},
}

// TestStoreFaultsOverLMTP fails each storage operation with each errno
// for one recipient of a two-recipient transaction: that recipient gets
// the reply documented for the errno, the other one 250, the log line of
// the failed delivery names the cause, and nothing of the failed copy is
// left in new/, cur/ or tmp/.
func TestStoreFaultsOverLMTP(t *testing.T) {
	for _, row := range storeFaultRows {
		for _, fr := range storeFaultReplies {
			t.Run(row.name+"/"+fr.errno.Error(), func(t *testing.T) {
				root := t.TempDir()
				badRoot := filepath.Join(root, "a", "Maildir")
				var mu sync.Mutex
				hits := 0
				store := &MaildirStore{
					Options: maildir.Options{Hostname: "mx.test", Quota: row.quota},
					WrapFS: func(mailRoot string, fsys maildir.FS) maildir.FS {
						if mailRoot != badRoot {
							return fsys
						}
						return &storeFaultFS{FS: fsys, fail: func(op, name string) error {
							if op == row.op && row.match(name) {
								mu.Lock()
								hits++
								mu.Unlock()
								return fr.errno
							}
							return nil
						}}
					},
				}
				mailbox := row.mailbox
				if mailbox == "" {
					mailbox = "INBOX"
				}
				log, logs := captureLog(t)
				store.Options.Logger = log
				agent := &mailboxAgent{store: store, mailbox: mailbox, opts: row.opts}
				ts := startServer(t, "unix", ServerOptions{Logger: log}, rootResolver{root}, agent)

				c := ts.lhlo(t)
				c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "DATA")
				c.expect("250 ")
				c.expect("250 ")
				c.expect("250 ")
				c.expect("354 ")
				c.sendRaw(dataBody(testMsg))
				want := fr.reply
				if row.stored {
					want = "250 2.0.0"
				}
				c.expect(want + " <a@example.org>")
				c.expect("250 2.0.0 <b@example.org>")
				c.send("QUIT")
				c.expect("221 ")

				mu.Lock()
				n := hits
				mu.Unlock()
				if n == 0 {
					t.Fatal("the fault was never reached")
				}
				wantA := 0
				if row.stored {
					wantA = 1
				}
				if got := countMessages(t, badRoot); got != wantA {
					t.Errorf("a's Maildir holds %d messages, want %d", got, wantA)
				}
				for _, d := range []string{"tmp", ".Box/tmp"} {
					if got := dirNames(t, filepath.Join(badRoot, d)); len(got) != 0 {
						t.Errorf("a's %s holds %v", d, got)
					}
				}
				if got := countMessages(t, filepath.Join(root, "b", "Maildir")); got != 1 {
					t.Errorf("b's Maildir holds %d messages, want 1", got)
				}
				if row.stored {
					if len(logs.lines("level=WARN", fr.errno.Error())) == 0 {
						t.Errorf("no warning names %q", fr.errno.Error())
					}
					return
				}
				lines := logs.lines("msg=delivery", "rcpt=a@example.org")
				if len(lines) != 1 {
					t.Fatalf("%d delivery log lines for a, want 1", len(lines))
				}
				for _, w := range []string{"level=WARN", `reply="` + fr.reply, fr.errno.Error()} {
					if fr.errno == syscall.EDQUOT && w == "level=WARN" {
						w = "level=INFO" // a permanent refusal is not a warning
					}
					if !strings.Contains(lines[0], w) {
						t.Errorf("log line %q does not contain %q", lines[0], w)
					}
				}
			})
		}
	}
}

// TestStoreTroubleOverLMTP covers the other ways a recipient's storage
// can be unusable, each next to a healthy recipient.
func TestStoreTroubleOverLMTP(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, root string) // prepares a's storage
		// lookup, when set, is what the user database answers for a.
		lookup error
		rcpt   string // a's expected reply at RCPT
		data   string // a's expected reply after DATA
		saved  int    // messages in a's Maildir after
	}{
		{
			name:  "missing Maildir is created",
			setup: func(*testing.T, string) {},
			rcpt:  "250 ", data: "250 2.0.0", saved: 1,
		},
		{
			name: "mail root is a regular file",
			setup: func(t *testing.T, root string) {
				if err := os.MkdirAll(filepath.Join(root, "a"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(root, "a", "Maildir"), []byte("not a directory"), 0o600); err != nil {
					t.Fatal(err)
				}
			},
			rcpt: "250 ", data: "451 4.3.0",
		},
		{
			name: "mail root's parent is a regular file",
			setup: func(t *testing.T, root string) {
				if err := os.WriteFile(filepath.Join(root, "a"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			rcpt: "250 ", data: "451 4.3.0",
		},
		{
			name:   "user lookup fails",
			setup:  func(*testing.T, string) {},
			lookup: errors.New("passwd-file: read: input/output error"),
			rcpt:   "451 4.3.0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(t, root)
			res := failingResolver{rootResolver: rootResolver{root}}
			if tt.lookup != nil {
				res.errs = map[string]error{"a@example.org": tt.lookup}
			}
			log, logs := captureLog(t)
			store := &MaildirStore{Options: maildir.Options{Hostname: "mx.test", Logger: log}}
			ts := startServer(t, "unix", ServerOptions{Logger: log}, res, &KeepAgent{Store: store})
			c := ts.lhlo(t)
			c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "DATA")
			c.expect("250 ")
			c.expect(tt.rcpt)
			c.expect("250 ")
			c.expect("354 ")
			c.sendRaw(dataBody(testMsg))
			if tt.data != "" {
				c.expect(tt.data + " <a@example.org>")
			}
			c.expect("250 2.0.0 <b@example.org>")
			if tt.data == "" && len(logs.lines("recipient refused", "rcpt=a@example.org", "input/output error")) != 1 {
				t.Error("no log line names the lookup failure")
			}
			if tt.data != "" && tt.data[0] == '4' && len(logs.lines("msg=delivery", "rcpt=a@example.org", "not a directory")) != 1 {
				t.Error("no delivery log line names the cause")
			}
			aRoot := filepath.Join(root, "a", "Maildir")
			if fi, err := os.Stat(aRoot); err == nil && fi.IsDir() {
				if got := countMessages(t, aRoot); got != tt.saved {
					t.Errorf("a's Maildir holds %d messages, want %d", got, tt.saved)
				}
			} else if tt.saved > 0 {
				t.Errorf("a's Maildir was not created: %v", err)
			}
			if got := countMessages(t, filepath.Join(root, "b", "Maildir")); got != 1 {
				t.Errorf("b's Maildir holds %d messages, want 1", got)
			}
		})
	}
}

// TestStoreClientGoneMidData cuts the connection in the middle of a
// message large enough to be spooled to disk: nothing is stored for any
// recipient, and no temporary file stays behind.
func TestStoreClientGoneMidData(t *testing.T) {
	root := t.TempDir()
	spool := t.TempDir()
	log, logs := captureLog(t)
	store := &MaildirStore{Options: maildir.Options{Hostname: "mx.test", Logger: log}}
	ts := startServer(t, "unix", ServerOptions{Logger: log, SpoolMemory: 1024, SpoolDir: spool}, rootResolver{root}, &KeepAgent{Store: store})
	body := dataBody(testMsg + strings.Repeat("a line of text to make the message big enough\n", 2000))
	for _, cut := range []int{10, len(body) / 2, len(body) - 3} {
		c := ts.lhlo(t)
		c.send("MAIL FROM:<s@example.net>", "RCPT TO:<a@example.org>", "RCPT TO:<b@example.org>", "DATA")
		c.expect("250 ")
		c.expect("250 ")
		c.expect("250 ")
		c.expect("354 ")
		c.sendRaw(body[:cut])
		c.c.Close()
	}
	waitNoConns(t, ts.srv)
	if n := len(logs.lines("message not received")); n != 3 {
		t.Errorf("%d \"message not received\" log lines, want 3", n)
	}
	for _, u := range []string{"a", "b"} {
		for _, d := range []string{"new", "cur", "tmp"} {
			if got := dirNames(t, filepath.Join(root, u, "Maildir", d)); len(got) != 0 {
				t.Errorf("%s's %s holds %v", u, d, got)
			}
		}
	}
	if got := dirNames(t, spool); len(got) != 0 {
		t.Errorf("spool directory holds %v", got)
	}
}
