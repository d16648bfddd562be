package sieve

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// tmpl is a compiled string argument. Without the variables extension it is
// a constant; with it, it is a sequence of literal text and variable
// references expanded at run time (RFC 5229 §3).
type tmpl struct {
	parts []tpart
	// constant is true when parts holds at most one literal part.
	constant bool
	lit      string
}

type tpart struct {
	lit string
	// ref is the lowercased variable name ("" for a literal part); num is
	// the match variable number, or -1.
	ref string
	num int
	// ns is the namespace of a namespaced reference ("env" for ${env.x}),
	// resolved through the registry.
	ns string
}

// String returns the text of a constant template (or its source form).
func (t *tmpl) String() string {
	if t.constant {
		return t.lit
	}
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.ref == "":
			b.WriteString(p.lit)
		case p.num >= 0:
			b.WriteString("${" + strconv.Itoa(p.num) + "}")
		default:
			b.WriteString("${" + p.ref + "}")
		}
	}
	return b.String()
}

func constTmpl(s string) *tmpl { return &tmpl{constant: true, lit: s} }

// decodeEncoded replaces "${hex:..}" and "${unicode:..}" sequences
// (RFC 5228 §2.4.2.4). It returns literal chunks: each chunk has a decoded
// flag so that the decoded text is never parsed for variables again.
// Invalid unicode code points are reported through bad.
func decodeEncoded(s string, bad func(msg string)) []encChunk {
	var out []encChunk
	last := 0
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			break
		}
		j += i
		dec, n, ok := parseEncoded(s[j:], bad)
		if !ok {
			i = j + 1
			continue
		}
		if j > last {
			out = append(out, encChunk{text: s[last:j]})
		}
		out = append(out, encChunk{text: dec, decoded: true})
		i = j + n
		last = i
	}
	if last < len(s) {
		out = append(out, encChunk{text: s[last:]})
	}
	return out
}

type encChunk struct {
	text    string
	decoded bool
}

// parseEncoded parses one encoded-character sequence at the start of s.
func parseEncoded(s string, bad func(string)) (string, int, bool) {
	end := strings.IndexByte(s, '}')
	if end < 0 {
		return "", 0, false
	}
	body := s[2:end]
	colon := strings.IndexByte(body, ':')
	if colon < 0 {
		return "", 0, false
	}
	kind := strings.ToLower(body[:colon])
	if kind != "hex" && kind != "unicode" {
		return "", 0, false
	}
	fields := strings.FieldsFunc(body[colon+1:], func(r rune) bool { return r == ' ' || r == '\t' || r == '\r' || r == '\n' })
	if len(fields) == 0 {
		return "", 0, false
	}
	var b strings.Builder
	for _, f := range fields {
		for _, c := range f {
			if !isHex(c) {
				return "", 0, false
			}
		}
		if kind == "hex" {
			if len(f) > 2 {
				return "", 0, false
			}
			v, _ := strconv.ParseUint(f, 16, 8)
			b.WriteByte(byte(v))
			continue
		}
		if len(f) > 8 {
			return "", 0, false
		}
		v, _ := strconv.ParseUint(f, 16, 32)
		// RFC 5228 §2.4.2.4: values outside 0..D7FF and E000..10FFFF
		// are an error.
		if (v >= 0xD800 && v <= 0xDFFF) || v > 0x10FFFF {
			if bad != nil {
				bad("invalid unicode character U+" + strings.ToUpper(strconv.FormatUint(v, 16)) + " in encoded character sequence")
			}
			return "", 0, false
		}
		b.WriteRune(rune(v))
	}
	return b.String(), end + 1, true
}

func isHex(c rune) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// parseVars splits s into literal text and variable references
// (RFC 5229 §3). Invalid references stay literal text.
func parseVars(s string, namespaces map[string]bool, out []tpart, unknownNS func(string)) []tpart {
	last := 0
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "${")
		if j < 0 {
			break
		}
		j += i
		end := strings.IndexByte(s[j:], '}')
		if end < 0 {
			break
		}
		name := s[j+2 : j+end]
		p, ok := parseVarRef(name, namespaces)
		if !ok && p.ns != "" && unknownNS != nil {
			unknownNS(p.ns)
		}
		if !ok {
			i = j + 1
			continue
		}
		if j > last {
			out = append(out, tpart{lit: s[last:j], num: -1})
		}
		out = append(out, p)
		i = j + end + 1
		last = i
	}
	if last < len(s) {
		out = append(out, tpart{lit: s[last:], num: -1})
	}
	return out
}

func parseVarRef(name string, namespaces map[string]bool) (tpart, bool) {
	if name == "" {
		return tpart{}, false
	}
	if name[0] >= '0' && name[0] <= '9' {
		for _, c := range name {
			if c < '0' || c > '9' {
				return tpart{}, false
			}
		}
		n, err := strconv.Atoi(name)
		if err != nil {
			n = 1 << 30
		}
		return tpart{ref: name, num: n}, true
	}
	comps := strings.Split(name, ".")
	for _, c := range comps {
		if !isIdentifier(c) {
			return tpart{}, false
		}
	}
	p := tpart{ref: strings.ToLower(name), num: -1}
	if len(comps) > 1 {
		p.ns = strings.ToLower(comps[0])
		if !namespaces[p.ns] {
			// RFC 5229 §3: a namespace no required extension provides
			// is an error; the caller reports it (ns set, ok false).
			return tpart{ns: p.ns}, false
		}
	}
	return p, true
}

// isIdentifier reports whether s is a Sieve identifier (RFC 5228 §8.1).
func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_', c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case c >= '0' && c <= '9' && i > 0:
		default:
			return false
		}
	}
	return true
}

// compileString builds the template of one string argument.
func (c *checker) compileString(s string, pos Pos) *tmpl {
	var chunks []encChunk
	if c.required["encoded-character"] {
		chunks = decodeEncoded(s, func(msg string) { c.errorf(pos, "%s", msg) })
	} else {
		chunks = []encChunk{{text: s}}
	}
	if !c.required["variables"] {
		var b strings.Builder
		for _, ch := range chunks {
			b.WriteString(ch.text)
		}
		return constTmpl(b.String())
	}
	// RFC 5228 §2.4.2.4 decoding happens while lexing, before variables
	// are looked for: "${hex:24}{name}" is a reference to ${name}.
	var b strings.Builder
	for _, ch := range chunks {
		b.WriteString(ch.text)
	}
	parts := parseVars(b.String(), c.namespaces, nil, func(ns string) {
		c.errorf(pos, "variable namespace '%s' is unknown (missing require?)", ns)
	})
	// Merge adjacent literals.
	merged := parts[:0]
	for _, p := range parts {
		if p.num > c.limits.MatchVariables {
			// Like Pigeonhole, a match variable that can never be set is
			// an error, not an empty string.
			c.errorf(pos, "match value index %d out of range (max: %d)", p.num, c.limits.MatchVariables)
		}
		if p.ref == "" && len(merged) > 0 && merged[len(merged)-1].ref == "" {
			merged[len(merged)-1].lit += p.lit
			continue
		}
		merged = append(merged, p)
	}
	if len(merged) == 0 {
		return constTmpl("")
	}
	if len(merged) == 1 && merged[0].ref == "" {
		return constTmpl(merged[0].lit)
	}
	return &tmpl{parts: merged}
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
