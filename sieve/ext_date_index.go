package sieve

// extIndex is RFC 5260 §6: the :index and :last tags, which make the
// header, address and date tests look at one occurrence of a header field
// only, counted from the first (or, with :last, from the last).
var extIndex = &extension{
	name: "index",
	tags: []*extraTag{
		{tag: tagSpec{name: "index", arg: argNumber}, on: indexedTests, check: checkIndex},
		{tag: tagSpec{name: "last"}, on: indexedTests, check: checkLast},
	},
	filter: filterIndex,
}

var indexedTests = []string{"header", "address", "date"}

func checkIndex(c *checker, n *node) {
	if v := n.tags["index"]; v != nil && v.num < 1 {
		// RFC 5260 §6: field indexes start at 1.
		c.errorf(v.pos, "the :index argument of the %s test must be 1 or more, not %d", n.spec.name, v.num)
	}
}

func checkLast(c *checker, n *node) {
	if !n.has("index") {
		c.errorf(n.pos, "the :last tag of the %s test requires :index (RFC 5260 §6)", n.spec.name)
	}
}

// filterIndex keeps the field selected by :index (and :last), or nothing
// when there are not that many fields.
func filterIndex(_ *exec, n *node, values []string) []string {
	v := n.index // n.tags["index"], resolved at compile time
	if v == nil {
		return values
	}
	i := int(v.num)
	if v.num < 1 || v.num > int64(len(values)) {
		return nil
	}
	if n.last {
		i = len(values) - i + 1
	}
	return values[i-1 : i : i]
}

// extChecks runs the compile-time checks extensions attach to a test
// beyond its own check: those of tags added by other extensions (:index,
// :last ...) and the pre-compilation of constant keys for match types that
// need it (:matches, :regex).
func (c *checker) extChecks(n *node) {
	for _, t := range c.lang.tags[n.spec.name] {
		if t.check != nil && n.has(t.tag.name) {
			t.check(c, n)
		}
	}
	if n.match != nil && n.match.typ.compileKey != nil {
		c.compileKeys(n, n.match)
	}
}
