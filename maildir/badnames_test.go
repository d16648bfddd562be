package maildir

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The bad-name table: mailbox names a Sieve script (fileinto, :create) or
// a configuration may hand to Deliver. Each is refused with ErrInvalidName
// or stored at a documented place inside the mail root; nothing is ever
// written outside it.

// badNameEnv is a mail root with a sentinel directory beside it.
type badNameEnv struct {
	m        *Maildir
	root     string
	sentinel string // a directory outside the root that must stay empty
}

func newBadNameEnv(t *testing.T, opts Options) badNameEnv {
	t.Helper()
	m, root := newTestMaildir(t, opts)
	sentinel := filepath.Join(filepath.Dir(root), "sentinel")
	if err := os.Mkdir(sentinel, 0o700); err != nil {
		t.Fatal(err)
	}
	return badNameEnv{m: m, root: root, sentinel: sentinel}
}

// checkOutside fails if anything appeared next to the root or in the
// sentinel directory.
func (e badNameEnv) checkOutside(t *testing.T) {
	t.Helper()
	if names := listDir(t, e.sentinel); len(names) > 0 {
		t.Errorf("written outside the root, in %s: %v", e.sentinel, names)
	}
	if names := listDir(t, filepath.Dir(e.root)); strings.Join(names, " ") != "Maildir sentinel" {
		t.Errorf("entries beside the root: %v", names)
	}
}

