package userdb

import "context"

// Query is what a Source is asked to find.
type Query struct {
	// Key is the lookup key: "user@domain", or "user" when domains are
	// stripped or the address had none. The local part is already folded
	// and its +detail removed; the domain is lower case.
	Key string
	// Local and Domain are the parts Key was made of; Domain is the
	// recipient's domain even when Key leaves it out.
	Local, Domain string
}

// Entry is what a Source knows about a user.
type Entry struct {
	// User is the canonical user name (%u in templates).
	User string
	Home string
	// UID and GID are -1 when unset.
	UID, GID int
	// Mail is a per-user mail location overriding the global one, or "".
	Mail  string
	Extra map[string]string
}

// Source finds users. Lookup returns an error wrapping ErrUnknownUser when
// the user does not exist; any other error is temporary.
type Source interface {
	Lookup(ctx context.Context, q Query) (Entry, error)
}

var (
	_ Source = (*PasswdFile)(nil)
	_ Source = (*Static)(nil)
	_ Source = (*System)(nil)
)
