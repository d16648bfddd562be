package scripts

import (
	"fmt"
	"path/filepath"
	"strings"
)

// User is the mail user whose scripts are located.
type User struct {
	Name   string // full user name, %u / %{user} ("alice@example.org")
	Local  string // local part, %n / %{user | username} ("alice")
	Domain string // domain, %d / %{user | domain} ("example.org"), may be ""
	Home   string // home directory, ~ / %h / %{home}; "" when the user has none
}

// Defaults for Layout fields left empty.
const (
	DefaultUserScript = "~/.dovecot.sieve"
	DefaultUserDir    = "~/sieve"
)

// Layout says where Sieve scripts live. It is plain configuration data; every
// path may use the templates listed on User. Paths must be absolute once
// expanded.
type Layout struct {
	// UserScript is the user's active script (Dovecot "sieve"), a file or
	// a symlink to a file in UserDir. Default DefaultUserScript.
	UserScript string
	// UserDir holds the user's scripts and is where "include :personal"
	// looks (Dovecot "sieve_dir"). Default DefaultUserDir.
	UserDir string
	// Before and After are administrator scripts run around the user's
	// script (Dovecot "sieve_before" / "sieve_after"). Each entry is a file,
	// or a directory whose *.sieve files run in name order.
	Before, After []string
	// Default runs when the user has no personal script ("sieve_default").
	Default string
	// GlobalDir is where "include :global" looks ("sieve_global").
	GlobalDir string
	// LogFile receives the user's compile errors. Default: the expanded
	// UserScript path with ".log" appended.
	LogFile string
}

func (l Layout) userScript() string {
	if l.UserScript == "" {
		return DefaultUserScript
	}
	return l.UserScript
}

func (l Layout) userDir() string {
	if l.UserDir == "" {
		return DefaultUserDir
	}
	return l.UserDir
}

// Expand replaces the templates in tmpl with the user's values and cleans the
// result. Supported: a leading "~" (home), %h, %u, %n, %d, %% (Dovecot 2.3)
// and %{home}, %{user}, %{username}, %{domain}, %{user | username},
// %{user | domain} (Dovecot 2.4).
//
// A user name, local part or domain containing '/', NUL or a ".." element is
// refused with ErrInvalidName, so that a strange address can never point a
// path into another directory. Using the home directory when the user has
// none fails with ErrNoHome. The result must be an absolute path.
func (u User) Expand(tmpl string) (string, error) {
	var b strings.Builder
	s := tmpl
	if s == "~" || strings.HasPrefix(s, "~/") {
		if u.Home == "" {
			return "", fmt.Errorf("expand %q: %w", tmpl, ErrNoHome)
		}
		b.WriteString(u.Home)
		s = s[1:]
	}
	for s != "" {
		i := strings.IndexByte(s, '%')
		if i < 0 {
			b.WriteString(s)
			break
		}
		b.WriteString(s[:i])
		s = s[i+1:]
		var key string
		switch {
		case s == "":
			return "", fmt.Errorf("expand %q: trailing %%", tmpl)
		case s[0] == '{':
			j := strings.IndexByte(s, '}')
			if j < 0 {
				return "", fmt.Errorf("expand %q: unterminated %%{", tmpl)
			}
			key = strings.Join(strings.Fields(strings.ReplaceAll(s[1:j], "|", " | ")), " ")
			s = s[j+1:]
		default:
			key = s[:1]
			s = s[1:]
		}
		v, err := u.lookup(key)
		if err != nil {
			return "", fmt.Errorf("expand %q: %w", tmpl, err)
		}
		b.WriteString(v)
	}
	out := b.String()
	if !filepath.IsAbs(out) {
		return "", fmt.Errorf("expand %q: %q is not an absolute path", tmpl, out)
	}
	return filepath.Clean(out), nil
}

func (u User) lookup(key string) (string, error) {
	var v string
	switch key {
	case "%":
		return "%", nil
	case "h", "home":
		if u.Home == "" {
			return "", ErrNoHome
		}
		return u.Home, nil
	case "u", "user":
		v = u.Name
	case "n", "username", "user | username":
		v = u.Local
	case "d", "domain", "user | domain":
		v = u.Domain
	default:
		return "", fmt.Errorf("unknown template %%%s", key)
	}
	if !safeElement(v) {
		return "", fmt.Errorf("value %q for %%%s: %w", v, key, ErrInvalidName)
	}
	return v, nil
}

// safeElement reports whether v can be pasted into a path without leaving
// the directory it is pasted into.
func safeElement(v string) bool {
	if v == "." || v == ".." || strings.ContainsAny(v, "/\x00") {
		return false
	}
	return true
}

// Validate checks that every template in l expands to an absolute path for
// an ordinary user, naming the field at fault.
func (l Layout) Validate() error {
	probe := User{Name: "user@example.org", Local: "user", Domain: "example.org", Home: "/home/user"}
	fields := []struct {
		name string
		tmpl []string
	}{
		{"UserScript", []string{l.userScript()}},
		{"UserDir", []string{l.userDir()}},
		{"Before", l.Before},
		{"After", l.After},
		{"Default", []string{l.Default}},
		{"GlobalDir", []string{l.GlobalDir}},
		{"LogFile", []string{l.LogFile}},
	}
	for _, f := range fields {
		for _, t := range f.tmpl {
			if t == "" {
				continue
			}
			if _, err := probe.Expand(strings.TrimPrefix(t, "file:")); err != nil {
				return fmt.Errorf("sieve layout %s: %w", f.name, err)
			}
		}
	}
	return nil
}
