package sieve

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/foxcpp/go-sieve/lexer"
	"github.com/foxcpp/go-sieve/parser"
)

// Options controls compilation.
type Options struct {
	// Extensions lists the capabilities scripts may require; nil allows
	// every registered extension except test-only ones.
	Extensions []string
	// Limits bounds the script; zero fields take defaults.
	Limits Limits
	// Includes loads scripts for the include extension (RFC 6609); nil
	// means include always fails.
	Includes ScriptLoader
	// RecipientDelimiter separates user and detail for the subaddress
	// extension (RFC 5233); "" means "+". Several characters mean each is
	// a delimiter and the first one found splits.
	RecipientDelimiter string

	// extra adds extensions that exist only for this compilation (the
	// conformance test suite's commands).
	extra []*extension
}

// Location says where an included script lives (RFC 6609 §3.2).
type Location int

const (
	LocationPersonal Location = iota // :personal, the default
	LocationGlobal                   // :global
)

// ScriptLoader loads included scripts by name.
type ScriptLoader interface {
	Load(ctx context.Context, loc Location, name string) ([]byte, error)
}

// Script is a compiled Sieve script. It is immutable and safe for
// concurrent use by several goroutines.
type Script struct {
	name     string
	prog     []*node
	required map[string]bool
	warnings []*CompileError
	limits   Limits
	lang     *language
	delim    string
}

// Name returns the name given to Compile.
func (s *Script) Name() string { return s.name }

// Warnings returns the non-fatal remarks found while compiling.
func (s *Script) Warnings() []*CompileError { return s.warnings }

// Requires reports whether the script requires the capability.
func (s *Script) Requires(capability string) bool { return s.required[capability] }

// checker holds the state of one compilation.
type checker struct {
	ctx        context.Context
	name       string
	opts       Options
	lang       *language
	limits     Limits
	required   map[string]bool
	requiredAt map[string]Pos // where each capability was first required
	namespaces map[string]bool
	errs       []*CompileError
	warns      []*CompileError
	// state lets extensions keep per-compilation data (include's list
	// of loaded scripts ...), keyed by extension name.
	state map[string]any
	// enclosing are the commands whose block is being checked, the
	// innermost last (foreverypart's break and extracttext look at it).
	enclosing []*node
}

