package config

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Load reads and parses the file at path; errors name the file as path.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// Parse decodes data (named name in errors), fills in defaults, makes
// relative paths absolute and validates the result. A returned error is
// an Errors listing every problem.
func Parse(name string, data []byte) (*Config, error) {
	p := &parser{name: name, data: string(data), c: Default(), unknown: make(map[string]bool)}
	p.c.File = name
	var doc map[string]any
	md, err := toml.Decode(p.data, &doc)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, Errors{{File: name, Line: pe.Position.Line, Err: errors.New(pe.Message)}}
		}
		return nil, Errors{{File: name, Err: err}}
	}
	for _, key := range md.Keys() {
		p.key(key, doc)
	}
	if p.c.Hostname == "" {
		if h, err := os.Hostname(); err == nil {
			p.c.Hostname = h
		}
	}
	p.absPaths()
	p.absExtensionPaths()
	for _, err := range []error{p.c.Validate()} {
		var es Errors
		if errors.As(err, &es) {
			for _, e := range es {
				p.errs = append(p.errs, p.extAt(splitKey(e.Key), e.Err))
			}
		}
	}
	if len(p.errs) > 0 {
		// File order; problems without a line (a missing key) go last.
		slices.SortStableFunc(p.errs, func(a, b *Error) int {
			return cmp.Compare(lineOrder(a), lineOrder(b))
		})
		return nil, p.errs
	}
	return p.c, nil
}

func lineOrder(e *Error) int {
	if e.Line == 0 {
		return math.MaxInt
	}
	return e.Line
}

type parser struct {
	name string
	data string
	c    *Config
	errs Errors
	// unknown holds the unknown keys reported, so that the keys inside an
	// unknown table are not reported one by one.
	unknown map[string]bool
}

// at makes an Error for key, finding its line.
func (p *parser) at(key []string, err error) *Error {
	return &Error{File: p.name, Line: keyLine(p.data, key), Key: strings.Join(key, "."), Err: err}
}

// sections are the tables of the file.
var sections = map[string]bool{"log": true, "lmtp": true, "users": true, "mail": true}

// key handles one key of the document, in file order.
func (p *parser) key(key toml.Key, doc map[string]any) {
	name := strings.Join(key, ".")
	v := lookup(doc, key)
	if len(key) == 1 && (sections[name] || slices.Contains(sieveSections, name) || slices.Contains(extensionSections, name) ||
		name == serverSection || name == metricsSection) {
		if _, ok := v.(map[string]any); !ok {
			p.errs = append(p.errs, p.at(key, wantType("a table", v)))
		}
		return
	}
	if len(key) > 2 && key[0] == "lmtp" && key[1] == "listen" {
		return // inside a listener table, checked with the listener
	}
	for i := 1; i < len(key); i++ {
		if p.unknown[strings.Join(key[:i], ".")] {
			return // inside a table already reported
		}
	}
	if p.extensionKey(key, v) {
		return
	}
	set, ok := fields[name]
	if !ok {
		set, ok = sieveFields[name]
	}
	if !ok {
		set, ok = serverFields[name]
	}
	if !ok {
		set, ok = metricsFields[name]
	}
	if !ok {
		p.unknown[name] = true
		p.errs = append(p.errs, p.at(key, errors.New("unknown key")))
		return
	}
	err := set(p.c, v)
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range multi.Unwrap() {
			p.errs = append(p.errs, p.at(key, e))
		}
	} else if err != nil {
		p.errs = append(p.errs, p.at(key, err))
	}
}

