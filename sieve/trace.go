package sieve

import "context"

// Tracer follows a run as it happens, for tools that explain what a script
// did ("sluice test --trace"). Its methods are called synchronously from
// the running script and must not keep the slices they are given.
type Tracer interface {
	// Command is called before a command runs.
	Command(pos Pos, name string)
	// Test is called after a test was evaluated, with its result (before
	// any "not" applies, which is a test of its own).
	Test(pos Pos, name string, result bool)
	// Match is called after a match of values against keys with the
	// test's match type and comparator.
	Match(pos Pos, matchType, comparator string, values, keys []string, matched bool)
}

type traceKey struct{}

// WithTracer returns a context that makes Script.Run report to t. Runs
// without it pay one map lookup per command.
func WithTracer(ctx context.Context, t Tracer) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// stateTrace is the e.state key caching the run's Tracer (or noTracer).
const stateTrace = " trace"

type noTracer struct{}

func (e *exec) tracer() Tracer {
	switch t := e.state[stateTrace].(type) {
	case Tracer:
		return t
	case noTracer:
		return nil
	}
	var t Tracer
	if e.ctx != nil {
		t, _ = e.ctx.Value(traceKey{}).(Tracer)
	}
	if t == nil {
		e.state[stateTrace] = noTracer{}
		return nil
	}
	e.state[stateTrace] = t
	return t
}

func (e *exec) traceCommand(n *node) {
	if t := e.tracer(); t != nil {
		t.Command(n.pos, n.spec.name)
	}
}

func (e *exec) traceTest(n *node, ok bool, err error) {
	if err != nil {
		return
	}
	if t := e.tracer(); t != nil {
		t.Test(n.pos, n.spec.name, ok)
	}
}

// traceMatch reports a match and returns its result unchanged.
func (e *exec) traceMatch(n *node, m *matchSpec, values, keys []string, matched bool) bool {
	if t := e.tracer(); t != nil {
		t.Match(n.pos, m.typ.name, m.cmp.name, values, keys, matched)
	}
	return matched
}
