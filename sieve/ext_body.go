package sieve

import (
	"bytes"
	"io"
	"strings"

	"github.com/sluice-mail/sluice/sieve/internal/message"
)

// extBody is RFC 5173: the body test, matching the keys against the body
// of the message as a whole (:raw), against the decoded parts of chosen
// MIME types (:content), or against the text a reader sees (:text, the
// default).
var extBody = &extension{
	name: "body",
	tests: []*commandSpec{{
		name:       "body",
		positional: []argKind{argStringList},
		tags: []tagSpec{
			{name: "raw", conflicts: []string{"content", "text"}},
			{name: "content", arg: argStringList, conflicts: []string{"raw", "text"}},
			{name: "text", conflicts: []string{"raw", "content"}},
		},
		groups: []string{groupComparator, groupMatchType},
		eval:   evalBody,
	}},
}

// maxBodyBytes bounds the text one body test looks at: values past it are
// cut, so a huge attachment costs bounded time and memory.
const maxBodyBytes = 16 << 20

// parsedBody is the add-on a Message gives when it was parsed by this
// package; other Messages are parsed from their BodySource once per run.
type parsedBody interface {
	Parsed() *message.Message
}

var _ parsedBody = (*parsedMessage)(nil)

func evalBody(e *exec, n *node) (bool, error) {
	values, err := e.bodyValues(n)
	if err != nil {
		return false, err
	}
	// RFC 5173 §6 leaves the body test out of the match variables, and
	// Pigeonhole keeps the previous values: restore them.
	saved := append([]string(nil), e.match...)
	ok := e.matchKeys(n, values, n.args[0])
	e.match = saved
	return ok, nil
}

// bodyValues returns the strings the body test matches, per transform.
// A message without a body (no empty line after the header) has none
// (RFC 5173 §5).
func (e *exec) bodyValues(n *node) ([]string, error) {
	m, err := e.bodyMessage()
	if err != nil || m == nil {
		return nil, err
	}
	if len(m.RawHeader()) == int(m.Size()) {
		return nil, nil
	}
	budget := maxBodyBytes
	add := func(out []string, b []byte) []string {
		if len(b) > budget {
			b = b[:budget]
		}
		budget -= len(b)
		return append(out, string(b))
	}
	switch {
	case n.has("raw"):
		return add(nil, m.BodyBytes()), nil
	case n.has("content"):
		types := e.strs(n.tags["content"])
		var out []string
		err := m.Walk(func(p *message.Part) error {
			e.step()
			if budget > 0 && contentMatches(partType(p), types) {
				for _, v := range contentValues(p) {
					out = add(out, v)
				}
			}
			return nil
		})
		return out, err
	default: // :text
		var out []string
		err := m.Walk(func(p *message.Part) error {
			e.step()
			if t, ok := partText(p); ok && budget > 0 {
				out = add(out, []byte(t))
			}
			return nil
		})
		return out, err
	}
}

// bodyMessage returns the MIME view of the message, nil when the message
// gives no body. A Message that is not this package's own is parsed once
// per run from its body and its Content-* header fields.
func (e *exec) bodyMessage() (*message.Message, error) {
	if p, ok := e.msg.(parsedBody); ok {
		return p.Parsed(), nil
	}
	if m, ok := e.state["body"].(*message.Message); ok {
		return m, nil
	}
	bs, ok := e.msg.(BodySource)
	if !ok {
		return nil, nil
	}
	r, err := bs.Body()
	if err != nil {
		return nil, err
	}
	// The MIME fields, then the body read straight after them: one
	// buffer, not a copy of a body of up to maxBodyBytes.
	buf := bytes.NewBuffer(nil)
	for _, h := range []string{"Content-Type", "Content-Transfer-Encoding"} {
		for _, v := range e.msg.Header(h) {
			buf.WriteString(h + ": " + v + "\r\n")
		}
	}
	buf.WriteString("\r\n")
	if _, err := buf.ReadFrom(io.LimitReader(r, maxBodyBytes)); err != nil {
		return nil, err
	}
	m, err := message.ParseBytes(buf.Bytes(), message.Limits{})
	if err != nil {
		return nil, err
	}
	e.state["body"] = m
	return m, nil
}

