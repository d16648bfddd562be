package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestE2ESMTPUTF8 delivers to a UTF-8 local part with MAIL ... SMTPUTF8
// (RFC 6531).
func TestE2ESMTPUTF8(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{})
	cv, caps := s.lhlo(t)
	if !containsLine(caps, "SMTPUTF8") {
		t.Fatalf("SMTPUTF8 not advertised: %q", caps)
	}
	from := "zoë@bücher.example"
	rcpt := "jörg@example.org"
	msg := "From: Zoë <" + from + ">\r\nTo: Jörg <" + rcpt + ">\r\nSubject: Grüße\r\n" +
		"Message-ID: <utf8@e2e.test>\r\n\r\nHallo Jörg!\r\n"
	cv.cmd("MAIL FROM:<"+from+"> SMTPUTF8 BODY=8BITMIME", 250)
	cv.cmd("RCPT TO:<"+rcpt+">", 250)
	cv.cmd("DATA", 354)
	cv.write(dotStuff(msg))
	cv.expect(250, "<"+rcpt+">", "Saved")
	cv.cmd("QUIT", 221)

	m := takeOne(t, s.mailDir("jörg", "example.org"))
	checkName(t, m, s.pid())
	rcvd := checkCopy(t, m, from, rcpt, msg)
	// RFC 6531 section 3.7.3: the protocol type for a UTF-8 transaction.
	if !strings.Contains(rcvd, "with UTF8LMTP") {
		t.Errorf("Received %q: want \"with UTF8LMTP\"", rcvd)
	}
}

// TestE2EMessageSize checks lmtp.max_message_size: announced as SIZE,
// refused at MAIL when SIZE= says more, and refused after DATA and BDAT
// when the message is larger (RFC 1870; 552 5.3.4, RFC 3463).
func TestE2EMessageSize(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{MaxMessageSize: "10KB"})
	big := testMessage("too big", "big@e2e.test") + strings.Repeat(strings.Repeat("x", 78)+"\r\n", 250)
	if len(big) < 20000 {
		t.Fatalf("test message is %d bytes, want at least 20000", len(big))
	}

	t.Run("SIZE", func(t *testing.T) {
		cv, caps := s.lhlo(t)
		if !containsLine(caps, "SIZE 10000") {
			t.Errorf("capabilities %q, want SIZE 10000", caps)
		}
		cv.cmd("QUIT", 221)
	})
	t.Run("MAIL SIZE=", func(t *testing.T) {
		cv, _ := s.lhlo(t)
		cv.send(fmt.Sprintf("MAIL FROM:<sender@example.net> SIZE=%d", len(big)))
		r, err := cv.read()
		if err != nil {
			t.Fatal(err)
		}
		if r.Code != 552 || !strings.HasPrefix(r.Lines[0], "5.3.4 ") {
			t.Errorf("MAIL with SIZE=%d: %q, want 552 5.3.4", len(big), r)
		}
		// The session goes on: a message within the limit is taken.
		small := testMessage("small", "small@e2e.test")
		cv.cmd(fmt.Sprintf("MAIL FROM:<sender@example.net> SIZE=%d", len(small)), 250)
		cv.cmd("RCPT TO:<bob@example.org>", 250)
		cv.cmd("DATA", 354)
		cv.write(dotStuff(small))
		cv.expect(250, "<bob@example.org>", "Saved")
		m := takeOne(t, s.mailDir("bob", "example.org"))
		checkCopy(t, m, "sender@example.net", "bob@example.org", small)
	})
	t.Run("DATA", func(t *testing.T) {
		cv, _ := s.lhlo(t)
		cv.cmd("MAIL FROM:<sender@example.net>", 250)
		cv.cmd("RCPT TO:<alice@example.org>", 250)
		cv.cmd("RCPT TO:<carol@example.org>", 250)
		cv.cmd("DATA", 354)
		cv.write(dotStuff(big))
		// One reply per recipient, even for a failure of the whole
		// message (RFC 2033 section 4.2).
		cv.expect(552, "5.3.4")
		cv.expect(552, "5.3.4")
		cv.cmd("NOOP", 250)
		for _, u := range []string{"alice", "carol"} {
			if msgs := takeNew(t, s.mailDir(u, "example.org")); len(msgs) != 0 {
				t.Errorf("%s: %d message(s) stored, want none", u, len(msgs))
			}
		}
	})
	t.Run("BDAT", func(t *testing.T) {
		cv, _ := s.lhlo(t)
		cv.cmd("MAIL FROM:<sender@example.net>", 250)
		cv.cmd("RCPT TO:<alice@example.org>", 250)
		cv.write(fmt.Sprintf("BDAT %d LAST\r\n%s", len(big), big))
		cv.expect(552, "5.3.4")
		cv.cmd("NOOP", 250)
		if msgs := takeNew(t, s.mailDir("alice", "example.org")); len(msgs) != 0 {
			t.Errorf("alice: %d message(s) stored, want none", len(msgs))
		}
	})
}

