package sieve

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"unicode/utf8"
)

// extInclude is RFC 6609: include, return and global. Included scripts are
// loaded through Options.Includes and compiled with the including script,
// so a compiled Script never reads a file at run time. Each included
// script has its own local variables; those it declares global are shared
// with every script declaring them, and all of them are reachable as
// ${global.name} (RFC 6609 §3.5).
var extInclude = &extension{
	name: "include",
	commands: []*commandSpec{
		{
			name:       "include",
			positional: []argKind{argString},
			tags: []tagSpec{
				{name: "personal", conflicts: []string{"global"}},
				{name: "global", conflicts: []string{"personal"}},
				{name: "once"},
				{name: "optional"},
			},
			check: checkInclude,
			run:   runInclude,
		},
		{name: "return", run: func(*exec, *node) error { return errReturn }},
		{name: "global", positional: []argKind{argStringList}, check: checkGlobal, run: runGlobal},
	},
	namespaces: map[string]func(e *exec, name string) string{"global": readGlobal},
}

// returnSignal ends the current script (RFC 6609 §3.4). In the main script
// it acts as stop, which errors.Is reports.
type returnSignal struct{}

func (*returnSignal) Error() string        { return "return" }
func (*returnSignal) Is(target error) bool { return target == errStop }
func (*returnSignal) controlFlow()         {}

var errReturn error = &returnSignal{}

// scriptKey identifies an included script.
type scriptKey struct {
	loc  Location
	name string
}

func (k scriptKey) String() string {
	if k.loc == LocationGlobal {
		return ":global " + strconv.Quote(k.name)
	}
	return strconv.Quote(k.name)
}

// includeCompile is the state shared by a script and everything it
// includes while they compile.
type includeCompile struct {
	stack   []scriptKey // scripts being compiled, outermost first
	scripts map[scriptKey]*Script
}

func includeCompileState(c *checker) *includeCompile {
	st, ok := c.state["include"].(*includeCompile)
	if !ok {
		st = &includeCompile{scripts: map[scriptKey]*Script{}}
		c.state["include"] = st
	}
	return st
}

// includeData is the compiled include command.
type includeData struct {
	key scriptKey
	// script is nil for a missing :optional script, and for an :once
	// include of a script that is including this one (it has then always
	// been included already when the command runs).
	script *Script
}

// validScriptName applies RFC 6609 §3.2 (a name, not a path) and refuses
// the control characters Pigeonhole refuses.
func validScriptName(name string) error {
	switch {
	case name == "":
		return errors.New("empty script name")
	case !utf8.ValidString(name):
		return errors.New("script name is not UTF-8")
	case strings.ContainsRune(name, '/'):
		return errors.New("script name contains '/'")
	case utf8.RuneCountInString(name) > 256:
		return errors.New("script name is too long")
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return fmt.Errorf("script name contains control character U+%04X", r)
		}
	}
	return nil
}

func checkInclude(c *checker, n *node) {
	names, ok := n.args[0].constStrings()
	if !ok {
		c.errorf(n.args[0].pos, "the name of an included script must be a constant string (RFC 6609 §3.2)")
		return
	}
	key := scriptKey{name: names[0]}
	if n.has("global") {
		key.loc = LocationGlobal
	}
	if err := validScriptName(key.name); err != nil {
		c.errorf(n.args[0].pos, "invalid script name for include %s: %v", key, err)
		return
	}
	d := &includeData{key: key}
	n.data = d
	st := includeCompileState(c)
	for i, k := range st.stack {
		if k != key {
			continue
		}
		if n.has("once") {
			return // never runs: that script is already included
		}
		var chain []string
		for _, k := range st.stack[i:] {
			chain = append(chain, k.String())
		}
		c.errorf(n.pos, "circular include: %s includes %s again", strings.Join(chain, " → "), key)
		return
	}
	if s, ok := st.scripts[key]; ok {
		d.script = s
		return
	}
	if len(st.scripts) >= c.limits.Includes {
		c.errorf(n.pos, "cannot include %s: too many included scripts (max %d)", key, c.limits.Includes)
		return
	}
	if len(st.stack) >= c.limits.IncludeDepth {
		c.errorf(n.pos, "cannot include %s: includes nested too deeply (max %d)", key, c.limits.IncludeDepth)
		return
	}
	if c.opts.Includes == nil {
		c.errorf(n.pos, "cannot include %s: no script loader is configured", key)
		return
	}
	src, err := c.opts.Includes.Load(c.ctx, key.loc, key.name)
	if err != nil {
		// RFC 6609 §3.2: a missing :optional script is silently ignored.
		if n.has("optional") && errors.Is(err, fs.ErrNotExist) {
			return
		}
		c.errorf(n.pos, "cannot include %s: %v", key, err)
		return
	}
	st.stack = append(st.stack, key)
	s := compileIncluded(c, key, src)
	st.stack = st.stack[:len(st.stack)-1]
	if s == nil {
		c.errorf(n.pos, "failed to compile included script %s", key)
		return
	}
	st.scripts[key] = s
	d.script = s
}

