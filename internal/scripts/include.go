package scripts

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// Loader gives a compiler the text of included scripts
// (RFC 6609 include :personal / :global).
type Loader interface {
	Load(ctx context.Context, global bool, name string) ([]byte, error)
}

// CompileFunc compiles one script; it reads includes only through the
// Loader it is given. name is the script's path, for messages.
type CompileFunc[T any] func(ctx context.Context, name string, src []byte, inc Loader) (T, error)

// IncludeRoots are the directories includes are resolved in.
// An empty field means that location is not available.
type IncludeRoots struct {
	Personal string // "include :personal", normally the user's UserDir
	Global   string // "include :global", the administrator's GlobalDir
}

// ScriptExt is appended to every include name to form the file name.
// Pigeonhole does the same unconditionally: on Dovecot 2.3.19,
// include "inc1" reads inc1.sieve and include "inc1.sieve" reads
// inc1.sieve.sieve, and sluice matches that.
const ScriptExt = ".sieve"

// maxNameLen bounds an include name, in characters, as Pigeonhole does.
const maxNameLen = 256

// ValidName checks an include name. RFC 6609 §3.2 makes script names plain
// names, not paths, so a name is refused (ErrInvalidName) when it is empty,
// longer than 256 characters, not UTF-8, contains '/' or "..", or contains
// a control character (C0, DEL, C1, U+2028, U+2029; the set Pigeonhole and
// RFC 5198 exclude). Pigeonhole accepts "a..b"; sluice refuses any "..".
func ValidName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("include name %q: %s: %w", name, why, ErrInvalidName)
	}
	switch {
	case name == "":
		return bad("empty")
	case !utf8.ValidString(name):
		return bad("not UTF-8")
	case utf8.RuneCountInString(name) > maxNameLen:
		return bad("too long")
	case strings.ContainsRune(name, '/'):
		return bad("contains '/'")
	case strings.Contains(name, ".."):
		return bad("contains \"..\"")
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 {
			return bad("contains a control character")
		}
	}
	return nil
}

// Path returns the file an include refers to: name plus ScriptExt inside the
// location's directory. It fails with ErrInvalidName for a bad name and with
// ErrNoIncludeDir when the location has no directory.
func (r IncludeRoots) Path(global bool, name string) (dir, file string, err error) {
	if err := ValidName(name); err != nil {
		return "", "", err
	}
	dir = r.Personal
	loc := "personal"
	if global {
		dir, loc = r.Global, "global"
	}
	if dir == "" {
		return "", "", fmt.Errorf("include :%s %q: %w", loc, name, ErrNoIncludeDir)
	}
	return dir, name + ScriptExt, nil
}

// joinPath is the full path of file in dir, used for dependency records.
func joinPath(dir, file string) string { return filepath.Join(dir, file) }
