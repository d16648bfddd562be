package sieve

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// comparator is a collation (RFC 4790) usable with :comparator.
type comparator struct {
	name string
	// ext is the capability that must be required ("" for the ones
	// RFC 5228 §2.7.3 makes always available).
	ext string
	// fold maps a string to the form compared octet by octet for
	// equality, substring and wildcard matching; nil when the comparator
	// supports equality and ordering only (i;ascii-numeric).
	fold func(string) string
	// foldRune maps one character for wildcard matching.
	foldRune func(rune) rune
	// compare orders two strings (RFC 5231 :value); equality is compare==0.
	compare func(a, b string) int
}

var (
	cmpOctet = &comparator{
		name:     "i;octet",
		fold:     func(s string) string { return s },
		foldRune: func(r rune) rune { return r },
		compare:  strings.Compare,
	}
	cmpASCIICasemap = &comparator{
		name:     "i;ascii-casemap",
		fold:     asciiLower,
		foldRune: asciiLowerRune,
		compare:  compareFoldASCII,
	}
	cmpASCIINumeric = &comparator{
		name:    "i;ascii-numeric",
		ext:     "comparator-i;ascii-numeric",
		compare: compareNumeric,
	}
	cmpUnicodeCasemap = &comparator{
		name:     "i;unicode-casemap",
		ext:      "comparator-i;unicode-casemap",
		fold:     unicodeFold,
		foldRune: canonFold,
		compare:  func(a, b string) int { return strings.Compare(unicodeFold(a), unicodeFold(b)) },
	}
)

func asciiLowerRune(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// lowerASCII maps one octet as asciiLower does.
func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// compareFoldASCII is strings.Compare(asciiLower(a), asciiLower(b))
// without the lowered copies: the i;ascii-casemap ordering (RFC 4790
// §9.2), octet by octet.
func compareFoldASCII(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if ca, cb := lowerASCII(a[i]), lowerASCII(b[i]); ca != cb {
			if ca < cb {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// containsFoldASCII is strings.Contains(asciiLower(s), asciiLower(substr))
// without the lowered copies, for i;ascii-casemap substring matching. It
// compares octets, so any bytes (non-ASCII, invalid UTF-8) give the same
// result as the lowered search. Its cost is up to len(s)·len(substr)
// comparisons: meant for short values such as header fields.
func containsFoldASCII(s, substr string) bool {
	n := len(substr)
	if n == 0 {
		return true
	}
	first := lowerASCII(substr[0])
	for i := 0; i+n <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		j := 1
		for j < n && lowerASCII(s[i+j]) == lowerASCII(substr[j]) {
			j++
		}
		if j == n {
			return true
		}
	}
	return false
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// unicodeFold implements the i;unicode-casemap key (RFC 5051 §2): each
// character is title-cased (here: case folded to a canonical case), then
// the string is brought to Normalization Form KD.
func unicodeFold(s string) string {
	s = norm.NFKD.String(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		b.WriteRune(canonFold(r))
	}
	return b.String()
}

// canonFold maps r to the smallest rune in its case-folding orbit, so that
// every case variant maps to the same rune.
func canonFold(r rune) rune {
	m := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < m {
			m = f
		}
	}
	return m
}

// compareNumeric is i;ascii-numeric (RFC 4790 §9.1): the value is the
// leading run of digits; a string without leading digits is positive
// infinity, equal to every other such string.
func compareNumeric(a, b string) int {
	da, oka := leadingDigits(a)
	db, okb := leadingDigits(b)
	switch {
	case !oka && !okb:
		return 0
	case !oka:
		return 1
	case !okb:
		return -1
	}
	da = strings.TrimLeft(da, "0")
	db = strings.TrimLeft(db, "0")
	if len(da) != len(db) {
		if len(da) < len(db) {
			return -1
		}
		return 1
	}
	return strings.Compare(da, db)
}

func leadingDigits(s string) (string, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], i > 0
}
