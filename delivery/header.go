package delivery

import (
	"bufio"
	"io"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// maxHeaderLine bounds an address or name copied into a header line.
const maxHeaderLine = 900

// trace is what the per-recipient header lines are made of.
type trace struct {
	sender, rcpt string
	lhlo, remote string
	hostname, id string
	utf8         bool
	received     bool
	date         time.Time
}

// prefix returns the header lines added to one recipient's copy:
// Return-Path (RFC 5321 section 4.4), Delivered-To on every copy (even when
// the transaction has several recipients), and optionally Received.
func (t trace) prefix() string {
	var b strings.Builder
	b.WriteString("Return-Path: <")
	b.WriteString(sanitizeLine(t.sender, maxHeaderLine))
	b.WriteString(">\nDelivered-To: <")
	b.WriteString(sanitizeLine(t.rcpt, maxHeaderLine))
	b.WriteString(">\n")
	if t.received {
		// RFC 5321 section 4.4 and RFC 6531 section 3.7.3 (UTF8LMTP).
		with := "LMTP"
		if t.utf8 {
			with = "UTF8LMTP"
		}
		b.WriteString("Received: from ")
		b.WriteString(orUnknown(sanitizeLine(t.lhlo, maxHeaderLine)))
		b.WriteString(" (")
		b.WriteString(orUnknown(sanitizeLine(t.remote, maxHeaderLine)))
		b.WriteString(")\n\tby ")
		b.WriteString(sanitizeLine(t.hostname, maxHeaderLine))
		b.WriteString(" (sluice) with ")
		b.WriteString(with)
		b.WriteString(" id ")
		b.WriteString(t.id)
		b.WriteString("\n\tfor <")
		b.WriteString(sanitizeLine(t.rcpt, maxHeaderLine))
		b.WriteString(">; ")
		b.WriteString(t.date.Format(time.RFC1123Z))
		b.WriteString("\n")
	}
	return b.String()
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// maxHeaderBytes bounds how much of a message is read to parse its header.
const maxHeaderBytes = 256 << 10

// readHeader parses the top-level header of r. A malformed or missing
// header gives an empty one: delivery never fails over a header.
func readHeader(r io.Reader) textproto.Header {
	h, err := textproto.ReadHeader(bufio.NewReader(io.LimitReader(r, maxHeaderBytes)))
	if err != nil {
		return textproto.Header{}
	}
	return h
}
