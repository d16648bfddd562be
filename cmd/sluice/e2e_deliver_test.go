package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sluice-mail/sluice/internal/smtpsink"
)

// The deliver tests run the binary as an MTA would: message on stdin,
// exit status and one stderr line as the only answer.

const ldaMessage = "From: Gopher <gopher@example.com>\r\nTo: alice@example.org\r\nSubject: lda test\r\nMessage-ID: <lda-1@example.com>\r\n\r\nHello.\r\n"

// ldaRun runs the binary with args, the message on stdin and env added to
// a minimal environment.
func ldaRun(t *testing.T, bin string, env []string, cred *syscall.Credential, args ...string) (stderr string, code int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(ldaMessage)
	cmd.Env = append([]string{"PATH=/usr/bin:/bin"}, env...)
	if cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	}
	var errb bytes.Buffer
	cmd.Stderr = &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("running %s: %v", bin, err)
	}
	return errb.String(), code
}

// storedMessages returns the contents of the messages in maildir/new.
func storedMessages(t *testing.T, maildir string) []string {
	t.Helper()
	ents, _ := os.ReadDir(filepath.Join(maildir, "new"))
	var out []string
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(maildir, "new", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// oneStderrLine checks the MTA-facing contract of a failed run.
func oneStderrLine(t *testing.T, stderr, want string) {
	t.Helper()
	if strings.Count(stderr, "\n") != 1 || !strings.HasPrefix(stderr, "sluice: ") || !strings.Contains(stderr, want) {
		t.Errorf("stderr = %q, want one line containing %q", stderr, want)
	}
}

func TestE2EDeliver(t *testing.T) {
	needBinary(t)
	cfg, home := userFixture(t)
	md := filepath.Join(home, "Maildir")
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
		check  func(t *testing.T)
	}{
		{
			name: "delivered, bad sender becomes <>",
			args: []string{"-c", cfg, "-d", "alice@example.org", "-f", "not an address@@"},
			check: func(t *testing.T) {
				msgs := storedMessages(t, md)
				if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Return-Path: <>\nDelivered-To: <alice@example.org>\n") || strings.Contains(msgs[0], "\r") {
					t.Errorf("stored %q", msgs)
				}
			},
		},
		{
			name: "sender and final recipient",
			args: []string{"-c", cfg, "-d", "alice@example.org", "-f", "gopher@example.com", "-r", "alice+x@example.org", "-a", "alias@example.org"},
			check: func(t *testing.T) {
				msgs := storedMessages(t, md)
				found := false
				for _, m := range msgs {
					found = found || strings.HasPrefix(m, "Return-Path: <gopher@example.com>\nDelivered-To: <alice+x@example.org>\n")
				}
				if !found {
					t.Errorf("stored %q", msgs)
				}
			},
		},
		{name: "unknown user", args: []string{"-c", cfg, "-d", "bob@example.org"}, code: 67, stderr: "bob@example.org"},
		{name: "usage: unknown flag", args: []string{"-c", cfg, "-Z"}, code: 64, stderr: "usage"},
		{name: "usage: extra argument", args: []string{"-c", cfg, "-d", "alice@example.org", "extra"}, code: 64, stderr: "unexpected argument"},
		{name: "usage: bad -o", args: []string{"-c", cfg, "-o", "novalue"}, code: 64, stderr: "key=value"},
		{name: "config error", args: []string{"-c", cfg, "-o", "lmtp.max_recipients=many", "-d", "alice@example.org"}, code: 75, stderr: "lmtp.max_recipients"},
		{name: "missing config", args: []string{"-c", cfg + ".missing", "-d", "alice@example.org"}, code: 75, stderr: "no such file"},
		{
			name: "-m names the default mailbox",
			args: []string{"-c", cfg, "-o", "mail.autocreate=true", "-m", "Lists", "-d", "alice@example.org"},
			check: func(t *testing.T) {
				if n := len(storedMessages(t, filepath.Join(md, ".Lists"))); n != 1 {
					t.Errorf("%d messages in Lists", n)
				}
			},
		},
		{
			name: "-m of a missing mailbox falls back to INBOX",
			args: []string{"-c", cfg, "-m", "Nowhere", "-d", "alice@example.org", "-f", "fallback@example.com"},
			check: func(t *testing.T) {
				found := false
				for _, m := range storedMessages(t, md) {
					found = found || strings.HasPrefix(m, "Return-Path: <fallback@example.com>\n")
				}
				if !found {
					t.Error("not in INBOX")
				}
			},
		},
		{
			// The earlier cases left messages: alice is over a one-message
			// quota, which quota_temporary makes a retry, not a bounce.
			name: "over quota, quota_temporary",
			args: []string{"-c", cfg, "-o", "mail.quota=*:messages=1", "-o", "mail.quota_temporary=true", "-d", "alice@example.org"},
			code: 75, stderr: "alice@example.org",
		},
		{
			name: "-o overrides the mail location",
			args: []string{"-c", cfg, "-o", "mail.location=maildir:~/Other", "-d", "alice@example.org"},
			check: func(t *testing.T) {
				if n := len(storedMessages(t, filepath.Join(home, "Other"))); n != 1 {
					t.Errorf("%d messages in ~/Other", n)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stderr, code := ldaRun(t, sluiceBin, nil, nil, append([]string{"deliver"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if tt.code != 0 {
				oneStderrLine(t, stderr, tt.stderr)
			}
			if tt.check != nil {
				tt.check(t)
			}
		})
	}
}

func TestE2EDeliverUnwritableMaildir(t *testing.T) {
	needBinary(t)
	cfg, home := userFixture(t)
	// A regular file where the Maildir should be fails even for root.
	writeFile(t, filepath.Join(home, "Maildir"), "not a directory")
	stderr, code := ldaRun(t, sluiceBin, nil, nil, "deliver", "-c", cfg, "-d", "alice@example.org")
	if code != 75 {
		t.Fatalf("exit %d, want 75; stderr %q", code, stderr)
	}
	oneStderrLine(t, stderr, "alice@example.org")
}

func TestE2EDeliverHomeServer(t *testing.T) {
	needBinary(t)
	if _, err := os.Stat(defaultConfig); err == nil {
		t.Skipf("%s exists: the no-configuration mode cannot be tested here", defaultConfig)
	}
	home := t.TempDir()
	stderr, code := ldaRun(t, sluiceBin, []string{"HOME=" + home, "USER=gopher"}, nil, "deliver", "-f", "gopher@example.com")
	if code != 0 {
		t.Fatalf("exit %d; stderr %q", code, stderr)
	}
	msgs := storedMessages(t, filepath.Join(home, "Maildir"))
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "Return-Path: <gopher@example.com>\nDelivered-To: <gopher@localhost>\n") {
		t.Errorf("stored %q", msgs)
	}

	// Another user's mail must not land in the invoking user's Maildir.
	stderr, code = ldaRun(t, sluiceBin, []string{"HOME=" + home, "USER=gopher"}, nil, "deliver", "-d", "alice")
	if code != 75 {
		t.Fatalf("-d alice: exit %d, want 75; stderr %q", code, stderr)
	}
	oneStderrLine(t, stderr, "invoking user")
	if msgs := storedMessages(t, filepath.Join(home, "Maildir")); len(msgs) != 1 {
		t.Errorf("-d alice stored a message: %d in the Maildir", len(msgs))
	}
}

func TestE2EDovecotLDAAlias(t *testing.T) {
	needBinary(t)
	cfg, home := userFixture(t)
	alias := filepath.Join(t.TempDir(), "dovecot-lda")
	if err := os.Symlink(sluiceBin, alias); err != nil {
		t.Fatal(err)
	}
	stderr, code := ldaRun(t, alias, nil, nil, "-c", cfg, "-d", "alice@example.org", "-f", "gopher@example.com", "-k")
	if code != 0 {
		t.Fatalf("exit %d; stderr %q", code, stderr)
	}
	if n := len(storedMessages(t, filepath.Join(home, "Maildir"))); n != 1 {
		t.Errorf("%d messages stored", n)
	}
	stderr, code = ldaRun(t, alias, nil, nil, "-c", cfg, "-d", "nobody-here@example.org")
	if code != 67 {
		t.Errorf("unknown user through the alias: exit %d, stderr %q", code, stderr)
	}
}

// TestE2EDeliverUnprivileged runs the LDA as nobody, the way an MTA runs
// it for a user, into a home that nobody owns.
func TestE2EDeliverUnprivileged(t *testing.T) {
	needBinary(t)
	if os.Geteuid() != 0 {
		t.Skip("needs root to run the binary as nobody")
	}
	if _, err := os.Stat(defaultConfig); err == nil {
		t.Skipf("%s exists", defaultConfig)
	}
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skip("no user nobody")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	base := t.TempDir()
	// t.TempDir's parent and the directory itself are private to root.
	for _, d := range []string{filepath.Dir(base), base} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// The binary itself must be reachable by nobody.
	bin := filepath.Join(base, "sluice")
	data, err := os.ReadFile(sluiceBin)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	home := filepath.Join(base, "home")
	if err := os.Mkdir(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(home, uid, gid); err != nil {
		t.Fatal(err)
	}
	cred := &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
	stderr, code := ldaRun(t, bin, []string{"HOME=" + home, "USER=nobody"}, cred, "deliver", "-f", "gopher@example.com")
	if code != 0 {
		t.Fatalf("exit %d; stderr %q", code, stderr)
	}
	ents, err := os.ReadDir(filepath.Join(home, "Maildir", "new"))
	if err != nil || len(ents) != 1 {
		t.Fatalf("%d messages, %v", len(ents), err)
	}
	fi, err := os.Stat(filepath.Join(home, "Maildir", "new", ents[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != uid {
		t.Errorf("message owned by uid %d, want %d", st.Uid, uid)
	}
	// Into a home it cannot write: a temporary failure, one line.
	ro := filepath.Join(base, "rohome")
	if err := os.Mkdir(ro, 0o755); err != nil {
		t.Fatal(err)
	}
	stderr, code = ldaRun(t, bin, []string{"HOME=" + ro, "USER=nobody"}, cred, "deliver")
	if code != 75 {
		t.Errorf("unwritable home: exit %d, want 75; stderr %q", code, stderr)
	}
	oneStderrLine(t, stderr, "nobody@localhost")
}

// TestE2EDeliverReject covers a Sieve reject: with -e the reason goes to
// stderr and the exit is 77. It needs the agent built by buildRuntime to run
// Sieve scripts, and skips while it only keeps.
func TestE2EDeliverReject(t *testing.T) {
	needBinary(t)
	cfg, home := userFixture(t)
	writeFile(t, filepath.Join(home, ".dovecot.sieve"), "require \"reject\";\nreject \"No thanks.\";\n")
	stderr, code := ldaRun(t, sluiceBin, nil, nil, "deliver", "-c", cfg, "-d", "alice@example.org", "-f", "gopher@example.com", "-e")
	if code == 0 && len(storedMessages(t, filepath.Join(home, "Maildir"))) == 1 {
		t.Skip("the agent of this build does not run Sieve scripts")
	}
	if code != 77 {
		t.Fatalf("exit %d, want 77; stderr %q", code, stderr)
	}
	oneStderrLine(t, stderr, "No thanks.")
}

// TestE2EDeliverRejectNotice: without -e, the rejection notice goes to
// the sender through the configured [outbound] relay, as everything
// sluice sends does.
func TestE2EDeliverRejectNotice(t *testing.T) {
	needBinary(t)
	cfg, home := userFixture(t)
	sink := smtpsink.Start(t)
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, cfg, string(text)+"[outbound]\nrelay = \""+sink.Addr()+"\"\n")
	writeFile(t, filepath.Join(home, ".dovecot.sieve"), "require \"reject\";\nreject \"No thanks.\";\n")
	stderr, code := ldaRun(t, sluiceBin, nil, nil, "deliver", "-c", cfg, "-d", "alice@example.org", "-f", "gopher@example.com")
	if code != 0 {
		t.Fatalf("exit %d, want 0; stderr %q", code, stderr)
	}
	got, ok := sink.WaitFor(1, waitLimit)
	if !ok {
		t.Fatal("the relay got no rejection notice")
	}
	if m := got[0]; len(m.To) != 1 || m.To[0] != "gopher@example.com" || !strings.Contains(string(m.Data), "No thanks.") {
		t.Errorf("notice %q -> %v:\n%s", m.From, m.To, m.Data)
	}
}
