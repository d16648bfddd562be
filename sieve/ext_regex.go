package sieve

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
)

// extRegex is the :regex match type of draft-ietf-sieve-regex-01 as
// Pigeonhole implements it: POSIX extended regular expressions searched
// (not anchored) in each value, leftmost-longest, with the groups becoming
// the match variables ${1}..${9} (${0} is the whole match) when the
// variables extension is in use, plus the :quoteregex set modifier.
//
// Patterns run on Go's RE2 engine, so matching is linear in the length of
// the value whatever the pattern; back-references, which POSIX allows and
// RE2 cannot run in linear time, are refused. See posixToRE2 for the
// syntax that is translated.
var extRegex = &extension{
	name:       "regex",
	matchTypes: []*matchType{mtRegex},
	modifiers:  []*modifier{{name: "quoteregex", precedence: 20, apply: quoteRegex}},
}

var mtRegex = &matchType{
	name:       "regex",
	ext:        "regex",
	check:      checkRegexComparator,
	match:      matchRegex,
	compileKey: compileRegexKey,
}

// regexKey is a compiled :regex key: case-sensitive for i;octet, folded
// for the casemap comparators.
type regexKey struct {
	exact, fold *regexp.Regexp
}

func (k *regexKey) forComparator(cmp *comparator) *regexp.Regexp {
	if cmp == cmpOctet {
		return k.exact
	}
	return k.fold
}

// checkRegexComparator refuses comparators that cannot say whether two
// characters are equal, i;ascii-numeric (draft-ietf-sieve-regex-01 §3).
func checkRegexComparator(c *checker, pos Pos, m *matchSpec) {
	if m.cmp.fold == nil {
		c.errorf(pos, "the :regex match type is not supported by the %q comparator", m.cmp.name)
	}
}

// compileRegexKey compiles one key; the error names what is wrong.
func compileRegexKey(_ *checker, _ Pos, _ *matchSpec, key string) (any, error) {
	return newRegexKey(key)
}

func newRegexKey(key string) (*regexKey, error) {
	src, err := posixToRE2(key)
	if err != nil {
		return nil, err
	}
	exact, err := regexp.Compile(src)
	if err != nil {
		return nil, err
	}
	fold, err := regexp.Compile("(?i)" + src)
	if err != nil {
		return nil, err
	}
	// POSIX picks the leftmost-longest match (and submatches).
	exact.Longest()
	fold.Longest()
	return &regexKey{exact: exact, fold: fold}, nil
}

// regexCache holds keys compiled at run time (keys built from variables),
// bounded so a script cannot grow it without limit.
var regexCache = struct {
	sync.Mutex
	m map[string]regexCacheEntry
}{m: map[string]regexCacheEntry{}}

type regexCacheEntry struct {
	key *regexKey
	err error
}

const regexCacheSize = 256

// runtimeRegexKey compiles a key built at run time, through the cache.
func runtimeRegexKey(key string) (*regexKey, error) {
	regexCache.Lock()
	defer regexCache.Unlock()
	if ent, ok := regexCache.m[key]; ok {
		return ent.key, ent.err
	}
	k, err := newRegexKey(key)
	if len(regexCache.m) >= regexCacheSize {
		clear(regexCache.m)
	}
	regexCache.m[key] = regexCacheEntry{k, err}
	return k, err
}

// matchRegex searches each value for each key. A key that is not a valid
// expression (built from variables at run time) matches nothing, as in
// Pigeonhole, which logs it and goes on.
func matchRegex(e *exec, m *matchSpec, values, keys []string) bool {
	for _, k := range keys {
		var rk *regexKey
		if d, ok := m.keyData[k].(*regexKey); ok {
			rk = d
		} else {
			var err error
			if rk, err = runtimeRegexKey(k); err != nil {
				e.warnf("invalid regular expression '%s' for the :regex match: %v", k, err)
				continue
			}
		}
		re := rk.forComparator(m.cmp)
		for _, v := range values {
			e.step()
			// One match of a large expression on a long value can take
			// long (linear, but in both sizes): heed the context before
			// each, not only every 1024 steps.
			if e.ctx != nil {
				if err := e.ctx.Err(); err != nil {
					panic(stepPanic{err})
				}
			}
			idx := re.FindStringSubmatchIndex(v)
			if idx == nil {
				continue
			}
			caps := make([]string, len(idx)/2)
			for i := range caps {
				if idx[2*i] >= 0 {
					caps[i] = v[idx[2*i]:idx[2*i+1]]
				}
			}
			e.setMatch(caps)
			return true
		}
	}
	return false
}

// posixToRE2 rewrites the POSIX extended syntax whose meaning differs in
// RE2: inside a bracket expression a backslash is an ordinary character
// (POSIX.1-2017 §9.3.5), and the GNU word anchors \< \> and buffer anchors
// \` \' become \b, \A and \z. Everything else is passed on; RE2 accepts a
// superset of ERE (\d, non-greedy repeats ...) but refuses back-references.
func posixToRE2(p string) (string, error) {
	var b strings.Builder
	b.Grow(len(p) + 8)
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch c {
		case '\\':
			if i+1 >= len(p) {
				return "", fmt.Errorf("trailing backslash")
			}
			i++
			switch n := p[i]; {
			case n == '<' || n == '>':
				b.WriteString(`\b`)
			case n == '`':
				b.WriteString(`\A`)
			case n == '\'':
				b.WriteString(`\z`)
			case n >= '1' && n <= '9':
				return "", fmt.Errorf("back-references (\\%c) are not supported", n)
			default:
				b.WriteByte('\\')
				b.WriteByte(n)
			}
		case '[':
			end, ok := bracketEnd(p, i)
			if !ok {
				return "", fmt.Errorf("missing closing ]")
			}
			b.WriteString(strings.ReplaceAll(p[i:end+1], `\`, `\\`))
			i = end
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), nil
}

// bracketEnd returns the index of the "]" closing the bracket expression
// opened at p[start]: a "]" right after "[" or "[^" is a member, and
// "[:", "[." and "[=" open classes that end with ":]", ".]" and "=]".
func bracketEnd(p string, start int) (int, bool) {
	i := start + 1
	if i < len(p) && p[i] == '^' {
		i++
	}
	if i < len(p) && p[i] == ']' {
		i++
	}
	for i < len(p) {
		switch {
		case p[i] == ']':
			return i, true
		case p[i] == '[' && i+1 < len(p) && strings.IndexByte(":.=", p[i+1]) >= 0:
			closer := string(p[i+1]) + "]"
			j := strings.Index(p[i+2:], closer)
			if j < 0 {
				return 0, false
			}
			i += 2 + j + 2
		default:
			i++
		}
	}
	return 0, false
}

// quoteRegex escapes the characters special in a POSIX extended regular
// expression (the :quoteregex modifier, draft-ietf-sieve-regex-01 §5).
func quoteRegex(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(`\^$.[]|()?*+{}`, s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
