package sieve

// extCopy is RFC 3894: the :copy tag of fileinto and redirect, which keeps
// the implicit keep in force.
var extCopy = &extension{
	name: "copy",
	tags: []*extraTag{{tag: tagSpec{name: "copy"}, on: []string{"fileinto", "redirect"}}},
}
