package address

import (
	"net/netip"
	"strings"
)

// checkLiteral validates an address-literal (RFC 5321 §4.1.3):
// "[" ( IPv4-address-literal / IPv6-address-literal /
// General-address-literal ) "]".
func checkLiteral(in, d string) error {
	if len(d) < 3 || d[len(d)-1] != ']' {
		return syntaxErr(in, "unterminated address literal")
	}
	body := d[1 : len(d)-1]
	tag, value, tagged := strings.Cut(body, ":")
	if !tagged {
		ip, err := netip.ParseAddr(body)
		if err != nil || !ip.Is4() {
			return syntaxErr(in, "invalid IPv4 address literal %q", d)
		}
		return nil
	}
	if strings.EqualFold(tag, "IPv6") {
		ip, err := netip.ParseAddr(value)
		if err != nil || !ip.Is6() || ip.Zone() != "" {
			return syntaxErr(in, "invalid IPv6 address literal %q", d)
		}
		return nil
	}
	// General-address-literal = Standardized-tag ":" 1*dcontent, where the
	// tag is an Ldh-str and dcontent is %d33-90 / %d94-126.
	if !isLdhStr(tag) {
		return syntaxErr(in, "invalid address literal tag %q", tag)
	}
	if value == "" {
		return syntaxErr(in, "empty address literal %q", d)
	}
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c < 33 || c > 126 || (c >= 91 && c <= 93) {
			return syntaxErr(in, "invalid character %s in address literal", describe(value[i:]))
		}
	}
	return nil
}

// isLdhStr reports whether s is Let-dig [Ldh-str] (RFC 5321 §4.1.2).
func isLdhStr(s string) bool {
	if s == "" || s[len(s)-1] == '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' && i > 0) {
			return false
		}
	}
	return true
}
