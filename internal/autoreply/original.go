package autoreply

import (
	"bufio"
	"bytes"
	"fmt"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// Original is the incoming message an automatic message answers: its header
// fields in order, its envelope, and a few decoded fields.
type Original struct {
	// Header holds the header fields in their original order.
	Header textproto.Header
	// EnvelopeFrom is the SMTP reverse-path without angle brackets;
	// "" is the null sender.
	EnvelopeFrom string
	// EnvelopeTo is the final envelope recipient (the user).
	EnvelopeTo string
	// MessageID is the Message-ID field, with angle brackets, or "".
	MessageID string
	// Subject is the Subject field with RFC 2047 encoded words decoded.
	Subject string

	rawHeader []byte // the header block as received, without the blank line
	rawBody   []byte // what followed the header, if the caller passed it
}

// maxHeaderBytes bounds how much header NewOriginal reads.
const maxHeaderBytes = 1 << 20

// NewOriginal parses the header block at the start of raw (a full message or
// just its header) and records the envelope. envelopeFrom may be given with
// or without angle brackets; "" and "<>" are the null sender.
//
// A header that cannot be parsed returns an error wrapping ErrHeader; the
// caller should then send no automatic message.
func NewOriginal(raw []byte, envelopeFrom, envelopeTo string) (*Original, error) {
	o := &Original{
		EnvelopeFrom: bareAddress(envelopeFrom),
		EnvelopeTo:   bareAddress(envelopeTo),
	}
	limit := raw
	if len(limit) > maxHeaderBytes {
		limit = limit[:maxHeaderBytes]
	}
	br := bufio.NewReader(bytes.NewReader(limit))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrHeader, err)
	}
	o.Header = h
	o.rawHeader, o.rawBody = splitHeader(raw)
	o.MessageID = normalizeMsgID(h.Get("Message-Id"))
	o.Subject = strings.TrimSpace(decodeHeader(h.Get("Subject")))
	return o, nil
}

// splitHeader splits raw at the first empty line. The header keeps its
// final line break; the separator line belongs to neither part.
func splitHeader(raw []byte) (header, body []byte) {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			return raw, nil
		}
		line := raw[i : i+j+1]
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			return raw[:i], raw[i+j+1:]
		}
		i += j + 1
	}
	return raw, nil
}

// normalizeMsgID returns the first msg-id of v with angle brackets, or "".
func normalizeMsgID(v string) string {
	ids := msgIDs(v)
	if len(ids) == 0 {
		return ""
	}
	return ids[0]
}

// msgIDs extracts the "<...>" msg-ids of a Message-ID, In-Reply-To or
// References value (RFC 5322 §3.6.4), dropping comments and junk. A lone id
// without brackets is accepted and bracketed.
func msgIDs(v string) []string {
	v = stripComments(v)
	var ids []string
	for {
		i := strings.IndexByte(v, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(v[i:], '>')
		if j < 0 {
			break
		}
		id := v[i : i+j+1]
		// An id that cannot fit on a header line (RFC 5322 §2.1.1) is junk.
		if len(id) > 2 && len(id) <= maxWord && !strings.ContainsAny(id[1:len(id)-1], " \t\r\n<") {
			ids = append(ids, id)
		}
		v = v[i+j+1:]
	}
	if len(ids) == 0 {
		if s := strings.TrimSpace(v); s != "" && len(s) < maxWord && strings.Contains(s, "@") && !strings.ContainsAny(s, " \t<>") {
			ids = append(ids, "<"+s+">")
		}
	}
	return ids
}

// stripComments removes RFC 5322 comments "( ... )", nested and with quoted
// pairs, outside quoted strings.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (depth > 0 || quoted):
			if depth == 0 {
				b.WriteByte(c)
				if i+1 < len(s) {
					b.WriteByte(s[i+1])
				}
			}
			i++
		case c == '"' && depth == 0:
			quoted = !quoted
			b.WriteByte(c)
		case c == '(' && !quoted:
			depth++
		case c == ')' && !quoted && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// values returns all values of the named field, in message order.
func (o *Original) values(name string) []string {
	var out []string
	fs := o.Header.FieldsByKey(name)
	for fs.Next() {
		out = append(out, fs.Value())
	}
	return out
}
