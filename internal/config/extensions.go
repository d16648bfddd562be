package config

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/sluice-mail/sluice/sieve"
)

// SpamTest is [spamtest] or [virustest] (RFC 5235): where the scanners
// leave their verdicts. The keys are Pigeonhole's sieve_spamtest_* and
// sieve_virustest_* settings without the prefix. An empty StatusHeader
// leaves the test answering "not tested".
type SpamTest struct {
	// StatusHeader is "Name" or "Name: regexp", the regexp's first group
	// (else its whole match) being the verdict.
	StatusHeader string
	// StatusType is "score" (the default), "strlen" or "text".
	StatusType string
	// MaxHeader ("Name[: regexp]") or MaxValue give the score meaning
	// "certainly spam" (types score and strlen).
	MaxHeader string
	MaxValue  string
	// TextValues maps N of text_valueN to the verdict text meaning N
	// (type text): 0..10 for spamtest, 0..5 for virustest.
	TextValues map[int]string
}

// EditHeader is [editheader] (RFC 5293), Pigeonhole's
// sieve_editheader_* settings.
type EditHeader struct {
	// Protected fields can be neither added nor deleted; ForbidAdd
	// cannot be added, ForbidDelete cannot be deleted.
	Protected, ForbidAdd, ForbidDelete []string
	// MaxHeaderSize bounds an added field's value, at compile and at run
	// time; 0 means 2048 bytes.
	MaxHeaderSize int64
}

// Extension sections and what the spamtest ones are called in the engine.
const (
	spamtestSection   = "spamtest"
	virustestSection  = "virustest"
	extlistsSection   = "extlists"
	editheaderSection = "editheader"
	specialUseKey     = "mail.special_use"
)

// extensionSections are the tables of the Sieve extension settings.
var extensionSections = []string{spamtestSection, virustestSection, extlistsSection, editheaderSection}

// maxTextValue is the highest N of text_valueN per test (RFC 5235 §3.1,
// §3.3).
var maxTextValue = map[string]int{spamtestSection: 10, virustestSection: 5}

// maxEditHeaderSize bounds editheader.max_header_size.
const maxEditHeaderSize = 1 << 20

// Sieve returns the engine's settings for test ("spamtest" or
// "virustest"), nil when no status header is set.
func (s SpamTest) Sieve(test string) (*sieve.SpamTestConfig, error) {
	return sieve.ParseSpamTestSettings("sieve_"+test, s.get("sieve_"+test))
}

// get serves s as Pigeonhole's flat settings.
func (s SpamTest) get(prefix string) func(string) string {
	return func(key string) string {
		switch strings.TrimPrefix(key, prefix+"_") {
		case "status_header":
			return s.StatusHeader
		case "status_type":
			return s.StatusType
		case "max_header":
			return s.MaxHeader
		case "max_value":
			return s.MaxValue
		}
		if n, ok := strings.CutPrefix(key, prefix+"_text_value"); ok {
			if i, err := strconv.Atoi(n); err == nil {
				return s.TextValues[i]
			}
		}
		return ""
	}
}

func (s SpamTest) isSet() bool {
	return s.StatusHeader != "" || s.StatusType != "" || s.MaxHeader != "" || s.MaxValue != "" || len(s.TextValues) > 0
}

// SpecialUseFlags returns [mail] special_use as mailbox → flags.
func (m Mail) SpecialUseFlags() map[string][]string {
	out := make(map[string][]string, len(m.SpecialUse))
	for box, flags := range m.SpecialUse {
		out[box] = strings.Fields(flags)
	}
	return out
}

// extensionKey stores a key of the extension sections, or of
// mail.special_use. It reports false for keys that are not its own.
func (p *parser) extensionKey(key []string, v any) bool {
	name := strings.Join(key, ".")
	switch {
	case len(key) == 2 && key[0] == extlistsSection:
		s, ok := v.(string)
		if !ok {
			p.errs = append(p.errs, p.extAt(key, wantType("a file path", v)))
			return true
		}
		if p.c.ExtLists == nil {
			p.c.ExtLists = make(map[string]string)
		}
		p.c.ExtLists[key[1]] = s
		return true
	case len(key) > 2 && key[0] == extlistsSection:
		return true // inside a table reported as not a path
	case name == specialUseKey:
		if err := setSpecialUse(p.c, v); err != nil {
			p.errs = append(p.errs, p.at(key, err))
		}
		return true
	case len(key) > 2 && strings.HasPrefix(name, specialUseKey+"."):
		return true // inside the table, stored with it
	}
	set, ok := extensionFields[name]
	if !ok {
		return false
	}
	if err := set(p.c, v); err != nil {
		p.errs = append(p.errs, p.at(key, err))
	}
	return true
}

