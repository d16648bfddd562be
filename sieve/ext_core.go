package sieve

import (
	"fmt"
	"slices"
	"unicode/utf8"
)

// extCore is the base language of RFC 5228: control commands (§3), the
// keep, discard and redirect actions (§4), all tests (§5), the :is,
// :contains and :matches match types and the i;octet and i;ascii-casemap
// comparators (§2.7).
var extCore = &extension{
	commands: []*commandSpec{
		{name: "if", tests: testsOne, block: true, run: runIf},
		{name: "elsif", tests: testsOne, block: true, run: runIf},
		{name: "else", block: true, run: func(e *exec, n *node) error { return e.runBlock(n.block) }},
		{name: "stop", run: func(*exec, *node) error { return errStop }},
		{name: "keep", run: func(e *exec, n *node) error {
			return e.addAction(&Keep{Pos: n.pos, Flags: e.actionFlags(n)})
		}},
		{name: "discard", run: func(e *exec, n *node) error { return e.addAction(&Discard{Pos: n.pos}) }},
		{name: "redirect", positional: []argKind{argString}, check: checkRedirect, run: runRedirect},
	},
	tests: []*commandSpec{
		{name: "true", eval: func(*exec, *node) (bool, error) { return true, nil }},
		{name: "false", eval: func(*exec, *node) (bool, error) { return false, nil }},
		{name: "not", tests: testsOne, eval: func(e *exec, n *node) (bool, error) {
			ok, err := e.eval(n.tests[0])
			return !ok, err
		}},
		{name: "allof", tests: testsList, eval: func(e *exec, n *node) (bool, error) {
			for _, t := range n.tests {
				if ok, err := e.eval(t); err != nil || !ok {
					return false, err
				}
			}
			return true, nil
		}},
		{name: "anyof", tests: testsList, eval: func(e *exec, n *node) (bool, error) {
			for _, t := range n.tests {
				if ok, err := e.eval(t); err != nil || ok {
					return ok, err
				}
			}
			return false, nil
		}},
		{name: "exists", positional: []argKind{argStringList}, eval: evalExists},
		{name: "size", positional: []argKind{argNumber},
			tags:  []tagSpec{{name: "over", conflicts: []string{"under"}}, {name: "under", conflicts: []string{"over"}}},
			check: checkSize, eval: evalSize},
		{name: "header", positional: []argKind{argStringList, argStringList},
			argNames: []string{"header names", "key list"},
			groups:   []string{groupComparator, groupMatchType},
			check:    checkHeaderNames(0), eval: evalHeader},
		{name: "address", positional: []argKind{argStringList, argStringList},
			argNames: []string{"header list", "key list"},
			groups:   []string{groupComparator, groupMatchType, groupAddressPart},
			check:    checkAddressHeaders, eval: evalAddress},
	},
	matchTypes:   []*matchType{mtIs, mtContains, mtMatches},
	comparators:  []*comparator{cmpOctet, cmpASCIICasemap},
	addressParts: []*addressPart{apAll, apLocalpart, apDomain},
}

// The two comparators every implementation has may still be required by
// name (RFC 5228 §2.7.3).
var (
	extComparatorOctet          = &extension{name: "comparator-i;octet"}
	extComparatorASCIICasemap   = &extension{name: "comparator-i;ascii-casemap"}
	extComparatorASCIINumeric   = &extension{name: "comparator-i;ascii-numeric", comparators: []*comparator{cmpASCIINumeric}}
	extComparatorUnicodeCasemap = &extension{name: "comparator-i;unicode-casemap", comparators: []*comparator{cmpUnicodeCasemap}}
)

func runIf(e *exec, n *node) error {
	for cur := n; cur != nil; cur = cur.next {
		if cur.spec.name == "else" {
			return e.runBlock(cur.block)
		}
		ok, err := e.eval(cur.tests[0])
		if err != nil {
			return err
		}
		if ok {
			return e.runBlock(cur.block)
		}
	}
	return nil
}

func checkRedirect(c *checker, n *node) {
	if s, ok := n.args[0].constStrings(); ok {
		if _, err := normalizeAddress(s[0]); err != nil {
			c.errorf(n.args[0].pos, "specified redirect address '%s' is invalid: %v", s[0], err)
		}
	}
}

