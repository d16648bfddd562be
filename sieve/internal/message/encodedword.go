package message

import (
	"encoding/base64"
	"strings"
)

// DecodeHeaderValue decodes the RFC 2047 encoded words in a header value
// to UTF-8. It never fails:
//   - B and Q encodings, any charset golang.org/x/text knows, an RFC 2231
//     §5 language suffix ("=?utf-8*en?q?...?=") ignored;
//   - encoded words separated only by linear whitespace are joined without
//     it (RFC 2047 §6.2); adjacent words in the same charset are decoded
//     together, so a character split across two words survives;
//   - words are recognised even when not delimited by whitespace, as most
//     mail readers do;
//   - a word with an unknown charset or broken encoding is left as is;
//   - 8-bit UTF-8 passes through; other 8-bit bytes are read as
//     windows-1252 (the superset of ISO-8859-1 mail readers use).
func DecodeHeaderValue(v string) string {
	if !strings.Contains(v, "=?") {
		return bestEffortUTF8(v)
	}
	var out strings.Builder
	out.Grow(len(v))
	var pending []byte // decoded bytes of adjacent words in pendingCS
	pendingCS := ""
	flushPending := func() {
		if pendingCS == "" {
			return
		}
		b, _ := convert(pendingCS, pending)
		out.WriteString(bestEffortUTF8(string(b)))
		pending, pendingCS = pending[:0], ""
	}
	sc := wordScanner{v: v, qe: -1, ws: -1}
	i := 0
	lastWasWord := false
	for i < len(v) {
		j := strings.Index(v[i:], "=?")
		if j < 0 {
			flushPending()
			out.WriteString(bestEffortUTF8(v[i:]))
			break
		}
		j += i
		cs, data, end, ok := sc.decodeWord(j)
		if !ok {
			// Not a word: copy up to and including "=?" literally.
			flushPending()
			out.WriteString(bestEffortUTF8(v[i : j+2]))
			i = j + 2
			lastWasWord = false
			continue
		}
		gap := v[i:j]
		if !(lastWasWord && isLWSP(gap)) {
			flushPending()
			out.WriteString(bestEffortUTF8(gap))
		}
		if pendingCS != "" && !strings.EqualFold(pendingCS, cs) {
			flushPending()
		}
		pendingCS = cs
		pending = append(pending, data...)
		lastWasWord = true
		i = end
	}
	flushPending()
	return out.String()
}

// wordScanner remembers where the next "?=" and the next whitespace are,
// so that many "=?" candidates in one value cost linear time: the offsets
// asked for never decrease.
type wordScanner struct {
	v      string
	qe, ws int // absolute offsets; -1 unknown, len(v) none
}

// next returns the offset of the first occurrence at or after pos, using
// and updating the cached *at.
func (sc *wordScanner) next(at *int, pos int, find func(string) int) int {
	if *at >= pos {
		return *at
	}
	if k := find(sc.v[pos:]); k >= 0 {
		*at = pos + k
	} else {
		*at = len(sc.v)
	}
	return *at
}

// decodeWord tries to read an encoded word starting at v[start] ("=?").
// It returns the charset, the decoded octets and the offset after "?=".
// ok is false when there is no well-formed word there, or its charset is
// unknown.
func (sc *wordScanner) decodeWord(start int) (charset string, data []byte, end int, ok bool) {
	v := sc.v
	rest := v[start+2:]
	q1 := strings.IndexByte(rest, '?')
	if q1 <= 0 || q1+3 > len(rest) || rest[q1+2] != '?' {
		return "", nil, 0, false
	}
	charset = rest[:q1]
	if strings.ContainsAny(charset, " \t\r\n=") {
		return "", nil, 0, false
	}
	if k := strings.IndexByte(charset, '*'); k >= 0 { // RFC 2231 §5 language
		charset = charset[:k]
	}
	enc := rest[q1+1] | 0x20
	textStart := start + 2 + q1 + 3
	qe := sc.next(&sc.qe, textStart, func(s string) int { return strings.Index(s, "?=") })
	ws := sc.next(&sc.ws, textStart, func(s string) int { return strings.IndexAny(s, " \t\r\n") })
	if qe >= len(v) || ws < qe {
		return "", nil, 0, false
	}
	text := v[textStart:qe]
	if kind, _ := lookupCharset(charset); kind == csUnknown {
		return "", nil, 0, false
	}
	switch enc {
	case 'b':
		data, ok = decodeB(text)
	case 'q':
		data, ok = decodeQ(text)
	}
	if !ok {
		return "", nil, 0, false
	}
	return charset, data, qe + 2, true
}

// decodeB decodes the B encoding, tolerating missing padding.
func decodeB(s string) ([]byte, bool) {
	s = strings.TrimRight(s, "=")
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, false
	}
	return b, true
}

// decodeQ decodes the Q encoding (RFC 2047 §4.2).
func decodeQ(s string) ([]byte, bool) {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '_':
			b = append(b, ' ')
		case '=':
			if i+2 >= len(s) {
				return nil, false
			}
			h, okh := unhex(s[i+1])
			l, okl := unhex(s[i+2])
			if !okh || !okl {
				return nil, false
			}
			b = append(b, h<<4|l)
			i += 2
		default:
			b = append(b, c)
		}
	}
	return b, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// isLWSP reports whether s is only linear whitespace (SP, HTAB, CR, LF).
func isLWSP(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\r', '\n':
		default:
			return false
		}
	}
	return true
}
