package scripts

import (
	"errors"
	"fmt"

	"github.com/sluice-mail/sluice/internal/filecache"
)

var (
	// ErrInvalidName is returned for an include name that is not a plain
	// script name (RFC 6609 §3.2), or for a template value that would
	// change the directory a path points into.
	ErrInvalidName = errors.New("invalid script name")
	// ErrOutsideRoot means a script resolved (through a symlink) to a file
	// outside the directories it is allowed to live in.
	ErrOutsideRoot = errors.New("script outside its allowed directories")
	// ErrNoHome means a path template needs a home directory and the user
	// has none.
	ErrNoHome = errors.New("user has no home directory")
	// ErrNoIncludeDir means an include names a location (:personal or
	// :global) for which no directory is configured.
	ErrNoIncludeDir = errors.New("no directory configured for include location")
	// ErrTooLarge means a script file is bigger than the configured limit.
	ErrTooLarge = errors.New("script too large")
	// ErrNotRegular means a script path names something other than a
	// regular file (a directory, a device, ...).
	ErrNotRegular = filecache.ErrNotRegular
)

// TempError wraps a failure that may go away by itself, such as a script
// that exists but cannot be read right now. Mail hit by it should be
// retried (LMTP 451, LDA exit 75) rather than filed without its filter.
type TempError struct {
	Op   string // what was attempted, e.g. "read personal script"
	Path string
	Err  error
}

func (e *TempError) Error() string { return fmt.Sprintf("%s %s: %v", e.Op, e.Path, e.Err) }

// Unwrap returns the underlying error.
func (e *TempError) Unwrap() error { return e.Err }

// Temporary reports true; it lets callers classify with errors.As.
func (e *TempError) Temporary() bool { return true }

// IsTemporary reports whether err (or anything it wraps) is a *TempError.
func IsTemporary(err error) bool {
	var t *TempError
	return errors.As(err, &t)
}
