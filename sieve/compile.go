package sieve

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
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
	namespaces map[string]bool
	errs       []*CompileError
	warns      []*CompileError
	// state lets extensions keep per-compilation data (include's list
	// of loaded scripts ...), keyed by extension name.
	state map[string]any
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
	limits := opts.Limits.withDefaults()
	c := &checker{
		ctx:        ctx,
		name:       name,
		opts:       opts,
		lang:       newLanguage(opts.Extensions, opts.extra),
		limits:     limits,
		required:   map[string]bool{},
		namespaces: map[string]bool{},
		state:      map[string]any{},
	}
	if len(src) > limits.ScriptSize {
		c.errorf(Pos{Script: name, Line: 1, Column: 1}, "script is too large (%d bytes, max %d)", len(src), limits.ScriptSize)
		return nil, &CompileErrors{Errors: c.errs}
	}
	cmds, perr := parse(name, src, limits)
	if perr != nil {
		return nil, &CompileErrors{Errors: []*CompileError{perr}}
	}
	prog := c.block(cmds, 0, true)
	if len(c.errs) > 0 {
		return nil, &CompileErrors{Errors: c.errs}
	}
	delim := opts.RecipientDelimiter
	if delim == "" {
		delim = "+"
	}
	return &Script{
		name:     name,
		prog:     prog,
		required: c.required,
		warnings: c.warns,
		limits:   limits,
		lang:     c.lang,
		delim:    delim,
	}, nil
}

var posPrefix = regexp.MustCompile(`^(\d+):(\d+): `)

// parse runs the go-sieve lexer and parser and converts their error into a
// positioned CompileError.
func parse(name string, src []byte, limits Limits) ([]parser.Cmd, *CompileError) {
	text, perr := prelex(string(src))
	if perr != nil {
		perr.Script = name
		return nil, perr
	}
	if !strings.HasSuffix(text, "\n") {
		// The lexer peeks four bytes after a "t"; give it room.
		text += "\n"
	}
	toks, err := lexer.Lex(strings.NewReader(text), &lexer.Options{Filename: name})
	if err == nil {
		var cmds []parser.Cmd
		cmds, err = parser.Parse(lexer.NewStream(toks), &parser.Options{
			MaxBlockNesting: limits.Nesting,
			MaxTestNesting:  limits.Nesting,
		})
		if err == nil {
			return cmds, nil
		}
	}
	msg := err.Error()
	pos := Pos{Script: name, Line: 1, Column: 1}
	if m := posPrefix.FindStringSubmatch(msg); m != nil {
		pos.Line, _ = strconv.Atoi(m[1])
		pos.Column, _ = strconv.Atoi(m[2])
		msg = msg[len(m[0]):]
	}
	msg = strings.TrimPrefix(msg, "go-sieve/lexer: ")
	if errors.Is(err, errUnexpectedEOF) {
		msg = "unexpected end of script"
	}
	return nil, &CompileError{Pos: pos, Message: msg}
}

var errUnexpectedEOF = errors.New("unexpected EOF")

func (c *checker) pos(p lexer.Position) Pos {
	return Pos{Script: c.name, Line: p.Line, Column: p.Col}
}

