package autoreply

import (
	"mime"
	"net/mail"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-message/charset"
)

// wordDecoder decodes RFC 2047 encoded words in any charset go-message knows.
var wordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// decodeHeader decodes RFC 2047 encoded words; on failure it returns s as is.
func decodeHeader(s string) string {
	d, err := wordDecoder.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// bareAddress strips surrounding white space and one pair of angle brackets
// from an envelope address ("<a@b>" → "a@b", "<>" → "").
func bareAddress(s string) string {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, "<") && strings.HasSuffix(s, ">") {
		s = strings.TrimSpace(s[1 : len(s)-1])
	}
	return s
}

// splitAddress splits an addr-spec at its last "@".
func splitAddress(a string) (local, domain string, ok bool) {
	i := strings.LastIndexByte(a, '@')
	if i <= 0 || i == len(a)-1 {
		return a, "", false
	}
	return a[:i], a[i+1:], true
}

// parseAddressList parses an address-list header value (RFC 5322 §3.4),
// groups and encoded display names included. When the strict parse fails it
// falls back to a lenient scan, so that a malformed To field still lets the
// recipient check find the user's address: recognising the user must not
// depend on the sender's software being correct.
func parseAddressList(value string) []*mail.Address {
	p := mail.AddressParser{WordDecoder: wordDecoder}
	if l, err := p.ParseList(value); err == nil {
		return l
	}
	var out []*mail.Address
	for _, part := range splitList(value, ",;") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if a, err := p.Parse(part); err == nil {
			out = append(out, a)
			continue
		}
		if i := strings.LastIndexByte(part, '<'); i >= 0 {
			if j := strings.IndexByte(part[i:], '>'); j > 0 {
				part = part[i+1 : i+j]
			}
		}
		// "Group: a@b" leftovers: keep what follows the last colon.
		if i := strings.LastIndexByte(part, ':'); i >= 0 {
			part = part[i+1:]
		}
		part = strings.Trim(strings.TrimSpace(part), ";")
		if _, _, ok := splitAddress(part); ok && !strings.ContainsAny(part, " \t\"") {
			out = append(out, &mail.Address{Address: part})
		}
	}
	return out
}

// splitList splits s at the separator bytes in seps that are not inside a
// quoted string, a comment or angle brackets.
func splitList(s, seps string) []string {
	var parts []string
	depth, quoted, angle, start := 0, false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '"' && depth == 0:
			quoted = !quoted
		case quoted:
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth > 0:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case !angle && strings.IndexByte(seps, c) >= 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// parseMailbox parses one mailbox ("Name <a@b>" or "a@b"), decoding encoded
// words and accepting UTF-8 display names (RFC 6532), and checks that the
// address itself is a valid addr-spec.
func parseMailbox(s string) (*mail.Address, error) {
	p := mail.AddressParser{WordDecoder: wordDecoder}
	a, err := p.Parse(s)
	if err != nil {
		return nil, err
	}
	if !validAddrSpec(a.Address) {
		return nil, errInvalidAddrSpec
	}
	return a, nil
}

// validAddrSpec reports whether s is an RFC 5322 §3.4.1 addr-spec without
// obsolete forms: a dot-atom or quoted local part "@" a dot-atom or
// domain-literal. s is in net/mail's form, where a quoted local part has
// lost its quotes, so a local part that is not a dot-atom is accepted when
// it is printable (it can be written back as a quoted-string). UTF-8 is
// accepted (RFC 6532 §3.2).
func validAddrSpec(s string) bool {
	if !utf8.ValidString(s) || len(s) > 998 {
		return false
	}
	local, domain, ok := splitAddress(s)
	if !ok {
		return false
	}
	if !validDotAtom(local) {
		for _, r := range local {
			if r < 32 || r == 127 || r == utf8.RuneError {
				return false
			}
		}
	}
	if strings.HasPrefix(domain, "[") {
		if !strings.HasSuffix(domain, "]") || len(domain) < 3 {
			return false
		}
		for _, c := range domain[1 : len(domain)-1] {
			// dtext-no-obs (RFC 6068 §2): %d33-90 / %d94-126
			if c < 33 || c > 126 || c == '[' || c == '\\' || c == ']' {
				return false
			}
		}
		return true
	}
	return validDotAtom(domain)
}

// smtpAddress writes an address as an SMTP path argument (RFC 5321 §4.1.2),
// quoting a local part that is not a dot-atom.
func smtpAddress(a string) string {
	local, domain, ok := splitAddress(a)
	if !ok || validDotAtom(local) {
		return a
	}
	return quoteString(local) + "@" + domain
}

func validDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		if r != '.' && !isAtext(r) {
			return false
		}
	}
	return true
}

// isAtext reports whether r is RFC 5322 atext, extended by RFC 6532 with
// non-ASCII characters.
func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= utf8.RuneSelf:
		return r != utf8.RuneError
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

// addressMatcher compares addresses the way the Policy says: the domain
// always case-insensitively, the local part case-insensitively unless
// CaseSensitiveLocalPart, and optionally without a "+detail" (RFC 5233).
type addressMatcher struct {
	caseSensitiveLocal bool
	detailSeparators   string
}

func (m addressMatcher) key(a string) (local, domain string) {
	a = bareAddress(a)
	local, domain, _ = splitAddress(a)
	domain = strings.ToLower(strings.TrimSuffix(domain, "."))
	if m.detailSeparators != "" {
		if i := strings.IndexAny(local, m.detailSeparators); i > 0 {
			local = local[:i]
		}
	}
	if !m.caseSensitiveLocal {
		local = strings.ToLower(local)
	}
	return local, domain
}

func (m addressMatcher) same(a, b string) bool {
	if bareAddress(a) == "" || bareAddress(b) == "" {
		return false
	}
	la, da := m.key(a)
	lb, db := m.key(b)
	return la == lb && da == db
}
