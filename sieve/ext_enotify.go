package sieve

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Notify asks the delivery side to send a notification (RFC 5435 §3).
// Method is the notification URI; for "mailto" (RFC 5436, the only method
// sluice knows) ParseMailto gives its recipients and fields.
type Notify struct {
	Pos    Pos
	Method string
	// From is :from ("" = the delivery side's default, RFC 5436 §2.3).
	From string
	// Importance is 1 (high), 2 (normal, the default) or 3 (low)
	// (RFC 5435 §3.4).
	Importance int
	// Options are the :options strings, each "name=value" (§3.5).
	Options []string
	// Message is :message; "" means the method's default (§3.6).
	Message string
	// Fcc, when set, files a copy of the notification (RFC 8580).
	Fcc *Fcc
}

func (a *Notify) Position() Pos { return a.Pos }
func (a *Notify) Kind() string  { return "notify" }

var _ Action = (*Notify)(nil)

// notifyMethod is one notification method: its URI syntax, :from syntax
// and capabilities (RFC 5435 §§3.8, 5).
type notifyMethod struct {
	validURI  func(uri string) error
	validFrom func(from string) error
	// capability answers notify_method_capability; ok=false means the
	// method has no such capability.
	capability func(uri, name string) (string, bool)
}

var notifyMethods = map[string]*notifyMethod{
	"mailto": {
		validURI: func(uri string) error { _, err := ParseMailto(uri); return err },
		validFrom: func(from string) error {
			if strings.TrimSpace(from) == "" {
				return errors.New("empty address")
			}
			_, err := normalizeAddress(from)
			return err
		},
		capability: func(_, name string) (string, bool) {
			// RFC 5436 §2.8: a mail recipient may or may not be
			// reading mail right now.
			if strings.EqualFold(name, "online") {
				return "maybe", true
			}
			return "", false
		},
	},
}

// errNotifyMethod is wrapped when a URI names no method sluice knows.
var errNotifyMethod = errors.New("unsupported notification method")

// lookupMethod splits the scheme off a notification URI (RFC 3986 §3.1).
func lookupMethod(uri string) (*notifyMethod, string, error) {
	scheme, _, ok := strings.Cut(uri, ":")
	if !ok || scheme == "" || !isScheme(scheme) {
		return nil, "", fmt.Errorf("invalid method URI '%s'", uri)
	}
	scheme = strings.ToLower(scheme)
	m := notifyMethods[scheme]
	if m == nil {
		return nil, scheme, fmt.Errorf("%w: invalid method '%s'", errNotifyMethod, scheme)
	}
	return m, scheme, nil
}

func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z':
		case i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.'):
		default:
			return false
		}
	}
	return true
}

// extEnotify is RFC 5435: the notify command, the valid_notify_method and
// notify_method_capability tests and the :encodeurl modifier of set (§7),
// with the mailto method of RFC 5436.
var extEnotify = &extension{
	name: "enotify",
	commands: []*commandSpec{{
		name:       "notify",
		positional: []argKind{argString},
		tags: []tagSpec{
			{name: "from", arg: argString},
			{name: "importance", arg: argString},
			{name: "options", arg: argStringList},
			{name: "message", arg: argString},
		},
		check: checkNotify,
		run:   runNotify,
	}},
	tests: []*commandSpec{
		{name: "valid_notify_method", positional: []argKind{argStringList}, eval: evalValidNotifyMethod},
		{name: "notify_method_capability", positional: []argKind{argString, argString, argStringList},
			groups: []string{groupComparator, groupMatchType}, eval: evalNotifyMethodCapability},
	},
	// RFC 5435 §7: precedence 15, between :quotewildcard and :length.
	modifiers: []*modifier{{name: "encodeurl", precedence: 15, apply: encodeURL, truncate: truncateEncoded}},
}

