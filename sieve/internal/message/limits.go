package message

import (
	"errors"
	"fmt"
)

// Limits bounds the work done on a single message. A zero value in a field
// selects its default; a negative value disables that limit.
type Limits struct {
	// MaxHeaderBytes bounds the size of the top-level header block,
	// folding and line endings included (default 1 MiB).
	MaxHeaderBytes int64
	// MaxFields bounds the number of header lines of the top-level header,
	// counting lines without a colon too (default 10000).
	MaxFields int
	// MaxParts bounds the number of MIME parts, the top-level one included
	// (default 1000).
	MaxParts int
	// MaxDepth bounds MIME nesting; the top-level part has depth 0
	// (default 32).
	MaxDepth int
}

// Default limit values, used for zero fields of [Limits].
const (
	DefaultMaxHeaderBytes = 1 << 20
	DefaultMaxFields      = 10000
	DefaultMaxParts       = 1000
	DefaultMaxDepth       = 32
)

// Errors returned when a header limit is exceeded. They are wrapped in a
// *LimitError; test with errors.Is.
var (
	ErrHeaderTooLarge = errors.New("message: header too large")
	ErrTooManyFields  = errors.New("message: too many header fields")
)

// LimitError reports which limit stopped the parse.
type LimitError struct {
	Err   error // ErrHeaderTooLarge or ErrTooManyFields
	Limit int64 // the limit in force
}

func (e *LimitError) Error() string { return fmt.Sprintf("%v (limit %d)", e.Err, e.Limit) }

// Unwrap returns the sentinel error.
func (e *LimitError) Unwrap() error { return e.Err }

// withDefaults returns l with zero fields replaced by defaults and negative
// fields by "unlimited".
func (l Limits) withDefaults() Limits {
	const unlimited = int(^uint(0) >> 1)
	switch {
	case l.MaxHeaderBytes == 0:
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	case l.MaxHeaderBytes < 0:
		l.MaxHeaderBytes = int64(unlimited)
	}
	l.MaxFields = pick(l.MaxFields, DefaultMaxFields, unlimited)
	l.MaxParts = pick(l.MaxParts, DefaultMaxParts, unlimited)
	l.MaxDepth = pick(l.MaxDepth, DefaultMaxDepth, unlimited)
	return l
}

func pick(v, def, unlimited int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return unlimited
	}
	return v
}
