package userdb

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Maildir layouts (Dovecot's LAYOUT= option).
const (
	LayoutMaildirPP = "maildir++" // folders as ".Sub.Folder" beside cur/new/tmp
	LayoutFS        = "fs"        // folders as "Sub/Folder" directories
)

// Location is a parsed Dovecot mail location, "maildir:PATH[:KEY=VALUE]...".
type Location struct {
	// Path is the Maildir root template; "~" at its start is the home.
	Path Template
	// Layout is LayoutMaildirPP or LayoutFS.
	Layout string
	// Ignored lists the options sluice does not use (INDEX=, CONTROL=, ...),
	// so that the caller can warn about them once.
	Ignored []string
}

// LocationError reports a mail location that does not parse.
type LocationError struct {
	Location string
	Reason   string
}

func (e *LocationError) Error() string {
	return fmt.Sprintf("mail location %q: %s", e.Location, e.Reason)
}

// ParseLocation parses a Dovecot mail_location value such as
// "maildir:~/Maildir" or "maildir:/var/vmail/%d/%n:LAYOUT=fs". As in
// Dovecot, "::" stands for a literal ':' in the path or a value.
func ParseLocation(s string) (Location, error) {
	bad := func(format string, args ...any) (Location, error) {
		return Location{}, &LocationError{Location: s, Reason: fmt.Sprintf(format, args...)}
	}
	driver, rest, ok := strings.Cut(s, ":")
	if !ok {
		return bad("missing driver (want maildir:PATH)")
	}
	if !strings.EqualFold(driver, "maildir") {
		return bad("only maildir is supported, not %q", driver)
	}
	fields := splitLocation(rest)
	if fields[0] == "" {
		return bad("empty path")
	}
	path, err := ParseTemplate(fields[0])
	if err != nil {
		return Location{}, &LocationError{Location: s, Reason: err.Error()}
	}
	loc := Location{Path: path, Layout: LayoutMaildirPP}
	for _, f := range fields[1:] {
		key, value, _ := strings.Cut(f, "=")
		switch strings.ToUpper(key) {
		case "LAYOUT":
			switch strings.ToLower(value) {
			case LayoutMaildirPP:
				loc.Layout = LayoutMaildirPP
			case LayoutFS:
				loc.Layout = LayoutFS
			default:
				return bad("unsupported LAYOUT=%s (want maildir++ or fs)", value)
			}
		case "":
			return bad("empty option")
		default:
			loc.Ignored = append(loc.Ignored, f)
		}
	}
	return loc, nil
}

// splitLocation splits at single ':' and turns "::" into ':'.
func splitLocation(s string) []string {
	var fields []string
	var cur strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != ':' {
			cur.WriteByte(s[i])
			continue
		}
		if i+1 < len(s) && s[i+1] == ':' {
			cur.WriteByte(':')
			i++
			continue
		}
		fields = append(fields, cur.String())
		cur.Reset()
	}
	return append(fields, cur.String())
}

// Expand returns the absolute, cleaned Maildir root for a user. "~" and
// "~/" at the start of the path stand for the home, as in Dovecot. A path
// that does not end up absolute is an error: it is an administrator's
// mistake, which callers treat as temporary so that no mail is lost.
func (l Location) Expand(v Vars) (string, error) {
	p, err := l.Path.Expand(v)
	if err != nil {
		return "", err
	}
	if p == "~" || strings.HasPrefix(p, "~/") {
		if v.Home == "" {
			return "", fmt.Errorf("mail location %q: user %q has no home directory", l.Path, v.User)
		}
		p = v.Home + p[1:]
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("mail location %q: %q is not an absolute path", l.Path, p)
	}
	return filepath.Clean(p), nil
}