// block checks a list of commands, chaining elsif/else to their if.
func (c *checker) block(cmds []parser.Cmd, depth int, top bool) []*node {
	var out []*node
	var chainTail *node // last if/elsif that may take an elsif/else
	requireOK := top
	for i := range cmds {
		cmd := &cmds[i]
		id := strings.ToLower(cmd.Id)
		pos := c.pos(cmd.Position)
		if id == "require" {
			if !requireOK {
				c.errorf(pos, "require commands can only be placed at top level at the beginning of the file")
			}
			c.require(cmd, pos)
			continue
		}
		requireOK = false
		n := c.command(cmd, depth)
		switch id {
		case "elsif", "else":
			if chainTail == nil {
				c.errorf(pos, "%s is not preceded by if or elsif", id)
				continue
			}
			if n != nil {
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
	return out
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
		for ns := range e.namespaces {
			c.namespaces[ns] = true
		}
	}
}

// command checks one command and its arguments.
func (c *checker) command(cmd *parser.Cmd, depth int) *node {
	id := strings.ToLower(cmd.Id)
	pos := c.pos(cmd.Position)
	spec, ok := c.lang.commands[id]
	if !ok {
		if _, isTest := c.lang.tests[id]; isTest {
			c.errorf(pos, "'%s' is a test, not a command", id)
		} else {
			c.errorf(pos, "unknown command '%s'", id)
		}
		return nil
	}
	if !c.enabled(spec, pos, "command") {
		return nil
	}
	n := &node{spec: spec, pos: pos}
	before := len(c.errs)
	c.args(n, cmd.Args)
	argsOK := len(c.errs) == before
	c.subtests(n, cmd.Tests, depth)
	switch {
	case spec.block && cmd.Block == nil:
		c.errorf(pos, "the %s command requires a block", id)
	case !spec.block && cmd.Block != nil:
		c.errorf(pos, "the %s command does not take a block", id)
	case spec.block && c.ihaveSkips(n):
		// RFC 5463 §4: a block guarded by ihave of a missing capability is never compiled.
	case spec.block:
		n.block = c.block(cmd.Block, depth+1, false)
	}
	if spec.check != nil && argsOK {
		spec.check(c, n)
	}
	return n
}

// enabled checks that the extension defining spec was required.
func (c *checker) enabled(spec *commandSpec, pos Pos, what string) bool {
	owner := c.lang.owner[spec]
	if owner != nil && owner.name != "" && !c.required[owner.name] {
		c.errorf(pos, "%s '%s' requires the '%s' extension (missing require)", what, spec.name, owner.name)
		return false
	}
	return true
}

func (c *checker) test(t *parser.Test, depth int) *node {
	id := strings.ToLower(t.Id)
	pos := c.pos(t.Position)
	spec, ok := c.lang.tests[id]
	if !ok {
		if _, isCmd := c.lang.commands[id]; isCmd {
			c.errorf(pos, "'%s' is a command, not a test", id)
		} else {
			c.errorf(pos, "unknown test '%s'", id)
		}
		return nil
	}
	if !c.enabled(spec, pos, "test") {
		return nil
	}
	n := &node{spec: spec, pos: pos}
	before := len(c.errs)
	c.args(n, t.Args)
	argsOK := len(c.errs) == before
	c.subtests(n, t.Tests, depth)
	if spec.check != nil && argsOK {
		spec.check(c, n)
	}
	if argsOK {
		c.extChecks(n) // tags added by extensions (:index ...), :regex keys
	}
	return n
}

func (c *checker) subtests(n *node, tests []parser.Test, depth int) {
	switch n.spec.tests {
	case testsNone:
		if len(tests) > 0 {
			c.errorf(n.pos, "the %s %s does not take tests", n.spec.name, n.kind())
		}
		return
	case testsOne:
		if len(tests) != 1 {
			c.errorf(n.pos, "the %s %s expects exactly one test", n.spec.name, n.kind())
		}
	case testsList:
		if len(tests) == 0 {
			c.errorf(n.pos, "the %s test expects a list of tests", n.spec.name)
		}
	}
	for i := range tests {
		if t := c.test(&tests[i], depth+1); t != nil {
			n.tests = append(n.tests, t)
		}
	}
}

func (n *node) kind() string {
	if n.spec.eval != nil {
		return "test"
	}
	return "command"
}

// tagDef is a tag resolved for one node.
type tagDef struct {
	spec  tagSpec
	group string
	mt    *matchType
	ap    *addressPart
}

// lookupTag finds what a tag means on this node, checking that its
// extension was required.
func (c *checker) lookupTag(n *node, name string, pos Pos) (*tagDef, bool) {
	for _, t := range n.spec.tags {
		if t.name == name {
			return &tagDef{spec: t}, true
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
					c.errorf(pos, "match type :%s requires the '%s' extension", name, mt.ext)
					return &tagDef{spec: tagSpec{name: name, arg: mt.arg}}, false
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
					c.errorf(pos, "address part :%s requires the '%s' extension", name, ap.ext)
					return nil, false
				}
				return &tagDef{spec: tagSpec{name: name}, group: g, ap: ap}, true
			}
		}
	}
	for _, t := range c.lang.tags[n.spec.name] {
		if t.tag.name == name {
			if t.ext.name != "" && !c.required[t.ext.name] {
				c.errorf(pos, "tag :%s of %s requires the '%s' extension", name, n.spec.name, t.ext.name)
				return &tagDef{spec: t.tag}, false
			}
			return &tagDef{spec: t.tag}, true
		}
	}
	c.errorf(pos, "unknown tagged argument ':%s' for the %s %s", name, n.spec.name, n.kind())
	return nil, false
}