func runRedirect(e *exec, n *node) error {
	addr := e.str(n.args[0])
	norm, err := normalizeAddress(addr)
	if err != nil {
		return fmt.Errorf("specified redirect address '%s' is invalid: %w", addr, err)
	}
	return e.addAction(&Redirect{Pos: n.pos, Address: norm, Copy: n.has("copy")})
}

// checkHeaderNames validates constant header names in positional arg i
// (RFC 5322 §3.6.8 field-name: printable US-ASCII except colon).
func checkHeaderNames(i int) func(c *checker, n *node) {
	return func(c *checker, n *node) {
		if i >= len(n.args) {
			return
		}
		names, ok := n.args[i].constStrings()
		if !ok {
			return
		}
		for _, h := range names {
			if !validHeaderName(h) {
				// Pigeonhole accepts these and never matches them.
				c.warnf(n.args[i].pos, "invalid header name '%s' for the %s test: it never matches", h, n.spec.name)
			}
		}
	}
}

func validHeaderName(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		if h[i] < 33 || h[i] > 126 || h[i] == ':' {
			return false
		}
	}
	return true
}

func checkSize(c *checker, n *node) {
	if n.has("over") == n.has("under") {
		c.errorf(n.pos, "the size test requires exactly one of the :over or :under tags")
	}
}

func evalSize(e *exec, n *node) (bool, error) {
	size, limit := e.msg.Size(), n.args[0].num
	if n.has("over") {
		return size > limit, nil
	}
	return size < limit, nil
}

func evalExists(e *exec, n *node) (bool, error) {
	for _, h := range e.strsShared(n.args[0]) {
		if len(e.header(h)) == 0 {
			return false, nil
		}
	}
	return true, nil
}

// headerValues returns the decoded values of the named header fields. The
// result may be shared with the run cache: do not modify it.
func (e *exec) headerValues(names []string) []string {
	var out []string
	shared := false
	for _, h := range names {
		if !validHeaderName(h) {
			continue
		}
		vs := e.decodedHeader(h)
		for range vs {
			e.step()
		}
		switch {
		case len(vs) == 0:
		case out == nil:
			out, shared = vs, true // one field name: no copy
		case shared:
			out, shared = slices.Concat(out, vs), false
		default:
			out = append(out, vs...)
		}
	}
	return out
}

func evalHeader(e *exec, n *node) (bool, error) {
	values := e.filterValues(n, e.headerValues(e.strsShared(n.args[0])))
	return e.matchKeys(n, values, n.args[1]), nil
}

func evalAddress(e *exec, n *node) (bool, error) {
	// The values are gathered in the run's buffer: matchKeys neither
	// keeps nor changes them, and no other test runs until it returns.
	values := e.valueBuf[:0]
	for _, h := range e.strsShared(n.args[0]) {
		if !validHeaderName(h) {
			continue
		}
		for _, v := range e.filterValues(n, e.header(h)) {
			e.step()
			values = e.appendAddressValues(values, n, e.addresses(v))
		}
	}
	e.valueBuf = values[:0]
	return e.matchKeys(n, values, n.args[1]), nil
}

// filterValues applies value filters of required extensions (:index and
// :last of RFC 5260 ...). They return a subslice of values or a new
// slice, never changing values.
func (e *exec) filterValues(n *node, values []string) []string {
	for _, f := range e.s.lang.filters {
		values = f(e, n, values)
	}
	return values
}

// defaultMatch is the match of a test given no match type or comparator
// (RFC 5228 §2.7.1, §2.7.3); never changed at run time.
var defaultMatch = &matchSpec{typ: mtIs, cmp: cmpASCIICasemap}

// matchKeys matches values against the expanded keys with n's match type
// and comparator.
func (e *exec) matchKeys(n *node, values []string, keys *argValue) bool {
	m := n.match
	if m == nil {
		m = defaultMatch
	}
	ks := e.strsShared(keys)
	return e.traceMatch(n, m, values, ks, m.typ.match(e, m, values, ks))
}

// validUTF8Mailbox checks a mailbox name (RFC 5228 §4.1 and RFC 3501 §5.1).
func validMailbox(s string) error {
	if s == "" {
		return fmt.Errorf("empty mailbox name")
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("mailbox name is not valid UTF-8")
	}
	return nil
}
