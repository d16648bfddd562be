package message

import (
	"bytes"
	"strings"
)

// Part is one node of the MIME tree (RFC 2045, RFC 2046).
type Part struct {
	// Header is the part's own header; for the top part, the message
	// header.
	Header []Field
	// ContentType is the lower-case "type/subtype". It defaults to
	// text/plain (RFC 2045 §5.2), or message/rfc822 inside
	// multipart/digest (RFC 2046 §5.1.5); an unparsable value counts as
	// absent.
	ContentType string
	// Params holds the Content-Type parameters: lower-case names, RFC 2231
	// continuations joined and charsets decoded. Never nil.
	Params map[string]string
	// Children are the parts of a multipart, or the single top part of
	// the message enclosed in a message/rfc822 (or message/global) part.
	Children []*Part
	// Raw is the part's body as received, transfer encoding not undone.
	// It aliases the message bytes.
	Raw []byte
	// Depth is 0 for the top part, 1 for its children, and so on.
	Depth int

	// Truncated is set on a part whose children were not parsed because
	// of MaxParts or MaxDepth (or whose header exceeded a header limit).
	Truncated bool
}

// Get returns the first value of the part's header field name, unfolded
// (not RFC 2047 decoded), or "".
func (p *Part) Get(name string) string {
	if f := lookup(p.Header, name); len(f) > 0 {
		return f[0].Value
	}
	return ""
}

// IsMultipart reports whether the part is a multipart/* part.
func (p *Part) IsMultipart() bool { return strings.HasPrefix(p.ContentType, "multipart/") }

// isEnclosedMessage reports whether the body is a whole message that gets
// a child part (RFC 2046 §5.2.1, RFC 6532 §3.7 for message/global).
func (p *Part) isEnclosedMessage() bool {
	return p.ContentType == "message/rfc822" || p.ContentType == "message/global"
}

// newPart sets up a part from its header and raw body.
func newPart(header []Field, raw []byte, depth int, parentType string) *Part {
	p := &Part{Header: header, Raw: raw, Depth: depth}
	p.ContentType = "text/plain"
	if parentType == "multipart/digest" {
		p.ContentType = "message/rfc822" // RFC 2046 §5.1.5
	}
	if f := lookup(header, "Content-Type"); len(f) > 0 {
		if t, params, ok := parseMediaType(f[0].Value, true); ok {
			p.ContentType, p.Params = t, params
		}
	}
	if p.Params == nil {
		p.Params = map[string]string{}
	}
	return p
}

// parseMIME builds the tree without recursion, so that nesting depth costs
// no stack; every level scans only its own body.
func (m *Message) parseMIME() {
	m.root = newPart(m.fields, m.BodyBytes(), 0, "")
	parts := 1
	todo := []*Part{m.root}
	for len(todo) > 0 {
		p := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if !p.IsMultipart() && !p.isEnclosedMessage() {
			continue
		}
		if p.Depth >= m.lim.MaxDepth || parts >= m.lim.MaxParts {
			p.Truncated, m.truncated = true, true
			continue
		}
		if p.isEnclosedMessage() {
			child, trunc := m.parseEntity(p.enclosedBytes(), p.Depth+1, "")
			child.Truncated = child.Truncated || trunc
			m.truncated = m.truncated || trunc
			p.Children = []*Part{child}
			parts++
			todo = append(todo, child)
			continue
		}
		boundary := p.Params["boundary"]
		if boundary == "" {
			continue // RFC 2046 §5.1.1: required; without it the part is a leaf.
		}
		bodies := splitMultipart(p.Raw, boundary)
		for _, b := range bodies {
			if parts >= m.lim.MaxParts {
				p.Truncated, m.truncated = true, true
				break
			}
			child, trunc := m.parseEntity(b, p.Depth+1, p.ContentType)
			m.truncated = m.truncated || trunc
			p.Children = append(p.Children, child)
			parts++
		}
		for i := len(p.Children) - 1; i >= 0; i-- {
			todo = append(todo, p.Children[i])
		}
	}
}

// enclosedBytes returns the enclosed message of a message/* part. RFC 2046
// §5.2.1 forbids encoding it, but base64 and quoted-printable are undone
// when found.
func (p *Part) enclosedBytes() []byte {
	switch p.transferEncoding() {
	case "base64", "quoted-printable":
		b, _ := p.DecodedBody()
		return b
	}
	return p.Raw
}

// parseEntity parses a header block and body. A header over the limits is
// cut at the limit and reported as truncated.
func (m *Message) parseEntity(b []byte, depth int, parentType string) (*Part, bool) {
	truncated := false
	hdrLen, bodyStart, err := headerEnd(b, m.lim.MaxHeaderBytes)
	if err != nil {
		// Keep the part as a header-less leaf.
		truncated = true
		p := newPart(nil, b, depth, parentType)
		p.ContentType, p.Params = "application/octet-stream", map[string]string{}
		p.Truncated = true
		return p, truncated
	}
	hdr := b[:hdrLen:hdrLen]
	fields, err := parseFields(hdr, string(hdr), m.lim.MaxFields)
	if err != nil {
		truncated = true
		fields = nil
	}
	p := newPart(fields, b[bodyStart:len(b):len(b)], depth, parentType)
	p.Truncated = truncated
	return p, truncated
}

// splitMultipart returns the bodies of a multipart: what lies between
// delimiter lines "--boundary" (RFC 2046 §5.1.1), the line break before a
// delimiter belonging to it. The preamble and epilogue are dropped. An
// unterminated multipart ends at the end of its body.
func splitMultipart(body []byte, boundary string) [][]byte {
	delim := make([]byte, 0, len(boundary)+2)
	delim = append(append(delim, '-', '-'), boundary...)
	var parts [][]byte
	partStart := -1
	pos := 0
	for pos <= len(body) {
		k := bytes.Index(body[pos:], delim)
		if k < 0 {
			break
		}
		at := pos + k
		if at > 0 && body[at-1] != '\n' {
			pos = at + 1 // not at the start of a line
			continue
		}
		after := at + len(delim)
		closing := bytes.HasPrefix(body[after:], []byte("--"))
		rest := after
		if closing {
			rest += 2
		}
		lineEnd, next := lineBounds(body, rest)
		if !closing && !isLWSP(string(body[rest:lineEnd])) {
			pos = after // "--boundaryX": another boundary, not ours
			continue
		}
		if partStart >= 0 {
			parts = append(parts, body[partStart:trimLineBreak(body, partStart, at):at])
		}
		if closing {
			return parts
		}
		partStart = next
		pos = next
	}
	if partStart >= 0 {
		parts = append(parts, body[partStart:len(body):len(body)])
	}
	return parts
}

// lineBounds returns the end of the line content starting at i (before CR
// LF or LF) and the start of the next line.
func lineBounds(b []byte, i int) (end, next int) {
	nl := bytes.IndexByte(b[i:], '\n')
	if nl < 0 {
		return len(b), len(b)
	}
	end = i + nl
	next = end + 1
	if end > i && b[end-1] == '\r' {
		end--
	}
	return end, next
}

// trimLineBreak returns at, moved back over the CRLF or LF that precedes a
// delimiter (it belongs to the delimiter), but not before start.
func trimLineBreak(b []byte, start, at int) int {
	if at > start && b[at-1] == '\n' {
		at--
		if at > start && b[at-1] == '\r' {
			at--
		}
	}
	return at
}
