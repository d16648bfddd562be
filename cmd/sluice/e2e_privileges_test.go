package main

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sluice-mail/sluice/internal/testbin"
)

// The privilege tests create throwaway system accounts, so they run only
// as root (as CI does); elsewhere they skip.

// needRoot skips t unless it runs as root with useradd at hand.
func needRoot(t *testing.T) {
	t.Helper()
	needBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("privilege tests create system accounts and need root")
	}
	for _, tool := range []string{"useradd", "userdel"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("privilege tests need %s: %v", tool, err)
		}
	}
}

// testAccount is a throwaway system account.
type testAccount struct {
	name, home string
	uid, gid   int
}

// addAccount creates a system account with its home under dir, removed
// (home included) when the test ends. Names are unique per run.
func addAccount(t *testing.T, dir, suffix string) testAccount {
	t.Helper()
	var b [3]byte
	_, _ = rand.Read(b[:])
	name := "slt" + hex.EncodeToString(b[:]) + suffix
	home := filepath.Join(dir, "home", name)
	if err := os.MkdirAll(filepath.Dir(home), 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("useradd", "--system", "--create-home", "--home-dir", home, "--shell", "/usr/sbin/nologin", name).CombinedOutput()
	if err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", "-r", name).CombinedOutput(); err != nil {
			t.Logf("userdel -r %s: %v\n%s", name, err, out)
		}
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	a := testAccount{name: name, home: home}
	a.uid, _ = strconv.Atoi(u.Uid)
	a.gid, _ = strconv.Atoi(u.Gid)
	return a
}

// openTempDir makes a test's temporary directory (0700 by default)
// reachable by the throwaway accounts.
func openTempDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range []string{dir, filepath.Dir(dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// startServerText starts sluice serve on the configuration text (whose
// unix socket must be <dir>/run/lmtp) and stops it when the test ends.
func startServerText(t *testing.T, dir, text string) *e2eServer {
	t.Helper()
	s := &e2eServer{t: t, dir: dir, stderr: &testbin.SyncBuffer{}, socket: filepath.Join(dir, "run", "lmtp"), cfgPath: filepath.Join(dir, "sluice.toml")}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice stderr:\n%s", s.stderr.String())
		}
	})
	s.writeConfig(text)
	s.spawn()
	if err := s.waitReady(); err != nil {
		t.Fatalf("sluice did not start: %v", err)
	}
	t.Cleanup(s.stopAndCheck)
	return s
}

// sendTo delivers one message to each recipient in one transaction and
// returns the reply code for each.
func sendTo(t *testing.T, s *e2eServer, subject string, rcpts ...string) []int {
	t.Helper()
	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<sender@example.net>", 250)
	for _, r := range rcpts {
		cv.cmd("RCPT TO:<"+r+">", 250)
	}
	cv.cmd("DATA", 354)
	cv.write(dotStuff(testMessage(subject, subject+"@e2e.test")))
	var codes []int
	for range rcpts {
		r, err := cv.read()
		if err != nil {
			t.Fatalf("reading the reply after DATA: %v", err)
		}
		codes = append(codes, r.Code)
	}
	cv.cmd("QUIT", 221)
	return codes
}

// treeState lists every path under root with its owner, mode and size,
// to tell whether anything changed.
func treeState(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		st := fi.Sys().(*syscall.Stat_t)
		out = append(out, fmt.Sprintf("%s %d:%d %v %d", path, st.Uid, st.Gid, fi.Mode(), fi.Size()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// messagesIn returns the message files of a Maildir's new/ and cur/, and
// checks that each belongs to uid and gid.
func messagesIn(t *testing.T, maildir string, uid, gid int) []string {
	t.Helper()
	var files []string
	for _, sub := range []string{"new", "cur"} {
		ents, err := os.ReadDir(filepath.Join(maildir, sub))
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		for _, e := range ents {
			p := filepath.Join(maildir, sub, e.Name())
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid || int(st.Gid) != gid {
				t.Errorf("%s belongs to %d:%d, want %d:%d", p, st.Uid, st.Gid, uid, gid)
			}
			files = append(files, p)
		}
	}
	return files
}

// procIDs returns the Uid:, Gid: and Groups: lines of /proc/pid/status.
func procIDs(t *testing.T, pid int) (uid, gid, groups string) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimSpace(line), ":")
		v = strings.Join(strings.Fields(v), " ")
		switch k {
		case "Uid":
			uid = v
		case "Gid":
			gid = v
		case "Groups":
			groups = v
		}
	}
	return uid, gid, groups
}

func writeOwned(t *testing.T, path, text string, mode os.FileMode, a testAccount) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(path, a.uid, a.gid); err != nil {
		t.Fatal(err)
	}
}

func symlinkOwned(t *testing.T, target, path string, a testAccount) {
	t.Helper()
	if err := os.Symlink(target, path); err != nil {
		t.Fatal(err)
	}
	if err := os.Lchown(path, a.uid, a.gid); err != nil {
		t.Fatal(err)
	}
}

