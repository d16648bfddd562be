// Package address parses envelope addresses: the paths given in MAIL FROM
// and RCPT TO (RFC 5321 §4.1.2), including internationalised addresses
// (RFC 6531, SMTPUTF8), and splits sub-addresses (RFC 5233).
//
// Parse takes a path without its angle brackets. The empty string is the
// null reverse-path "<>". A path without "@" is accepted as a bare local
// part with an empty domain: RFC 5321 §4.1.1.3 allows "<Postmaster>", and a
// local delivery agent is often handed a plain user name.
package address

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Size limits from RFC 5321 §4.5.3.1.
const (
	// MaxLocalLen is the longest local part in octets (§4.5.3.1.1).
	MaxLocalLen = 64
	// MaxDomainLen is the longest domain in octets (§4.5.3.1.2).
	MaxDomainLen = 255
	// MaxPathLen is the longest path in octets, counting the angle
	// brackets (§4.5.3.1.3); a mailbox may thus have at most 254 octets.
	MaxPathLen = 256
	// maxLabelLen is the longest DNS label (RFC 1035 §2.3.4).
	maxLabelLen = 63
)

// Address is a parsed envelope address.
//
// Local is the local part in its unquoted form ("a b" for `"a b"@x`), the
// form used for lookups. Domain is as given (case is kept; an address
// literal keeps its brackets). Raw is the text Parse was given, for display.
// The zero Address is the null path.
type Address struct {
	Local  string
	Domain string
	Raw    string
}

// SyntaxError describes why a path is not a valid address.
type SyntaxError struct {
	Input  string // the text given to Parse
	Reason string // e.g. "local part too long (65 octets, max 64)"
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid address %q: %s", e.Input, e.Reason)
}

func syntaxErr(in, format string, args ...any) error {
	return &SyntaxError{Input: in, Reason: fmt.Sprintf(format, args...)}
}

// IsNull reports whether a is the null path "<>".
func (a Address) IsNull() bool { return a.Local == "" && a.Domain == "" && a.Raw == "" }

// ASCII reports whether a is all ASCII; an address that is not needs the
// SMTPUTF8 extension (RFC 6531 §3.2).
func (a Address) ASCII() bool { return isASCII(a.Local) && isASCII(a.Domain) }

// String renders a canonically: the local part as a dot-atom when it is
// one, else as a quoted string with only '"' and '\' escaped
// (RFC 5321 §4.1.2), then "@" and the domain. The null path renders as "".
func (a Address) String() string {
	if a.Domain == "" {
		return quoteLocal(a.Local, a.Raw != "")
	}
	return quoteLocal(a.Local, true) + "@" + a.Domain
}

// quoteLocal renders a local part; an empty one is quoted only when force
// is set, so that the null path stays "".
func quoteLocal(local string, force bool) string {
	if local == "" {
		if force {
			return `""`
		}
		return ""
	}
	if isDotAtom(local) {
		return local
	}
	var b strings.Builder
	b.Grow(len(local) + 2)
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		c := local[i]
		if c == '"' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(c)
	}
	b.WriteByte('"')
	return b.String()
}

// Parse parses a path as given in MAIL FROM or RCPT TO, without the angle
// brackets. A source route ("@a,@b:user@c", RFC 5321 §4.1.2 A-d-l) is
// accepted and dropped, as RFC 5321 Appendix C asks.
func Parse(s string) (Address, error) {
	if s == "" {
		return Address{}, nil
	}
	if !utf8.ValidString(s) {
		return Address{}, syntaxErr(s, "invalid UTF-8")
	}
	if len(s)+2 > MaxPathLen {
		return Address{}, syntaxErr(s, "address too long (%d octets, max %d)", len(s), MaxPathLen-2)
	}
	rest := s
	if i := strings.IndexByte(rest, ':'); strings.HasPrefix(rest, "@") && i > 0 {
		if err := checkRoute(s, rest[:i]); err != nil {
			return Address{}, err
		}
		rest = rest[i+1:]
	}

	var local, localRaw string
	if strings.HasPrefix(rest, `"`) {
		unq, n, err := parseQuoted(s, rest)
		if err != nil {
			return Address{}, err
		}
		local, localRaw, rest = unq, rest[:n], rest[n:]
		if rest != "" && rest[0] != '@' {
			return Address{}, syntaxErr(s, "unexpected %s after quoted local part", describe(rest))
		}
	} else {
		i := strings.IndexByte(rest, '@')
		if i < 0 {
			i = len(rest)
		}
		localRaw, rest = rest[:i], rest[i:]
		if localRaw == "" {
			// Only a quoted local part may be empty (RFC 5321 §4.1.2).
			return Address{}, syntaxErr(s, "empty local part")
		}
		if err := checkDotAtom(s, localRaw); err != nil {
			return Address{}, err
		}
		local = localRaw
	}
	if len(localRaw) > MaxLocalLen {
		return Address{}, syntaxErr(s, "local part too long (%d octets, max %d)", len(localRaw), MaxLocalLen)
	}
	a := Address{Local: local, Raw: s}
	if rest == "" {
		if local == "" {
			return Address{}, syntaxErr(s, "empty local part")
		}
		return a, nil
	}
	domain := rest[1:] // rest starts with '@'
	if err := checkDomain(s, domain); err != nil {
		return Address{}, err
	}
	a.Domain = domain
	return a, nil
}

