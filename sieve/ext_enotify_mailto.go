package sieve

import (
	"errors"
	"fmt"
	"strings"
)

// MailtoURI is a parsed mailto URI (RFC 6068) as the notify method of
// RFC 5436 uses it.
type MailtoURI struct {
	// To lists the recipients of the to part and of "to" header fields;
	// Cc and Bcc those of "cc" and "bcc" fields. Each address appears
	// once in the three lists together (compared case-insensitively,
	// RFC 5436 §2.7).
	To, Cc, Bcc []string
	// Headers are the other header fields, in order, names as given.
	// Body is the "body" field (RFC 6068 §2).
	Headers []MailtoHeader
	Body    string
}

// MailtoHeader is one header field of a mailto URI.
type MailtoHeader struct {
	Name, Value string
}

// ErrMailto is wrapped by every error of ParseMailto.
var ErrMailto = errors.New("mailto URI")

// ParseMailto parses and checks a mailto URI: character syntax (RFC 6068
// §2), header field names, and every recipient address. The scheme is
// matched case-insensitively.
func ParseMailto(uri string) (*MailtoURI, error) {
	if len(uri) < 7 || !strings.EqualFold(uri[:7], "mailto:") {
		return nil, fmt.Errorf("%w: not a mailto URI", ErrMailto)
	}
	rest := uri[7:]
	to, query, hasQuery := strings.Cut(rest, "?")
	m := &MailtoURI{}
	seen := map[string]bool{}
	add := func(list *[]string, raw string) error {
		for _, a := range strings.Split(raw, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			norm, err := normalizeAddress(a)
			if err != nil {
				return fmt.Errorf("%w: invalid recipient '%s': %v", ErrMailto, a, err)
			}
			if key := strings.ToLower(norm); !seen[key] {
				seen[key] = true
				*list = append(*list, norm)
			}
		}
		return nil
	}
	if err := checkURIChars(to, "'to' part", false); err != nil {
		return nil, err
	}
	dec, err := pctDecode(to)
	if err != nil {
		return nil, err
	}
	if err := add(&m.To, dec); err != nil {
		return nil, err
	}
	if !hasQuery {
		return m, nil
	}
	for _, field := range strings.Split(query, "&") {
		name, value, ok := strings.Cut(field, "=")
		if !ok {
			return nil, fmt.Errorf("%w: header field '%s' has no value", ErrMailto, field)
		}
		if err := checkURIChars(name, "header field name part", true); err != nil {
			return nil, err
		}
		if err := checkURIChars(value, "header field value part", true); err != nil {
			return nil, err
		}
		if name, err = pctDecode(name); err != nil {
			return nil, err
		}
		if value, err = pctDecode(value); err != nil {
			return nil, err
		}
		if !validHeaderName(name) {
			return nil, fmt.Errorf("%w: invalid header field name", ErrMailto)
		}
		switch strings.ToLower(name) {
		case "to":
			err = add(&m.To, value)
		case "cc":
			err = add(&m.Cc, value)
		case "bcc":
			err = add(&m.Bcc, value)
		case "body":
			m.Body = value
		default:
			m.Headers = append(m.Headers, MailtoHeader{Name: name, Value: value})
		}
		if err != nil {
			return nil, err
		}
	}
	return m, nil
}

// checkURIChars accepts the characters RFC 6068 §2 allows in one part:
// unreserved, pct-encoded and some-delims (";" only in header fields,
// where it cannot separate addresses).
func checkURIChars(s, part string, semicolon bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~!$'()*+,:@%", c) >= 0:
		case c == ';' && semicolon:
		default:
			return fmt.Errorf("%w: invalid character '%c' in %s", ErrMailto, c, part)
		}
	}
	return nil
}

// pctDecode decodes %XX escapes (RFC 3986 §2.1).
func pctDecode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(rune(s[i+1])) || !isHex(rune(s[i+2])) {
			return "", fmt.Errorf("%w: invalid percent encoding", ErrMailto)
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// encodeURL percent-encodes everything but unreserved characters
// (RFC 3986 §2.3), as the :encodeurl modifier does (RFC 5435 §7).
func encodeURL(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// truncateEncoded cuts the output of encodeURL to at most n bytes at the
// end of an encoded character, never inside a %XX escape nor between the
// escapes of one UTF-8 character, as Pigeonhole does.
func truncateEncoded(s string, n int) string {
	end := 0
	for i := 0; i < len(s); {
		w := 1
		if s[i] == '%' {
			w = 3
			// Continuation bytes (%80-%BF) belong to the character.
			for i+w+2 < len(s) && s[i+w] == '%' && (s[i+w+1] == '8' || s[i+w+1] == '9' || s[i+w+1] == 'A' || s[i+w+1] == 'B') {
				w += 3
			}
		}
		if i+w > n {
			break
		}
		i += w
		end = i
	}
	return s[:end]
}