// TestE2EMixedOutcomes delivers one message to three recipients of which
// the second cannot be written to: it alone gets a temporary failure, and
// the replies come in RCPT order (RFC 2033 section 4.2).
func TestE2EMixedOutcomes(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{})
	carol := s.mailDir("carol", "example.org")
	if os.Geteuid() == 0 {
		// root ignores permissions: a regular file where carol's Maildir
		// should be fails for root too.
		if err := os.MkdirAll(filepath.Dir(carol), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(carol, []byte("not a Maildir\n"), 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		// A first delivery creates carol's Maildir; then its new/ is made
		// read-only.
		deliver(t, s, "carol@example.org", testMessage("first", "first@e2e.test"))
		takeOne(t, carol)
		newDir := filepath.Join(carol, "new")
		if err := os.Chmod(newDir, 0o500); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(newDir, 0o700) })
	}

	msg := testMessage("mixed", "mixed@e2e.test")
	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<sender@example.net>", 250)
	cv.cmd("RCPT TO:<alice@example.org>", 250)
	cv.cmd("RCPT TO:<carol@example.org>", 250)
	cv.cmd("RCPT TO:<bob@example.org>", 250)
	cv.cmd("DATA", 354)
	cv.write(dotStuff(msg))
	cv.expect(250, "<alice@example.org>", "Saved")
	r, err := cv.read()
	if err != nil {
		t.Fatal(err)
	}
	if r.Code/100 != 4 || !strings.Contains(r.Lines[0], "<carol@example.org>") {
		t.Errorf("carol: %q, want a 4xx reply naming <carol@example.org>", r)
	}
	t.Logf("carol: %s", r)
	cv.expect(250, "<bob@example.org>", "Saved")
	cv.cmd("QUIT", 221)

	for _, u := range []string{"alice", "bob"} {
		m := takeOne(t, s.mailDir(u, "example.org"))
		checkCopy(t, m, "sender@example.net", u+"@example.org", msg)
	}
	if os.Geteuid() != 0 {
		if err := os.Chmod(filepath.Join(carol, "new"), 0o700); err != nil {
			t.Fatal(err)
		}
		if msgs := takeNew(t, carol); len(msgs) != 0 {
			t.Errorf("carol: %d message(s) stored, want none", len(msgs))
		}
	}
	lines := s.waitLog("rcpt=carol@example.org", 1)
	if last := lines[len(lines)-1]; !strings.Contains(last, "level=WARN") || !strings.Contains(last, "error=") {
		t.Errorf("carol's delivery log line %q: want level=WARN with an error", last)
	}
}

// deliver sends msg to one recipient over the unix socket and expects it
// to be saved.
func deliver(t *testing.T, s *e2eServer, rcpt, msg string) {
	t.Helper()
	cv, _ := s.lhlo(t)
	cv.cmd("MAIL FROM:<sender@example.net>", 250)
	cv.cmd("RCPT TO:<"+rcpt+">", 250)
	cv.cmd("DATA", 354)
	cv.write(dotStuff(msg))
	cv.expect(250, "<"+rcpt+">", "Saved")
	cv.cmd("QUIT", 221)
}
