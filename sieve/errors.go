package sieve

import (
	"errors"
	"fmt"
	"strings"
)

// Pos is a position in a Sieve script: the script's name and the 1-based
// line and column of a command, test or argument.
type Pos struct {
	Script string
	Line   int
	Column int
}

func (p Pos) String() string {
	if p.Script == "" {
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	return fmt.Sprintf("%s:%d:%d", p.Script, p.Line, p.Column)
}

// CompileError is one problem found while compiling a script.
type CompileError struct {
	Pos
	Message string
}

func (e *CompileError) Error() string { return e.Pos.String() + ": " + e.Message }

// Warning is a non-fatal remark about a script found while compiling it.
type Warning = CompileError

// CompileErrors is returned by Compile: every error found in the script, in
// source order.
type CompileErrors struct {
	Errors []*CompileError

	// parse is set when the script could not be parsed at all, so no
	// command was checked (Pigeonhole's "parse failed" rather than
	// "validation failed").
	parse bool
}

func (e *CompileErrors) Error() string {
	var b strings.Builder
	for i, err := range e.Errors {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(err.Error())
	}
	return "sieve: compile failed: " + b.String()
}

// ErrLimit is wrapped by every error caused by a resource limit (script
// size, action count, step budget, variable count ...).
var ErrLimit = errors.New("sieve: limit exceeded")

// ErrRuntime is wrapped by every error returned from Script.Run. The caller
// falls back to an implicit keep (RFC 5228 §2.10.6).
var ErrRuntime = errors.New("sieve: runtime error")

// RuntimeError is a failure while running a script, with the position of the
// command or test that failed.
type RuntimeError struct {
	Pos
	Err error
}

func (e *RuntimeError) Error() string { return "sieve: " + e.Pos.String() + ": " + e.Err.Error() }

// Unwrap lets errors.Is find both ErrRuntime and the cause.
func (e *RuntimeError) Unwrap() []error { return []error{ErrRuntime, e.Err} }
