package autoreply

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode/utf8"
)

// MailtoURI is a parsed mailto: URI (RFC 6068) as a notify method
// (RFC 5436 §2.1).
type MailtoURI struct {
	// To and Cc are the recipients, without duplicates (an address given
	// both ways stays in To).
	To, Cc []*mail.Address
	// Subject and Body are the "subject" and "body" hfields, percent-decoded;
	// encoded words in Subject are decoded.
	Subject, Body string
	// Headers are the other hfields that may go into the notification, in
	// URI order.
	Headers []HeaderField
	// Warnings say what was ignored: reserved or repeated hfields,
	// duplicate recipients, recipients over the limit.
	Warnings []string
}

// HeaderField is one header field name and value.
type HeaderField struct {
	Name, Value string
}

// Limits on what one notify URI may ask for, as Dovecot has them: extra
// recipients or fields are ignored with a warning.
const (
	MaxMailtoRecipients = 8
	MaxMailtoHeaders    = 16
)

// reservedHfields may not be set from a notify URI: they identify the
// message, its author or its routing, and RFC 5436 §2.7 leaves them to the
// implementation. "bcc" is ignored too, so that no hidden copy is sent.
var reservedHfields = map[string]bool{
	"auto-submitted": true, "received": true, "message-id": true, "date": true,
	"bcc": true, "in-reply-to": true, "references": true,
	"resent-date": true, "resent-from": true, "resent-sender": true,
	"resent-to": true, "resent-cc": true, "resent-bcc": true,
	"resent-message-id": true, "resent-msg-id": true,
	"from": true, "sender": true, "return-path": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

// uniqueHfields may appear once; later copies are ignored.
var uniqueHfields = map[string]bool{"reply-to": true}

// ParseMailto parses and validates a mailto: URI (RFC 6068 §2):
//
//	mailtoURI = "mailto:" [ to ] [ hfields ]
//	to        = addr-spec *( "," addr-spec )
//	hfields   = "?" hfield *( "&" hfield )
//	hfield    = hfname "=" hfvalue
//	hfname, hfvalue = *qchar ; unreserved / pct-encoded / some-delims
//
// Recipients in the path are separated by "," or "%2C"; "to" and "cc"
// hfields may hold full mailboxes ("Name <addr>"). Every address must be a
// valid addr-spec. Percent-encoded octets must form UTF-8 and may not be NUL;
// header values may not hold line breaks.
func ParseMailto(uri string) (*MailtoURI, error) {
	const scheme = "mailto:"
	if len(uri) < len(scheme) || !strings.EqualFold(uri[:len(scheme)], scheme) {
		return nil, fmt.Errorf("%w: scheme is not mailto", ErrInvalidMailto)
	}
	rest := uri[len(scheme):]
	if strings.ContainsRune(rest, '#') {
		return nil, fmt.Errorf("%w: fragment not allowed", ErrInvalidMailto)
	}
	path, query, _ := strings.Cut(rest, "?")
	u := &MailtoURI{}
	seen := map[string]*recipient{}
	var rcpts []*recipient

	add := func(list string, cc bool, where string) error {
		for _, a := range splitRecipients(list) {
			mb, err := parseMailbox(a)
			if err != nil {
				return fmt.Errorf("%w: invalid recipient %q in %s: %w", ErrInvalidMailto, ReasonLine(a), where, err)
			}
			key := strings.ToLower(mb.Address)
			if r, dup := seen[key]; dup {
				// An address in both To and Cc is sent once, as To.
				r.cc = r.cc && cc
				u.Warnings = append(u.Warnings, "ignored duplicate recipient "+mb.Address)
				continue
			}
			if len(rcpts) >= MaxMailtoRecipients {
				u.Warnings = append(u.Warnings, "ignored recipient over the limit: "+mb.Address)
				continue
			}
			r := &recipient{addr: mb, cc: cc}
			seen[key] = r
			rcpts = append(rcpts, r)
		}
		return nil
	}

	if path != "" {
		to, err := pctDecode(path, "to")
		if err != nil {
			return nil, err
		}
		if err := add(to, false, "path"); err != nil {
			return nil, err
		}
	}

	headers := 0
	if query != "" {
		for _, hf := range strings.Split(query, "&") {
			rawName, rawValue, _ := strings.Cut(hf, "=")
			name, err := pctDecode(rawName, "hfname")
			if err != nil {
				return nil, err
			}
			value, err := pctDecode(rawValue, "hfvalue")
			if err != nil {
				return nil, err
			}
			if !validFieldName(name) {
				return nil, fmt.Errorf("%w: invalid header field name %q", ErrInvalidMailto, ReasonLine(name))
			}
			if len(name) > maxFieldName {
				// A field name cannot be folded: it must fit a line
				// (RFC 5322 §2.1.1).
				return nil, fmt.Errorf("%w: header field name longer than %d characters", ErrInvalidMailto, maxFieldName)
			}
			lname := strings.ToLower(name)
			if lname != "body" && strings.ContainsAny(value, "\r\n") {
				return nil, fmt.Errorf("%w: line break in %s", ErrInvalidMailto, lname)
			}
			headers++
			if headers > MaxMailtoHeaders {
				u.Warnings = append(u.Warnings, "ignored header field over the limit: "+name)
				continue
			}
			switch {
			case lname == "to" || lname == "cc":
				if err := add(value, lname == "cc", lname); err != nil {
					return nil, err
				}
			case lname == "subject":
				if u.Subject != "" {
					u.Warnings = append(u.Warnings, "ignored repeated subject")
					continue
				}
				u.Subject = oneLine(decodeHeader(value))
			case lname == "body":
				if u.Body != "" {
					u.Warnings = append(u.Warnings, "ignored repeated body")
					continue
				}
				u.Body = value
			case reservedHfields[lname]:
				u.Warnings = append(u.Warnings, "ignored reserved header field "+name)
			case uniqueHfields[lname] && u.hasHeader(lname):
				u.Warnings = append(u.Warnings, "ignored repeated header field "+name)
			default:
				u.Headers = append(u.Headers, HeaderField{Name: name, Value: value})
			}
		}
	}
	for _, r := range rcpts {
		if r.cc {
			u.Cc = append(u.Cc, r.addr)
		} else {
			u.To = append(u.To, r.addr)
		}
	}
	return u, nil
}

type recipient struct {
	addr *mail.Address
	cc   bool
}

func (u *MailtoURI) hasHeader(lname string) bool {
	for _, h := range u.Headers {
		if strings.ToLower(h.Name) == lname {
			return true
		}
	}
	return false
}

// Recipients returns every address the notification goes to, To first.
func (u *MailtoURI) Recipients() []string {
	out := make([]string, 0, len(u.To)+len(u.Cc))
	for _, a := range u.To {
		out = append(out, smtpAddress(a.Address))
	}
	for _, a := range u.Cc {
		out = append(out, smtpAddress(a.Address))
	}
	return out
}

// ValidMailtoURI reports why uri is not a usable mailto: notify method, or
// nil; it backs the Sieve valid_notify_method test (RFC 5435 §4).
func ValidMailtoURI(uri string) error {
	_, err := ParseMailto(uri)
	return err
}

// MailtoCapability answers the Sieve notify_method_capability test
// (RFC 5435 §5) for a mailto: URI: "online" is always "maybe", since mail
// cannot tell whether its reader is present (RFC 5436 §2.2). Unknown
// capabilities and invalid URIs give "".
func MailtoCapability(uri, capability string) string {
	if ValidMailtoURI(uri) != nil {
		return ""
	}
	if strings.EqualFold(capability, "online") {
		return "maybe"
	}
	return ""
}

// splitRecipients splits a to value at commas outside quotes, comments and
// angle brackets.
func splitRecipients(s string) []string {
	var out []string
	for _, p := range splitList(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// isQchar reports whether c may appear unencoded in a mailto URI part
// (RFC 6068 §2: qchar = unreserved / pct-encoded / some-delims).
func isQchar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$'()*+,;:@", c) >= 0
}

// pctDecode checks the raw characters of one URI part and decodes its
// percent-encoded octets, which must form UTF-8 and not be NUL.
func pctDecode(s, part string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return "", fmt.Errorf("%w: bad percent-encoding in %s", ErrInvalidMailto, part)
			}
			v := byte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			if v == 0 {
				return "", fmt.Errorf("%w: encoded NUL in %s", ErrInvalidMailto, part)
			}
			b.WriteByte(v)
			i += 2
		case c == '=' && part == "hfvalue":
			// Not a qchar, but found in the wild inside values ("a=b");
			// unambiguous there since the name ended at the first "=".
			b.WriteByte(c)
		case isQchar(c):
			b.WriteByte(c)
		case (c == '[' || c == ']') && part == "to":
			// RFC 6068 §2 writes a domain-literal with its brackets.
			b.WriteByte(c)
		default:
			return "", fmt.Errorf("%w: character %q not allowed in %s", ErrInvalidMailto, c, part)
		}
	}
	if !utf8.ValidString(b.String()) {
		return "", fmt.Errorf("%w: %s is not UTF-8", ErrInvalidMailto, part)
	}
	return b.String(), nil
}

func unhex(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// maxFieldName bounds the header field names a mailto URI may give, so
// that every field of a notification fits the 78-character line RFC 5322
// §2.1.1 recommends.
const maxFieldName = 76

// validFieldName: RFC 5322 §3.6.8 ftext, printable US-ASCII but ":".
func validFieldName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}