// compileIncluded compiles an included script with the options, limits and
// include state of the including one. Its errors and warnings are added to
// c's, under the included script's name. It returns nil if the script
// does not compile.
func compileIncluded(c *checker, key scriptKey, src []byte) *Script {
	sub := newChecker(c.ctx, key.name, c.opts, c.lang, c.limits, c.state)
	s, _ := sub.compile(src)
	c.warns = append(c.warns, sub.warns...)
	c.errs = append(c.errs, sub.errs...)
	return s
}

func checkGlobal(c *checker, n *node) {
	if !c.required["variables"] {
		c.errorf(n.pos, "the global command requires the 'variables' extension (RFC 6609 §3.5)")
		return
	}
	if names, ok := n.args[0].constStrings(); ok {
		for _, s := range names {
			if !isIdentifier(s) {
				c.errorf(n.args[0].pos, "invalid variable name '%s' for the global command", s)
			}
		}
	}
}

// includeRun is the per-run state: global variables, the scripts included
// so far (for :once) and the global names the running script declared.
type includeRun struct {
	globals  map[string]string
	included map[scriptKey]bool
	declared map[string]bool
}

func includeRunState(e *exec) *includeRun {
	st, ok := e.state["include"].(*includeRun)
	if !ok {
		st = &includeRun{globals: map[string]string{}, included: map[scriptKey]bool{}, declared: map[string]bool{}}
		e.state["include"] = st
	}
	return st
}

// flush copies the declared globals of the running script to the shared
// store; refresh does the reverse after an included script ran.
func (st *includeRun) flush(e *exec) {
	for name := range st.declared {
		if v, ok := e.vars[name]; ok {
			st.globals[name] = v
		}
	}
}

func (st *includeRun) refresh(e *exec) {
	for name := range st.declared {
		if v, ok := st.globals[name]; ok {
			e.vars[name] = v
		}
	}
}

func runInclude(e *exec, n *node) error {
	d, _ := n.data.(*includeData)
	if d == nil || d.script == nil {
		return nil
	}
	st := includeRunState(e)
	if n.has("once") && st.included[d.key] {
		return nil // RFC 6609 §3.2
	}
	st.included[d.key] = true
	st.flush(e)
	savedS, savedVars, savedMatch, savedDecl := e.s, e.vars, e.match, st.declared
	e.s, e.vars, e.match, st.declared = d.script, map[string]string{}, nil, map[string]bool{}
	err := e.runBlock(d.script.prog)
	st.flush(e)
	e.s, e.vars, e.match, st.declared = savedS, savedVars, savedMatch, savedDecl
	st.refresh(e)
	var r *returnSignal
	if errors.As(err, &r) {
		return nil
	}
	return err
}

// runGlobal declares variables global (RFC 6609 §3.5): from now on the
// script sees the shared value, or shares its local one when there is none
// yet.
func runGlobal(e *exec, n *node) error {
	st := includeRunState(e)
	for _, name := range e.strs(n.args[0]) {
		name = strings.ToLower(name)
		if !isIdentifier(name) {
			return errInvalidVariable(name)
		}
		st.declared[name] = true
		if v, ok := st.globals[name]; ok {
			e.vars[name] = v
		} else if v, ok := e.vars[name]; ok {
			st.globals[name] = v
		}
	}
	return nil
}

// readGlobal resolves ${global.name}.
func readGlobal(e *exec, name string) string {
	st := includeRunState(e)
	name = strings.ToLower(name)
	if st.declared[name] {
		return e.vars[name]
	}
	return st.globals[name]
}

// setGlobal assigns global.name (set "global.name" ...).
func (e *exec) setGlobal(name, value string) error {
	st := includeRunState(e)
	if !isIdentifier(name) {
		return errInvalidVariable("global." + name)
	}
	if st.declared[name] {
		e.vars[name] = truncateUTF8(value, e.s.limits.VariableSize)
		return nil
	}
	if _, ok := st.globals[name]; !ok && len(st.globals) >= e.s.limits.Variables {
		return fmt.Errorf("%w: too many global variables (max %d)", ErrLimit, e.s.limits.Variables)
	}
	st.globals[name] = truncateUTF8(value, e.s.limits.VariableSize)
	return nil
}

// isGlobalName reports whether s is "global." followed by an identifier,
// a variable of the global namespace (RFC 6609 §3.5).
func isGlobalName(s string) bool {
	rest, ok := strings.CutPrefix(strings.ToLower(s), "global.")
	return ok && isIdentifier(rest)
}
