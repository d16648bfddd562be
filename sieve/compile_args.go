package sieve

import (
	"fmt"
	"strings"

	"github.com/foxcpp/go-sieve/parser"
)

// Arguments are checked in the order Pigeonhole's validator uses, so that a
// script gets the errors a Dovecot user would see, no more and no fewer:
//
//  1. every tag, wherever it stands, must be known to the command (an
//     unknown one is reported once per command and tag name);
//  2. the leading tags take their values and are checked against each
//     other (groups, conflicts);
//  3. no tag may follow the first positional argument (RFC 5228 §2.6.2:
//     tagged arguments precede positional ones);
//  4. the number of positional arguments, then their types.
//
// The first problem ends the check: one bad argument is one error, not a
// cascade of errors about the arguments after it.

// tagDef is a tag resolved for one node.
type tagDef struct {
	spec  tagSpec
	group string
	mt    *matchType
	ap    *addressPart
}

// firstTime reports whether key is seen for the first time in this
// compilation; Pigeonhole reports an unknown command, test or tag only at
// its first occurrence.
func (c *checker) firstTime(key string) bool {
	if c.state == nil {
		c.state = map[string]any{}
	}
	// Included scripts share c.state: the key names the script.
	stateKey := "reported-once " + c.name
	seen, _ := c.state[stateKey].(map[string]bool)
	if seen == nil {
		seen = map[string]bool{}
		c.state[stateKey] = seen
	}
	if seen[key] {
		return false
	}
	seen[key] = true
	return true
}

// lookupTag finds what a tag means on this node, checking that its
// extension was required. A tag whose extension was not required is, as
// in Pigeonhole, an unknown tag; it is reported once.
func (c *checker) lookupTag(n *node, name string, pos Pos) (*tagDef, bool) {
	for _, t := range n.spec.tags {
		if t.name == name {
			return &tagDef{spec: t}, true
		}
	}
	once := func(format string, args ...any) {
		if c.firstTime("tag " + n.spec.name + " :" + name) {
			c.errorf(pos, format, args...)
		}
	}
	for _, g := range n.spec.groups {
		switch g {
		case groupComparator:
			if name == "comparator" {
				return &tagDef{spec: tagSpec{name: name, arg: argString}, group: g}, true
			}
		case groupMatchType:
			if mt, ok := c.lang.matches[name]; ok {
				if mt.ext != "" && !c.required[mt.ext] {
					once("match type :%s requires the '%s' extension", name, mt.ext)
					return nil, false
				}
				return &tagDef{spec: tagSpec{name: name, arg: mt.arg}, group: g, mt: mt}, true
			}
		case groupModifier:
			if m, ok := c.lang.mods[name]; ok {
				return &tagDef{spec: tagSpec{name: m.name}}, true
			}
		case groupAddressPart:
			if ap, ok := c.lang.aparts[name]; ok {
				if ap.ext != "" && !c.required[ap.ext] {
					once("address part :%s requires the '%s' extension", name, ap.ext)
					return nil, false
				}
				return &tagDef{spec: tagSpec{name: name}, group: g, ap: ap}, true
			}
		}
	}
	for _, t := range c.lang.tags[n.spec.name] {
		if t.tag.name == name {
			if t.ext.name != "" && !c.required[t.ext.name] {
				once("tag :%s of %s requires the '%s' extension", name, n.spec.name, t.ext.name)
				return nil, false
			}
			return &tagDef{spec: t.tag}, true
		}
	}
	once("unknown tagged argument ':%s' for the %s %s (reported only once at first occurrence)", name, n.spec.name, n.kind())
	return nil, false
}

// args checks the tagged and positional arguments of n and reports whether
// they are valid. Whatever it reports, n.args holds one value for each
// positional argument the command takes, so later checks need not care.
func (c *checker) args(n *node, args []parser.Arg) bool {
	n.tags = map[string]*argValue{}
	ok := c.checkArgs(n, args)
	want := n.spec.wantPositional(len(n.args))
	for len(n.args) < len(want) {
		n.args = append(n.args, newStringsArg(n.pos, want[len(n.args)], []*tmpl{constTmpl("")}))
	}
	n.mime, n.index, n.last = n.has("mime"), n.tags["index"], n.has("last")
	if hasGroup(n.spec, groupAddressPart) && n.apart == nil {
		n.apart = apAll
	}
	return ok
}

// wantPositional is the list of positional argument kinds for a call with
// got positional arguments: the leading optional ones are left out when
// fewer are given.
func (s *commandSpec) wantPositional(got int) []argKind {
	want := s.positional
	if d := len(want) - got; d > 0 && d <= s.optional {
		want = want[d:]
	}
	return want
}