// args checks the tagged and positional arguments of n.
func (c *checker) args(n *node, args []parser.Arg) {
	n.tags = map[string]*argValue{}
	groupSeen := map[string]string{}
	var positional []parser.Arg
	for i := 0; i < len(args); i++ {
		ta, ok := args[i].(parser.TagArg)
		if !ok {
			positional = append(positional, args[i])
			continue
		}
		name := strings.ToLower(ta.Value)
		pos := c.pos(ta.Position)
		def, ok := c.lookupTag(n, name, pos)
		if !ok {
			// Skip the value of a known tag that cannot be used here.
			if def != nil && def.spec.arg != argNone && i+1 < len(args) {
				if _, isTag := args[i+1].(parser.TagArg); !isTag {
					i++
				}
			}
			continue
		}
		var val *argValue
		if def.spec.arg != argNone {
			if i+1 >= len(args) {
				c.errorf(pos, "tag :%s of the %s %s requires a %s argument", name, n.spec.name, n.kind(), def.spec.arg)
				continue
			}
			if _, isTag := args[i+1].(parser.TagArg); isTag {
				c.errorf(pos, "tag :%s of the %s %s requires a %s argument", name, n.spec.name, n.kind(), def.spec.arg)
				continue
			}
			i++
			val = c.value(args[i], def.spec.arg, fmt.Sprintf("the :%s tag of the %s %s", name, n.spec.name, n.kind()))
			if val == nil {
				continue
			}
		}
		if def.group != "" {
			if prev, dup := groupSeen[def.group]; dup {
				c.errorf(pos, "multiple %s arguments for the %s %s (:%s and :%s)", def.group, n.spec.name, n.kind(), prev, name)
				continue
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
				case cmp.ext != "" && !c.required[cmp.ext]:
					c.errorf(val.pos, "comparator '%s' requires the '%s' extension", cname, cmp.ext)
				default:
					m.cmp = cmp
				}
			}
			n.tags[name] = val
			continue
		}
		if _, dup := n.tags[name]; dup {
			c.errorf(pos, "tag :%s given more than once to the %s %s", name, n.spec.name, n.kind())
			continue
		}
		for _, other := range def.spec.conflicts {
			if n.has(other) {
				c.errorf(pos, "tags :%s and :%s of the %s %s cannot be combined", other, name, n.spec.name, n.kind())
			}
		}
		n.tags[name] = val
	}
	want := n.spec.positional
	if d := len(want) - len(positional); d > 0 && d <= n.spec.optional {
		want = want[d:]
	}
	if len(positional) != len(want) {
		switch {
		case len(positional) < len(want):
			c.errorf(n.pos, "the %s %s expects %d positional argument(s), but %d were given", n.spec.name, n.kind(), len(n.spec.positional)-n.spec.optional, len(positional))
		default:
			c.errorf(c.pos(argPos(positional[len(want)])), "the %s %s expects %d positional argument(s), but %d were given", n.spec.name, n.kind(), len(n.spec.positional), len(positional))
		}
	}
	for i, a := range positional {
		if i >= len(want) {
			break
		}
		v := c.value(a, want[i], fmt.Sprintf("argument %d of the %s %s", i+1, n.spec.name, n.kind()))
		if v != nil {
			n.args = append(n.args, v)
		}
	}
	if len(n.args) != len(want) {
		// Keep the node consistent for later checks: errors were reported.
		for len(n.args) < len(want) {
			n.args = append(n.args, &argValue{pos: n.pos, kind: want[len(n.args)], list: []*tmpl{constTmpl("")}})
		}
	}
	if hasGroup(n.spec, groupMatchType) || hasGroup(n.spec, groupComparator) {
		m := c.matchSpecOf(n)
		if m.typ.check != nil {
			m.typ.check(c, n.pos, m)
		}
	}
	if hasGroup(n.spec, groupAddressPart) && n.apart == nil {
		n.apart = apAll
	}
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

// value converts one parser argument into the expected kind.
func (c *checker) value(a parser.Arg, want argKind, what string) *argValue {
	pos := c.pos(argPos(a))
	got := argNumber
	switch a := a.(type) {
	case parser.StringArg:
		if want == argString || want == argStringList {
			return &argValue{pos: pos, kind: want, list: []*tmpl{c.compileString(a.Value, pos)}}
		}
		got = argString
	case parser.StringListArg:
		if want == argStringList {
			v := &argValue{pos: pos, kind: want}
			for _, s := range a.Value {
				v.list = append(v.list, c.compileString(s, pos))
			}
			return v
		}
		if want == argString && len(a.Value) == 1 {
			return &argValue{pos: pos, kind: want, list: []*tmpl{c.compileString(a.Value[0], pos)}}
		}
		got = argStringList
	case parser.NumberArg:
		if want == argNumber {
			return &argValue{pos: pos, kind: want, num: int64(a.Value)}
		}
	}
	c.errorf(pos, "%s expects a %s, but a %s was found", what, want, got)
	return nil
}