// extAt is at for keys the line finder may not locate (list names are
// URIs, with characters a struct tag cannot hold): the line of the
// section is used then.
func (p *parser) extAt(key []string, err error) *Error {
	e := p.at(key, err)
	if e.Line == 0 && key[0] == extlistsSection {
		e.Line = keyLine(p.data, key[:1])
	}
	return e
}

func setSpecialUse(c *Config, v any) error {
	t, ok := v.(map[string]any)
	if !ok {
		return wantType(`a table like { Junk = "\\Junk" }`, v)
	}
	out := make(map[string]string, len(t))
	var errs []error
	for _, box := range slices.Sorted(maps.Keys(t)) {
		s, ok := t[box].(string)
		if !ok {
			errs = append(errs, fmt.Errorf("%s: %w", box, wantType(`a special-use flag like "\\Junk"`, t[box])))
			continue
		}
		out[box] = s
	}
	c.Mail.SpecialUse = out
	return errors.Join(errs...)
}

// spamNumber stores a string or a number as Pigeonhole's text form.
func spamNumber(field func(*Config) *string) func(*Config, any) error {
	return func(c *Config, v any) error {
		switch v := v.(type) {
		case string:
			*field(c) = v
		case int64:
			*field(c) = strconv.FormatInt(v, 10)
		case float64:
			*field(c) = strconv.FormatFloat(v, 'f', -1, 64)
		default:
			return wantType("a number", v)
		}
		return nil
	}
}

func spamFields(section string, st func(*Config) *SpamTest) map[string]func(*Config, any) error {
	f := map[string]func(*Config, any) error{
		section + ".status_header": str(func(c *Config) *string { return &st(c).StatusHeader }),
		section + ".status_type":   str(func(c *Config) *string { return &st(c).StatusType }),
		section + ".max_header":    str(func(c *Config) *string { return &st(c).MaxHeader }),
		section + ".max_value":     spamNumber(func(c *Config) *string { return &st(c).MaxValue }),
	}
	for i := 0; i <= maxTextValue[section]; i++ {
		f[section+".text_value"+strconv.Itoa(i)] = func(c *Config, v any) error {
			s, ok := v.(string)
			if !ok {
				return wantType("a string", v)
			}
			if st(c).TextValues == nil {
				st(c).TextValues = make(map[int]string)
			}
			st(c).TextValues[i] = s
			return nil
		}
	}
	return f
}

// extensionFields are the fixed keys of the extension sections.
var extensionFields = func() map[string]func(*Config, any) error {
	f := map[string]func(*Config, any) error{
		"editheader.protected":       strList(func(c *Config) *[]string { return &c.EditHeader.Protected }),
		"editheader.forbid_add":      strList(func(c *Config) *[]string { return &c.EditHeader.ForbidAdd }),
		"editheader.forbid_delete":   strList(func(c *Config) *[]string { return &c.EditHeader.ForbidDelete }),
		"editheader.max_header_size": size(func(c *Config) *int64 { return &c.EditHeader.MaxHeaderSize }),
	}
	maps.Copy(f, spamFields(spamtestSection, func(c *Config) *SpamTest { return &c.SpamTest }))
	maps.Copy(f, spamFields(virustestSection, func(c *Config) *SpamTest { return &c.VirusTest }))
	return f
}()