func TestBadMailboxNames(t *testing.T) {
	long := strings.Repeat("x", 256)
	tests := []struct {
		name    string
		mailbox string
		layout  Layout
		// dir is where a stored message lands (relative to the root);
		// "" means ErrInvalidName is expected.
		dir string
	}{
		{"dot dot", "..", LayoutMaildirPP, ""},
		{"dot dot fs", "..", LayoutFS, ""},
		{"dot", ".", LayoutFS, ""},
		{"dot dot inside", "a/../b", LayoutMaildirPP, ""},
		{"dot dot inside fs", "a/../b", LayoutFS, ""},
		{"dot dot escaping fs", "../../sentinel", LayoutFS, ""},
		{"absolute", "/abs", LayoutMaildirPP, ""},
		{"absolute fs", "/tmp/x", LayoutFS, ""},
		{"empty level", "a//b", LayoutMaildirPP, ""},
		{"trailing separator", "a/", LayoutFS, ""},
		{"empty", "", LayoutMaildirPP, ""},
		{"NUL", "a\x00b", LayoutMaildirPP, ""},
		{"SOH", "a\x01b", LayoutMaildirPP, ""},
		{"DEL", "a\x7fb", LayoutFS, ""},
		{"CR", "a\rb", LayoutMaildirPP, ""},
		{"LF", "a\nb", LayoutFS, ""},
		{"C1 control", "a\u009bb", LayoutMaildirPP, ""},
		{"invalid UTF-8", "a\xc3(b", LayoutMaildirPP, ""},
		{"truncated UTF-8", "Entw\xc3", LayoutFS, ""},
		{"UTF-16 surrogate in UTF-8", "a\xed\xa0\x80b", LayoutMaildirPP, ""},
		{"overlong level", long, LayoutFS, ""},
		{"overlong Maildir++ directory", strings.Repeat("x", 200) + "/" + strings.Repeat("y", 60), LayoutMaildirPP, ""},
		{"overlong name", strings.Repeat(strings.Repeat("x", 250)+"/", 5) + "x", LayoutFS, ""},
		{"level of 255 octets", strings.Repeat("x", 255), LayoutFS, strings.Repeat("x", 255)},
		{"home shorthand", "~user", LayoutMaildirPP, ""},
		{"home shorthand fs", "~root/x", LayoutFS, ""},
		{"tilde inside is plain", "a/~b", LayoutFS, "a/~b"},
		{"dot inside a Maildir++ level", "a.b", LayoutMaildirPP, ""},
		{"leading dot Maildir++", ".hidden", LayoutMaildirPP, ""},
		{"dot inside an fs level", "a.b", LayoutFS, "a.b"},
		{"fs reserved level", "a/cur", LayoutFS, ""},
		{"fs control file", "dovecot-uidlist", LayoutFS, ""},
		// Modified UTF-7 trickery (RFC 3501 §5.1.3): names are UTF-8, so
		// an mUTF-7 form in the name is literal text. Its '&' is encoded
		// as "&-", so "&AC4-" can never decode to '.' and "&AC8-" never
		// to '/' on disk.
		{"mUTF-7 dot", "a&AC4-b", LayoutMaildirPP, ".a&-AC4-b"},
		{"mUTF-7 slash", "&AC8-etc", LayoutFS, "&-AC8-etc"},
		{"mUTF-7 dot dot", "&AC4ALg-", LayoutFS, "&-AC4ALg-"},
		{"fullwidth dot", "a\uff0eb", LayoutMaildirPP, ".a&,w4-b"},
		{"one dot leader", "\u2024\u2024", LayoutFS, "&ICQgJA-"},
		{"INBOX variant", "iNbOx", LayoutMaildirPP, "."},
		{"INBOX child", "inbox/x", LayoutMaildirPP, ".INBOX.x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newBadNameEnv(t, Options{Layout: tt.layout})
			ctx := context.Background()
			d, err := env.m.Deliver(ctx, tt.mailbox, strings.NewReader(testMsg), DeliverOptions{Create: true, Subscribe: true})
			if tt.dir == "" {
				if !errors.Is(err, ErrInvalidName) {
					t.Fatalf("Deliver(%q) = %+v, %v; want ErrInvalidName", tt.mailbox, d, err)
				}
				if Temporary(err) {
					t.Errorf("Temporary(%v) = true for an invalid name", err)
				}
				if err := ValidMailboxName(tt.mailbox); tt.layout == LayoutMaildirPP && !errors.Is(err, ErrInvalidName) {
					t.Errorf("ValidMailboxName(%q) = %v", tt.mailbox, err)
				}
				if _, err := env.m.MailboxExists(ctx, tt.mailbox); !errors.Is(err, ErrInvalidName) {
					t.Errorf("MailboxExists(%q) = %v, want ErrInvalidName", tt.mailbox, err)
				}
				if err := env.m.CreateMailbox(ctx, tt.mailbox, true); !errors.Is(err, ErrInvalidName) {
					t.Errorf("CreateMailbox(%q) = %v, want ErrInvalidName", tt.mailbox, err)
				}
				// The root holds only what Open made.
				if got := strings.Join(listDir(t, env.root), " "); got != "cur new tmp" {
					t.Errorf("root has %q after refusing %q", got, tt.mailbox)
				}
			} else {
				if err != nil {
					t.Fatalf("Deliver(%q): %v", tt.mailbox, err)
				}
				want := filepath.Join(env.root, filepath.FromSlash(tt.dir), "new")
				if filepath.Dir(d.Path) != want {
					t.Errorf("stored at %s, want in %s", d.Path, want)
				}
			}
			env.checkOutside(t)
		})
	}
}

// TestBadNamesDecodeMUTF7 checks that on-disk names which would decode to
// a separator or to ASCII are refused when read back (subscriptions,
// folder listings), so that a crafted directory cannot alias a name.
func TestBadNamesDecodeMUTF7(t *testing.T) {
	for _, s := range []string{"&AC4-", "&AC8-", "&AC4ALg-", "&AGEAYg-", "&-&AC4-", "&", "&-x&", "&Jjo-&Jjo-", "&2D0-"} {
		if got, err := DecodeMUTF7(s); err == nil {
			t.Errorf("DecodeMUTF7(%q) = %q, want an error", s, got)
		}
	}
}