// checkRoute validates an A-d-l: "@" Domain *( "," "@" Domain ).
func checkRoute(in, route string) error {
	for _, hop := range strings.Split(route, ",") {
		if !strings.HasPrefix(hop, "@") {
			return syntaxErr(in, "invalid source route")
		}
		if err := checkDomain(in, hop[1:]); err != nil {
			return err
		}
	}
	return nil
}

// parseQuoted reads a Quoted-string at the start of s (RFC 5321 §4.1.2,
// with RFC 6531 §3.3 UTF8-non-ascii in qtextSMTP). It returns the unquoted
// text and the number of bytes consumed.
func parseQuoted(in, s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '"':
			return b.String(), i + 1, nil
		case r == '\\':
			if i+1 >= len(s) {
				return "", 0, syntaxErr(in, "unterminated quoted local part")
			}
			// quoted-pairSMTP = %d92 %d32-126
			c := s[i+1]
			if c < 32 || c > 126 {
				r2, _ := utf8.DecodeRuneInString(s[i+1:])
				return "", 0, syntaxErr(in, "invalid character %U after backslash in local part", r2)
			}
			b.WriteByte(c)
			i += 2
			continue
		case r < 32 || r == 127:
			return "", 0, syntaxErr(in, "invalid character %U in local part", r)
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return "", 0, syntaxErr(in, "unterminated quoted local part")
}

// checkDotAtom validates an unquoted local part: Dot-string.
func checkDotAtom(in, s string) error {
	if s[0] == '.' {
		return syntaxErr(in, "local part starts with '.'")
	}
	if s[len(s)-1] == '.' {
		return syntaxErr(in, "local part ends with '.'")
	}
	if strings.Contains(s, "..") {
		return syntaxErr(in, "consecutive dots in local part")
	}
	for _, r := range s {
		if r != '.' && !isAtext(r) {
			return syntaxErr(in, "invalid character %s in local part", describeRune(r))
		}
	}
	return nil
}

// isAtext reports whether r is atext (RFC 5322 §3.2.3), extended with
// UTF8-non-ascii by RFC 6531 §3.3.
func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r >= 0x80:
		// Non-ASCII: allowed unless it is a C1 control character.
		return r >= 0xa0
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r)
}

func isDotAtom(s string) bool {
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

// checkDomain validates a Domain or an address-literal (RFC 5321 §4.1.2,
// §4.1.3), with U-labels allowed (RFC 6531 §3.3).
func checkDomain(in, d string) error {
	if d == "" {
		return syntaxErr(in, "empty domain")
	}
	if len(d) > MaxDomainLen {
		return syntaxErr(in, "domain too long (%d octets, max %d)", len(d), MaxDomainLen)
	}
	if d[0] == '[' {
		return checkLiteral(in, d)
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" {
			return syntaxErr(in, "empty label in domain")
		}
		if len(label) > maxLabelLen {
			return syntaxErr(in, "domain label too long (%d octets, max %d)", len(label), maxLabelLen)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return syntaxErr(in, "domain label %q starts or ends with '-'", label)
		}
		for _, r := range label {
			if !isLabelRune(r) {
				return syntaxErr(in, "invalid character %s in domain", describeRune(r))
			}
		}
	}
	return nil
}

// isLabelRune reports whether r may appear in a domain label: Let-dig and
// '-' (RFC 5321 §4.1.2), non-ASCII for U-labels (RFC 6531 §3.3), and '_',
// which RFC 5321 does not allow but real host names carry; refusing it at
// delivery would lose mail that the MTA already accepted.
func isLabelRune(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	case r == '-', r == '_':
		return true
	}
	return r >= 0xa0 && !isSpaceOrDot(r)
}

// isSpaceOrDot rejects non-ASCII runes that would make a label ambiguous:
// spaces and the dots IDNA maps to '.' (RFC 3490 §3.1).
func isSpaceOrDot(r rune) bool {
	switch r {
	case 0xa0, 0x3000, 0x3002, 0xff0e, 0xff61, 0x2028, 0x2029:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func describeRune(r rune) string {
	if r < 0x20 || r == 0x7f || r == ' ' || r >= 0x80 {
		return fmt.Sprintf("%U", r)
	}
	return fmt.Sprintf("%q", r)
}

func describe(s string) string {
	r, _ := utf8.DecodeRuneInString(s)
	return describeRune(r)
}
