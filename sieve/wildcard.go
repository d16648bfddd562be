package sieve

import (
	"strings"
	"unicode/utf8"
)

// pattern is a compiled :matches key (RFC 5228 §2.7.1): a list of
// literal characters and wildcards, the literals already folded by the
// comparator it was compiled for. A key without variables is compiled
// once with its script; one built from variables when the test runs. A
// pattern is never changed once compiled, so runs share it.
type pattern struct {
	toks []patTok
	// fold maps a character of the text before it is compared with a
	// literal: the comparator's foldRune.
	fold func(rune) rune
}

// patTok is one element of a pattern.
type patTok struct {
	kind byte // 'l' literal, '*', '?'
	r    rune // the literal, folded
}

// compilePattern parses a :matches key for a comparator's fold. "\" makes
// the next character literal (RFC 5228 §2.7.1) and a trailing "\" is
// dropped. The key is read character by character as Go ranges over a
// string: an invalid UTF-8 byte is the character U+FFFD, as it is in the
// text.
func compilePattern(key string, fold func(rune) rune) *pattern {
	toks := make([]patTok, 0, len(key))
	esc := false
	for _, r := range key {
		switch {
		case esc:
			toks = append(toks, patTok{kind: 'l', r: fold(r)})
			esc = false
		case r == '\\':
			esc = true
		case r == '*':
			// Consecutive stars behave like one but each still captures.
			toks = append(toks, patTok{kind: '*'})
		case r == '?':
			toks = append(toks, patTok{kind: '?'})
		default:
			toks = append(toks, patTok{kind: 'l', r: fold(r)})
		}
	}
	return &pattern{toks: toks, fold: fold}
}

// positions returns the slice match fills, one entry per token: buf when
// it is large enough, so that a caller can keep it on its stack.
func (p *pattern) positions(buf []int) []int {
	if len(p.toks) <= len(buf) {
		return buf[:len(p.toks)]
	}
	return make([]int, len(p.toks))
}

// match reports whether the whole text matches, "?" matching one
// character and "*" any run of them, as short as possible (RFC 5229
// §3.2). at (from positions) receives the byte offset in text where each
// token matched, for captures. step is called each time a "*" takes one
// more character, so that a run pays for backtracking.
//
// It works on byte offsets and decodes the text as it goes, a byte of
// invalid UTF-8 being one character U+FFFD; it does not allocate.
func (p *pattern) match(text string, step func() bool, at []int) bool {
	toks := p.toks
	i, t := 0, 0 // token index, byte offset in text
	starI, starT := -1, 0
	for t < len(text) || i < len(toks) {
		if i < len(toks) {
			switch tk := toks[i]; tk.kind {
			case '*':
				at[i] = t
				starI, starT = i, t
				i++
				continue
			case '?':
				if t < len(text) {
					at[i] = t
					i++
					t += runeLen(text, t)
					continue
				}
			default:
				if t < len(text) {
					r, n := decodeRune(text, t)
					if p.fold(r) == tk.r {
						at[i] = t
						i++
						t += n
						continue
					}
				}
			}
		}
		// Backtrack: the last "*" takes one more character.
		if starI >= 0 && starT < len(text) {
			step()
			starT += runeLen(text, starT)
			i, t = starI+1, starT
			continue
		}
		return false
	}
	return true
}

// appendCaptures appends to dst the match variables of a successful match
// of text (RFC 5229 §3.2): ${0} the whole text, then what each wildcard
// matched, in order, max values in all at most. at is what match filled.
// A capture is a substring of text unless it holds invalid UTF-8, which is
// then spelt with U+FFFD for each bad byte.
func (p *pattern) appendCaptures(dst []string, text string, at []int, max int) []string {
	limit := len(dst) + max
	dst = append(dst, text)
	for i, tk := range p.toks {
		if len(dst) >= limit {
			break
		}
		switch tk.kind {
		case '?':
			start := at[i]
			dst = append(dst, validCapture(text[start:start+runeLen(text, start)]))
		case '*':
			end := len(text)
			if i+1 < len(p.toks) {
				end = at[i+1]
			}
			dst = append(dst, validCapture(text[at[i]:end]))
		}
	}
	return dst
}

// decodeRune decodes the character at text[i], with a fast path for
// ASCII.
func decodeRune(text string, i int) (rune, int) {
	if c := text[i]; c < utf8.RuneSelf {
		return rune(c), 1
	}
	return utf8.DecodeRuneInString(text[i:])
}

// runeLen is the length in bytes of the character at text[i].
func runeLen(text string, i int) int {
	_, n := decodeRune(text, i)
	return n
}

// validCapture returns s with each byte of invalid UTF-8 replaced by
// U+FFFD, and s itself, without a copy, when it is valid.
func validCapture(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		b.WriteRune(r)
	}
	return b.String()
}