// ValidateExtensions checks the Sieve extension settings: [spamtest],
// [virustest], [extlists], [editheader] and mail.special_use. Like
// Validate, it returns an Errors naming the keys.
func (c *Config) ValidateExtensions() error {
	var errs Errors
	bad := func(key string, format string, args ...any) {
		errs = append(errs, &Error{Key: key, Err: fmt.Errorf(format, args...)})
	}
	validateSpamTest(spamtestSection, c.SpamTest, bad)
	validateSpamTest(virustestSection, c.VirusTest, bad)
	for _, name := range slices.Sorted(maps.Keys(c.ExtLists)) {
		path := c.ExtLists[name]
		key := extlistsSection + "." + name
		switch {
		case strings.TrimSpace(name) == "":
			bad(key, "a list needs a name")
		case path == "":
			bad(key, "needs the path of the list file")
		case strings.HasPrefix(path, "~") || strings.Contains(path, "%"):
			// Lists are the site's: no user's home or name picks the file.
			bad(key, "%q: a list file is a fixed path, without ~ or %% templates", path)
		case !filepath.IsAbs(path):
			bad(key, "%q: not an absolute path", path)
		}
	}
	eh := c.EditHeader
	for k, names := range map[string][]string{"protected": eh.Protected, "forbid_add": eh.ForbidAdd, "forbid_delete": eh.ForbidDelete} {
		for _, n := range names {
			if !sieve.ValidHeaderName(n) {
				bad("editheader."+k, "%q is not a header field name", n)
			}
		}
	}
	if eh.MaxHeaderSize > maxEditHeaderSize {
		bad("editheader.max_header_size", "%d: at most %d", eh.MaxHeaderSize, maxEditHeaderSize)
	}
	owner := map[string]string{}
	for _, box := range slices.Sorted(maps.Keys(c.Mail.SpecialUse)) {
		flags := strings.Fields(c.Mail.SpecialUse[box])
		if box == "" {
			bad(specialUseKey, "a mailbox needs a name")
		}
		if len(flags) == 0 {
			bad(specialUseKey, "%s: no special-use flag", box)
		}
		for _, f := range flags {
			lf := strings.ToLower(f)
			switch {
			case !sieve.ValidSpecialUseFlag(f):
				bad(specialUseKey, "%s: %q is not a special-use flag (RFC 6154: a backslash and a name)", box, f)
			case owner[lf] != "":
				// One mailbox per use, so fileinto :specialuse has
				// one answer.
				bad(specialUseKey, "%s: %s is already the use of %s", box, f, owner[lf])
			default:
				owner[lf] = box
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// validateSpamTest checks one of [spamtest] and [virustest] key by key,
// so each problem names its own key.
func validateSpamTest(section string, s SpamTest, bad func(key, format string, args ...any)) {
	if !s.isSet() {
		return
	}
	if s.StatusHeader == "" {
		bad(section+".status_header", "required when [%s] is set", section)
		return
	}
	// The header fields go through the engine's own parser, one at a
	// time, so a bad regexp is reported at its key.
	header := func(key, value string, part SpamTest) {
		if _, err := part.Sieve(section); err != nil {
			if u := errors.Unwrap(err); u != nil {
				err = u
			}
			bad(section+"."+key, "%q: %v", value, err)
		}
	}
	header("status_header", s.StatusHeader, SpamTest{StatusHeader: s.StatusHeader})
	if s.MaxHeader != "" {
		header("max_header", s.MaxHeader, SpamTest{StatusHeader: "X", MaxHeader: s.MaxHeader})
	}
	if s.MaxValue != "" {
		if f, err := strconv.ParseFloat(s.MaxValue, 64); err != nil || !(f > 0) {
			bad(section+".max_value", "%q: want a number more than 0", s.MaxValue)
		}
	}
	switch s.StatusType {
	case "", "score", "strlen":
		if s.MaxHeader == "" && s.MaxValue == "" {
			bad(section+".max_value", "set max_value or max_header: a %s verdict needs a maximum", cmp.Or(s.StatusType, "score"))
		}
	case "text":
		if len(s.TextValues) == 0 {
			bad(section+".status_type", "type text needs text_value1 ... text_value%d", maxTextValue[section])
		}
	default:
		bad(section+".status_type", "%q: want \"score\", \"strlen\" or \"text\"", s.StatusType)
	}
}

// absExtensionPaths makes relative list paths absolute, like users.file.
func (p *parser) absExtensionPaths() {
	for name, path := range p.c.ExtLists {
		if path != "" && !filepath.IsAbs(path) && !strings.HasPrefix(path, "~") && !strings.Contains(path, "%") {
			if a, err := filepath.Abs(path); err == nil {
				p.c.ExtLists[name] = a
			}
		}
	}
}

// splitKey splits a dotted key of an Error; a list name of [extlists]
// may itself hold dots.
func splitKey(key string) []string {
	if name, ok := strings.CutPrefix(key, extlistsSection+"."); ok {
		return []string{extlistsSection, name}
	}
	return strings.Split(key, ".")
}
