package sieve

import (
	"errors"
	"strings"

	"github.com/sluice-mail/sluice/sieve/internal/message"
)

// headerAddresses parses one address header value. When the value is not a
// valid address list, it yields one invalid Address holding the raw value:
// :all still sees the whole value, while :localpart and :domain cannot
// match (RFC 5228 §2.7.4, as Pigeonhole does).
func headerAddresses(v string) []Address {
	list := message.ParseAddressList(v)
	if strings.TrimSpace(v) == "" {
		return []Address{{invalid: true, raw: ""}}
	}
	out := make([]Address, 0, len(list))
	for _, a := range list {
		if !validAddrParts(a.Local, a.Domain) {
			return []Address{{invalid: true, raw: strings.TrimSpace(v)}}
		}
		out = append(out, Address{Local: a.Local, Domain: a.Domain})
	}
	if len(out) == 0 && !strings.Contains(v, ":") {
		// Not even a group: garbage.
		return []Address{{invalid: true, raw: strings.TrimSpace(v)}}
	}
	return out
}

func validAddrParts(local, domain string) bool {
	if local == "" || domain == "" {
		return false
	}
	for _, s := range []string{local, domain} {
		for i := 0; i < len(s); i++ {
			if s[i] >= 0x80 || s[i] < 0x20 {
				return false
			}
		}
	}
	return true
}

var errBadAddress = errors.New("not a valid RFC 5322 address")

// normalizeAddress checks a redirect target (RFC 5228 §4.2: an RFC 5322
// address; a display name and white space around tokens are tolerated, and,
// like Pigeonhole, odd dots in the local part) and returns its addr-spec,
// with the local part quoted only when it needs it.
func normalizeAddress(s string) (string, error) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '<'); i >= 0 && !strings.HasPrefix(strings.TrimSpace(s), `"`) || strings.HasSuffix(s, ">") {
		if !strings.HasSuffix(s, ">") || i < 0 {
			return "", errBadAddress
		}
		s = strings.TrimSpace(s[i+1 : len(s)-1])
	}
	at := strings.LastIndexByte(s, '@')
	if at < 0 {
		return "", errBadAddress
	}
	local, domain := strings.TrimSpace(s[:at]), strings.TrimSpace(s[at+1:])
	if len(local) >= 2 && local[0] == '"' && local[len(local)-1] == '"' {
		var b strings.Builder
		for i := 1; i < len(local)-1; i++ {
			c := local[i]
			if c == '\\' && i+1 < len(local)-1 {
				i++
				c = local[i]
			} else if c == '"' {
				return "", errBadAddress
			}
			b.WriteByte(c)
		}
		local = b.String()
	} else if local == "" || strings.ContainsFunc(local, func(r rune) bool { return r != '.' && (!isAtext(r) || r >= 0x80) }) {
		return "", errBadAddress
	}
	if domain == "" || strings.ContainsFunc(domain, func(r rune) bool {
		return r != '.' && r != '-' && (!isAtext(r) || r >= 0x80)
	}) && !(strings.HasPrefix(domain, "[") && strings.HasSuffix(domain, "]")) {
		return "", errBadAddress
	}
	if !validAddrParts(local, domain) {
		return "", errBadAddress
	}
	return quoteLocal(local) + "@" + domain, nil
}

// quoteLocal returns local as a dot-atom when possible, else as a quoted
// string (RFC 5322 §3.4.1).
func quoteLocal(local string) string {
	atoms := strings.Split(local, ".")
	ok := true
	for _, a := range atoms {
		if a == "" || strings.ContainsFunc(a, func(r rune) bool { return !isAtext(r) }) {
			ok = false
			break
		}
	}
	if ok {
		return local
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(local) + `"`
}

func isAtext(r rune) bool {
	switch {
	case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		return true
	}
	return strings.ContainsRune("!#$%&'*+-/=?^_`{|}~", r) || r >= 0x80
}
