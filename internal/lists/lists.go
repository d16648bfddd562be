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
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
	"unicode"
)

// Files is a set of named lists, each read from a file. It is safe for
// concurrent use.
type Files struct {
	lists map[string]*fileList
}

// New returns the lists named by the keys of files, read from the paths
// they map to. Paths must be absolute; the files are read on first use.
func New(files map[string]string) (*Files, error) {
	f := &Files{lists: make(map[string]*fileList, len(files))}
	for name, path := range files {
		if name == "" {
			return nil, errors.New("lists: empty list name")
		}
		if !filepath.IsAbs(path) {
			return nil, fmt.Errorf("lists: %q: path %q is not absolute", name, path)
		}
		f.lists[name] = &fileList{path: path}
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
	set, err := l.entries()
	if err != nil {
		return false, err
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

// fileList is one list file and its parsed entries.
type fileList struct {
	path string

	mu  sync.Mutex
	sig fileSig
	set map[string]struct{} // nil until read
}

type fileSig struct {
	mtime time.Time
	size  int64
	ino   uint64
	ctime int64 // ns; cannot be set by users, so it catches touch -d
}

// entries returns the list's entries, reading the file again when it
// changed since the last read.
func (l *fileList) entries() (map[string]struct{}, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fi, err := os.Stat(l.path)
	if err != nil {
		return nil, fmt.Errorf("list file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("list file %s: not a regular file", l.path)
	}
	sig := fileSig{mtime: fi.ModTime(), size: fi.Size()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sig.ino, sig.ctime = uint64(st.Ino), st.Ctim.Nano()
	}
	if l.set != nil && sig == l.sig {
		return l.set, nil
	}
	data, err := os.ReadFile(l.path)
	if err != nil {
		return nil, fmt.Errorf("list file: %w", err)
	}
	l.set, l.sig = Parse(data), sig
	return l.set, nil
}
