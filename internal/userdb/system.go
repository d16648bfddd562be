package userdb

import (
	"context"
	"fmt"
	"os"

	"github.com/sluice-mail/sluice/internal/filecache"
)

// System is a Source reading the system passwd file (/etc/passwd) in pure
// Go: the user name is the local part of the address, and home, uid and
// gid come from the entry. The file is read again when it changes.
type System struct {
	cache *filecache.Cache[map[string]sysEntry]
}

// NewSystem reads the passwd file at path ("" means /etc/passwd).
func NewSystem(path string) (*System, error) {
	if path == "" {
		path = "/etc/passwd"
	}
	s := &System{cache: filecache.New(path, checkInterval, func(data []byte) (map[string]sysEntry, error) {
		return parseSystemFile(path, data, false)
	})}
	if _, err := s.cache.Get(); err != nil {
		return nil, err
	}
	return s, nil
}

// Lookup finds q.Local.
func (s *System) Lookup(ctx context.Context, q Query) (Entry, error) {
	if err := ctx.Err(); err != nil {
		return Entry{}, err
	}
	users, err := s.cache.Get()
	if err != nil {
		return Entry{}, fmt.Errorf("system passwd: %w", err)
	}
	e, ok := users[q.Local]
	if !ok {
		return Entry{}, ErrUnknownUser
	}
	return Entry{User: e.name, Home: e.home, UID: e.id, GID: e.gid}, nil
}

func readSystemFile(path string, group bool) (map[string]sysEntry, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseSystemFile(path, data, group)
}
