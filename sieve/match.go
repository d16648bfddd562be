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
	// expanded. It may set match variables through e.setMatch, or
	// directly in e.match up to e.matchLimit as :matches does.
	match func(e *exec, m *matchSpec, values, keys []string) bool
	// compileKey, when set, pre-compiles constant keys for the match's
	// comparator (used by :matches and :regex); see compileKeys.
	compileKey func(c *checker, pos Pos, m *matchSpec, key string) (any, error)
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
		name:       "matches",
		check:      needSubstring,
		match:      matchWildcard,
		compileKey: compileWildcardKey,
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

// compileKeys pre-compiles the constant keys (the last positional argument)
// of a test whose match type has a compileKey hook, reporting invalid ones
// with their position.
func (c *checker) compileKeys(n *node, m *matchSpec) {
	if len(n.args) == 0 {
		return
	}
	keys := n.args[len(n.args)-1]
	for _, t := range keys.list {
		if !t.constant {
			continue
		}
		d, err := m.typ.compileKey(c, keys.pos, m, t.lit)
		if err != nil {
			c.errorf(keys.pos, "invalid :%s key '%s' for the %s test: %v", m.typ.name, t.lit, n.spec.name, err)
			continue
		}
		if m.keyData == nil {
			m.keyData = map[string]any{}
		}
		m.keyData[t.lit] = d
	}
}

// compileWildcardKey compiles a constant :matches key once, with the
// script, for the test's comparator.
func compileWildcardKey(_ *checker, _ Pos, m *matchSpec, key string) (any, error) {
	return compilePattern(key, m.cmp.foldRune), nil
}

// wildcardKey returns the compiled pattern of a key: the one compiled with
// the script for a constant key, else (a key built from variables) one
// compiled now.
func (m *matchSpec) wildcardKey(key string) *pattern {
	if p, ok := m.keyData[key].(*pattern); ok {
		return p
	}
	return compilePattern(key, m.cmp.foldRune)
}

// matchWildcard is :matches (RFC 5228 §2.7.1): the first value, then the
// first key, that matches wins and sets the match variables (RFC 5229
// §3.2). Keys are compiled before the values are looked at; matching
// itself allocates nothing, and the captures are substrings of the value.
func matchWildcard(e *exec, m *matchSpec, values, keys []string) bool {
	if len(values) == 0 {
		return false
	}
	var patBuf [8]*pattern
	pats := patBuf[:0]
	for _, k := range keys {
		pats = append(pats, m.wildcardKey(k))
	}
	var atBuf [64]int
	for _, v := range values {
		for _, p := range pats {
			e.step()
			at := p.positions(atBuf[:])
			if p.match(v, e.step, at) {
				if max := e.matchLimit(); max > 0 {
					e.match = p.appendCaptures(e.match[:0], v, at, max)
				}
				return true
			}
		}
	}
	return false
}
