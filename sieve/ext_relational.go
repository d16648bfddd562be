package sieve

import (
	"strconv"
	"strings"
)

// extRelational is RFC 5231: the :count and :value match types.
var extRelational = &extension{
	name: "relational",
	matchTypes: []*matchType{
		{name: "value", ext: "relational", arg: argString, check: checkRelOp, match: matchValue},
		{name: "count", ext: "relational", arg: argString, check: checkRelOp, match: matchCount},
	},
}

func checkRelOp(c *checker, pos Pos, m *matchSpec) {
	switch strings.ToLower(m.arg) {
	case "gt", "ge", "lt", "le", "eq", "ne":
		m.arg = strings.ToLower(m.arg)
	default:
		c.errorf(pos, "invalid relational match operator '%s' for :%s (RFC 5231 §5)", m.arg, m.typ.name)
	}
}

// relTrue applies a relational operator to a comparison result.
func relTrue(op string, cmp int) bool {
	switch op {
	case "gt":
		return cmp > 0
	case "ge":
		return cmp >= 0
	case "lt":
		return cmp < 0
	case "le":
		return cmp <= 0
	case "eq":
		return cmp == 0
	case "ne":
		return cmp != 0
	}
	return false
}

func matchValue(e *exec, m *matchSpec, values, keys []string) bool {
	for _, v := range values {
		for _, k := range keys {
			if e.step() && relTrue(m.arg, m.cmp.compare(v, k)) {
				return true
			}
		}
	}
	return false
}

// matchCount compares the number of values with each key (RFC 5231 §4.2).
func matchCount(e *exec, m *matchSpec, values, keys []string) bool {
	n := strconv.Itoa(len(values))
	for _, k := range keys {
		if e.step() && relTrue(m.arg, m.cmp.compare(n, k)) {
			return true
		}
	}
	return false
}
