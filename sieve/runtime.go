package sieve

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
)

// exec is the state of one run of a script.
type exec struct {
	ctx   context.Context
	s     *Script
	in    *Input
	msg   Message
	env   Envelope
	vars  map[string]string
	match []string
	// flags is the imap4flags internal variable (RFC 5232 §3).
	flags        []string
	actions      []Action
	implicitKeep bool
	redirects    int
	steps        int
	// rc memoises header values, decoded values and address lists.
	rc runCache
	// delim is the subaddress delimiter in force.
	delim string
	// cur is the node being executed, for error positions.
	cur *node
	// state lets extensions keep per-run data, keyed by extension name.
	state map[string]any
	// trace is the run's Tracer (WithTracer), nil when none.
	trace Tracer
	// valueBuf is reused by the address test to gather its values.
	valueBuf []string
	// snaps records the edits each action saw, nil until the run edits
	// the header (editheader).
	snaps *editSnaps
}

// errStop ends a run early (RFC 5228 §3.3).
var errStop = errors.New("stop")

// controlError is implemented by errors that unwind the run as control flow
// (like stop) and must reach an enclosing command unchanged.
type controlError interface {
	error
	controlFlow()
}

// stepPanic unwinds a run that exceeded its budget or was cancelled.
type stepPanic struct{ err error }

// Run executes the script on one message. A *RuntimeError (wrapping
// ErrRuntime) means the caller must fall back to keeping the message
// (RFC 5228 §2.10.6).
func (s *Script) Run(ctx context.Context, in *Input) (res *Result, err error) {
	if in == nil {
		in = &Input{}
	}
	e := &exec{
		ctx:          ctx,
		s:            s,
		in:           in,
		msg:          in.Message,
		env:          in.Envelope,
		vars:         map[string]string{},
		implicitKeep: true,
		state:        map[string]any{},
		delim:        s.delim,
		trace:        tracerOf(ctx),
	}
	e.flags = append([]string(nil), in.Flags...)
	if in.RecipientDelimiter != "" {
		e.delim = in.RecipientDelimiter
	}
	if e.msg == nil {
		e.msg = emptyMessage{}
	}
	if e.env == nil {
		e.env = StaticEnvelope{}
	}
	defer func() {
		if r := recover(); r != nil {
			pos := Pos{Script: s.name}
			if e.cur != nil {
				pos = e.cur.pos
			}
			if sp, ok := r.(stepPanic); ok {
				res, err = nil, &RuntimeError{Pos: pos, Err: sp.err}
				return
			}
			res, err = nil, &RuntimeError{Pos: pos, Err: fmt.Errorf("internal error: %v\n%s", r, debug.Stack())}
		}
	}()
	if err := e.runBlock(s.prog); err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return e.result(), nil
}

func (e *exec) result() *Result {
	r := &Result{Actions: e.actions, ImplicitKeep: e.implicitKeep, Duplicates: e.duplicateMarks(), Warnings: e.warnings()}
	r.HeaderEdits, r.Message = e.currentEdits(), e.replacement()
	r.actionEdits = e.actionEdits()
	if e.implicitKeep {
		r.ImplicitKeepFlags = append([]string(nil), e.flags...)
	}
	return r
}

// step counts one unit of work against the budget; it unwinds the run when
// the budget is spent or the context is done. It always returns true so it
// can be used inside conditions.
func (e *exec) step() bool {
	e.steps++
	if e.steps > e.s.limits.Steps {
		panic(stepPanic{fmt.Errorf("%w: execution step budget of %d exhausted", ErrLimit, e.s.limits.Steps)})
	}
	if e.steps&1023 == 0 && e.ctx != nil {
		if err := e.ctx.Err(); err != nil {
			panic(stepPanic{err})
		}
	}
	return true
}

func (e *exec) runBlock(block []*node) error {
	for _, n := range block {
		if err := e.runCommand(n); err != nil {
			return err
		}
	}
	return nil
}

func (e *exec) runCommand(n *node) error {
	e.step()
	e.cur = n
	e.traceCommand(n)
	err := n.spec.run(e, n)
	e.snapshotEdits() // an action sees the edits made before it (editheader)
	if err == nil || errors.Is(err, errStop) {
		return err
	}
	var re *RuntimeError
	var ce controlError
	if errors.As(err, &re) || errors.As(err, &ce) {
		return err
	}
	return &RuntimeError{Pos: n.pos, Err: err}
}

