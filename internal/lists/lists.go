// Package lists serves the external lists of the Sieve extlists extension
// (RFC 6134) from plain files an administrator keeps: one entry per line,
// blank lines and lines starting with "#" ignored.
//
// Entries containing "@" are addresses and match case-insensitively
// (RFC 5321 §2.4 lets only the local part be case-sensitive, and no site
// relies on that); other entries match exactly. A file is stat'ed at
// every use and read again when its mtime, size or inode changed, so an
// edited list takes effect with the next message, without a reload.
//
// The paths come from the configuration only; nothing a user controls
// names a file.
package lists

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/sluice-mail/sluice/internal/filecache"
)

// Files is a set of named lists, each read from a file. It is safe for
// concurrent use.
type Files struct {
	lists map[string]*filecache.Cache[map[string]struct{}]
}

// New returns the lists named by the keys of files, read from the paths
// they map to. Paths must be absolute; the files are read on first use.
func New(files map[string]string) (*Files, error) {
	f := &Files{lists: make(map[string]*filecache.Cache[map[string]struct{}], len(files))}
	for name, path := range files {
		if name == "" {
			return nil, errors.New("lists: empty list name")
		}
		if !filepath.IsAbs(path) {
			return nil, fmt.Errorf("lists: %q: path %q is not absolute", name, path)
		}
		f.lists[name] = filecache.New(path, 0, parseSet) // looked at on every use
	}
	return f, nil
}

// Names returns the configured list names, sorted.
func (f *Files) Names() []string {
	if f == nil {
		return nil
	}
	names := make([]string, 0, len(f.lists))
	for n := range f.lists {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// ListExists reports whether list is configured (RFC 6134 §2.5). A
// configured list whose file cannot be read still exists; reading it is
// what fails.
func (f *Files) ListExists(_ context.Context, list string) (bool, error) {
	if f == nil {
		return false, nil
	}
	_, ok := f.lists[list]
	return ok, nil
}

// Contains reports whether value is an entry of list. A list that is not
// configured contains nothing (RFC 6134 §2.2); a configured list whose
// file cannot be read is an error.
func (f *Files) Contains(ctx context.Context, list, value string) (bool, error) {
	if f == nil {
		return false, nil
	}
	l, ok := f.lists[list]
	if !ok {
		return false, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	set, err := l.Get()
	if err != nil {
		return false, fmt.Errorf("list file: %w", err)
	}
	_, in := set[fold(value)]
	return in, nil
}

// fold is the form an entry and a value are compared in.
func fold(s string) string {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "@") {
		// Angle brackets and white space of any kind, in any order, so
		// that folding a folded entry changes nothing.
		return strings.ToLower(strings.TrimFunc(s, func(r rune) bool {
			return r == '<' || r == '>' || unicode.IsSpace(r)
		}))
	}
	return s
}

func parseSet(data []byte) (map[string]struct{}, error) { return Parse(data), nil }

// Parse reads the entries of a list file.
func Parse(data []byte) map[string]struct{} {
	set := make(map[string]struct{})
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), len(data)+1)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		set[fold(line)] = struct{}{}
	}
	return set
}