// systemConfig is a configuration for system users with ~/Maildir.
func systemConfig(dir string) string {
	return fmt.Sprintf(`hostname = %q
[lmtp]
listen = [%q]
timeout = "30s"
[users]
source = "system"
file = "/etc/passwd"
[mail]
location = "maildir:~/Maildir"
[state]
file = %q
`, e2eHost, "unix:"+filepath.Join(dir, "run", "lmtp"), filepath.Join(dir, "state", "state.db"))
}

// TestE2EPrivilegesSystemUsers: a server running as root delivers each
// system user's mail as that user, and one user's symlinks reach nothing
// of another's.
func TestE2EPrivilegesSystemUsers(t *testing.T) {
	needRoot(t)
	dir := openTempDir(t)
	u1 := addAccount(t, dir, "a")
	u2 := addAccount(t, dir, "b")

	// User 2 has a Maildir with one message, and a private script.
	md2 := filepath.Join(u2.home, "Maildir")
	for _, sub := range []string{"", "new", "cur", "tmp"} {
		if err := os.Mkdir(filepath.Join(md2, sub), 0o700); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Join(md2, sub), u2.uid, u2.gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(u2.home, 0o700); err != nil {
		t.Fatal(err)
	}
	writeOwned(t, filepath.Join(md2, "new", "1.old.host"), "Subject: mine\n\nprivate\n", 0o600, u2)
	writeOwned(t, filepath.Join(u2.home, "private.sieve"), "require [\"fileinto\", \"mailbox\"];\nfileinto :create \"Stolen\";\n", 0o600, u2)

	// User 1 files into a folder that is a symlink to user 2's Maildir.
	md1 := filepath.Join(u1.home, "Maildir")
	if err := os.Mkdir(md1, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(md1, u1.uid, u1.gid); err != nil {
		t.Fatal(err)
	}
	symlinkOwned(t, md2, filepath.Join(md1, ".Evil"), u1)
	writeOwned(t, filepath.Join(u1.home, ".dovecot.sieve"), "require [\"fileinto\", \"mailbox\"];\nfileinto :create \"Evil\";\n", 0o644, u1)

	s := startServerText(t, dir, systemConfig(dir))
	before := treeState(t, u2.home)

	if codes := sendTo(t, s, "first", u1.name+"@example.org"); codes[0] != 250 && codes[0] != 451 {
		t.Errorf("fileinto through a symlink: reply %d, want 250 (kept) or 451", codes[0])
	}
	// Now user 1's script is a symlink to user 2's private script.
	if err := os.Remove(filepath.Join(u1.home, ".dovecot.sieve")); err != nil {
		t.Fatal(err)
	}
	symlinkOwned(t, filepath.Join(u2.home, "private.sieve"), filepath.Join(u1.home, ".dovecot.sieve"), u1)
	if codes := sendTo(t, s, "second", u1.name+"@example.org"); codes[0] != 250 && codes[0] != 451 {
		t.Errorf("script symlinked to another user's: reply %d, want 250 (kept) or 451", codes[0])
	}
	if after := treeState(t, u2.home); !slices.Equal(before, after) {
		t.Errorf("user 2's files changed:\nbefore %q\nafter  %q", before, after)
	}
	if _, err := os.Lstat(filepath.Join(md1, ".Stolen")); err == nil {
		t.Errorf("user 1 ran user 2's private script")
	}

	// Both users get their mail, each as themselves.
	if err := os.Remove(filepath.Join(u1.home, ".dovecot.sieve")); err != nil {
		t.Fatal(err)
	}
	codes := sendTo(t, s, "third", u1.name+"@example.org", u2.name+"@example.org")
	if codes[0] != 250 || codes[1] != 250 {
		t.Fatalf("replies %v, want 250 250", codes)
	}
	if got := messagesIn(t, md1, u1.uid, u1.gid); len(got) == 0 {
		t.Errorf("nothing delivered into %s", md1)
	}
	got2 := messagesIn(t, md2, u2.uid, u2.gid)
	if len(got2) != 2 {
		t.Errorf("user 2's Maildir holds %d messages, want 2 (the old one and the new one): %q", len(got2), got2)
	}
	for _, l := range grepLines(s.stderr.String(), "msg=delivery") {
		if strings.Contains(l, u1.name) && strings.Contains(l, "Stolen") {
			t.Errorf("log shows user 2's script ran for user 1: %s", l)
		}
	}
}

// TestE2EPrivilegesVirtualAccount: started as root with server.user, the
// server becomes that account for good, keeps serving its sockets, and
// writes mail as that account.
func TestE2EPrivilegesVirtualAccount(t *testing.T) {
	needRoot(t)
	dir := openTempDir(t)
	vmail := addAccount(t, dir, "v")
	cfg := fmt.Sprintf(`hostname = %q
[server]
user = %q
[lmtp]
listen = [%q]
timeout = "30s"
[users]
source = "static"
domains = ["example.org"]
static_home = %q
[mail]
location = "maildir:~/Maildir"
[state]
file = %q
`, e2eHost, vmail.name, "unix:"+filepath.Join(dir, "run", "lmtp"), vmail.home+"/%n", filepath.Join(dir, "state", "state.db"))
	s := startServerText(t, dir, cfg)

	uid, gid, groups := procIDs(t, s.pid())
	want := strconv.Itoa(vmail.uid)
	if uid != strings.Repeat(want+" ", 3)+want {
		t.Errorf("process Uid: %q, want all %s", uid, want)
	}
	if wantG := strconv.Itoa(vmail.gid); gid != strings.Repeat(wantG+" ", 3)+wantG {
		t.Errorf("process Gid: %q, want all %s", gid, wantG)
	}
	if groups != "" {
		t.Errorf("process Groups: %q, want none", groups)
	}
	s.waitLog("running as an unprivileged account", 1)

	codes := sendTo(t, s, "virtual", "alice@example.org", "bob@example.org")
	if codes[0] != 250 || codes[1] != 250 {
		t.Fatalf("replies %v, want 250 250", codes)
	}
	for _, u := range []string{"alice", "bob"} {
		if got := messagesIn(t, filepath.Join(vmail.home, u, "Maildir"), vmail.uid, vmail.gid); len(got) != 1 {
			t.Errorf("%s: %d messages, want 1", u, len(got))
		}
	}
	// The state file now belongs to the account, so a restart as root
	// and the account itself can both use it.
	fi, err := os.Stat(filepath.Join(dir, "state", "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != vmail.uid {
		t.Errorf("state file belongs to uid %d, want %d", st.Uid, vmail.uid)
	}
}

// TestE2EPrivilegesRefuseRoot: a server whose deliveries would run as
// root does not start unless server.allow_root says so.
func TestE2EPrivilegesRefuseRoot(t *testing.T) {
	needRoot(t)
	dir := openTempDir(t)
	base := func(server, users string) string {
		return fmt.Sprintf("hostname = %q\n[server]\n%s\n[lmtp]\nlisten = [%q]\n[users]\n%s\n[state]\nbackend = \"memory\"\n",
			e2eHost, server, "unix:"+filepath.Join(dir, "run", "lmtp"), users)
	}
	const virtual = "source = \"static\"\ndomains = [\"example.org\"]\nstatic_home = \"/var/vmail/%n\""
	tests := []struct {
		name, server, users, want string
	}{
		{"virtual users without uid", "", virtual, "deliveries would run as root"},
		{"deliver_as_user off", "deliver_as_user = false", "source = \"system\"", "deliveries would run as root"},
		{"user is root", "user = \"root\"", "source = \"system\"", "is root"},
		{"unknown account", "user = \"no-such-account-sluice\"", "source = \"system\"", "server.user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stderr, code := runServeOnce(t, base(tc.server, tc.users))
			if code != exitConfig || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, exitConfig, tc.want)
			}
		})
	}
	t.Run("allowed", func(t *testing.T) {
		s := startServerText(t, dir, base("allow_root = true", virtual))
		if uid, _, _ := procIDs(t, s.pid()); !strings.HasPrefix(uid, "0 ") {
			t.Errorf("process Uid: %q, want root", uid)
		}
	})
}

