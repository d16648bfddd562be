package sieve

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// modifier is a modifier of the set command (RFC 5229 §4.1). Extensions add
// their own (:encodeurl of RFC 5435) through extension.modifiers.
type modifier struct {
	name string
	// precedence orders modifiers: higher applies first; two of the same
	// precedence cannot be combined.
	precedence int
	apply      func(string) string
	// truncate, when set, cuts the modifier's output to the variable size
	// limit without breaking what it built (a %XX escape).
	truncate func(s string, n int) string
}

var coreModifiers = []*modifier{
	{name: "lower", precedence: 40, apply: strings.ToLower},
	{name: "upper", precedence: 40, apply: strings.ToUpper},
	{name: "lowerfirst", precedence: 30, apply: func(s string) string { return mapFirst(s, unicode.ToLower) }},
	{name: "upperfirst", precedence: 30, apply: func(s string) string { return mapFirst(s, unicode.ToUpper) }},
	{name: "quotewildcard", precedence: 20, apply: quoteWildcard},
	{name: "length", precedence: 10, apply: func(s string) string { return strconv.Itoa(utf8.RuneCountInString(s)) }},
}

func mapFirst(s string, f func(rune) rune) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(f(r)) + s[n:]
}

// quoteWildcard escapes the characters special to :matches.
func quoteWildcard(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `*`, `\*`, `?`, `\?`)
	return r.Replace(s)
}

// extVariables is RFC 5229: the set command, the string test, variable
// and match-variable substitution in strings.
var extVariables = &extension{
	name: "variables",
	commands: []*commandSpec{{
		name:       "set",
		positional: []argKind{argString, argString},
		groups:     []string{groupModifier},
		check:      checkSet,
		run:        runSet,
	}},
	tests: []*commandSpec{{
		name:       "string",
		positional: []argKind{argStringList, argStringList},
		// Pigeonhole compares with i;octet unless told otherwise; sluice
		// follows it so that scripts behave the same.
		defaultCmp: cmpOctet,
		groups:     []string{groupComparator, groupMatchType},
		eval: func(e *exec, n *node) (bool, error) {
			src := e.strs(n.args[0])
			if n.match != nil && n.match.typ.name == "count" {
				// RFC 5229 §5: empty strings are not counted.
				kept := src[:0]
				for _, s := range src {
					if s != "" {
						kept = append(kept, s)
					}
				}
				src = kept
			}
			return e.matchKeys(n, src, n.args[1]), nil
		},
	}},
	modifiers: coreModifiers,
}

// groupModifier is the group of set modifiers.
const groupModifier = "modifier"

type setData struct {
	mods []*modifier // sorted by decreasing precedence
}

// maxVariableName bounds the length of a variable name, as in Pigeonhole.
const maxVariableName = 64

func checkSet(c *checker, n *node) {
	// RFC 5229 §4: the name is an identifier, written as such: a name
	// built from variables ("${frop}") is refused, as Pigeonhole does.
	name := n.args[0].list[0].source()
	switch {
	case !n.args[0].list[0].constant || !validVariableName(name):
		c.errorf(n.args[0].pos, "invalid variable name '%s'", name)
	case len(name) > maxVariableName:
		c.errorf(n.args[0].pos, "invalid variable name '%s...': longer than %d characters", name[:maxVariableName], maxVariableName)
	default:
		c.declareVariable(n.args[0].pos, name)
	}
	d := &setData{}
	for name := range n.tags {
		m := c.lang.mods[name]
		if m == nil {
			continue
		}
		for _, o := range d.mods {
			if o.precedence == m.precedence {
				c.errorf(n.pos, "modifiers :%s and :%s of the set command cannot be combined (same precedence)", o.name, m.name)
			}
		}
		d.mods = append(d.mods, m)
	}
	// Highest precedence first (RFC 5229 §4.1).
	for i := 1; i < len(d.mods); i++ {
		for j := i; j > 0 && d.mods[j].precedence > d.mods[j-1].precedence; j-- {
			d.mods[j], d.mods[j-1] = d.mods[j-1], d.mods[j]
		}
	}
	n.data = d
}

func runSet(e *exec, n *node) error {
	name := e.str(n.args[0])
	if !validVariableName(name) {
		return errInvalidVariable(name)
	}
	v := e.str(n.args[1])
	for _, m := range n.data.(*setData).mods {
		v = m.apply(v)
		if m.truncate != nil && len(v) > e.s.limits.VariableSize {
			v = m.truncate(v, e.s.limits.VariableSize)
		}
	}
	return e.setVar(name, v)
}

type errInvalidVariable string

func (e errInvalidVariable) Error() string { return "invalid variable name '" + string(e) + "'" }

// validVariableName reports whether s names a plain variable (RFC 5229
// §3: an identifier; namespaced names belong to extensions).
func validVariableName(s string) bool { return isIdentifier(s) || isGlobalName(s) }

// declareVariable counts the distinct variables a script sets, so that a
// script setting more than Limits.Variables fails to compile (once) rather
// than at run time.
func (c *checker) declareVariable(pos Pos, name string) {
	if isGlobalName(name) {
		return
	}
	key := "variables-declared " + c.name
	seen, _ := c.state[key].(map[string]bool)
	if seen == nil {
		seen = map[string]bool{}
		c.state[key] = seen
	}
	name = strings.ToLower(name)
	if seen[name] {
		return
	}
	seen[name] = true
	if len(seen) == c.limits.Variables+1 {
		c.errorf(pos, "declaration of new variable '%s' exceeds the limit (max variables: %d)", name, c.limits.Variables)
	}
}

// source is the template as written: literal text and ${name} references.
func (t *tmpl) source() string {
	if t.constant {
		return t.lit
	}
	var b strings.Builder
	for _, p := range t.parts {
		if p.ref == "" {
			b.WriteString(p.lit)
			continue
		}
		b.WriteString("${" + p.ref + "}")
	}
	return b.String()
}
