package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/testbin"
)

// TestE2EReload checks that a passwd-file edit is picked up without a
// signal, that SIGHUP with a broken configuration keeps the running one,
// and that SIGHUP with a good one switches to its mail location.
func TestE2EReload(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{Users: []string{"alice@example.org::::::"}})

	// The passwd-file is read again when it changes (it is stat'ed at
	// most once a second), with no SIGHUP.
	s.writeUsers("alice@example.org::::::", "dave@example.org::::::")
	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<sender@example.net>", 250)
	deadline := time.Now().Add(waitLimit)
	for {
		cv.send("RCPT TO:<dave@example.org>")
		r, err := cv.read()
		if err != nil {
			t.Fatal(err)
		}
		if r.Code == 250 {
			break
		}
		if r.Code != 550 || time.Now().After(deadline) {
			t.Fatalf("RCPT dave after adding him: %q", r)
		}
		time.Sleep(50 * time.Millisecond)
	}
	msg := testMessage("dave", "dave@e2e.test")
	cv.cmd("DATA", 354)
	cv.write(dotStuff(msg))
	cv.expect(250, "<dave@example.org>", "Saved")
	cv.cmd("QUIT", 221)
	takeOne(t, s.mailDir("dave", "example.org"))

	// A broken configuration: the running one stays.
	good := s.config(s.cfg)
	s.writeConfig(good + "\n[lmtp\n")
	s.signal(syscall.SIGHUP)
	s.waitLog("reload failed", 1)
	deliver(t, s, "alice@example.org", testMessage("after bad reload", "bad@e2e.test"))
	takeOne(t, s.mailDir("alice", "example.org"))
	if strings.Contains(s.stderr.String(), "configuration reloaded") {
		t.Errorf("broken configuration reported as reloaded")
	}

	// A good one with another mail location.
	other := filepath.Join(s.dir, "mail2")
	c := s.cfg
	c.Location = "maildir:" + other + "/%n"
	s.writeConfig(s.config(c))
	s.signal(syscall.SIGHUP)
	s.waitLog("configuration reloaded", 1)
	msg = testMessage("after good reload", "good@e2e.test")
	deliver(t, s, "alice@example.org", msg)
	m := takeOne(t, filepath.Join(other, "alice"))
	checkName(t, m, s.pid())
	checkCopy(t, m, "sender@example.net", "alice@example.org", msg)
	if msgs := takeNew(t, s.mailDir("alice", "example.org")); len(msgs) != 0 {
		t.Errorf("old location got %d message(s) after the reload", len(msgs))
	}
}

// TestE2EGracefulStop sends SIGTERM in the middle of a message: the
// transaction still completes and is stored, an idle connection is told
// 421, and the process exits 0.
func TestE2EGracefulStop(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{})
	idle, _ := s.lhlo(t)

	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<sender@example.net>", 250)
	cv.cmd("RCPT TO:<alice@example.org>", 250)
	cv.cmd("RCPT TO:<bob@example.org>", 250)
	cv.cmd("DATA", 354)
	msg := testMessage("interrupted", "term@e2e.test")
	data := dotStuff(msg)
	half := len(data) / 2
	cv.write(data[:half])

	s.signal(syscall.SIGTERM)
	s.waitLog("shutting down", 1)
	// RFC 5321 section 3.8: a server going away says 421 to an idle client.
	idle.expect(421, "4.3.2")

	cv.write(data[half:])
	cv.expect(250, "<alice@example.org>", "Saved")
	cv.expect(250, "<bob@example.org>", "Saved")
	// The connection is closed after the transaction, possibly with a 421.
	if r, err := cv.read(); err == nil && r.Code != 421 {
		t.Errorf("after the transaction: %q, want 421 or the connection closed", r)
	}

	if code := s.wait(); code != 0 {
		t.Errorf("exit status %d after SIGTERM, want 0", code)
	}
	for _, u := range []string{"alice", "bob"} {
		m := takeOne(t, s.mailDir(u, "example.org"))
		checkCopy(t, m, "sender@example.net", u+"@example.org", msg)
	}
	if _, err := os.Lstat(s.socket); !os.IsNotExist(err) {
		t.Errorf("socket %s left behind after exit: %v", s.socket, err)
	}
}

// TestE2EUnixSocket checks the unix socket's life: a stale socket file is
// replaced, a second server on a socket in use exits with an error and
// leaves the first one working, and a regular file at the path is refused.
func TestE2EUnixSocket(t *testing.T) {
	t.Parallel()
	needBinary(t)
	dir := t.TempDir()
	sock := filepath.Join(dir, "lmtp")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if fi, err := os.Lstat(sock); err != nil || fi.Mode().Type() != os.ModeSocket {
		t.Fatalf("stale socket not left at %s: %v", sock, err)
	}

	s := startServer(t, e2eConfig{Socket: sock})
	deliver(t, s, "alice@example.org", testMessage("stale socket", "stale@e2e.test"))
	takeOne(t, s.mailDir("alice", "example.org"))

	// A second server on the same socket.
	out, code := runServeOnce(t, s.configFor(e2eConfig{}, sock, ""))
	if code == 0 || !strings.Contains(out, "already in use") {
		t.Errorf("second server: exit %d, stderr %q; want non-zero and \"already in use\"", code, out)
	}
	deliver(t, s, "bob@example.org", testMessage("still there", "still@e2e.test"))
	takeOne(t, s.mailDir("bob", "example.org"))

	// A regular file where the socket should be.
	file := filepath.Join(t.TempDir(), "notasocket")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	out, code = runServeOnce(t, s.configFor(e2eConfig{}, file, ""))
	if code == 0 || !strings.Contains(out, "not a socket") {
		t.Errorf("server on a regular file: exit %d, stderr %q; want non-zero and \"not a socket\"", code, out)
	}
	if fi, err := os.Lstat(file); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("regular file at the socket path was replaced: %v", err)
	}
}

// runServeOnce runs sluice serve with config text and expects it to exit
// by itself; it returns stderr and the exit code.
func runServeOnce(t *testing.T, config string) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "second.toml")
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, sluiceBin, "serve", "-c", path)
	var stderr testbin.SyncBuffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("sluice serve did not exit within %v: %v\n%s", waitLimit, err, stderr.String())
	}
	return stderr.String(), cmd.ProcessState.ExitCode()
}
