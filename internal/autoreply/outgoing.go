package autoreply

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"strings"
	"time"
	"unicode/utf8"
)

// Outgoing is a built message and the envelope to submit it with.
type Outgoing struct {
	// MailFrom is the SMTP reverse-path; "" is the null sender.
	MailFrom string
	// RcptTo are the SMTP forward-paths.
	RcptTo []string
	// Data is the complete RFC 5322 message with CRLF line endings.
	Data []byte
	// Warnings are problems worked around while building (for example an
	// invalid :from replaced by the recipient, wrapping ErrInvalidFrom).
	// The caller logs them; the message is still fit to send.
	Warnings []error
}

// BuildOptions are the parts of a built message that come from the
// environment rather than from the script. The zero value is usable.
type BuildOptions struct {
	// Now returns the Date of the message; default time.Now.
	Now func() time.Time
	// Hostname is the right-hand side of generated Message-IDs and the
	// Reporting-UA host; default os.Hostname, else "localhost".
	Hostname string
	// NewID returns the unique left-hand side of a Message-ID; default 20
	// random characters. It also seeds MIME boundaries.
	NewID func() string
	// ReturnPath is the envelope sender of the built message. The default
	// "" is the null reverse-path that RFC 3834 §3.3 recommends for
	// automatic responses; a caller may set the recipient's address instead.
	// BuildRejection always uses the null sender.
	ReturnPath string
	// Postmaster is the From address of rejection notices; default
	// "postmaster@" the recipient's domain.
	Postmaster string
	// UserAgent names the software in Reporting-UA and in the X-Sieve
	// field of notifications; default "sluice".
	UserAgent string
	// MaxSubjectRunes bounds a generated Subject (an ellipsis marks the
	// cut); default 256, as Dovecot's sieve_vacation_max_subject_codepoints.
	MaxSubjectRunes int
	// DefaultSubject is the Subject of a vacation reply without :subject
	// to a message without a Subject; default "Automated reply"
	// (Pigeonhole's sieve_vacation_default_subject).
	DefaultSubject string
	// DefaultSubjectTemplate makes the Subject of a vacation reply
	// without :subject to a message with one; "%$" and "%{subject}" stand
	// for the original subject and "%%" for "%". Default "Auto: %$"
	// (Pigeonhole's sieve_vacation_default_subject_template).
	DefaultSubjectTemplate string
	// ToHeaderIgnoreEnvelope makes the To of a vacation reply the first
	// address of the original's Sender, Resent-From or From field even
	// when it is not the envelope sender the reply goes to (Pigeonhole's
	// sieve_vacation_to_header_ignore_envelope), for senders rewritten by
	// SRS or a list. By default To names the envelope sender.
	ToHeaderIgnoreEnvelope bool
	// SevenBit forces quoted-printable for non-ASCII text bodies, for a
	// submission path without 8BITMIME. By default such text is sent 8bit.
	SevenBit bool
	// IncludeFullMessage makes a rejection notice carry the whole original
	// (message/rfc822) when its body was given to NewOriginal; by default
	// only the header is returned (text/rfc822-headers).
	IncludeFullMessage bool
}

func (b BuildOptions) now() time.Time {
	if b.Now != nil {
		return b.Now()
	}
	return time.Now()
}

