package address

import (
	"strings"
	"unicode/utf8"
)

// Split separates a local part into user and detail at the first
// occurrence of any character of delimiters (RFC 5233 §1:
// "user+detail"). delimiters is a set, like Dovecot's recipient_delimiter,
// so "+-" splits "alice-lists+x" into "alice" and "lists+x". With no
// delimiter present, or an empty set, detail is "" and user is local.
func Split(local, delimiters string) (user, detail string) {
	if delimiters == "" {
		return local, ""
	}
	i := strings.IndexAny(local, delimiters)
	if i < 0 {
		return local, ""
	}
	_, size := utf8.DecodeRuneInString(local[i:])
	return local[:i], local[i+size:]
}
