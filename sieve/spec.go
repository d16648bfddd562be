package sieve

// argKind is the type of a positional or tagged argument (RFC 5228 §2.6).
type argKind int

const (
	argNone       argKind = iota // a tag without a value
	argString                    // a single string
	argStringList                // a string list (a single string is a list of one)
	argNumber                    // a number, with an optional K/M/G quantifier
)

func (k argKind) String() string {
	switch k {
	case argString:
		return "string"
	case argStringList:
		return "string list"
	case argNumber:
		return "number"
	}
	return "no value"
}

// tagSpec is one tagged argument a command or test accepts.
type tagSpec struct {
	name string // without the colon
	arg  argKind
	// conflicts names tags that cannot be combined with this one.
	conflicts []string
}

// Group names for the shared tagged-argument groups (RFC 5228 §2.7).
const (
	groupComparator  = "comparator"
	groupMatchType   = "match-type"
	groupAddressPart = "address-part"
)

// testArity says which tests a command takes.
type testArity int

const (
	testsNone testArity = iota
	testsOne            // exactly one test (if, elsif, not)
	testsList           // a parenthesised test list (allof, anyof)
)

// commandSpec describes one command or test: its arguments and its hooks.
type commandSpec struct {
	name string
	// positional lists the positional arguments in order; the first
	// optional ones may be left out (setflag's variable name, hasflag's
	// variable list).
	positional []argKind
	optional   int
	// argNames names the positional arguments in error messages, as
	// Pigeonhole does ("header names", "key list"); it may be short.
	argNames []string
	tags     []tagSpec
	// groups lists the shared tag groups accepted (comparator,
	// match-type, address-part).
	groups []string
	// defaultCmp overrides the default comparator i;ascii-casemap.
	defaultCmp *comparator
	tests      testArity
	// block is true when the command takes a block (if, elsif, else and
	// commands added by extensions such as foreverypart).
	block bool
	// check runs after the arguments were validated; it may report more
	// errors and store compiled data in n.data.
	check func(c *checker, n *node)
	// run executes a command; eval evaluates a test.
	run  func(e *exec, n *node) error
	eval func(e *exec, n *node) (bool, error)
}

// node is a compiled command or test.
type node struct {
	spec *commandSpec
	pos  Pos
	// tags maps each tag given (without colon) to its value (nil for a
	// tag without a value).
	tags map[string]*argValue
	args []*argValue
	// tests holds the test(s) of if/elsif/not/allof/anyof.
	tests []*node
	block []*node
	// next is the elsif/else chained after an if or elsif.
	next *node
	// match, cmp and apart are the compiled shared groups of a test.
	match *matchSpec
	apart *addressPart
	// mime, index and last are tags the run looks at on every header,
	// address or date test, resolved once by args instead of being looked
	// up in tags at each evaluation: :mime (RFC 5703 §4), :index and
	// :last (RFC 5260 §6); index is nil when absent.
	mime  bool
	index *argValue
	last  bool
	// data is extension-private compiled data set by check.
	data any
}

// argValue is one compiled argument.
type argValue struct {
	pos  Pos
	kind argKind
	num  int64
	list []*tmpl // one element for argString
	// consts is the list of a string or string-list argument whose
	// strings are all constant, computed once at compile time; nil
	// otherwise. It is shared by every run: read it, never change it.
	consts []string
}

// newStringsArg returns a string or string-list argument, with its
// constant list computed when it has no variable.
func newStringsArg(pos Pos, kind argKind, list []*tmpl) *argValue {
	v := &argValue{pos: pos, kind: kind, list: list}
	if s, ok := v.constStrings(); ok {
		v.consts = s
	}
	return v
}

func (n *node) has(tag string) bool { _, ok := n.tags[tag]; return ok }

// constStrings returns the list of a constant argument, ok=false when it
// contains variables.
func (v *argValue) constStrings() ([]string, bool) {
	out := make([]string, len(v.list))
	for i, t := range v.list {
		if !t.constant {
			return nil, false
		}
		out[i] = t.lit
	}
	return out, true
}
