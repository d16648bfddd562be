package main

import (
	"bytes"
	"fmt"
	"strings"
)

// class is one kind of benchmark message. The script in
// testdata/user.sieve files every class into Folder with Flags; the
// verifier checks exactly that.
type class struct {
	Name     string
	EnvFrom  string // envelope sender (MAIL FROM)
	Headers  string // header fields specific to the class, CRLF-terminated
	Folder   string // Maildir++ folder without the leading dot; "" is INBOX
	Flags    string // Maildir info flags, sorted ("" when none)
	Subject  string
	FromAddr string
}

// classes is the corpus. Message n of a run belongs to classes[n%len].
var classes = []class{
	{Name: "list", EnvFrom: "golang-nuts-bounces@lists.example.org", FromAddr: "Gopher <gopher@example.net>",
		Subject: "Re: generics and iterators", Headers: "List-Id: Go Nuts <golang-nuts.lists.example.org>\r\n",
		Folder: "Lists.golang-nuts"},
	{Name: "list-lower", EnvFrom: "announce-bounces@lists.example.org", FromAddr: "Release Team <release@example.net>",
		Subject: "Release 1.2 is out", Headers: "List-Id: Announcements <Announce.lists.example.org>\r\n",
		Folder: "Lists.announce"},
	{Name: "spam", EnvFrom: "winner@lottery.example", FromAddr: "Lottery <winner@lottery.example>",
		Subject: "You have won", Headers: "X-Spam-Flag: YES\r\nX-Spam-Score: 12.5\r\n",
		Folder: "Junk", Flags: "S"},
	{Name: "invoice", EnvFrom: "invoices@billing.example.com", FromAddr: "Billing <noreply@example.com>",
		Subject: "Your invoice for May", Folder: "Receipts", Flags: "S"},
	{Name: "alert", EnvFrom: "monitor@ops.example.org", FromAddr: "Monitor <monitor@ops.example.org>",
		Subject: "[alert] disk full on db1", Folder: "Alerts", Flags: "FS"},
	{Name: "family", EnvFrom: "mom@family.example.net", FromAddr: "Mom <mom@family.example.net>",
		Subject: "Sunday lunch", Folder: "Family"},
	{Name: "project", EnvFrom: "carol@example.org", FromAddr: "Carol <carol@example.org>",
		Subject: "Minutes", Headers: "Cc: Secret <secret-project@example.org>\r\n", Folder: "Projects"},
	{Name: "boss", EnvFrom: "boss@example.org", FromAddr: "The Boss <boss@example.org>",
		Subject: "Quarterly numbers", Folder: "", Flags: "F"},
	{Name: "plain", EnvFrom: "dave@example.net", FromAddr: "Dave <dave@example.net>",
		Subject: "Hello", Folder: ""},
}

// folders lists every Maildir++ folder the corpus files into, besides
// INBOX. They are created before each run so that neither server depends
// on mailbox auto-creation (sluice's Sieve has no :create).
func folders() []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range classes {
		if c.Folder != "" && !seen[c.Folder] {
			seen[c.Folder] = true
			out = append(out, c.Folder)
		}
	}
	return out
}

// expect is where one message must be found in every recipient's Maildir.
type expect struct {
	Folder string
	Flags  string
}

// msgSpec describes one generated message.
type msgSpec struct {
	ID      string // X-Bench-Id, unique within a run
	Class   class
	Rcpts   []string
	Size    int // approximate total size in bytes
	EnvFrom string
}

// newSpec returns the spec of message n sent by session s of a run.
func newSpec(session, n int, rcpts []string, size int) msgSpec {
	c := classes[(session*7+n)%len(classes)]
	return msgSpec{
		ID:      fmt.Sprintf("s%d-m%d", session, n),
		Class:   c,
		Rcpts:   rcpts,
		Size:    size,
		EnvFrom: c.EnvFrom,
	}
}

func (m msgSpec) expect() expect { return expect{Folder: m.Class.Folder, Flags: m.Class.Flags} }

// fillerLine is one 78-octet body line (76 characters and CRLF).
const fillerLine = "The quick brown fox jumps over the lazy dog while the mail keeps flowing 0123\r\n"

// render writes the message: a header like a real one, then body lines up
// to Size. The output is deterministic for a given spec.
func (m msgSpec) render() []byte {
	var b bytes.Buffer
	b.Grow(m.Size + 1024)
	c := m.Class
	fmt.Fprintf(&b, "Received: from mx.example.net (mx.example.net [192.0.2.25])\r\n\tby mail.example.org with ESMTPS id %s; Mon, 2 Jun 2025 10:00:00 +0000\r\n", m.ID)
	fmt.Fprintf(&b, "From: %s\r\n", c.FromAddr)
	fmt.Fprintf(&b, "To: %s\r\n", strings.Join(m.Rcpts, ", "))
	fmt.Fprintf(&b, "Subject: %s\r\n", c.Subject)
	b.WriteString("Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n")
	fmt.Fprintf(&b, "Message-ID: <%s.bench@example.net>\r\n", m.ID)
	fmt.Fprintf(&b, "X-Bench-Id: %s\r\n", m.ID)
	b.WriteString(c.Headers)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n")
	for b.Len()+len(fillerLine) <= m.Size {
		b.WriteString(fillerLine)
	}
	b.WriteString("-- \r\nsent by the sluice benchmark\r\n")
	return b.Bytes()
}