func (e *exec) eval(n *node) (bool, error) {
	e.step()
	e.cur = n
	var ok bool
	var err error
	if n.mime {
		ok, err = evalMime(e, n) // RFC 5703 §4: the test looks at MIME parts
	} else {
		ok, err = n.spec.eval(e, n)
	}
	e.traceTest(n, ok, err)
	if err != nil {
		var re *RuntimeError
		var ce controlError
		if !errors.As(err, &re) && !errors.As(err, &ce) && !errors.Is(err, errStop) {
			err = &RuntimeError{Pos: n.pos, Err: err}
		}
	}
	return ok, err
}

// str expands a one-string argument.
func (e *exec) str(v *argValue) string { return e.expand(v.list[0]) }

// strs expands a string-list argument.
func (e *exec) strs(v *argValue) []string {
	out := make([]string, len(v.list))
	for i, t := range v.list {
		out[i] = e.expand(t)
	}
	return out
}

// strsShared expands a string-list argument like strs, without copying a
// constant list: the result may be shared with the compiled script and
// with other runs, so the caller must neither modify nor keep it.
func (e *exec) strsShared(v *argValue) []string {
	if v.consts != nil {
		return v.consts
	}
	return e.strs(v)
}

// tagStr expands a tagged string argument, "" when absent.
func (e *exec) tagStr(n *node, tag string) (string, bool) {
	v, ok := n.tags[tag]
	if !ok || v == nil {
		return "", false
	}
	return e.str(v), true
}

// expand substitutes variables in a template (RFC 5229 §3).
func (e *exec) expand(t *tmpl) string {
	if t.constant {
		return t.lit
	}
	var b strings.Builder
	for _, p := range t.parts {
		switch {
		case p.ref == "":
			b.WriteString(p.lit)
		case p.num >= 0:
			if p.num < len(e.match) {
				b.WriteString(e.match[p.num])
			}
		case p.ns != "":
			if f := e.s.lang.ns[p.ns]; f != nil {
				b.WriteString(f(e, p.ref[len(p.ns)+1:]))
			}
		default:
			b.WriteString(e.vars[p.ref])
		}
	}
	return b.String()
}

// setVar assigns a variable, truncating to the size limit (RFC 5229 §6).
func (e *exec) setVar(name, value string) error {
	name = strings.ToLower(name)
	if g, ok := strings.CutPrefix(name, "global."); ok {
		return e.setGlobal(g, value) // RFC 6609 §3.5
	}
	if _, ok := e.vars[name]; !ok && len(e.vars) >= e.s.limits.Variables {
		return fmt.Errorf("%w: too many variables (max %d)", ErrLimit, e.s.limits.Variables)
	}
	e.vars[name] = truncateUTF8(value, e.s.limits.VariableSize)
	return nil
}

// setMatch records match variables after a successful :matches (or
// :regex) when the variables extension is in use (RFC 5229 §3.2).
func (e *exec) setMatch(caps []string) {
	max := e.matchLimit()
	if max == 0 {
		return
	}
	if len(caps) > max {
		caps = caps[:max]
	}
	e.match = append(e.match[:0], caps...)
}

// matchLimit is the number of match variables a successful match sets:
// none when the script does not use the variables extension, else the
// limit, at least 1 (RFC 5229 §3.2).
func (e *exec) matchLimit() int {
	if !e.s.required["variables"] {
		return 0
	}
	return e.s.limits.MatchVariables
}

// services returns the caller's services or the defaults.
func (e *exec) services() Services {
	if e.in.Services != nil {
		return e.in.Services
	}
	return systemServices{}
}

// setMessage replaces the message for the rest of the run (or, for the
// :mime tests, while they look at one part); used by extensions that
// change the message.
func (e *exec) setMessage(m Message) {
	e.msg = m
	e.headerChanged()
}

type emptyMessage struct{}

func (emptyMessage) Header(string) []string { return nil }
func (emptyMessage) Size() int64            { return 0 }
