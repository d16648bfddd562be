package maildir

import (
	"slices"
	"strings"
)

// systemFlags maps IMAP system flags (RFC 3501 §2.3.2, matched
// case-insensitively) to Maildir info letters. 'P' (passed) has no IMAP
// flag. \Recent cannot be stored.
var systemFlags = map[string]byte{
	`\draft`:    'D',
	`\flagged`:  'F',
	`\answered`: 'R',
	`\seen`:     'S',
	`\deleted`:  'T',
}

// isAtom reports whether s is an IMAP atom (RFC 3501 §9: 1*ATOM-CHAR, any
// CHAR except atom-specials "(", ")", "{", SP, CTL, "%", "*", '"', "\", "]").
func isAtom(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f {
			return false
		}
		switch c {
		case '(', ')', '{', '%', '*', '"', '\\', ']':
			return false
		}
	}
	return true
}

// splitFlags sorts IMAP flags into system flag letters and keywords. Flags
// that are neither a known system flag nor a valid keyword are returned in
// dropped. Duplicates (keywords compared case-insensitively) are removed.
func splitFlags(flags []string) (letters []byte, keywords, dropped []string) {
	for _, f := range flags {
		if strings.HasPrefix(f, `\`) {
			c, ok := systemFlags[strings.ToLower(f)]
			if !ok {
				dropped = append(dropped, f)
				continue
			}
			if !slices.Contains(letters, c) {
				letters = append(letters, c)
			}
			continue
		}
		if !isAtom(f) {
			dropped = append(dropped, f)
			continue
		}
		if !slices.ContainsFunc(keywords, func(k string) bool { return strings.EqualFold(k, f) }) {
			keywords = append(keywords, f)
		}
	}
	slices.Sort(letters)
	return letters, keywords, dropped
}

// infoSuffix builds the ":2,<letters>" suffix: system letters (D F P R S T)
// then keyword letters (a..z), each group sorted, which is plain byte order.
func infoSuffix(letters []byte) string {
	l := slices.Clone(letters)
	slices.Sort(l)
	l = slices.Compact(l)
	return ":2," + string(l)
}
