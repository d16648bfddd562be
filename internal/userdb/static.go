package userdb

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// Static is a Source for which every address exists: the home comes from
// a template and uid/gid are fixed. Which domains it serves is decided by
// the caller (Options.Domains); an address without a domain is unknown.
type Static struct {
	home     Template
	uid, gid int
}

// NewStatic returns a static Source. The home template may not use the
// home itself; uid and gid are -1 for unset.
func NewStatic(home string, uid, gid int) (*Static, error) {
	if !strings.HasPrefix(home, "/") {
		return nil, fmt.Errorf("static home %q is not an absolute path", home)
	}
	t, err := ParseTemplate(home)
	if err != nil {
		return nil, err
	}
	if t.UsesHome() {
		return nil, fmt.Errorf("static home %q refers to the home itself", home)
	}
	return &Static{home: t, uid: uid, gid: gid}, nil
}

// Lookup makes up the user q.Key.
func (s *Static) Lookup(ctx context.Context, q Query) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	if q.Domain == "" || q.Local == "" {
		return Entry{}, ErrUnknownUser
	}
	home, err := s.home.Expand(Vars{User: q.Key})
	if errors.Is(err, ErrUnsafeValue) {
		// "../x"@example.org must not escape the mail tree: no such user.
		return Entry{}, fmt.Errorf("%w: %w", ErrUnknownUser, err)
	}
	if err != nil {
		return Entry{}, err
	}
	return Entry{User: q.Key, Home: home, UID: s.uid, GID: s.gid}, nil
}
