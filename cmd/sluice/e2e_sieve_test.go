package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/smtpsink"
)

// startSieveServer starts sluice with users that have homes under the
// test directory, then switches it (by SIGHUP) to a configuration whose
// state file is in the test directory and whose outgoing relay is sink.
func startSieveServer(t *testing.T, sink *smtpsink.Sink) *e2eServer {
	t.Helper()
	s := startServer(t, e2eConfig{})
	var users []string
	for _, u := range []string{"alice", "bob"} {
		home := filepath.Join(s.dir, "home", u)
		if err := os.MkdirAll(home, 0o700); err != nil {
			t.Fatal(err)
		}
		users = append(users, fmt.Sprintf("%s@example.org:::::%s::", u, home))
	}
	s.writeUsers(users...)
	extra := fmt.Sprintf(`
[sieve]
reject = "protocol"

[outbound]
relay = %q
timeout = "10s"

[state]
file = %q
`, sink.Addr(), filepath.Join(s.dir, "state.db"))
	s.writeConfig(s.config(s.cfg) + extra)
	s.signal(syscall.SIGHUP)
	s.waitLog("configuration reloaded", 1)
	return s
}

func (s *e2eServer) home(user string) string { return filepath.Join(s.dir, "home", user) }

// sieveDeliver sends msg to rcpt and expects code with want in the reply.
func sieveDeliver(t *testing.T, s *e2eServer, rcpt, msg string, code int, want ...string) {
	t.Helper()
	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<sender@example.net>", 250)
	cv.cmd("RCPT TO:<"+rcpt+">", 250)
	cv.cmd("DATA", 354)
	cv.write(dotStuff(msg))
	cv.expect(code, want...)
	cv.cmd("QUIT", 221)
}

func TestE2ESieve(t *testing.T) {
	sink := smtpsink.Start(t)
	s := startSieveServer(t, sink)
	mail := s.mailDir("alice", "example.org")

	t.Run("fileinto with a flag", func(t *testing.T) {
		writeFileAtomic(t, filepath.Join(s.home("alice"), ".dovecot.sieve"),
			"require [\"fileinto\", \"mailbox\", \"imap4flags\"];\nfileinto :create :flags \"\\\\Flagged\" \"Work\";\n")
		sieveDeliver(t, s, "alice@example.org", testMessage("filed", "<e2e-filed@example.net>"), 250, "Saved")
		files, _ := filepath.Glob(filepath.Join(mail, ".Work", "cur", "*:2,F"))
		if len(files) != 1 {
			t.Fatalf("files in .Work/cur with :2,F: %v", files)
		}
		s.waitLog(`fileinto \"Work\" (.dovecot.sieve:2)`, 1)
	})

	t.Run("reject", func(t *testing.T) {
		writeFileAtomic(t, filepath.Join(s.home("alice"), ".dovecot.sieve"), "require \"reject\";\nreject \"Not wanted here\";\n")
		sieveDeliver(t, s, "alice@example.org", testMessage("rejected", "<e2e-rejected@example.net>"), 550, "5.7.1", "Not wanted here")
	})

	t.Run("compile error", func(t *testing.T) {
		writeFileAtomic(t, filepath.Join(s.home("alice"), ".dovecot.sieve"), "require \"fileinto\";\nfileinto \"X\"\nkeep;\n")
		takeNew(t, mail) // start from nothing new
		sieveDeliver(t, s, "alice@example.org", testMessage("broken", "<e2e-broken@example.net>"), 250, "Saved")
		takeOne(t, mail) // INBOX
		var log []byte
		deadline := time.Now().Add(waitLimit)
		for {
			log, _ = os.ReadFile(filepath.Join(s.home("alice"), ".dovecot.sieve.log"))
			if len(log) > 0 || time.Now().After(deadline) {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if !strings.Contains(string(log), ".dovecot.sieve:2:1") {
			t.Errorf("user log %q: want the error's line and column", log)
		}
		s.waitLog("sieve: script failed, keeping message", 1)
	})

	t.Run("redirect", func(t *testing.T) {
		writeFileAtomic(t, filepath.Join(s.home("bob"), ".dovecot.sieve"), "redirect \"elsewhere@example.net\";\n")
		sieveDeliver(t, s, "bob@example.org", testMessage("forwarded", "<e2e-forwarded@example.net>"), 250, "Saved")
		got, ok := sink.WaitFor(1, waitLimit)
		if !ok {
			t.Fatal("the relay got nothing")
		}
		m := got[0]
		if m.From != "sender@example.net" || len(m.To) != 1 || m.To[0] != "elsewhere@example.net" ||
			!strings.Contains(string(m.Data), "X-Sieve-Redirected-From: <bob@example.org>") {
			t.Errorf("forwarded %q -> %v:\n%s", m.From, m.To, m.Data)
		}
		if n := len(takeNew(t, s.mailDir("bob", "example.org"))); n != 0 {
			t.Errorf("bob kept %d copies, want 0", n)
		}
	})
}