func TestBadNamesSymlinks(t *testing.T) {
	tests := []struct {
		name    string
		layout  Layout
		setup   func(t *testing.T, root, sentinel string)
		mailbox string
	}{
		{"Maildir++ folder to outside", LayoutMaildirPP, func(t *testing.T, root, sentinel string) {
			symlink(t, sentinel, filepath.Join(root, ".Out"))
		}, "Out"},
		{"Maildir++ folder to a relative path outside", LayoutMaildirPP, func(t *testing.T, root, sentinel string) {
			symlink(t, "../sentinel", filepath.Join(root, ".Out"))
		}, "Out"},
		{"Maildir++ folder to /", LayoutMaildirPP, func(t *testing.T, root, sentinel string) {
			symlink(t, "/", filepath.Join(root, ".Out"))
		}, "Out"},
		{"fs parent level to outside", LayoutFS, func(t *testing.T, root, sentinel string) {
			symlink(t, sentinel, filepath.Join(root, "a"))
		}, "a/b"},
		{"fs folder to outside", LayoutFS, func(t *testing.T, root, sentinel string) {
			symlink(t, sentinel, filepath.Join(root, "a"))
		}, "a"},
		{"dangling symlink to outside", LayoutMaildirPP, func(t *testing.T, root, sentinel string) {
			symlink(t, filepath.Join(sentinel, "missing"), filepath.Join(root, ".Out"))
		}, "Out"},
		{"symlink chain leaving the root", LayoutMaildirPP, func(t *testing.T, root, sentinel string) {
			symlink(t, ".Hop", filepath.Join(root, ".Out"))
			symlink(t, "../sentinel", filepath.Join(root, ".Hop"))
		}, "Out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newBadNameEnv(t, Options{Layout: tt.layout})
			tt.setup(t, env.root, env.sentinel)
			ctx := context.Background()
			if _, err := env.m.Deliver(ctx, tt.mailbox, strings.NewReader(testMsg), DeliverOptions{Create: true, Subscribe: true}); err == nil {
				t.Fatal("delivery through a symlink out of the root succeeded")
			} else if !Temporary(err) {
				// An escape is an I/O refusal from os.Root: temporary, so
				// the mail waits for the administrator instead of bouncing.
				t.Errorf("Temporary(%v) = false", err)
			}
			if err := env.m.CreateMailbox(ctx, tt.mailbox, true); err == nil {
				t.Error("CreateMailbox through a symlink out of the root succeeded")
			}
			if names := listDir(t, env.sentinel); len(names) > 0 {
				t.Errorf("written outside the root: %v", names)
			}
		})
	}
}

// TestBadNamesRootIsSymlink documents how a mail root that is itself a
// symlink behaves: the root is configuration (the user database's mail
// location), trusted as given, so Open follows the link and deliveries go
// to its target, even another user's Maildir. Confinement starts below the
// root: a folder symlink that leaves the target root is still refused.
func TestBadNamesRootIsSymlink(t *testing.T) {
	dir := t.TempDir()
	bobRoot := filepath.Join(dir, "bob", "Maildir")
	bob, err := Open(bobRoot, Options{Hostname: "host.example"})
	if err != nil {
		t.Fatal(err)
	}
	bob.Close()
	aliceRoot := filepath.Join(dir, "alice", "Maildir")
	if err := os.MkdirAll(filepath.Dir(aliceRoot), 0o700); err != nil {
		t.Fatal(err)
	}
	symlink(t, bobRoot, aliceRoot)
	sentinel := filepath.Join(dir, "sentinel")
	if err := os.Mkdir(sentinel, 0o700); err != nil {
		t.Fatal(err)
	}
	symlink(t, sentinel, filepath.Join(bobRoot, ".Out"))

	alice, err := Open(aliceRoot, Options{Hostname: "host.example"})
	if err != nil {
		t.Fatal(err)
	}
	defer alice.Close()
	ctx := context.Background()
	if _, err := alice.Deliver(ctx, "INBOX", strings.NewReader(testMsg), DeliverOptions{}); err != nil {
		t.Fatalf("delivery through a symlinked root: %v", err)
	}
	if n := len(listDir(t, filepath.Join(bobRoot, "new"))); n != 1 {
		t.Errorf("%d messages in the link target's new/, want 1", n)
	}
	if _, err := alice.Deliver(ctx, "Out", strings.NewReader(testMsg), DeliverOptions{Create: true}); err == nil {
		t.Error("folder symlink leaving the (symlinked) root was followed")
	}
	if names := listDir(t, sentinel); len(names) > 0 {
		t.Errorf("written outside the root: %v", names)
	}
}
