package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
)

// TestE2EGoSMTPClient delivers one message to three recipients with
// go-smtp's LMTP client, over the unix socket and over TCP.
func TestE2EGoSMTPClient(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{TCP: true, MaxMessageSize: "2MB"})
	for _, tc := range []struct {
		network, addr, remote string
	}{
		{"unix", s.socket, "(local)"},
		{"tcp", s.tcpAddr, "(127.0.0.1:"},
	} {
		t.Run(tc.network, func(t *testing.T) {
			msg := testMessage("over "+tc.network, tc.network+"@e2e.test")
			from := "sender@example.net"
			conn, err := net.DialTimeout(tc.network, tc.addr, waitLimit)
			if err != nil {
				t.Fatal(err)
			}
			c := smtp.NewClientLMTP(conn)
			c.CommandTimeout, c.SubmissionTimeout = waitLimit, waitLimit
			defer c.Close()
			if err := c.Hello("client.e2e.test"); err != nil {
				t.Fatalf("LHLO: %v", err)
			}
			for _, ext := range []string{"PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE", "CHUNKING", "SMTPUTF8"} {
				if ok, _ := c.Extension(ext); !ok {
					t.Errorf("LHLO: %s not advertised", ext)
				}
			}
			if n, ok := c.MaxMessageSize(); !ok || n != 2000000 {
				t.Errorf("SIZE %d (%v), want 2000000", n, ok)
			}

			if err := c.Mail(from, &smtp.MailOptions{Size: int64(len(msg))}); err != nil {
				t.Fatalf("MAIL: %v", err)
			}
			if err := c.Rcpt("alice@example.org", nil); err != nil {
				t.Fatalf("RCPT alice: %v", err)
			}
			err = c.Rcpt("nobody@example.org", nil)
			var se *smtp.SMTPError
			if !errors.As(err, &se) || se.Code != 550 || se.EnhancedCode != (smtp.EnhancedCode{5, 1, 1}) {
				t.Errorf("RCPT nobody: %v, want 550 5.1.1", err)
			}
			if err := c.Rcpt("bob+lists@example.org", nil); err != nil {
				t.Fatalf("RCPT bob+lists: %v", err)
			}
			w, err := c.Data()
			if err != nil {
				t.Fatalf("DATA: %v", err)
			}
			if _, err := w.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			resp, err := w.CloseWithLMTPResponse()
			if err != nil {
				t.Fatalf("end of DATA: %v", err)
			}
			if len(resp) != 2 {
				t.Errorf("%d replies after DATA, want 2: %v", len(resp), resp)
			}
			for _, rcpt := range []string{"alice@example.org", "bob+lists@example.org"} {
				r, ok := resp[rcpt]
				if !ok || !strings.HasPrefix(r.StatusText, "2.0.0 <"+rcpt+"> ") || !strings.HasSuffix(r.StatusText, " Saved") {
					t.Errorf("reply for %s: %+v, want 250 \"2.0.0 <%s> <id> Saved\"", rcpt, r, rcpt)
				}
			}
			if err := c.Quit(); err != nil {
				t.Errorf("QUIT: %v", err)
			}

			for _, d := range []struct{ user, rcpt string }{
				{"alice", "alice@example.org"},
				{"bob", "bob+lists@example.org"},
			} {
				m := takeOne(t, s.mailDir(d.user, "example.org"))
				checkName(t, m, s.pid())
				rcvd := checkCopy(t, m, from, d.rcpt, msg)
				if !strings.Contains(rcvd, tc.remote) || !strings.Contains(rcvd, "with LMTP") {
					t.Errorf("Received %q: want %q and \"with LMTP\"", rcvd, tc.remote)
				}
			}
			if msgs := takeNew(t, s.mailDir("nobody", "example.org")); len(msgs) != 0 {
				t.Errorf("unknown recipient got %d message(s)", len(msgs))
			}
		})
	}
}

// TestE2EBDAT sends a message in two BDAT chunks (RFC 3030) to two
// recipients and expects one reply per recipient after the LAST chunk.
func TestE2EBDAT(t *testing.T) {
	t.Parallel()
	s := startServer(t, e2eConfig{})
	cv, caps := s.lhlo(t)
	if !containsLine(caps, "CHUNKING") {
		t.Fatalf("CHUNKING not advertised: %q", caps)
	}
	msg := testMessage("chunked", "bdat@e2e.test")
	from := "sender@example.net"
	cv.cmd("MAIL FROM:<"+from+"> BODY=8BITMIME", 250)
	cv.cmd("RCPT TO:<bob@example.org>", 250)
	cv.cmd("RCPT TO:<alice@example.org>", 250)
	half := len(msg) / 2
	cv.write(fmt.Sprintf("BDAT %d\r\n%s", half, msg[:half]))
	cv.expect(250)
	cv.write(fmt.Sprintf("BDAT %d LAST\r\n%s", len(msg)-half, msg[half:]))
	cv.expect(250, "<bob@example.org>", "Saved")
	cv.expect(250, "<alice@example.org>", "Saved")
	cv.cmd("QUIT", 221)

	for _, u := range []string{"bob", "alice"} {
		m := takeOne(t, s.mailDir(u, "example.org"))
		checkName(t, m, s.pid())
		checkCopy(t, m, from, u+"@example.org", msg)
	}
}