// partType is the part's content type, or "" when its Content-Type field
// is present but invalid ("text/plain/stupid"): Pigeonhole then treats the
// part as of no known type, rather than as the text/plain default.
func partType(p *message.Part) string {
	raw := p.Get("Content-Type")
	if raw == "" {
		return p.ContentType
	}
	t, _, _ := strings.Cut(raw, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	if t != p.ContentType {
		if i := strings.IndexByte(t, '('); i < 0 || strings.TrimSpace(t[:i]) != p.ContentType {
			return ""
		}
	}
	return p.ContentType
}

// contentMatches applies the rules of RFC 5173 §5.2: "" matches every
// type, "type/subtype" that type only, "type" any of its subtypes, and a
// value starting or ending with "/" or holding two slashes nothing.
func contentMatches(typ string, specs []string) bool {
	major, _, _ := strings.Cut(typ, "/")
	for _, s := range specs {
		s = strings.ToLower(s)
		switch {
		case s == "":
			return true
		case strings.HasPrefix(s, "/") || strings.HasSuffix(s, "/") || strings.Count(s, "/") > 1:
		case strings.Contains(s, "/"):
			if typ == s {
				return true
			}
		case typ != "" && major == s:
			return true
		}
	}
	return false
}

// contentValues returns what :content matches in one part (RFC 5173 §5.2):
// the prologue and epilogue of a multipart, the header of an enclosed
// message, and otherwise the body with its transfer encoding undone and,
// for text, converted to UTF-8.
func contentValues(p *message.Part) [][]byte {
	switch {
	case p.IsMultipart():
		return multipartFrame(p.Raw, p.Params["boundary"])
	case p.ContentType == "message/rfc822" || p.ContentType == "message/global":
		b, _ := p.DecodedBody()
		return [][]byte{headerBlock(b)}
	case strings.HasPrefix(p.ContentType, "text/") && partType(p) != "":
		t, err := p.Text()
		if err != nil {
			return nil
		}
		return [][]byte{[]byte(t)}
	}
	b, _ := p.DecodedBody()
	return [][]byte{b}
}

// partText returns the text a reader sees in a leaf part for :text: text/*
// parts (HTML and XHTML reduced to their visible text), decoded and in
// UTF-8. Parts of other types, of an invalid type, or with an unknown
// transfer encoding give nothing.
func partText(p *message.Part) (string, bool) {
	if len(p.Children) > 0 || p.IsMultipart() {
		return "", false
	}
	typ := partType(p)
	switch {
	case typ == "application/xhtml+xml":
		q := *p
		q.ContentType = "text/html"
		p = &q
	case strings.HasPrefix(typ, "text/"):
	default:
		return "", false
	}
	if _, err := p.DecodedBody(); err != nil {
		return "", false
	}
	return message.ExtractText(p), true
}

// multipartFrame returns the prologue and the epilogue of a multipart body
// (the text before the first delimiter line and after the closing one,
// RFC 2046 §5.1.1), those that are present.
func multipartFrame(body []byte, boundary string) [][]byte {
	if boundary == "" {
		return [][]byte{body}
	}
	delim := "--" + boundary
	var out [][]byte
	first := true
	for pos := 0; pos <= len(body); {
		end := pos
		for end < len(body) && body[end] != '\n' {
			end++
		}
		line := strings.TrimRight(string(body[pos:end]), "\r")
		next := end + 1
		if strings.HasPrefix(line, delim) {
			rest := line[len(delim):]
			closing := strings.HasPrefix(rest, "--")
			if closing {
				rest = rest[2:]
			}
			if strings.TrimLeft(rest, " \t") == "" {
				if first {
					out = append(out, trimLastLineBreak(body[:pos]))
					first = false
				}
				if closing {
					if next < len(body) {
						out = append(out, body[next:])
					}
					return out
				}
			}
		}
		pos = next
	}
	return out
}

func trimLastLineBreak(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

// headerBlock returns the header lines at the start of b, each with its
// line ending, without the empty line that ends them.
func headerBlock(b []byte) []byte {
	for pos := 0; pos < len(b); {
		end := pos
		for end < len(b) && b[end] != '\n' {
			end++
		}
		if end == pos || (end == pos+1 && b[pos] == '\r') {
			return b[:pos]
		}
		pos = end + 1
	}
	return b
}