func (c *checker) checkArgs(n *node, args []parser.Arg) bool {
	defs := make([]*tagDef, len(args))
	for i, a := range args {
		ta, isTag := a.(parser.TagArg)
		if !isTag {
			continue
		}
		def, ok := c.lookupTag(n, strings.ToLower(ta.Value), c.pos(ta.Position))
		if !ok {
			return false
		}
		defs[i] = def
	}
	groupSeen := map[string]string{}
	i := 0
	for ; i < len(args); i++ {
		ta, isTag := args[i].(parser.TagArg)
		if !isTag {
			break
		}
		name := strings.ToLower(ta.Value)
		pos := c.pos(ta.Position)
		def := defs[i]
		var val *argValue
		if def.spec.arg != argNone {
			what := fmt.Sprintf("the :%s tag of the %s %s", name, n.spec.name, n.kind())
			if i+1 >= len(args) {
				c.errorf(pos, "%s requires a %s argument, but none was found", what, def.spec.arg)
				return false
			}
			if _, isTag := args[i+1].(parser.TagArg); isTag {
				c.errorf(pos, "%s requires a %s argument, but a tag was found", what, def.spec.arg)
				return false
			}
			i++
			if val = c.value(args[i], def.spec.arg, what, "its argument"); val == nil {
				return false
			}
		}
		if !c.applyTag(n, name, pos, def, val, groupSeen) {
			return false
		}
	}
	positional := args[i:]
	for _, a := range positional {
		if ta, isTag := a.(parser.TagArg); isTag {
			// RFC 5228 §2.6.2: tagged arguments come first.
			c.errorf(c.pos(ta.Position), "unexpected tagged argument ':%s' after the positional arguments of the %s %s",
				strings.ToLower(ta.Value), n.spec.name, n.kind())
			return false
		}
	}
	want := n.spec.wantPositional(len(positional))
	if len(positional) != len(want) {
		need := len(n.spec.positional)
		if len(positional) < len(want) {
			need -= n.spec.optional
		}
		verb := "are"
		if len(positional) == 1 {
			verb = "is"
		}
		c.errorf(n.pos, "the %s %s requires %d positional argument(s), but %d %s specified", n.spec.name, n.kind(), need, len(positional), verb)
		return false
	}
	for i, a := range positional {
		what := fmt.Sprintf("the %s %s", n.spec.name, n.kind())
		v := c.value(a, want[i], what, "argument "+n.spec.argName(len(n.spec.positional)-len(want)+i))
		if v == nil {
			return false
		}
		n.args = append(n.args, v)
	}
	if hasGroup(n.spec, groupMatchType) || hasGroup(n.spec, groupComparator) {
		m := c.matchSpecOf(n)
		if m.typ.check != nil {
			before := len(c.errs)
			m.typ.check(c, n.pos, m)
			return len(c.errs) == before
		}
	}
	return true
}

// argName names positional argument i (0-based) in messages: its number,
// and its role when the spec gives one ("1 (header names)").
func (s *commandSpec) argName(i int) string {
	if i < len(s.argNames) && s.argNames[i] != "" {
		return fmt.Sprintf("%d (%s)", i+1, s.argNames[i])
	}
	return fmt.Sprint(i + 1)
}

// applyTag records a leading tag and its value on n, checking the shared
// groups (one comparator, one match type, one address part) and the
// conflicts between tags.
func (c *checker) applyTag(n *node, name string, pos Pos, def *tagDef, val *argValue, groupSeen map[string]string) bool {
	if def.group == "" {
		if _, dup := n.tags[name]; dup {
			c.errorf(pos, "tag :%s given more than once to the %s %s", name, n.spec.name, n.kind())
			return false
		}
		for _, other := range def.spec.conflicts {
			if n.has(other) {
				c.errorf(pos, "tags :%s and :%s of the %s %s cannot be combined", other, name, n.spec.name, n.kind())
				return false
			}
		}
		n.tags[name] = val
		return true
	}
	if prev, dup := groupSeen[def.group]; dup {
		c.errorf(pos, "multiple %s arguments for the %s %s (:%s and :%s)", def.group, n.spec.name, n.kind(), prev, name)
		return false
	}
	groupSeen[def.group] = name
	switch {
	case def.mt != nil:
		n.match = c.matchSpecOf(n)
		n.match.typ = def.mt
		if val != nil {
			n.match.arg = val.list[0].lit
		}
	case def.ap != nil:
		n.apart = def.ap
	case def.group == groupComparator:
		m := c.matchSpecOf(n)
		cname := val.list[0].String()
		cmp, ok := c.lang.cmps[cname]
		switch {
		case !ok:
			c.errorf(val.pos, "unknown comparator '%s'", cname)
			return false
		case cmp.ext != "" && !c.required[cmp.ext]:
			c.errorf(val.pos, "comparator '%s' requires the '%s' extension", cname, cmp.ext)
			return false
		}
		m.cmp = cmp
	}
	n.tags[name] = val
	return true
}

// value converts one parser argument into the expected kind; owner and
// which name the argument in the error ("the header test expects a string
// list as argument 1 (header names), but a number was found").
func (c *checker) value(a parser.Arg, want argKind, owner, which string) *argValue {
	pos := c.pos(argPos(a))
	got := argNumber
	switch a := a.(type) {
	case parser.StringArg:
		if want == argString || want == argStringList {
			return newStringsArg(pos, want, []*tmpl{c.compileString(a.Value, pos)})
		}
		got = argString
	case parser.StringListArg:
		if want == argStringList {
			var list []*tmpl
			for _, s := range a.Value {
				list = append(list, c.compileString(s, pos))
			}
			return newStringsArg(pos, want, list)
		}
		// Like Pigeonhole, ["x"] is a list even of one: not a string.
		got = argStringList
	case parser.NumberArg:
		if want == argNumber {
			return &argValue{pos: pos, kind: want, num: int64(a.Value)}
		}
	}
	c.errorf(pos, "%s expects a %s as %s, but a %s was found", owner, want, which, got)
	return nil
}

// isTagName reports whether name, written without its colon, is a tag the
// command or test n accepts; used to explain a forgotten colon.
func (c *checker) isTagName(n *node, name string) bool {
	for _, t := range n.spec.tags {
		if t.name == name {
			return true
		}
	}
	for _, g := range n.spec.groups {
		switch g {
		case groupComparator:
			if name == "comparator" {
				return true
			}
		case groupMatchType:
			if _, ok := c.lang.matches[name]; ok {
				return true
			}
		case groupAddressPart:
			if _, ok := c.lang.aparts[name]; ok {
				return true
			}
		}
	}
	return false
}
