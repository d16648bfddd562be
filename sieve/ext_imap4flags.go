package sieve

import (
	"strings"
)

// extImap4flags is RFC 5232: setflag, addflag, removeflag, the hasflag
// test, the :flags tag of keep and fileinto, and the internal variable
// holding the flags of the implicit keep.
var extImap4flags = &extension{
	name: "imap4flags",
	commands: []*commandSpec{
		flagCommand("setflag", func(_, add []string) []string { return add }),
		flagCommand("addflag", func(cur, add []string) []string { return mergeFlags(cur, add) }),
		flagCommand("removeflag", removeFlags),
	},
	tests: []*commandSpec{{
		name:       "hasflag",
		positional: []argKind{argStringList, argStringList},
		optional:   1,
		groups:     []string{groupComparator, groupMatchType},
		check:      checkFlagVars,
		eval:       evalHasflag,
	}},
	tags: []*extraTag{{tag: tagSpec{name: "flags", arg: argStringList}, on: []string{"keep", "fileinto"}}},
}

func flagCommand(name string, op func(cur, arg []string) []string) *commandSpec {
	return &commandSpec{
		name:       name,
		positional: []argKind{argString, argStringList},
		optional:   1,
		check: func(c *checker, n *node) {
			checkFlagVars(c, n)
			last := n.args[len(n.args)-1]
			if list, ok := last.constStrings(); ok {
				for _, f := range splitFlags(list) {
					if !validFlag(f) {
						c.warnf(last.pos, "IMAP flag '%s' is invalid and will be ignored", f)
					}
				}
			}
		},
		run: func(e *exec, n *node) error {
			arg := validFlags(splitFlags(e.strs(n.args[len(n.args)-1])))
			if len(n.args) == 1 {
				e.flags = op(e.flags, arg)
				return nil
			}
			name := e.str(n.args[0])
			if !validVariableName(name) {
				return errInvalidVariable(name)
			}
			cur := splitFlags([]string{e.vars[strings.ToLower(name)]})
			return e.setVar(name, strings.Join(op(cur, arg), " "))
		},
	}
}

// checkFlagVars validates the optional variable-name argument.
func checkFlagVars(c *checker, n *node) {
	if len(n.args) < 2 {
		return
	}
	if names, ok := n.args[0].constStrings(); ok {
		for _, s := range names {
			if !validVariableName(s) {
				c.errorf(n.args[0].pos, "invalid variable name '%s'", s)
			}
		}
	}
	if !c.required["variables"] {
		c.errorf(n.args[0].pos, "the variable argument of %s requires the 'variables' extension", n.spec.name)
	}
}

func evalHasflag(e *exec, n *node) (bool, error) {
	var flags []string
	if len(n.args) == 1 {
		flags = e.flags
	} else {
		for _, v := range e.strs(n.args[0]) {
			flags = append(flags, splitFlags([]string{e.vars[strings.ToLower(v)]})...)
		}
	}
	keys := e.strs(n.args[len(n.args)-1])
	if n.match == nil || n.match.typ.name != "count" {
		// RFC 5232 §4: keys are flag lists too ("b A" is two flags).
		keys = splitFlags(keys)
	}
	m := n.match
	if m == nil {
		m = &matchSpec{typ: mtIs, cmp: cmpASCIICasemap}
	}
	return m.typ.match(e, m, flags, keys), nil
}

// actionFlags returns the flags of a keep or fileinto: its :flags tag, or
// the internal variable (RFC 5232 §5). A script without imap4flags still
// stores with the flags an earlier script left (Input.Flags).
func (e *exec) actionFlags(n *node) []string {
	if v, ok := n.tags["flags"]; ok {
		return validFlags(splitFlags(e.strs(v)))
	}
	if len(e.flags) == 0 {
		return nil
	}
	return append([]string(nil), e.flags...)
}

// splitFlags splits space-separated flag lists, dropping duplicates
// (compared case-insensitively, RFC 5232 §3).
func splitFlags(list []string) []string {
	var out []string
	for _, s := range list {
		for _, f := range strings.Fields(s) {
			if !containsFold(out, f) {
				out = append(out, f)
			}
		}
	}
	return out
}

func removeFlags(cur, del []string) []string {
	var out []string
	for _, f := range cur {
		if !containsFold(del, f) {
			out = append(out, f)
		}
	}
	return out
}

// validFlags drops flags that are not valid IMAP flags.
func validFlags(fs []string) []string {
	out := fs[:0:0]
	for _, f := range fs {
		if validFlag(f) {
			out = append(out, f)
		}
	}
	return out
}

// validFlag accepts the system flags RFC 3501 §2.3.2 lets a client set and
// atoms as keywords.
func validFlag(f string) bool {
	if strings.HasPrefix(f, `\`) {
		switch strings.ToLower(f) {
		case `\seen`, `\answered`, `\flagged`, `\deleted`, `\draft`:
			return true
		}
		return false
	}
	if f == "" {
		return false
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`(){%*"\]`, c) >= 0 {
			return false
		}
	}
	return true
}
