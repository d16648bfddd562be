package sieve

import (
	"strings"
)

// extEnvelope is RFC 5228 §5.4: the envelope test.
var extEnvelope = &extension{
	name: "envelope",
	tests: []*commandSpec{{
		name:       "envelope",
		positional: []argKind{argStringList, argStringList},
		groups:     []string{groupComparator, groupMatchType, groupAddressPart},
		check: func(c *checker, n *node) {
			parts, ok := n.args[0].constStrings()
			if !ok {
				return
			}
			for _, p := range parts {
				switch strings.ToLower(p) {
				case "from", "to", "auth", "orig_to":
				default:
					c.errorf(n.args[0].pos, "unknown envelope part '%s'", p)
				}
			}
		},
		eval: func(e *exec, n *node) (bool, error) {
			var addrs []Address
			for _, p := range e.strs(n.args[0]) {
				// A malformed path matches nothing, not even with :all.
				if a, ok := envelopeAddress(e.env, p); ok && !a.invalid {
					addrs = append(addrs, a)
				}
			}
			return e.matchKeys(n, e.addressValues(n, addrs), n.args[1]), nil
		},
	}},
}

// envelopeAddress returns one envelope part as an address. The null
// reverse-path is the empty address (RFC 5228 §5.4).
func envelopeAddress(env Envelope, part string) (Address, bool) {
	var v string
	switch strings.ToLower(part) {
	case "from":
		v = env.From()
	case "to":
		v = env.To()
	case "orig_to":
		v = env.OriginalRecipient()
	case "auth":
		v = env.Auth()
		if v == "" {
			return Address{}, false
		}
	default:
		return Address{}, false
	}
	return parsePath(v), true
}

// parsePath parses an SMTP path (RFC 5321 §4.1.2): optional angle
// brackets, an ignored source route, and a mailbox. The null path gives the
// empty address; a path with a local part only (<MAILER-DAEMON>) is
// accepted; anything else malformed cannot match a :localpart or :domain.
func parsePath(v string) Address {
	raw := v
	bad := Address{invalid: true, raw: raw}
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "<") {
		if !strings.HasSuffix(v, ">") || len(v) < 2 {
			return bad
		}
		v = v[1 : len(v)-1]
	} else if strings.HasSuffix(v, ">") {
		return bad
	}
	if v == "" {
		return Address{}
	}
	if strings.ContainsAny(v, "<>") {
		return bad
	}
	if strings.HasPrefix(v, "@") {
		colon := strings.IndexByte(v, ':')
		if colon < 0 {
			return bad
		}
		for _, hop := range strings.Split(v[:colon], ",") {
			if !strings.HasPrefix(hop, "@") || !validDomain(hop[1:]) {
				return bad
			}
		}
		v = v[colon+1:]
	}
	at := strings.LastIndexByte(v, '@')
	if at < 0 {
		if strings.ContainsAny(v, " :,") {
			return bad
		}
		return Address{Local: v}
	}
	local, domain := v[:at], v[at+1:]
	if local == "" || strings.ContainsAny(local, "@ :,") && !strings.HasPrefix(local, `"`) || !validDomain(domain) {
		return bad
	}
	return Address{Local: local, Domain: domain}
}

// validDomain accepts a dot-separated domain (allowing "_" and odd hyphens
// as Pigeonhole does) or a domain literal.
func validDomain(d string) bool {
	if strings.HasPrefix(d, "[") && strings.HasSuffix(d, "]") {
		return true
	}
	if d == "" {
		return false
	}
	for _, label := range strings.Split(d, ".") {
		if label == "" {
			return false
		}
		for _, c := range label {
			if !(c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80) {
				return false
			}
		}
	}
	return true
}