func lookup(doc map[string]any, key toml.Key) any {
	var v any = doc
	for _, k := range key {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// absPaths makes relative paths absolute against the working directory.
func (p *parser) absPaths() {
	abs := func(path *string) {
		if *path != "" && !filepath.IsAbs(*path) {
			if a, err := filepath.Abs(*path); err == nil {
				*path = a
			}
		}
	}
	abs(&p.c.Users.File)
	abs(&p.c.LMTP.SpoolDir)
	p.c.Mail.Location = absLocation(p.c.Mail.Location)
	p.absSievePaths()
	for i := range p.c.LMTP.Listen {
		if p.c.LMTP.Listen[i].Network == "unix" {
			abs(&p.c.LMTP.Listen[i].Address)
		}
	}
}

// absLocation makes a mail location whose path starts with "./" or "../"
// absolute, so that a configuration can keep mail beside it
// ("maildir:./var/mail/%d/%n"). Paths starting with "~" or a variable are
// left to be expanded per user.
func absLocation(loc string) string {
	driver, rest, ok := strings.Cut(loc, ":")
	if !ok || !(strings.HasPrefix(rest, "./") || strings.HasPrefix(rest, "../")) {
		return loc
	}
	path, opts, _ := strings.Cut(rest, ":")
	a, err := filepath.Abs(path)
	if err != nil {
		return loc
	}
	if strings.HasSuffix(path, "/") {
		a += "/"
	}
	out := driver + ":" + a
	if opts != "" {
		out += ":" + opts
	}
	return out
}

// fields maps every leaf key to the code that stores its value.
var fields = map[string]func(c *Config, v any) error{
	"hostname": str(func(c *Config) *string { return &c.Hostname }),
	"log.level": func(c *Config, v any) error {
		s, ok := v.(string)
		if !ok {
			return wantType("a string", v)
		}
		switch strings.ToLower(s) {
		case "debug":
			c.Log.Level = slog.LevelDebug
		case "info":
			c.Log.Level = slog.LevelInfo
		case "warn", "warning":
			c.Log.Level = slog.LevelWarn
		case "error":
			c.Log.Level = slog.LevelError
		default:
			return fmt.Errorf("%q: want debug, info, warn or error", s)
		}
		return nil
	},
	"log.format": str(func(c *Config) *string { return &c.Log.Format }),
	"lmtp.listen": func(c *Config, v any) error {
		var items []any
		switch v := v.(type) {
		case []any:
			items = v
		case []map[string]any: // [[lmtp.listen]] tables
			for _, t := range v {
				items = append(items, t)
			}
		default:
			return wantType("an array", v)
		}
		var errs []error
		c.LMTP.Listen = nil
		for i, item := range items {
			l, err := listenerValue(item)
			if err != nil {
				errs = append(errs, fmt.Errorf("[%d]: %w", i, err))
				continue
			}
			c.LMTP.Listen = append(c.LMTP.Listen, l)
		}
		return errors.Join(errs...)
	},
	"lmtp.max_message_size": size(func(c *Config) *int64 { return &c.LMTP.MaxMessageSize }),
	"lmtp.max_recipients":   count(func(c *Config) *int { return &c.LMTP.MaxRecipients }),
	"lmtp.max_connections":  count(func(c *Config) *int { return &c.LMTP.MaxConnections }),
	"lmtp.timeout": func(c *Config, v any) error {
		d, err := durationValue(v)
		if err == nil {
			c.LMTP.Timeout = d
		}
		return err
	},
	"lmtp.spool_memory":           size(func(c *Config) *int64 { return &c.LMTP.SpoolMemory }),
	"lmtp.spool_dir":              str(func(c *Config) *string { return &c.LMTP.SpoolDir }),
	"lmtp.add_received":           boolean(func(c *Config) *bool { return &c.LMTP.AddReceived }),
	"users.source":                str(func(c *Config) *string { return &c.Users.Source }),
	"users.file":                  str(func(c *Config) *string { return &c.Users.File }),
	"users.domains":               strList(func(c *Config) *[]string { return &c.Users.Domains }),
	"users.static_home":           str(func(c *Config) *string { return &c.Users.StaticHome }),
	"users.static_uid":            id(func(c *Config) *int { return &c.Users.StaticUID }),
	"users.static_gid":            id(func(c *Config) *int { return &c.Users.StaticGID }),
	"users.local_part_fold":       str(func(c *Config) *string { return &c.Users.LocalPartFold }),
	"users.strip_domain":          boolean(func(c *Config) *bool { return &c.Users.StripDomain }),
	"mail.location":               str(func(c *Config) *string { return &c.Mail.Location }),
	"mail.recipient_delimiter":    str(func(c *Config) *string { return &c.Mail.RecipientDelimiter }),
	"mail.save_to_detail_mailbox": boolean(func(c *Config) *bool { return &c.Mail.SaveToDetailMailbox }),
}

func str(field func(*Config) *string) func(*Config, any) error {
	return func(c *Config, v any) error {
		s, ok := v.(string)
		if !ok {
			return wantType("a string", v)
		}
		if !isPrintable(s) {
			return fmt.Errorf("%q: control characters are not allowed", s)
		}
		*field(c) = s
		return nil
	}
}

func boolean(field func(*Config) *bool) func(*Config, any) error {
	return func(c *Config, v any) error {
		b, ok := v.(bool)
		if !ok {
			return wantType("true or false", v)
		}
		*field(c) = b
		return nil
	}
}

// count stores a non-negative integer that fits an int32.
func count(field func(*Config) *int) func(*Config, any) error {
	return func(c *Config, v any) error {
		n, ok := v.(int64)
		if !ok {
			return wantType("an integer", v)
		}
		if n < 0 || n > 1<<31-1 {
			return fmt.Errorf("%d: out of range", n)
		}
		*field(c) = int(n)
		return nil
	}
}

// id stores a uid or gid; -1 means unset.
func id(field func(*Config) *int) func(*Config, any) error {
	return func(c *Config, v any) error {
		n, ok := v.(int64)
		if !ok {
			return wantType("a numeric id", v)
		}
		if n < -1 || n > 1<<31-1 {
			return fmt.Errorf("%d: out of range", n)
		}
		*field(c) = int(n)
		return nil
	}
}

func size(field func(*Config) *int64) func(*Config, any) error {
	return func(c *Config, v any) error {
		n, err := sizeValue(v)
		if err == nil {
			*field(c) = n
		}
		return err
	}
}

func strList(field func(*Config) *[]string) func(*Config, any) error {
	return func(c *Config, v any) error {
		items, ok := v.([]any)
		if !ok {
			return wantType("an array of strings", v)
		}
		out := make([]string, 0, len(items))
		for i, item := range items {
			s, ok := item.(string)
			if !ok {
				return fmt.Errorf("[%d]: %w", i, wantType("a string", item))
			}
			out = append(out, s)
		}
		*field(c) = out
		return nil
	}
}
