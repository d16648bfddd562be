package sieve

import (
	"strings"
)

// matchType is a match type usable in tests (RFC 5228 §2.7.1) such as
// :is, :contains, :matches, or one added by an extension (:count and :value
// from RFC 5231, :regex ...).
type matchType struct {
	name string
	// ext is the capability that must be required ("" = core).
	ext string
	// arg is the kind of the tag's own argument (argNone for most).
	arg argKind
	// check validates the combination with the comparator and the tag's
	// argument at compile time; nil = always fine.
	check func(c *checker, pos Pos, m *matchSpec)
	// match reports whether any value matches any key. keys are already
	// expanded. It may set match variables through e.setMatch.
	match func(e *exec, m *matchSpec, values, keys []string) bool
	// compileKey, when set, pre-compiles constant keys (used by :regex).
	compileKey func(c *checker, pos Pos, key string) (any, error)
}

// matchSpec is the compiled match of one test: match type, its argument
// and the comparator.
type matchSpec struct {
	typ *matchType
	arg string
	cmp *comparator
	// keyData holds compileKey results for constant keys, by key text.
	keyData map[string]any
}

var (
	mtIs = &matchType{
		name: "is",
		match: func(e *exec, m *matchSpec, values, keys []string) bool {
			for _, v := range values {
				for _, k := range keys {
					if e.step() && m.cmp.compare(v, k) == 0 {
						return true
					}
				}
			}
			return false
		},
	}
	mtContains = &matchType{
		name:  "contains",
		check: needSubstring,
		match: func(e *exec, m *matchSpec, values, keys []string) bool {
			for _, v := range values {
				if m.cmp == cmpASCIICasemap && len(v) <= shortValue {
					// The default comparator on a header-sized
					// value: search without folding copies.
					for _, k := range keys {
						if e.step() && containsFoldASCII(v, k) {
							return true
						}
					}
					continue
				}
				fv := m.cmp.fold(v)
				for _, k := range keys {
					if e.step() && strings.Contains(fv, m.cmp.fold(k)) {
						return true
					}
				}
			}
			return false
		},
	}
	mtMatches = &matchType{
		name:  "matches",
		check: needSubstring,
		match: func(e *exec, m *matchSpec, values, keys []string) bool {
			for _, v := range values {
				for _, k := range keys {
					if !e.step() {
						return false
					}
					if caps, ok := wildcardMatch(k, v, m.cmp.foldRune, e.step); ok {
						e.setMatch(caps)
						return true
					}
				}
			}
			return false
		},
	}
)

// shortValue is the longest value :contains searches in place with
// i;ascii-casemap; a longer one (a body) is folded once and searched with
// strings.Contains for each key, which is faster on long text.
const shortValue = 1024

// needSubstring rejects comparators without substring support, e.g.
// i;ascii-numeric with :contains (RFC 4790 §9.1).
func needSubstring(c *checker, pos Pos, m *matchSpec) {
	if m.cmp.fold == nil {
		c.errorf(pos, "the :%s match type is not supported by the %q comparator", m.typ.name, m.cmp.name)
	}
}

// patTok is one element of a :matches pattern.
type patTok struct {
	kind byte // 'l' literal, '*', '?'
	r    rune
}

func parsePattern(p string) []patTok {
	toks := make([]patTok, 0, len(p))
	esc := false
	for _, r := range p {
		switch {
		case esc:
			toks = append(toks, patTok{kind: 'l', r: r})
			esc = false
		case r == '\\':
			esc = true
		case r == '*':
			// Consecutive stars behave like one but each still captures.
			toks = append(toks, patTok{kind: '*'})
		case r == '?':
			toks = append(toks, patTok{kind: '?'})
		default:
			toks = append(toks, patTok{kind: 'l', r: r})
		}
	}
	return toks
}

// wildcardMatch matches text against a :matches pattern (RFC 5228 §2.7.1)
// character by character, "?" matching one Unicode character and "*" any
// run, as short as possible (RFC 5229 §3.2). It returns the match values:
// the whole text and then one string per wildcard.
func wildcardMatch(pattern, text string, fold func(rune) rune, step func() bool) ([]string, bool) {
	pat := parsePattern(pattern)
	txt := []rune(text)
	pos := make([]int, len(pat)) // text index where each token matched
	p, t := 0, 0
	starP, starT := -1, 0
	for t < len(txt) || p < len(pat) {
		if p < len(pat) {
			switch tk := pat[p]; tk.kind {
			case '*':
				pos[p] = t
				starP, starT = p, t
				p++
				continue
			case '?':
				if t < len(txt) {
					pos[p] = t
					p++
					t++
					continue
				}
			default:
				if t < len(txt) && fold(txt[t]) == fold(tk.r) {
					pos[p] = t
					p++
					t++
					continue
				}
			}
		}
		if starP >= 0 && starT < len(txt) {
			step()
			starT++
			p, t = starP+1, starT
			continue
		}
		return nil, false
	}
	caps := []string{text}
	for i, tk := range pat {
		switch tk.kind {
		case '?':
			caps = append(caps, string(txt[pos[i]]))
		case '*':
			end := len(txt)
			if i+1 < len(pat) {
				end = pos[i+1]
			}
			caps = append(caps, string(txt[pos[i]:end]))
		}
	}
	return caps, true
}
