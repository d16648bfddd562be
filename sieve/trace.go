package sieve

import (
	"context"
	"slices"
)

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

// WithTracer returns a context that makes Script.Run report to t. The
// tracer is looked up once per run.
func WithTracer(ctx context.Context, t Tracer) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

// tracerOf returns the Tracer ctx carries, nil when none.
func tracerOf(ctx context.Context) Tracer {
	if ctx == nil {
		return nil
	}
	t, _ := ctx.Value(traceKey{}).(Tracer)
	return t
}

func (e *exec) traceCommand(n *node) {
	if e.trace != nil {
		e.trace.Command(n.pos, n.spec.name)
	}
}

func (e *exec) traceTest(n *node, ok bool, err error) {
	if err != nil {
		return
	}
	if e.trace != nil {
		e.trace.Test(n.pos, n.spec.name, ok)
	}
}

// traceMatch reports a match and returns its result unchanged. The tracer
// gets copies: values and keys may be shared with the run cache and the
// compiled script.
func (e *exec) traceMatch(n *node, m *matchSpec, values, keys []string, matched bool) bool {
	if e.trace != nil {
		e.trace.Match(n.pos, m.typ.name, m.cmp.name, slices.Clone(values), slices.Clone(keys), matched)
	}
	return matched
}
