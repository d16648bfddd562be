package message

import (
	"bytes"
	"strings"
)

// Field is one header field.
type Field struct {
	// Name is the field name as written (compare it case-insensitively).
	Name string
	// Raw is the field as on the wire, folding included, without the
	// line ending of its last line. It aliases the message bytes.
	Raw []byte
	// Value is the unfolded field body (RFC 5322 §2.2.3): every CR and LF
	// removed, leading and trailing SP/HTAB trimmed. It is not RFC 2047
	// decoded; see [DecodeHeaderValue].
	Value string
}

// headerEnd finds the end of the header block that starts data. hdrLen is
// the length of the header lines (the last one's line ending included),
// bodyStart the offset just after the empty line that ends the block, or
// len(data) when there is none. A block longer than maxBytes is an error.
func headerEnd(data []byte, maxBytes int64) (hdrLen, bodyStart int, err error) {
	pos := 0
	for pos < len(data) {
		nl := bytes.IndexByte(data[pos:], '\n')
		end := len(data)
		if nl >= 0 {
			end = pos + nl
		}
		line := data[pos:end]
		// A line holding only CR or nothing ends the block (RFC 5322 §2.1).
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			if nl < 0 {
				return pos, len(data), nil
			}
			return pos, end + 1, nil
		}
		next := end + 1
		if nl < 0 {
			next = len(data)
		}
		if int64(next) > maxBytes {
			return 0, 0, &LimitError{Err: ErrHeaderTooLarge, Limit: maxBytes}
		}
		pos = next
	}
	return len(data), len(data), nil
}

// parseFields splits a header block into fields. hdr must be the bytes
// returned by headerEnd; s is the same bytes as a string, so that names
// and unfolded values can share its memory. Lines that are neither a field
// nor a continuation are skipped but counted toward maxFields.
func parseFields(hdr []byte, s string, maxFields int) ([]Field, error) {
	n := bytes.Count(hdr, []byte{'\n'}) + 1
	if n > maxFields {
		n = maxFields + 1
	}
	fields := make([]Field, 0, n)
	lines := 0
	start, colon := -1, -1 // current field, or -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		fields = append(fields, makeField(hdr, s, start, colon, end))
		start = -1
	}
	pos := 0
	for pos < len(s) {
		nl := strings.IndexByte(s[pos:], '\n')
		end := len(s)
		if nl >= 0 {
			end = pos + nl
		}
		contentEnd := end
		if contentEnd > pos && s[contentEnd-1] == '\r' {
			contentEnd--
		}
		// A continuation line (leading SP/HTAB) extends the current
		// field, if any; the field's end is found when the next line
		// starts.
		if c := s[pos]; c != ' ' && c != '\t' {
			flush(lastEnd(s, pos))
			lines++
			if lines > maxFields {
				return nil, &LimitError{Err: ErrTooManyFields, Limit: int64(maxFields)}
			}
			if c := strings.IndexByte(s[pos:contentEnd], ':'); c > 0 && validName(s[pos:pos+c]) {
				start, colon = pos, pos+c
			}
		}
		if nl < 0 {
			pos = len(s)
			break
		}
		pos = end + 1
	}
	flush(lastEnd(s, pos))
	return fields, nil
}

// lastEnd returns the end of the content of the line ending just before
// pos (its CRLF or LF excluded).
func lastEnd(s string, pos int) int {
	if pos > 0 && s[pos-1] == '\n' {
		pos--
	}
	if pos > 0 && s[pos-1] == '\r' {
		pos--
	}
	return pos
}

func makeField(hdr []byte, s string, start, colon, end int) Field {
	name := strings.TrimRight(s[start:colon], " \t")
	return Field{Name: name, Raw: hdr[start:end:end], Value: unfold(s[colon+1 : end])}
}

// unfold removes CR and LF and trims SP/HTAB at both ends. It only
// allocates when the value was folded.
func unfold(v string) string {
	if strings.ContainsAny(v, "\r\n") {
		var b strings.Builder
		b.Grow(len(v))
		for i := 0; i < len(v); i++ {
			if c := v[i]; c != '\r' && c != '\n' {
				b.WriteByte(c)
			}
		}
		v = b.String()
	}
	return strings.Trim(v, " \t")
}

// validName reports whether n (trailing WSP allowed, RFC 5322 §4.5.3
// obs-optional) is a field name: printable US-ASCII except colon
// (RFC 5322 §3.6.8).
func validName(n string) bool {
	n = strings.TrimRight(n, " \t")
	if n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// equalFoldASCII compares header names case-insensitively (ASCII only).
func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if x == y {
			continue
		}
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}
