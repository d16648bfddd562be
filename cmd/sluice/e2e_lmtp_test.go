package main

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	gomaildir "github.com/emersion/go-maildir"
	"github.com/emersion/go-message/textproto"
)

// lmtpConv is a raw LMTP conversation: lines out, replies in, with every
// read and write bounded by waitLimit.
type lmtpConv struct {
	t *testing.T
	c net.Conn
	r *bufio.Reader
}

// reply is one server reply; Lines are the texts after "NNN-" / "NNN ".
type reply struct {
	Code  int
	Lines []string
}

func (r reply) String() string {
	return strconv.Itoa(r.Code) + " " + strings.Join(r.Lines, " / ")
}

// dialConv connects and reads the 220 greeting.
func dialConv(t *testing.T, network, addr string) *lmtpConv {
	t.Helper()
	c, err := net.DialTimeout(network, addr, waitLimit)
	if err != nil {
		t.Fatalf("dial %s %s: %v", network, addr, err)
	}
	t.Cleanup(func() { c.Close() })
	cv := &lmtpConv{t: t, c: c, r: bufio.NewReader(c)}
	cv.expect(220, e2eHost)
	return cv
}

// lhlo dials the server's unix socket, says LHLO and returns the
// conversation and the capability lines.
func (s *e2eServer) lhlo(t *testing.T) (*lmtpConv, []string) {
	t.Helper()
	cv := dialConv(t, "unix", s.socket)
	cv.send("LHLO client.e2e.test")
	r := cv.expect(250)
	return cv, r.Lines[1:]
}

// send writes one command line (CRLF added).
func (cv *lmtpConv) send(line string) {
	cv.t.Helper()
	cv.write(line + "\r\n")
}

// write writes raw bytes.
func (cv *lmtpConv) write(raw string) {
	cv.t.Helper()
	_ = cv.c.SetWriteDeadline(time.Now().Add(waitLimit))
	if _, err := cv.c.Write([]byte(raw)); err != nil {
		cv.t.Fatalf("write: %v", err)
	}
}

// read reads one (possibly multi-line) reply.
func (cv *lmtpConv) read() (reply, error) {
	_ = cv.c.SetReadDeadline(time.Now().Add(waitLimit))
	var r reply
	for {
		line, err := cv.r.ReadString('\n')
		if err != nil {
			return r, err
		}
		line = strings.TrimRight(line, "\r\n")
		if len(line) < 4 || (line[3] != ' ' && line[3] != '-') {
			return r, errors.New("malformed reply line " + strconv.Quote(line))
		}
		code, err := strconv.Atoi(line[:3])
		if err != nil {
			return r, errors.New("malformed reply line " + strconv.Quote(line))
		}
		r.Code = code
		r.Lines = append(r.Lines, line[4:])
		if line[3] == ' ' {
			return r, nil
		}
	}
}

// expect reads one reply and checks its code and that its text contains
// each of want.
func (cv *lmtpConv) expect(code int, want ...string) reply {
	cv.t.Helper()
	r, err := cv.read()
	if err != nil {
		cv.t.Fatalf("reading reply (want %d): %v", code, err)
	}
	text := strings.Join(r.Lines, "\n")
	if r.Code != code {
		cv.t.Fatalf("reply %q, want code %d", r, code)
	}
	for _, w := range want {
		if !strings.Contains(text, w) {
			cv.t.Fatalf("reply %q does not contain %q", r, w)
		}
	}
	return r
}

// cmd sends line and expects code.
func (cv *lmtpConv) cmd(line string, code int, want ...string) reply {
	cv.t.Helper()
	cv.send(line)
	return cv.expect(code, want...)
}

// dotStuff turns a CRLF message into the DATA form (RFC 5321 section
// 4.5.2), terminator included.
func dotStuff(msg string) string {
	var b strings.Builder
	for line := range strings.Lines(msg) {
		if strings.HasPrefix(line, ".") {
			b.WriteByte('.')
		}
		b.WriteString(line)
	}
	if !strings.HasSuffix(msg, "\r\n") {
		b.WriteString("\r\n")
	}
	b.WriteString(".\r\n")
	return b.String()
}

// testMessage returns a CRLF message with a Message-ID, 8-bit text and a
// line that needs dot-stuffing.
func testMessage(subject, msgID string) string {
	return "From: Sender <sender@example.net>\r\n" +
		"To: undisclosed-recipients:;\r\n" +
		"Subject: " + subject + "\r\n" +
		"Message-ID: <" + msgID + ">\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n" +
		"\r\n" +
		"Grüße aus dem Test.\r\n" +
		".a line that starts with a dot\r\n" +
		"..and one with two\r\n" +
		"last line\r\n"
}

