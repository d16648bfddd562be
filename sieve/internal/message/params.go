package message

import (
	"sort"
	"strconv"
	"strings"
)

// maxContinuations bounds RFC 2231 continuation indexes considered.
const maxContinuations = 1000

// parseMediaType parses a Content-Type (or Content-Disposition) value into
// a lower-case "type/subtype" (just the token for Content-Disposition) and
// its parameters. It is tolerant: comments (RFC 2045 §5.1 allows them),
// unquoted values holding spaces, unterminated quotes and junk between
// parameters are accepted. ok is false when the type is unusable, which
// RFC 2045 §5.2 says to treat as the default.
func parseMediaType(v string, wantSubtype bool) (mediaType string, params map[string]string, ok bool) {
	p := &paramLexer{s: v}
	p.skipCFWS()
	typ := strings.ToLower(p.token())
	if typ == "" {
		return "", nil, false
	}
	if wantSubtype {
		p.skipCFWS()
		if !p.consume('/') {
			return "", nil, false
		}
		p.skipCFWS()
		sub := strings.ToLower(p.token())
		if sub == "" {
			return "", nil, false
		}
		typ += "/" + sub
	}
	return typ, p.params(), true
}

type paramLexer struct {
	s string
	i int
}

func (p *paramLexer) consume(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// skipCFWS skips whitespace and (nested) comments.
func (p *paramLexer) skipCFWS() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		case '(':
			p.i = skipComment(p.s, p.i)
		default:
			return
		}
	}
}

// skipComment returns the offset after the comment starting at s[i] ('('),
// honouring nesting and quoted-pairs; an unterminated comment runs to the
// end.
func skipComment(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// token reads an RFC 2045 token.
func (p *paramLexer) token() string {
	start := p.i
	for p.i < len(p.s) && !isTSpecial(p.s[p.i]) {
		p.i++
	}
	return p.s[start:p.i]
}

func isTSpecial(c byte) bool {
	return c <= ' ' || c == 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0
}

// value reads a quoted string or, leniently, everything up to the next ';'.
func (p *paramLexer) value() string {
	if p.consume('"') {
		var b strings.Builder
		for p.i < len(p.s) {
			c := p.s[p.i]
			p.i++
			switch c {
			case '"':
				return b.String()
			case '\\':
				if p.i < len(p.s) {
					b.WriteByte(p.s[p.i])
					p.i++
				}
			case '\r', '\n':
			default:
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != ';' {
		p.i++
	}
	return strings.TrimRight(p.s[start:p.i], " \t\r\n")
}

type segment struct {
	value    string
	extended bool
}

// params reads "; attr=value" pairs, applying RFC 2231 continuations and
// charsets. The first occurrence of a name wins; an RFC 2231 form wins
// over a plain one.
func (p *paramLexer) params() map[string]string {
	plain := map[string]string{}
	var ext map[string]map[int]segment
	for p.i < len(p.s) {
		p.skipCFWS()
		if !p.consume(';') {
			// Junk: skip to the next parameter.
			if k := strings.IndexByte(p.s[p.i:], ';'); k >= 0 {
				p.i += k + 1
			} else {
				break
			}
		}
		p.skipCFWS()
		attr := strings.ToLower(p.token())
		p.skipCFWS()
		if attr == "" || !p.consume('=') {
			continue
		}
		p.skipCFWS()
		val := p.value()
		name, idx, extended, isExt := splitAttr(attr)
		if !isExt {
			if _, dup := plain[attr]; !dup {
				plain[attr] = val
			}
			continue
		}
		if ext == nil {
			ext = map[string]map[int]segment{}
		}
		segs := ext[name]
		if segs == nil {
			segs = map[int]segment{}
			ext[name] = segs
		}
		if _, dup := segs[idx]; !dup {
			segs[idx] = segment{value: val, extended: extended}
		}
	}
	for name, segs := range ext {
		plain[name] = joinSegments(segs)
	}
	for k, v := range plain {
		// Many mailers put RFC 2047 words in parameters (filenames); a
		// boundary is opaque and never decoded.
		if k != "boundary" && strings.Contains(v, "=?") {
			plain[k] = DecodeHeaderValue(v)
		}
	}
	return plain
}

// splitAttr recognises RFC 2231 §3-4 names: "name*", "name*N", "name*N*".
// A single "name*" is segment 0, extended.
func splitAttr(attr string) (name string, idx int, extended, isExt bool) {
	star := strings.IndexByte(attr, '*')
	if star <= 0 {
		return attr, 0, false, false
	}
	name, rest := attr[:star], attr[star+1:]
	if rest == "" {
		return name, 0, true, true
	}
	if strings.HasSuffix(rest, "*") {
		extended = true
		rest = rest[:len(rest)-1]
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || n >= maxContinuations || (len(rest) > 1 && rest[0] == '0') {
		return attr, 0, false, false
	}
	return name, n, extended, true
}

// joinSegments assembles RFC 2231 continuations in index order. The
// charset (and language) prefix of an extended first segment applies to
// all percent-encoded segments (RFC 2231 §4).
func joinSegments(segs map[int]segment) string {
	idx := make([]int, 0, len(segs))
	for i := range segs {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	charset := ""
	var raw []byte
	for n, i := range idx {
		s := segs[i]
		if !s.extended {
			raw = append(raw, s.value...)
			continue
		}
		v := s.value
		if n == 0 {
			if a := strings.IndexByte(v, '\''); a >= 0 {
				if b := strings.IndexByte(v[a+1:], '\''); b >= 0 {
					charset = v[:a]
					v = v[a+1+b+1:]
				}
			}
		}
		raw = appendPercentDecoded(raw, v)
	}
	if charset != "" {
		if b, ok := convert(charset, raw); ok {
			raw = b
		}
	}
	return bestEffortUTF8(string(raw))
}

// appendPercentDecoded undoes %XX escapes; a malformed escape is kept.
func appendPercentDecoded(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			h, ok1 := unhex(s[i+1])
			l, ok2 := unhex(s[i+2])
			if ok1 && ok2 {
				dst = append(dst, h<<4|l)
				i += 2
				continue
			}
		}
		dst = append(dst, s[i])
	}
	return dst
}
