package sieve

import (
	"slices"
	"sort"
)

// extension is one entry of the registry: a capability string (RFC 5228
// §3.2) and everything it adds to the language. See the package
// documentation, "Writing an extension".
type extension struct {
	// name is the capability given to require; "" for the core language.
	name string
	// testOnly extensions are never offered to real scripts (the
	// conformance harness registers its own through Options.extra).
	testOnly bool
	// implicit extensions are always enabled without require (none in
	// RFC 5228 besides the core).
	commands []*commandSpec
	tests    []*commandSpec
	// tags adds tagged arguments to commands or tests of other
	// extensions (:copy on fileinto, :flags on keep, :index on header ...).
	tags []*extraTag
	// matchTypes, comparators and addressParts extend the shared groups
	// of tagged arguments.
	matchTypes   []*matchType
	comparators  []*comparator
	addressParts []*addressPart
	// modifiers are modifiers of the set command (RFC 5229 §4.1).
	modifiers []*modifier
	// namespaces are variable namespaces (RFC 5229 §3) this extension
	// resolves, keyed by lowercased namespace name.
	namespaces map[string]func(e *exec, name string) string
	// filter narrows the values of header-like tests before matching
	// (RFC 5260 :index/:last); it must return values unchanged when n
	// does not carry its tags.
	filter func(e *exec, n *node, values []string) []string
	// validate checks, once the require commands at the top of the
	// script have been read, that the capabilities this extension
	// depends on were required too; pos is that of its require.
	validate func(c *checker, pos Pos)
}

// extraTag is a tagged argument an extension adds to others' commands.
type extraTag struct {
	tag tagSpec
	// on lists the command or test names that accept the tag.
	on []string
	// check, when set, validates a node carrying the tag at compile time.
	check func(c *checker, n *node)
}

// registry is THE table of extensions. Adding an extension means adding one
// ext_<name>.go file defining an *extension and one line here.
var registry = []*extension{
	extCore,
	extComparatorOctet,
	extComparatorASCIICasemap,
	extFileinto,
	extEnvelope,
	extEncodedCharacter,
	extReject,
	extEReject,
	extImap4flags,
	extVariables,
	extRelational,
	extSubaddress,
	extCopy,
	extComparatorASCIINumeric,
	extComparatorUnicodeCasemap,
	extEnvironment,
	extMailbox,
	extIhave,
	extDate,
	extIndex,
	extBody,
	extRegex,
	extInclude,
	extVacation, extVacationCommand, extVacationSeconds, extEnotify, extDuplicate, extSpamtest, extSpamtestplus, extSpamtestTest, extVirustest, extSpecialUse, extMboxMetadata, extServerMetadata, extMailboxID, extFcc, extExtlists,
	extEditheader, extForeverypart, extMime, extExtracttext, extReplace, extEnclose,
}

// Capabilities returns the capability strings real scripts may require,
// sorted.
func Capabilities() []string {
	var out []string
	for _, e := range registry {
		if e.name != "" && !e.testOnly {
			out = append(out, e.name)
		}
	}
	sort.Strings(out)
	return out
}

// language is the resolved set of extensions one compilation may use.
type language struct {
	byName   map[string]*extension
	commands map[string]*commandSpec
	tests    map[string]*commandSpec
	owner    map[*commandSpec]*extension
	tags     map[string][]*extraTagOwned
	matches  map[string]*matchType
	cmps     map[string]*comparator
	aparts   map[string]*addressPart
	ns       map[string]func(e *exec, name string) string
	nsOwner  map[string]*extension
	mods     map[string]*modifier
	filters  []func(e *exec, n *node, values []string) []string
	// validators are the extensions with a validate hook, in order.
	validators []*extension
}

type extraTagOwned struct {
	*extraTag
	ext *extension
}

// newLanguage indexes the extensions allowed by opts.
func newLanguage(allowed []string, extra []*extension) *language {
	l := &language{
		byName:   map[string]*extension{},
		commands: map[string]*commandSpec{},
		tests:    map[string]*commandSpec{},
		owner:    map[*commandSpec]*extension{},
		tags:     map[string][]*extraTagOwned{},
		matches:  map[string]*matchType{},
		cmps:     map[string]*comparator{},
		aparts:   map[string]*addressPart{},
		ns:       map[string]func(*exec, string) string{},
		nsOwner:  map[string]*extension{},
		mods:     map[string]*modifier{},
	}
	all := append(slices.Clip(registry), extra...)
	for _, e := range all {
		if e.name != "" && allowed != nil && !slices.Contains(allowed, e.name) && !slices.Contains(extra, e) {
			continue
		}
		l.byName[e.name] = e
		for _, c := range e.commands {
			l.commands[c.name] = c
			l.owner[c] = e
		}
		for _, t := range e.tests {
			l.tests[t.name] = t
			l.owner[t] = e
		}
		for _, t := range e.tags {
			for _, on := range t.on {
				l.tags[on] = append(l.tags[on], &extraTagOwned{t, e})
			}
		}
		for _, m := range e.matchTypes {
			l.matches[m.name] = m
		}
		for _, c := range e.comparators {
			l.cmps[c.name] = c
		}
		for _, a := range e.addressParts {
			l.aparts[a.name] = a
		}
		for _, m := range e.modifiers {
			l.mods[m.name] = m
		}
		if e.filter != nil {
			l.filters = append(l.filters, e.filter)
		}
		if e.validate != nil {
			l.validators = append(l.validators, e)
		}
		for ns, f := range e.namespaces {
			l.ns[ns] = f
			l.nsOwner[ns] = e
		}
	}
	return l
}
