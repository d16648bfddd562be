package autoreply

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxReasonLine is the longest ReasonLine result, in characters.
const maxReasonLine = 200

// ReasonLine turns a rejection reason (or any script-provided text) into one
// printable line of at most 200 characters, fit for an SMTP reply text
// (RFC 5321 §4.2) or the one stderr line that an MTA copies into a bounce:
// line breaks, tabs and control characters become spaces, runs of spaces
// collapse, invalid UTF-8 is dropped, and a cut is marked with "...".
func ReasonLine(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= maxReasonLine {
		return s
	}
	r := []rune(s)
	return strings.TrimRight(string(r[:maxReasonLine-3]), " ") + "..."
}