func checkNotify(c *checker, n *node) {
	checkFcc(c, n)
	var method *notifyMethod
	if s, ok := n.args[0].constStrings(); ok {
		m, _, err := lookupMethod(s[0])
		if err == nil {
			err = m.validURI(s[0])
		}
		if err != nil {
			c.errorf(n.args[0].pos, "notify command: %v", err)
		} else {
			method = m
		}
	}
	if v, ok := n.tags["from"]; ok && method != nil {
		if s, ok := v.constStrings(); ok {
			if err := method.validFrom(s[0]); err != nil {
				c.errorf(v.pos, "notify command: specified :from address '%s' is invalid for the method: %v", s[0], err)
			}
		}
	}
	if v, ok := n.tags["importance"]; ok {
		if s, ok := v.constStrings(); ok {
			if _, err := parseImportance(s[0]); err != nil {
				c.errorf(v.pos, "notify command: %v", err)
			}
		}
	}
	if v, ok := n.tags["options"]; ok {
		if list, ok := v.constStrings(); ok {
			for _, o := range list {
				if err := checkNotifyOption(o); err != nil {
					c.errorf(v.pos, "notify command: %v", err)
				}
			}
		}
	}
}

// parseImportance accepts "1", "2" or "3" (RFC 5435 §3.4).
func parseImportance(s string) (int, error) {
	switch s {
	case "1", "2", "3":
		return strconv.Atoi(s)
	}
	return 0, fmt.Errorf("invalid :importance value '%s' (expected 1, 2 or 3)", s)
}

// checkNotifyOption checks one :options string: "optionname=value" where
// the name starts with a letter or digit and continues with letters,
// digits, "-", "_" and ".", and the value holds no CR, LF or NUL
// (RFC 5435 §3.5 and Pigeonhole's reading of it).
func checkNotifyOption(o string) error {
	if o == "" {
		return errors.New("empty option specified")
	}
	name, value, ok := strings.Cut(o, "=")
	if !ok || name == "" {
		return fmt.Errorf("invalid option name specified in option '%s'", o)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || strings.IndexByte("-_.", c) < 0) {
			return fmt.Errorf("invalid option name specified in option '%s'", o)
		}
	}
	if strings.ContainsAny(value, "\r\n\x00") {
		return fmt.Errorf("invalid option value specified in option '%s'", o)
	}
	return nil
}

func runNotify(e *exec, n *node) error {
	uri := e.str(n.args[0])
	m, _, err := lookupMethod(uri)
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	if err := m.validURI(uri); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	a := &Notify{Pos: n.pos, Method: uri, Importance: 2}
	if from, ok := e.tagStr(n, "from"); ok {
		if err := m.validFrom(from); err != nil {
			return fmt.Errorf("notify: specified :from address '%s' is invalid: %w", from, err)
		}
		a.From = from
	}
	if imp, ok := e.tagStr(n, "importance"); ok {
		if a.Importance, err = parseImportance(imp); err != nil {
			return fmt.Errorf("notify: %w", err)
		}
	}
	if v, ok := n.tags["options"]; ok {
		a.Options = e.strs(v)
		for _, o := range a.Options {
			if err := checkNotifyOption(o); err != nil {
				return fmt.Errorf("notify: %w", err)
			}
		}
	}
	a.Message, _ = e.tagStr(n, "message")
	if a.Fcc, err = e.fccOf(n); err != nil {
		return err
	}
	for _, old := range e.actions {
		// RFC 5435 §3.9: the same notification is sent once.
		if o, ok := old.(*Notify); ok && o.Method == a.Method && o.From == a.From &&
			o.Importance == a.Importance && o.Message == a.Message && strings.Join(o.Options, "\n") == strings.Join(a.Options, "\n") {
			return nil
		}
	}
	return e.addAction(a)
}

func evalValidNotifyMethod(e *exec, n *node) (bool, error) {
	for _, uri := range e.strs(n.args[0]) {
		e.step()
		m, _, err := lookupMethod(uri)
		if err != nil || m.validURI(uri) != nil {
			return false, nil
		}
	}
	return true, nil
}

// evalNotifyMethodCapability is RFC 5435 §5: false when the URI is not
// valid or the method has no such capability.
func evalNotifyMethodCapability(e *exec, n *node) (bool, error) {
	uri, name := e.str(n.args[0]), e.str(n.args[1])
	m, _, err := lookupMethod(uri)
	if err != nil || m.validURI(uri) != nil {
		return false, nil
	}
	v, ok := m.capability(uri, name)
	if !ok {
		return false, nil
	}
	return e.matchKeys(n, []string{v}, n.args[2]), nil
}
