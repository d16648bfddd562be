package sieve

import "sort"

// extExtracttext is RFC 5703 §7: extracttext stores the text of the
// current MIME part, inside foreverypart, into a variable.
var extExtracttext = &extension{
	name: "extracttext",
	commands: []*commandSpec{{
		name:       "extracttext",
		positional: []argKind{argString},
		tags:       []tagSpec{{name: "first", arg: argNumber}},
		groups:     []string{groupModifier},
		check:      checkExtracttext,
		run:        runExtracttext,
	}},
	validate: validateExtracttext,
}

// validateExtracttext refuses require "extracttext" without "variables"
// and "foreverypart": RFC 5703 §7 defines extracttext as storing into a
// variable the text of the part foreverypart is at, so, as in Pigeonhole,
// the capability is an error on its own, even when the command is unused.
func validateExtracttext(c *checker, pos Pos) {
	if !c.required["variables"] {
		c.errorf(pos, "extracttext extension cannot be used without variables extension (RFC 5703 §7)")
	}
	if !c.required["foreverypart"] {
		c.errorf(pos, "extracttext extension cannot be used without foreverypart extension (RFC 5703 §7)")
	}
}

type extracttextData struct {
	mods []*modifier // by decreasing precedence
}

func checkExtracttext(c *checker, n *node) {
	// RFC 5703 §7: it is only valid inside foreverypart (the required
	// capabilities are checked by validateExtracttext).
	if c.loopDepth() == 0 {
		c.errorf(n.pos, "the extracttext command is not inside a foreverypart loop (RFC 5703 §7)")
	}
	if s, ok := n.args[0].constStrings(); !ok || !validVariableName(s[0]) {
		c.errorf(n.args[0].pos, "invalid variable name '%s'", n.args[0].list[0].String())
	}
	if v := n.tags["first"]; v != nil && v.num < 0 {
		c.errorf(v.pos, "the :first argument of extracttext cannot be negative")
	}
	d := &extracttextData{}
	for name := range n.tags {
		m := c.lang.mods[name]
		if m == nil {
			continue
		}
		for _, o := range d.mods {
			if o.precedence == m.precedence {
				c.errorf(n.pos, "modifiers :%s and :%s of the extracttext command cannot be combined (same precedence)", o.name, m.name)
			}
		}
		d.mods = append(d.mods, m)
	}
	sort.SliceStable(d.mods, func(i, j int) bool { return d.mods[i].precedence > d.mods[j].precedence })
	n.data = d
}

// runExtracttext sets the variable to the text of the current part: the
// decoded, UTF-8 text of a text/* part (HTML reduced to what a reader
// sees), "" for other parts; :first keeps that many characters.
func runExtracttext(e *exec, n *node) error {
	name := e.str(n.args[0])
	if !validVariableName(name) {
		return errInvalidVariable(name)
	}
	var text string
	if p := e.currentPart(); p != nil {
		text, _ = partText(p)
	}
	if v := n.tags["first"]; v != nil {
		text = firstChars(text, int(v.num))
	}
	if d, ok := n.data.(*extracttextData); ok {
		for _, m := range d.mods {
			text = m.apply(text)
		}
	}
	return e.setVar(name, text)
}

// firstChars returns the first n characters (not octets) of s.
func firstChars(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}
