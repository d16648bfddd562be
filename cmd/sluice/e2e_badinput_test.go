package main

import (
	"bufio"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluice-mail/sluice/internal/testbin"
)

// startServerEdited starts sluice like startServer (unix socket only),
// with edit applied to the configuration text first.
func startServerEdited(t *testing.T, edit func(cfg string) string) *e2eServer {
	t.Helper()
	needBinary(t)
	dir := t.TempDir()
	s := &e2eServer{t: t, dir: dir, stderr: &testbin.SyncBuffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sluice stderr:\n%s", s.stderr.String())
		}
	})
	s.users = filepath.Join(dir, "users")
	s.writeUsers(defaultUsers...)
	s.socket = filepath.Join(dir, "run", "lmtp")
	s.cfgPath = filepath.Join(dir, "sluice.toml")
	cfg := s.config(s.cfg)
	edited := edit(cfg)
	if edited == cfg {
		t.Fatal("the configuration edit changed nothing")
	}
	s.writeConfig(edited)
	s.spawn()
	if err := s.waitReady(); err != nil {
		t.Fatalf("sluice did not start: %v", err)
	}
	t.Cleanup(s.stopAndCheck)
	return s
}

// withLMTP replaces the test configuration's timeout line with lines.
func withLMTP(lines string) func(string) string {
	return func(cfg string) string {
		return strings.Replace(cfg, "timeout = \"30s\"\n", lines+"\n", 1)
	}
}

// TestE2EBadInputLimits drives the real binary past its connection limit
// and its timeout: each client is told why it is dropped, and the
// process carries on.
func TestE2EBadInputLimits(t *testing.T) {
	s := startServerEdited(t, withLMTP("timeout = \"1s\"\nmax_connections = 2"))

	t.Run("connection limit", func(t *testing.T) {
		a, _ := s.lhlo(t)
		b, _ := s.lhlo(t)
		third := dialRaw(t, s.socket)
		third.expect(421, "4.3.2", "Too many connections")
		if r, err := third.read(); err == nil {
			t.Fatalf("connection over the limit still open: %v", r)
		}
		s.waitLog("too many connections", 1)
		a.cmd("QUIT", 221)
		b.cmd("QUIT", 221)
	})

	t.Run("idle client", func(t *testing.T) {
		cv, _ := s.lhlo(t)
		cv.expect(421, "4.4.2")
		if r, err := cv.read(); err == nil {
			t.Fatalf("idle connection still open: %v", r)
		}
		s.waitLog("connection closed: client timed out", 1)
	})

	t.Run("slow message", func(t *testing.T) {
		cv, _ := s.lhlo(t)
		cv.cmd("MAIL FROM:<s@example.net>", 250)
		cv.cmd("RCPT TO:<alice@example.org>", 250)
		cv.cmd("DATA", 354)
		// One byte every 300ms: the message never arrives within the
		// timeout, counted from the DATA command.
		go func() {
			for _, b := range []byte("Subject: slow\r\n\r\nbody\r\n.\r\n") {
				time.Sleep(300 * time.Millisecond)
				if _, err := cv.c.Write([]byte{b}); err != nil {
					return
				}
			}
		}()
		cv.expect(451, "<alice@example.org>", "4.4.2")
		cv.expect(421, "4.4.2")
		s.waitLog("message not received", 1)
		if msgs := takeNew(t, s.mailDir("alice", "example.org")); len(msgs) != 0 {
			t.Errorf("%d messages stored from a timed-out transfer", len(msgs))
		}
	})

	// Still serving.
	cv, _ := s.lhlo(t)
	cv.cmd("NOOP", 250)
}

// TestE2EBadInputMessages sends addresses and messages the real user
// database and store must refuse or survive.
func TestE2EBadInputMessages(t *testing.T) {
	s := startServer(t, e2eConfig{})
	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<s@example.net>", 250)
	cv.cmd(`RCPT TO:<"a b"@example.org>`, 501, "5.1.3")
	cv.cmd("RCPT TO:<"+strings.Repeat("a", 65)+"@example.org>", 501, "5.1.3")
	cv.cmd("RCPT TO:<alice@[127.0.0.1]>", 550, "5.1.1")
	cv.cmd("RCPT TO:<jörg@example.org>", 553, "5.6.7")
	cv.cmd("RCPT TO:<alice@example.org>", 250)
	cv.cmd("DATA", 354)
	cv.write("Subject: nul\x00 and bare\nLF\r\n\r\nbody\x00\rx\r\n.\r\n")
	cv.expect(250, "<alice@example.org>")
	if got := takeOne(t, s.mailDir("alice", "example.org")); !strings.Contains(string(got.Data), "nul\x00 and bare\nLF") {
		t.Errorf("stored message lost bytes: %q", got.Data)
	}

	cv.cmd("MAIL FROM:<s@example.net>", 250)
	cv.cmd("RCPT TO:<bob@example.org>", 250)
	cv.cmd("DATA", 354)
	go func() {
		// The server stops reading at the long line; a failed write
		// here is expected and shows in the replies below.
		_ = cv.c.SetWriteDeadline(time.Now().Add(waitLimit))
		_, _ = cv.c.Write([]byte("Subject: " + strings.Repeat("x", 100<<10) + "\r\n\r\nbody\r\n.\r\n"))
	}()
	cv.expect(554, "<bob@example.org>", "5.6.0")
	cv.expect(500, "5.4.0")
	if msgs := takeNew(t, s.mailDir("bob", "example.org")); len(msgs) != 0 {
		t.Errorf("%d messages stored from a refused transfer", len(msgs))
	}
}

// dialRaw connects without reading the greeting.
func dialRaw(t *testing.T, socket string) *lmtpConv {
	t.Helper()
	c, err := net.DialTimeout("unix", socket, waitLimit)
	if err != nil {
		t.Fatalf("dial %s: %v", socket, err)
	}
	t.Cleanup(func() { c.Close() })
	return &lmtpConv{t: t, c: c, r: bufio.NewReader(c)}
}
