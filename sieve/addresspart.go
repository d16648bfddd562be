package sieve

// addressPart selects part of an address (RFC 5228 §2.7.4): :all,
// :localpart, :domain, or one added by an extension (:user, :detail).
type addressPart struct {
	name string
	ext  string
	// part returns the selected text; ok=false means the address has no
	// such part and cannot match (RFC 5233 §4 for a missing :detail).
	part func(e *exec, a Address) (s string, ok bool)
}

var (
	apAll = &addressPart{name: "all", part: func(_ *exec, a Address) (string, bool) {
		if a.Domain == "" {
			return a.Local, true
		}
		return a.Local + "@" + a.Domain, true
	}}
	apLocalpart = &addressPart{name: "localpart", part: func(_ *exec, a Address) (string, bool) {
		return a.Local, true
	}}
	apDomain = &addressPart{name: "domain", part: func(_ *exec, a Address) (string, bool) {
		return a.Domain, true
	}}
)

// addressValues applies the address part of n to a list of addresses.
func (e *exec) addressValues(n *node, addrs []Address) []string {
	ap := n.apart
	if ap == nil {
		ap = apAll
	}
	out := make([]string, 0, len(addrs))
	for _, a := range addrs {
		if a.invalid {
			if ap == apAll {
				out = append(out, a.raw)
			}
			continue
		}
		if s, ok := ap.part(e, a); ok {
			out = append(out, s)
		}
	}
	return out
}

// appendAddressValues appends to dst the address part of n of each
// address of a parsed header value, as addressValues does.
func (e *exec) appendAddressValues(dst []string, n *node, l *addrList) []string {
	ap := n.apart
	if ap == nil || ap == apAll {
		return append(dst, l.allForms()...)
	}
	for _, a := range l.addrs {
		if a.invalid {
			continue // only :all sees a value that is not an address
		}
		if s, ok := ap.part(e, a); ok {
			dst = append(dst, s)
		}
	}
	return dst
}
