package userdb

import (
	"errors"
	"fmt"
	"strings"
)

// Template is a parsed Dovecot variable template such as "/var/vmail/%d/%n"
// (Dovecot 2.3) or "/var/vmail/%{user | domain}/%{user | username}"
// (Dovecot 2.4). Parsing rejects unknown variables, so a typo is a
// configuration error at load time, not a failure at delivery.
//
// Supported: %u %n %d %h and %%, the lower/upper-case modifiers %Lu %Ln %Ld
// %Lh %Uu %Un %Ud, and %{VAR[ | FILTER]...} with VAR one of user, username,
// domain, home and FILTER one of username, domain, lower, upper.
type Template struct {
	src   string
	parts []part
}

type part struct {
	lit     string // literal text, when variable == ""
	varName string // "user", "username", "domain" or "home"
	filters []string
}

// Vars are the values a Template expands. The user name's local and
// domain parts (%n, %d) are derived from User, as Dovecot does: for an
// unqualified User, %d is empty.
type Vars struct {
	User string // %u, %{user}: "alice@example.org" or "alice"
	Home string // %h, %{home}
}

// ErrUnsafeValue means a user name or domain would not be a plain path
// component ("..", or containing "/" or NUL) where a template puts it into
// a path.
var ErrUnsafeValue = errors.New("unsafe value in path template")

// TemplateError reports a template that does not parse.
type TemplateError struct {
	Template string
	Reason   string
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("template %q: %s", e.Template, e.Reason)
}

var shortVars = map[byte]string{'u': "user", 'n': "username", 'd': "domain", 'h': "home"}

var knownFilters = map[string]bool{"username": true, "domain": true, "lower": true, "upper": true}

// ParseTemplate parses a template.
func ParseTemplate(s string) (Template, error) {
	t := Template{src: s}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			t.parts = append(t.parts, part{lit: lit.String()})
			lit.Reset()
		}
	}
	bad := func(format string, args ...any) (Template, error) {
		return Template{}, &TemplateError{Template: s, Reason: fmt.Sprintf(format, args...)}
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '%' {
			lit.WriteByte(c)
			continue
		}
		i++
		if i >= len(s) {
			return bad("'%%' at end")
		}
		switch c = s[i]; c {
		case '%':
			lit.WriteByte('%')
		case '{':
			end := strings.IndexByte(s[i:], '}')
			if end < 0 {
				return bad("unterminated %%{")
			}
			p, reason := parseLong(s[i+1 : i+end])
			if reason != "" {
				return bad("%s", reason)
			}
			flush()
			t.parts = append(t.parts, p)
			i += end
		case 'L', 'U':
			// Dovecot 2.3 modifiers: %Lu lower-cases, %Uu upper-cases.
			if i+1 >= len(s) {
				return bad("'%%%c' at end", c)
			}
			name, ok := shortVars[s[i+1]]
			if !ok {
				return bad("unknown variable %%%c%c", c, s[i+1])
			}
			flush()
			filter := "lower"
			if c == 'U' {
				filter = "upper"
			}
			t.parts = append(t.parts, part{varName: name, filters: []string{filter}})
			i++
		default:
			name, ok := shortVars[c]
			if !ok {
				return bad("unknown variable %%%s", describeByte(s[i:]))
			}
			flush()
			t.parts = append(t.parts, part{varName: name})
		}
	}
	flush()
	return t, nil
}

// parseLong parses the inside of %{...}: "user | domain | lower".
func parseLong(body string) (part, string) {
	fields := strings.Split(body, "|")
	name := strings.TrimSpace(fields[0])
	switch name {
	case "user", "username", "domain", "home":
	case "":
		return part{}, "empty variable name in %{}"
	default:
		return part{}, fmt.Sprintf("unknown variable %%{%s}", name)
	}
	p := part{varName: name}
	for _, f := range fields[1:] {
		f = strings.TrimSpace(f)
		if !knownFilters[f] {
			return part{}, fmt.Sprintf("unknown filter %q in %%{%s}", f, strings.TrimSpace(body))
		}
		p.filters = append(p.filters, f)
	}
	return p, ""
}

func describeByte(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

// String returns the template as written.
func (t Template) String() string { return t.src }

// UsesHome reports whether the template refers to the home directory.
func (t Template) UsesHome() bool {
	for _, p := range t.parts {
		if p.varName == "home" {
			return true
		}
	}
	return false
}

// Expand fills in the variables. Values other than the home must be safe
// path components, else the error wraps ErrUnsafeValue; an empty home
// where the template needs one is an error too.
func (t Template) Expand(v Vars) (string, error) {
	var b strings.Builder
	for _, p := range t.parts {
		if p.varName == "" {
			b.WriteString(p.lit)
			continue
		}
		val := v.value(p.varName)
		for _, f := range p.filters {
			val = applyFilter(f, val)
		}
		if p.varName == "home" {
			if val == "" {
				return "", fmt.Errorf("template %q: user %q has no home directory", t.src, v.User)
			}
		} else if !safeComponent(val) {
			return "", fmt.Errorf("template %q: %w: %q", t.src, ErrUnsafeValue, val)
		}
		b.WriteString(val)
	}
	return b.String(), nil
}

func (v Vars) value(name string) string {
	switch name {
	case "user":
		return v.User
	case "username":
		return applyFilter("username", v.User)
	case "domain":
		return applyFilter("domain", v.User)
	case "home":
		return v.Home
	}
	return ""
}

func applyFilter(f, val string) string {
	switch f {
	case "username":
		// A domain never holds '@'; a quoted local part may.
		if i := strings.LastIndexByte(val, '@'); i >= 0 {
			return val[:i]
		}
		return val
	case "domain":
		if i := strings.LastIndexByte(val, '@'); i >= 0 {
			return val[i+1:]
		}
		return ""
	case "lower":
		return strings.ToLower(val)
	case "upper":
		return strings.ToUpper(val)
	}
	return val
}

// safeComponent reports whether s can be put into a path without leaving
// the directory the template names.
func safeComponent(s string) bool {
	return s != "." && s != ".." && !strings.ContainsAny(s, "/\x00")
}
