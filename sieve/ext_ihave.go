package sieve

import (
	"errors"
	"fmt"
)

// extIhave is RFC 5463: the ihave test, which asks at compile time whether
// capabilities are available, and the error command.
var extIhave = &extension{
	name: "ihave",
	commands: []*commandSpec{{
		name:       "error",
		positional: []argKind{argString},
		run: func(e *exec, n *node) error {
			return fmt.Errorf("%w: %s", ErrScriptFailed, e.str(n.args[0]))
		},
	}},
	tests: []*commandSpec{{
		name:       "ihave",
		positional: []argKind{argStringList},
		check:      checkIhave,
		eval: func(_ *exec, n *node) (bool, error) {
			return n.data.(ihaveData).ok, nil
		},
	}},
}

// ErrScriptFailed is wrapped by the runtime error of the error command
// (RFC 5463 §5): the script itself declared the run failed.
var ErrScriptFailed = errors.New("sieve: error command")

// ihaveData is the compile-time answer of one ihave test.
type ihaveData struct{ ok bool }

// ihaveRestricted lists capabilities ihave cannot switch on after the fact:
// they change how every string of the script is compiled, so their answer
// depends on a require alone (as in Pigeonhole).
var ihaveRestricted = map[string]bool{"encoded-character": true, "variables": true}

// checkIhave answers the test at compile time. When every capability is
// available the extensions are enabled for the rest of the script, as if
// required (RFC 5463 §4).
func checkIhave(c *checker, n *node) {
	names, ok := n.args[0].constStrings()
	if !ok {
		c.errorf(n.args[0].pos, "the capabilities of the ihave test must be constant strings")
		n.data = ihaveData{}
		return
	}
	all := true
	for _, name := range names {
		_, known := c.lang.byName[name]
		switch {
		case !known || name == "":
			all = false
		case ihaveRestricted[name] && !c.required[name]:
			all = false
		}
	}
	if all {
		for _, name := range names {
			c.required[name] = true
			for ns := range c.lang.byName[name].namespaces {
				c.namespaces[ns] = true
			}
		}
	}
	n.data = ihaveData{ok: all}
}

// ihaveSkips reports whether the block of if or elsif node n can never run
// because its condition holds an ihave test for an unavailable capability.
// Such a block is not compiled: RFC 5463 §4 lets it use commands and tests
// the implementation does not know.
func (c *checker) ihaveSkips(n *node) bool {
	return len(n.tests) == 1 && staticallyFalse(n.tests[0])
}

func staticallyFalse(t *node) bool {
	switch t.spec.name {
	case "ihave":
		d, ok := t.data.(ihaveData)
		return ok && !d.ok
	case "allof":
		for _, sub := range t.tests {
			if staticallyFalse(sub) {
				return true
			}
		}
	}
	return false
}
