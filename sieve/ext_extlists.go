package sieve

import (
	"context"
	"fmt"
)

// Lists is an optional add-on to Services for the extlists extension
// (RFC 6134): Contains reports whether value is a member of the named
// external list (an address book, a group ...). Without it no value is in
// any list.
type Lists interface {
	Contains(ctx context.Context, list, value string) (bool, error)
}

// ListChecker is an optional add-on to Services: ListExists reports
// whether a list name is known (valid_ext_list, RFC 6134 §2.5). Without
// it no list is valid.
type ListChecker interface {
	ListExists(ctx context.Context, list string) (bool, error)
}

// extExtlists is RFC 6134: the :list match type of header, address,
// envelope and string (and of any test taking a match type), and the
// valid_ext_list test. The :list tag of redirect (§2.3) is not offered.
var extExtlists = &extension{
	name:       "extlists",
	matchTypes: []*matchType{mtList},
	tests: []*commandSpec{{
		name:       "valid_ext_list",
		positional: []argKind{argStringList},
		eval:       evalValidExtList,
	}},
}

// mtList matches when any value is in any of the lists named by the keys
// (RFC 6134 §2.2); the comparator plays no part. A failing lookup ends the
// run with a runtime error, as the match type cannot return one.
var mtList = &matchType{
	name: "list",
	ext:  "extlists",
	match: func(e *exec, m *matchSpec, values, keys []string) bool {
		l, ok := e.services().(Lists)
		if !ok {
			return false
		}
		for _, list := range keys {
			for _, v := range values {
				e.step()
				in, err := l.Contains(e.ctx, list, v)
				if err != nil {
					panic(stepPanic{fmt.Errorf("list %q: %w", list, err)})
				}
				if in {
					return true
				}
			}
		}
		return false
	},
}

func evalValidExtList(e *exec, n *node) (bool, error) {
	lc, ok := e.services().(ListChecker)
	if !ok {
		return false, nil
	}
	for _, name := range e.strs(n.args[0]) {
		e.step()
		exists, err := lc.ListExists(e.ctx, name)
		if err != nil {
			return false, fmt.Errorf("valid_ext_list %q: %w", name, err)
		}
		if !exists {
			return false, nil
		}
	}
	return true, nil
}