func (c *checker) errorf(pos Pos, format string, args ...any) {
	c.errs = append(c.errs, &CompileError{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) warnf(pos Pos, format string, args ...any) {
	c.warns = append(c.warns, &CompileError{Pos: pos, Message: fmt.Sprintf(format, args...)})
}

// Compile parses and checks a script. The error, if any, is a
// *CompileErrors holding every problem found, each with its position.
func Compile(ctx context.Context, name string, src []byte, opts Options) (*Script, error) {
	c := newChecker(ctx, name, opts, newLanguage(opts.Extensions, opts.extra), opts.Limits.withDefaults(), map[string]any{})
	s, parseFailed := c.compile(src)
	if s == nil {
		return nil, &CompileErrors{Errors: c.errs, parse: parseFailed}
	}
	return s, nil
}

// newChecker returns the checker of the script name. A script and the
// scripts it includes (RFC 6609) are compiled with the same options,
// language, limits and state, each by its own checker.
func newChecker(ctx context.Context, name string, opts Options, lang *language, limits Limits, state map[string]any) *checker {
	return &checker{
		ctx:        ctx,
		name:       name,
		opts:       opts,
		lang:       lang,
		limits:     limits,
		required:   map[string]bool{},
		requiredAt: map[string]Pos{},
		namespaces: map[string]bool{},
		state:      state,
	}
}

// compile takes one script, the one given to Compile or an included one,
// through the size limit, parsing and checking. It returns nil when the
// script has errors, which are then in c.errs; parseFailed says they are
// parse errors, found before any command was checked.
func (c *checker) compile(src []byte) (s *Script, parseFailed bool) {
	if len(src) > c.limits.ScriptSize {
		c.errorf(Pos{Script: c.name, Line: 1, Column: 1}, "script is too large (%d bytes, max %d)", len(src), c.limits.ScriptSize)
		return nil, false
	}
	cmds, perrs := parseAll(c.name, src, c.limits)
	if perrs != nil {
		c.errs = append(c.errs, perrs...)
		return nil, true
	}
	prog := c.block(cmds, 0, true)
	if len(c.errs) > 0 {
		return nil, false
	}
	delim := c.opts.RecipientDelimiter
	if delim == "" {
		delim = "+"
	}
	return &Script{
		name:     c.name,
		prog:     prog,
		required: c.required,
		warnings: c.warns,
		limits:   c.limits,
		lang:     c.lang,
		delim:    delim,
	}, false
}

var posPrefix = regexp.MustCompile(`^(\d+):(\d+): `)

var errUnexpectedEOF = errors.New("unexpected EOF")

func (c *checker) pos(p lexer.Position) Pos {
	return Pos{Script: c.name, Line: p.Line, Column: p.Col}
}

// block checks a list of commands, chaining elsif/else to their if.
func (c *checker) block(cmds []parser.Cmd, depth int, top bool) []*node {
	var out []*node
	var chainTail *node // last if/elsif that may take an elsif/else
	requireOK := top
	prevID := "" // the command before this one, valid or not
	for i := range cmds {
		cmd := &cmds[i]
		id := strings.ToLower(cmd.Id)
		pos := c.pos(cmd.Position)
		prev := prevID
		prevID = id
		if id == "require" {
			if !requireOK {
				// Like Pigeonhole, a misplaced require loads nothing.
				c.errorf(pos, "require commands can only be placed at top level at the beginning of the file")
				continue
			}
			c.require(cmd, pos)
			continue
		}
		if requireOK {
			c.validateRequired()
		}
		requireOK = false
		n := c.command(cmd, depth)
		switch id {
		case "elsif", "else":
			// RFC 5228 §3.1: elsif and else follow an if or elsif. As in
			// Pigeonhole, only the command's name counts, so an orphan
			// chain "elsif ... elsif ... else" is one error.
			if prev != "if" && prev != "elsif" {
				c.errorf(pos, "the %s command must follow an if or elsif command", id)
				chainTail = nil
				continue
			}
			if chainTail != nil && n != nil {
				chainTail.next = n
			}
			chainTail = nil
			if id == "elsif" && n != nil {
				chainTail = n
			}
			continue
		case "if":
			chainTail = n
		default:
			chainTail = nil
		}
		if n != nil {
			out = append(out, n)
		}
	}
	if requireOK {
		c.validateRequired() // a script of require commands only
	}
	return out
}

// validateRequired runs the validate hooks of the required extensions, in
// the order of the language, once the require commands have all been read
// (so that require "a"; require "b"; and require ["b", "a"] are alike).
func (c *checker) validateRequired() {
	for _, e := range c.lang.validators {
		if c.required[e.name] {
			e.validate(c, c.requiredAt[e.name])
		}
	}
}

func (c *checker) require(cmd *parser.Cmd, pos Pos) {
	if len(cmd.Args) != 1 || len(cmd.Tests) > 0 || cmd.Block != nil {
		c.errorf(pos, "require command expects one string or string list argument")
		return
	}
	var names []string
	switch a := cmd.Args[0].(type) {
	case parser.StringArg:
		names = []string{a.Value}
	case parser.StringListArg:
		names = a.Value
	default:
		c.errorf(pos, "require command expects one string or string list argument")
		return
	}
	for _, name := range names {
		e, ok := c.lang.byName[name]
		if !ok || name == "" {
			c.errorf(pos, "unknown Sieve capability '%s'", name)
			continue
		}
		c.required[name] = true
		if _, seen := c.requiredAt[name]; !seen {
			c.requiredAt[name] = pos
		}
		for ns := range e.namespaces {
			c.namespaces[ns] = true
		}
	}
}

// command checks one command and its arguments.
func (c *checker) command(cmd *parser.Cmd, depth int) *node {
	id := strings.ToLower(cmd.Id)
	pos := c.pos(cmd.Position)
	spec := c.lookup(id, pos, "command")
	if spec == nil {
		return nil
	}
	// Like Pigeonhole: the arguments and the tests are always checked,
	// the block only when both are valid, and the command's own check
	// only when all three are.
	n := &node{spec: spec, pos: pos}
	ok := c.args(n, cmd.Args)
	ok = c.subtests(n, cmd.Tests, depth) && ok
	switch {
	case !ok:
	case spec.block && cmd.Block == nil:
		c.errorf(pos, "the %s command requires a block", id)
		ok = false
	case !spec.block && cmd.Block != nil:
		c.errorf(pos, "the %s command does not take a block", id)
		ok = false
	}
	if spec.block && cmd.Block != nil && !c.ihaveSkips(n) {
		// RFC 5463 §4: a block guarded by ihave of a missing capability is never compiled.
		c.enclosing = append(c.enclosing, n)
		n.block = c.block(cmd.Block, depth+1, false)
		c.enclosing = c.enclosing[:len(c.enclosing)-1]
	}
	if spec.check != nil && ok {
		spec.check(c, n)
	}
	return n
}

// lookup finds the command or test (what) named id and checks that its
// extension was required. A name of the other kind, an unknown name
// (reported once) or a missing require gives nil.
func (c *checker) lookup(id string, pos Pos, what string) *commandSpec {
	table, other, otherWhat := c.lang.commands, c.lang.tests, "test"
	if what == "test" {
		table, other, otherWhat = c.lang.tests, c.lang.commands, "command"
	}
	spec, ok := table[id]
	if !ok {
		if _, isOther := other[id]; isOther {
			c.errorf(pos, "cannot use %s '%s' as a %s", otherWhat, id, what)
		} else if c.firstTime(what + " " + id) {
			c.errorf(pos, "unknown %s '%s'", what, id)
		}
		return nil
	}
	if !c.enabled(spec, pos, what) {
		return nil
	}
	return spec
}

// enabled checks that the extension defining spec was required.
func (c *checker) enabled(spec *commandSpec, pos Pos, what string) bool {
	owner := c.lang.owner[spec]
	if owner != nil && owner.name != "" && !c.required[owner.name] {
		if c.firstTime(what + " " + spec.name) {
			c.errorf(pos, "%s '%s' requires the '%s' extension (missing require)", what, spec.name, owner.name)
		}
		return false
	}
	return true
}

func (c *checker) test(t *parser.Test, depth int) *node {
	id := strings.ToLower(t.Id)
	pos := c.pos(t.Position)
	spec := c.lookup(id, pos, "test")
	if spec == nil {
		return nil
	}
	n := &node{spec: spec, pos: pos}
	ok := c.args(n, t.Args)
	ok = c.subtests(n, t.Tests, depth) && ok
	if spec.check != nil && ok {
		spec.check(c, n)
	}
	if ok {
		c.extChecks(n) // tags added by extensions (:index ...), :regex keys
	}
	return n
}

// subtests checks the tests of n and reports whether their number is
// right.
func (c *checker) subtests(n *node, tests []parser.Test, depth int) bool {
	ok := true
	switch n.spec.tests {
	case testsNone:
		if len(tests) == 0 {
			return true
		}
		// Typos parse as tests; say what Pigeonhole says about them.
		id := strings.ToLower(tests[0].Id)
		_, isTest := c.lang.tests[id]
		switch {
		case c.isTagName(n, id):
			// "address matches ..." for "address :matches ..."
			c.errorf(n.pos, "missing colon ':' before ':%s' tag in %s %s", id, n.spec.name, n.kind())
		case !isTest && n.kind() == "command":
			// "fileinto "x" keep;" or "else if ..."
			c.errorf(n.pos, "missing semicolon ';' after %s command", n.spec.name)
		default:
			c.errorf(n.pos, "the %s %s accepts no sub-tests, but tests are specified", n.spec.name, n.kind())
		}
		return false
	case testsOne:
		switch {
		case len(tests) == 0:
			c.errorf(n.pos, "the %s %s requires one sub-test, but none is specified", n.spec.name, n.kind())
			ok = false
		case len(tests) > 1:
			c.errorf(n.pos, "the %s %s requires one sub-test, but a list of tests is specified", n.spec.name, n.kind())
			ok = false
		}
	case testsList:
		if len(tests) == 0 {
			c.errorf(n.pos, "the %s test requires a list of sub-tests, but none is specified", n.spec.name)
			ok = false
		}
	}
	for i := range tests {
		if t := c.test(&tests[i], depth+1); t != nil {
			n.tests = append(n.tests, t)
		}
	}
	return ok
}

func (n *node) kind() string {
	if n.spec.eval != nil {
		return "test"
	}
	return "command"
}

func hasGroup(s *commandSpec, g string) bool {
	for _, x := range s.groups {
		if x == g {
			return true
		}
	}
	return false
}

func (c *checker) matchSpecOf(n *node) *matchSpec {
	if n.match == nil {
		n.match = &matchSpec{typ: mtIs, cmp: cmpASCIICasemap}
		if n.spec.defaultCmp != nil {
			n.match.cmp = n.spec.defaultCmp
		}
	}
	return n.match
}

func argPos(a parser.Arg) lexer.Position {
	switch a := a.(type) {
	case parser.StringArg:
		return a.Position
	case parser.StringListArg:
		return a.Position
	case parser.NumberArg:
		return a.Position
	case parser.TagArg:
		return a.Position
	}
	return lexer.Position{}
}
