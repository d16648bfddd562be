package message

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// charsetKind classifies a charset label.
type charsetKind int

const (
	csUnknown charsetKind = iota
	csUTF8                // UTF-8 or a subset of it (US-ASCII)
	csOther               // converted with an x/text encoding
)

// lookupCharset resolves a MIME charset label. US-ASCII is treated as
// UTF-8, since 8-bit UTF-8 mislabelled as ASCII is common and ASCII is a
// subset of it. Labels are resolved through the WHATWG index first (so
// ISO-8859-1 decodes as its superset windows-1252, as mail readers do),
// then through the IANA registry.
func lookupCharset(label string) (charsetKind, encoding.Encoding) {
	label = strings.ToLower(strings.TrimSpace(label))
	switch label {
	case "utf-8", "utf8", "us-ascii", "ascii", "ansi_x3.4-1968", "":
		return csUTF8, nil
	}
	if e, err := htmlindex.Get(label); err == nil && e != nil {
		return csOther, e
	}
	for _, idx := range []*ianaindex.Index{ianaindex.MIME, ianaindex.IANA} {
		if e, err := idx.Encoding(label); err == nil && e != nil {
			return csOther, e
		}
	}
	return csUnknown, nil
}

// convert decodes b from charset label to UTF-8. ok is false when the
// charset is unknown; b is then returned unchanged. Bytes that are not
// valid in the result are repaired by [bestEffortUTF8].
func convert(label string, b []byte) (out []byte, ok bool) {
	kind, enc := lookupCharset(label)
	switch kind {
	case csUTF8:
		return b, true
	case csOther:
		d, err := enc.NewDecoder().Bytes(b)
		if err != nil {
			return b, false
		}
		return d, true
	}
	return b, false
}

// bestEffortUTF8 returns s with every byte that is not part of valid UTF-8
// read as windows-1252 (a superset of ISO-8859-1, which is what unlabelled
// 8-bit header text is most often). Valid input is returned as is.
func bestEffortUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b.WriteRune(charmap.Windows1252.DecodeByte(s[i]))
		} else {
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}