// storedMsg is one message taken from a Maildir's new/.
type storedMsg struct {
	Name string // unique file name as delivered into new/
	Path string
	Data []byte
}

// takeNew returns the messages in root's new/ and moves them to cur/ (so
// a later call sees only newer ones). A missing Maildir has none.
func takeNew(t *testing.T, root string) []storedMsg {
	t.Helper()
	msgs, err := gomaildir.Dir(root).Unseen()
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatalf("reading Maildir %s: %v", root, err)
	}
	var out []storedMsg
	for _, m := range msgs {
		data, err := os.ReadFile(m.Filename())
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, storedMsg{Name: m.Key(), Path: m.Filename(), Data: data})
	}
	return out
}

// takeOne expects exactly one new message in root.
func takeOne(t *testing.T, root string) storedMsg {
	t.Helper()
	msgs := takeNew(t, root)
	if len(msgs) != 1 {
		t.Fatalf("%s: %d new message(s), want 1", root, len(msgs))
	}
	return msgs[0]
}

// uniqueName matches the Maildir unique name written by sluice:
// <sec>.M<usec>P<pid>Q<n>.<host>,S=<size>,W=<crlf-size>.
var uniqueName = regexp.MustCompile(`^([0-9]+)\.M([0-9]+)P([0-9]+)Q([0-9]+)\.([^/:,]+),S=([0-9]+),W=([0-9]+)$`)

// checkName checks m's file name against the format, the process id and
// host, and S= and W= against the file's contents.
func checkName(t *testing.T, m storedMsg, pid int) {
	t.Helper()
	p := uniqueName.FindStringSubmatch(m.Name)
	if p == nil {
		t.Errorf("file name %q does not match %s", m.Name, uniqueName)
		return
	}
	if usec, _ := strconv.Atoi(p[2]); usec >= 1e6 {
		t.Errorf("file name %q: microseconds %d out of range", m.Name, usec)
	}
	if p[3] != strconv.Itoa(pid) {
		t.Errorf("file name %q: pid %s, want %d", m.Name, p[3], pid)
	}
	if p[5] != e2eHost {
		t.Errorf("file name %q: host %q, want %q", m.Name, p[5], e2eHost)
	}
	fi, err := os.Stat(m.Path)
	if err != nil {
		t.Fatal(err)
	}
	if size, _ := strconv.ParseInt(p[6], 10, 64); size != fi.Size() || size != int64(len(m.Data)) {
		t.Errorf("file name %q: S=%d, file size %d, %d bytes read", m.Name, size, fi.Size(), len(m.Data))
	}
	crlf := int64(len(m.Data) + bytes.Count(m.Data, []byte("\n")) - bytes.Count(m.Data, []byte("\r\n")))
	if w, _ := strconv.ParseInt(p[7], 10, 64); w != crlf {
		t.Errorf("file name %q: W=%d, want %d", m.Name, w, crlf)
	}
}

// checkCopy checks that m is sent (a CRLF message) with LF line endings,
// preceded by exactly the per-recipient trace fields: Return-Path with
// from, Delivered-To with rcpt as given in RCPT TO, and a Received field
// naming rcpt. It returns the Received field.
func checkCopy(t *testing.T, m storedMsg, from, rcpt, sent string) string {
	t.Helper()
	body := strings.ReplaceAll(sent, "\r\n", "\n")
	prefix, ok := strings.CutSuffix(string(m.Data), body)
	if !ok {
		t.Errorf("%s: stored message does not end with the message sent\nstored:\n%s\nsent:\n%s", m.Name, m.Data, body)
		return ""
	}
	h, err := textproto.ReadHeader(bufio.NewReader(strings.NewReader(prefix + "\n")))
	if err != nil {
		t.Errorf("%s: added header %q: %v", m.Name, prefix, err)
		return ""
	}
	if got := h.Values("Return-Path"); len(got) != 1 || got[0] != "<"+from+">" {
		t.Errorf("%s: Return-Path %q, want [<%s>]", m.Name, got, from)
	}
	if got := h.Values("Delivered-To"); len(got) != 1 || got[0] != "<"+rcpt+">" {
		t.Errorf("%s: Delivered-To %q, want [<%s>]", m.Name, got, rcpt)
	}
	got := h.Values("Received")
	if len(got) != 1 || !strings.Contains(got[0], "for <"+rcpt+">") || !strings.Contains(got[0], "by "+e2eHost) {
		t.Errorf("%s: Received %q, want one naming <%s> and %s", m.Name, got, rcpt, e2eHost)
	}
	if n := h.Len(); n != 3 {
		t.Errorf("%s: %d fields added, want 3 (Return-Path, Delivered-To, Received): %q", m.Name, n, prefix)
	}
	if len(got) == 0 {
		return ""
	}
	return got[0]
}