// TestE2EPrivilegesPrivateUserFile: a passwd-file only root can read (as
// Dovecot's usually is) does not stop deliveries run as the user: the
// server resolves the recipient, the user's process does not read it.
func TestE2EPrivilegesPrivateUserFile(t *testing.T) {
	needRoot(t)
	dir := openTempDir(t)
	u := addAccount(t, dir, "p")
	users := filepath.Join(dir, "users")
	line := fmt.Sprintf("%s@example.org:{PLAIN}x:%d:%d::%s::\n", u.name, u.uid, u.gid, u.home)
	if err := os.WriteFile(users, []byte(line), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`hostname = %q
[lmtp]
listen = [%q]
timeout = "30s"
[users]
source = "passwd-file"
file = %q
domains = ["example.org"]
[mail]
location = "maildir:~/Maildir"
[state]
file = %q
`, e2eHost, "unix:"+filepath.Join(dir, "run", "lmtp"), users, filepath.Join(dir, "state", "state.db"))
	s := startServerText(t, dir, cfg)
	if codes := sendTo(t, s, "private", u.name+"@example.org"); codes[0] != 250 {
		t.Fatalf("reply %d, want 250", codes[0])
	}
	if got := messagesIn(t, filepath.Join(u.home, "Maildir"), u.uid, u.gid); len(got) != 1 {
		t.Errorf("%d messages, want 1", len(got))
	}
}