// TestE2EPythonSmtplib delivers with Python's smtplib.LMTP over the unix
// socket.
func TestE2EPythonSmtplib(t *testing.T) {
	t.Parallel()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed: skipping the smtplib.LMTP client test")
	}
	s := startServer(t, e2eConfig{})
	msg := testMessage("from python", "python@e2e.test")
	msgFile := filepath.Join(t.TempDir(), "msg.eml")
	if err := os.WriteFile(msgFile, []byte(msg), 0o600); err != nil {
		t.Fatal(err)
	}
	from := "py@example.net"
	script, err := filepath.Abs(filepath.Join("testdata", "lmtp_send.py"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, script, s.socket, from, msgFile,
		"alice@example.org", "nobody@example.org", "bob@example.org")
	cmd.WaitDelay = waitLimit
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Logf("python stderr:\n%s", ee.Stderr)
		}
		t.Fatalf("lmtp_send.py: %v\n%s", err, out)
	}
	var got map[string][2]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("lmtp_send.py output %q: %v", out, err)
	}
	want := map[string]float64{"alice@example.org": 250, "nobody@example.org": 550, "bob@example.org": 250}
	for rcpt, code := range want {
		r, ok := got[rcpt]
		if !ok || r[0] != code {
			t.Errorf("%s: reply %v, want code %v (all: %v)", rcpt, r, code, got)
		}
	}
	if text, _ := got["nobody@example.org"][1].(string); !strings.HasPrefix(text, "5.1.1 ") {
		t.Errorf("nobody: reply text %q, want 5.1.1", text)
	}
	for _, u := range []string{"alice", "bob"} {
		m := takeOne(t, s.mailDir(u, "example.org"))
		checkName(t, m, s.pid())
		checkCopy(t, m, from, u+"@example.org", msg)
	}
}

// TestE2ESwaks delivers with swaks over the unix socket to two recipients.
func TestE2ESwaks(t *testing.T) {
	t.Parallel()
	swaks, err := exec.LookPath("swaks")
	if err != nil {
		t.Skip("swaks not installed: skipping the swaks client test")
	}
	s := startServer(t, e2eConfig{})
	from := "swaks@example.net"
	cmd := exec.Command(swaks, "--protocol", "LMTP", "--socket", s.socket,
		"--helo", "swaks.e2e.test", "--from", from,
		"--to", "alice@example.org,carol+x@example.org",
		"--header", "Subject: from swaks", "--header", "Message-Id: <swaks@e2e.test>",
		"--body", "Sent by swaks.", "--timeout", "15")
	cmd.WaitDelay = waitLimit
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("swaks: %v\n%s", err, out)
	}
	transcript := string(out)
	for _, want := range []string{
		"<-  250 2.0.0 <alice@example.org> ",
		"<-  250 2.0.0 <carol+x@example.org> ",
	} {
		if !strings.Contains(transcript, want) {
			t.Errorf("swaks transcript lacks %q:\n%s", want, transcript)
		}
	}
	if i, j := strings.Index(transcript, "<alice@example.org> "), strings.Index(transcript, "<carol+x@example.org> "); i > j {
		t.Errorf("replies not in RCPT order:\n%s", transcript)
	}
	for _, d := range []struct{ user, rcpt string }{{"alice", "alice@example.org"}, {"carol", "carol+x@example.org"}} {
		m := takeOne(t, s.mailDir(d.user, "example.org"))
		checkName(t, m, s.pid())
		body := string(m.Data)
		for _, want := range []string{
			"Return-Path: <" + from + ">\n",
			"Delivered-To: <" + d.rcpt + ">\n",
			"\nSubject: from swaks\n",
			"\n\nSent by swaks.\n",
		} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: stored message lacks %q:\n%s", d.user, want, body)
			}
		}
		if strings.Contains(body, "\r") {
			t.Errorf("%s: stored message has CR characters", d.user)
		}
	}
}

func containsLine(lines []string, prefix string) bool {
	for _, l := range lines {
		if l == prefix || strings.HasPrefix(l, prefix+" ") {
			return true
		}
	}
	return false
}
