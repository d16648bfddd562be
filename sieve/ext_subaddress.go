package sieve

import "strings"

// extSubaddress is RFC 5233: the :user and :detail address parts. The
// separator is Options.RecipientDelimiter ("+" by default).
var extSubaddress = &extension{
	name: "subaddress",
	addressParts: []*addressPart{
		{name: "user", ext: "subaddress", part: func(e *exec, a Address) (string, bool) {
			user, _, _ := splitDetail(a.Local, e.delim)
			return user, true
		}},
		{name: "detail", ext: "subaddress", part: func(e *exec, a Address) (string, bool) {
			// RFC 5233 §4: no separator means :detail cannot match,
			// while an empty detail matches "".
			_, detail, ok := splitDetail(a.Local, e.delim)
			return detail, ok
		}},
	},
}

// splitDetail splits a local part at the first of the delimiter characters.
func splitDetail(local, delims string) (user, detail string, ok bool) {
	i := strings.IndexAny(local, delims)
	if i < 0 {
		return local, "", false
	}
	return local[:i], local[i+1:], true
}