func (b BuildOptions) hostname() string {
	if b.Hostname != "" {
		return b.Hostname
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

func (b BuildOptions) newID() string {
	if b.NewID != nil {
		return b.NewID()
	}
	var buf [12]byte
	_, _ = rand.Read(buf[:]) // crypto/rand.Read never fails (Go 1.24+)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(buf[:]))
}

func (b BuildOptions) maxSubject() int {
	if b.MaxSubjectRunes > 0 {
		return b.MaxSubjectRunes
	}
	return 256
}

func (b BuildOptions) userAgent() string {
	if b.UserAgent != "" {
		return b.UserAgent
	}
	return "sluice"
}

// xSieve is the value of the X-Sieve field naming the implementation in
// notifications (UserAgent), as Pigeonhole adds one.
func (b BuildOptions) xSieve() string { return b.userAgent() }

// msgBuilder accumulates header fields and a body.
type msgBuilder struct {
	buf bytes.Buffer
}

// field writes one header field, folding the value at white space so that
// lines stay near 78 octets and always under 998 (RFC 5322 §2.1.1). The
// value must already be 7-bit (encoded) or acceptable UTF-8 (RFC 6532). A
// word too long for any line (only from hostile input) is split, which
// adds a space to the value but keeps the message well-formed.
func (m *msgBuilder) field(name, value string) {
	line, empty := name+":", true
	for _, w := range strings.Fields(value) {
		for len(w) > maxWord {
			m.field1(&line, &empty, w[:maxWord])
			w = w[maxWord:]
		}
		m.field1(&line, &empty, w)
	}
	m.buf.WriteString(line)
	m.buf.WriteString("\r\n")
}

// maxWord is the longest unbroken run written on one header line.
const maxWord = 900

func (m *msgBuilder) field1(line *string, empty *bool, w string) {
	if !*empty && len(*line)+1+len(w) > 78 {
		m.buf.WriteString(*line)
		m.buf.WriteString("\r\n")
		*line = ""
	}
	*line += " " + w
	*empty = false
}

func (m *msgBuilder) body(b []byte) {
	m.buf.WriteString("\r\n")
	m.buf.Write(b)
}

// date formats t for the Date field (RFC 5322 §3.3).
func date(t time.Time) string { return t.Format("Mon, 02 Jan 2006 15:04:05 -0700") }

// encodeText returns s as a header value: unchanged when it is printable
// ASCII, otherwise as RFC 2047 encoded words in UTF-8 — B encoding when most
// characters are not ASCII (shorter for CJK), Q encoding otherwise.
func encodeText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	ascii := 0
	n := 0
	for _, r := range s {
		n++
		if r < utf8.RuneSelf {
			ascii++
		}
	}
	if ascii*2 >= n {
		return mime.QEncoding.Encode("utf-8", s)
	}
	return mime.BEncoding.Encode("utf-8", s)
}

// oneLine turns text into a single header-safe line: control characters
// become spaces and runs of white space collapse.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// truncateRunes cuts s to at most max runes, ending with "…" when cut.
func truncateRunes(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:max-1]), " ") + "…"
}

// formatAddress formats a mailbox for a header field; net/mail encodes a
// non-ASCII display name with RFC 2047.
// A display name longer than maxNameRunes is shortened: it only has to be
// recognisable, and it must fit a header line.
func formatAddress(a *mail.Address) string {
	b := *a
	b.Name = truncateRunes(oneLine(b.Name), maxNameRunes)
	return b.String()
}

const maxNameRunes = 200

// formatGiven formats a mailbox a script gave (:from) as Pigeonhole writes
// it: a bare addr-spec stays bare ("From: addr"), a name-addr or angle-addr
// keeps its angle brackets. a is the parse of raw.
func formatGiven(raw string, a *mail.Address) string {
	s := formatAddress(a)
	if a.Name == "" && !strings.Contains(raw, "<") {
		s = strings.TrimSuffix(strings.TrimPrefix(s, "<"), ">")
	}
	return s
}

// textBody prepares text for a text/plain part: line endings (bare CR
// included) become CRLF, a final line break is added, and the transfer
// encoding is chosen — 7bit for short ASCII lines, 8bit for short UTF-8
// lines (unless sevenBit), and quoted-printable when a line exceeds 998
// octets (RFC 5322 §2.1.1), the text holds NUL, or 8bit is not allowed.
func textBody(s string, sevenBit bool) (cte string, body []byte) {
	s = strings.ToValidUTF8(s, "\uFFFD")
	// Every line ending, a bare CR included, becomes one LF here and CRLF
	// on the wire. A bare CR left in would also trip Go's quoted-printable
	// writer, which then takes the next LF, however far, for the end of a
	// CRLF it already wrote, and drops the message's final line break.
	s = toLF(s)
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	ascii, long, odd := true, false, false
	for _, line := range strings.Split(s, "\n") {
		if len(line) > 998 {
			long = true
		}
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80:
			ascii = false
		case c == 0:
			odd = true
		}
	}
	switch {
	case !long && !odd && ascii:
		return "7bit", []byte(strings.ReplaceAll(s, "\n", "\r\n"))
	case !long && !odd && !sevenBit:
		return "8bit", []byte(strings.ReplaceAll(s, "\n", "\r\n"))
	}
	var b bytes.Buffer
	w := quotedprintable.NewWriter(&b)
	_, _ = w.Write([]byte(s)) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	return "quoted-printable", b.Bytes()
}

// toLF turns every line ending of s, bare CR included, into one LF.
func toLF(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// crlf normalises every line ending of b, bare CR included, to CRLF.
func crlf(b []byte) []byte {
	return []byte(strings.ReplaceAll(toLF(string(b)), "\n", "\r\n"))
}
