package dovecotconf

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// Config is a parsed Dovecot configuration: the top-level section with
// every included file read into it, and what the parser skipped.
type Config struct {
	Root *Section
	// Notes are things read but not followed: an !include outside the
	// configuration directory, a "<file" value, "$ENV:" variables.
	Notes []Note
}

// Note is a remark tied to a place in the configuration.
type Note struct {
	Pos  Pos
	Text string
}

// Options change how Load finds included files.
type Options struct {
	// Root is the absolute directory that the fs.FS given to Load stands
	// for, such as "/etc/dovecot": an absolute !include path under it
	// is read from the FS. An absolute path elsewhere is not followed,
	// only noted.
	Root string
}

// SyntaxError is a line Dovecot would refuse too.
type SyntaxError struct {
	Pos Pos
	Msg string
}

func (e *SyntaxError) Error() string { return e.Pos.String() + ": " + e.Msg }

// ErrIncludeDepth is wrapped by the error of an include nested too deeply
// (most likely a file including itself).
var ErrIncludeDepth = errors.New("includes nested too deeply")

// maxIncludeDepth bounds nested includes.
const maxIncludeDepth = 20

// Load parses the file name in fsys and every file it includes.
func Load(fsys fs.FS, name string, o Options) (*Config, error) {
	p := &parser{fsys: fsys, opts: o, cfg: &Config{Root: &Section{Pos: Pos{File: name, Line: 1}}}}
	p.cur = p.cfg.Root
	if err := p.file(name, 0); err != nil {
		return nil, err
	}
	if p.cur != p.cfg.Root {
		return nil, &SyntaxError{Pos: p.cur.Pos, Msg: fmt.Sprintf("section %q is not closed", p.cur.Type)}
	}
	return p.cfg, nil
}

// Parse parses one file's text; its includes are noted, not followed.
func Parse(name string, data []byte) (*Config, error) {
	p := &parser{cfg: &Config{Root: &Section{Pos: Pos{File: name, Line: 1}}}}
	p.cur = p.cfg.Root
	if err := p.text(name, string(data), 0); err != nil {
		return nil, err
	}
	if p.cur != p.cfg.Root {
		return nil, &SyntaxError{Pos: p.cur.Pos, Msg: fmt.Sprintf("section %q is not closed", p.cur.Type)}
	}
	return p.cfg, nil
}

type parser struct {
	fsys fs.FS // nil: includes are not followed
	opts Options
	cfg  *Config
	cur  *Section
}

func (p *parser) note(pos Pos, format string, args ...any) {
	p.cfg.Notes = append(p.cfg.Notes, Note{Pos: pos, Text: fmt.Sprintf(format, args...)})
}

func (p *parser) file(name string, depth int) error {
	data, err := fs.ReadFile(p.fsys, name)
	if err != nil {
		return err
	}
	return p.text(name, string(data), depth)
}

func (p *parser) text(name, data string, depth int) error {
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	var (
		logical string
		start   int
	)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), " \t\r")
		if logical == "" {
			start = n
		}
		// A trailing backslash continues the line.
		if strings.HasSuffix(line, `\`) {
			logical += strings.TrimSpace(strings.TrimSuffix(line, `\`)) + " "
			continue
		}
		logical += strings.TrimLeft(line, " \t")
		if err := p.line(Pos{File: name, Line: start}, logical, depth); err != nil {
			return err
		}
		logical = ""
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if logical != "" {
		return p.line(Pos{File: name, Line: start}, logical, depth)
	}
	return nil
}

// stripComment cuts line at a '#' outside quotes.
func stripComment(line string) string {
	for i := 0; i < len(line); i++ {
		switch c := line[i]; c {
		case '"', '\'':
			for i++; i < len(line) && line[i] != c; i++ {
				if line[i] == '\\' {
					i++
				}
			}
		case '#':
			return strings.TrimRight(line[:i], " \t")
		}
	}
	return line
}

func (p *parser) line(pos Pos, line string, depth int) error {
	line = strings.TrimSpace(stripComment(line))
	if line == "" {
		return nil
	}
	if line == "}" {
		if p.cur.parent == nil {
			return &SyntaxError{Pos: pos, Msg: "'}' without an open section"}
		}
		p.cur = p.cur.parent
		return nil
	}
	if strings.HasPrefix(line, "!") {
		return p.include(pos, line, depth)
	}
	key := line
	rest := ""
	if i := strings.IndexAny(line, " \t="); i >= 0 {
		key, rest = line[:i], strings.TrimLeft(line[i:], " \t")
	}
	switch {
	case strings.HasPrefix(rest, "="):
		value, err := p.value(pos, strings.TrimSpace(rest[1:]))
		if err != nil {
			return err
		}
		p.cur.Settings = append(p.cur.Settings, Setting{Key: key, Value: value, Pos: pos})
	case strings.HasSuffix(line, "{"):
		name := strings.TrimSpace(strings.TrimSuffix(rest, "{"))
		if q, ok := unquote(name); ok {
			name = q
		}
		key = strings.TrimSuffix(key, "{") // "plugin{"
		s := &Section{Type: key, Name: name, Pos: pos, parent: p.cur}
		p.cur.Sections = append(p.cur.Sections, s)
		p.cur = s
	default:
		return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("%q: want \"key = value\", \"section {\" or \"}\"", line)}
	}
	return nil
}

// varRE matches "$name" (Dovecot 2.3), "$SET:name" and "$ENV:name"
// (Dovecot 2.4).
var varRE = regexp.MustCompile(`\$(SET:|ENV:)?([A-Za-z0-9_]+)`)

// value unquotes a quoted value and expands the variables of an
// unquoted one.
func (p *parser) value(pos Pos, v string) (string, error) {
	if v != "" && (v[0] == '"' || v[0] == '\'') {
		q, ok := unquote(v)
		if !ok {
			return "", &SyntaxError{Pos: pos, Msg: fmt.Sprintf("%s: unterminated or malformed quoted value", v)}
		}
		return q, nil
	}
	if strings.HasPrefix(v, "<") {
		p.note(pos, "value read from file %q: not followed", strings.TrimSpace(v[1:]))
		return v, nil
	}
	return varRE.ReplaceAllStringFunc(v, func(m string) string {
		sub := varRE.FindStringSubmatch(m)
		if sub[1] == "ENV:" {
			p.note(pos, "%s: environment variables are not expanded", m)
			return m
		}
		if val, ok := p.cur.lookup(sub[2]); ok {
			return val
		}
		if sub[1] == "SET:" {
			return ""
		}
		return m
	}), nil
}

// unquote undoes "..." or '...' with backslash escapes; ok is false when
// s is not exactly one quoted string.
func unquote(s string) (string, bool) {
	if len(s) < 2 || (s[0] != '"' && s[0] != '\'') || s[len(s)-1] != s[0] {
		return s, false
	}
	var b strings.Builder
	for i := 1; i < len(s)-1; i++ {
		c := s[i]
		if c == s[0] {
			return s, false // a quote inside: two strings
		}
		if c == '\\' && i+1 < len(s)-1 {
			i++
			c = s[i]
		}
		b.WriteByte(c)
	}
	return b.String(), true
}

// include reads the files an !include or !include_try line names, into
// the current section.
func (p *parser) include(pos Pos, line string, depth int) error {
	verb, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	if q, ok := unquote(arg); ok {
		arg = q
	}
	try := false
	switch verb {
	case "!include":
	case "!include_try":
		try = true
	default:
		return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("unknown directive %q", verb)}
	}
	if arg == "" {
		return &SyntaxError{Pos: pos, Msg: verb + " without a file"}
	}
	if p.fsys == nil {
		p.note(pos, "%s %s: not followed", verb, arg)
		return nil
	}
	if depth >= maxIncludeDepth {
		return fmt.Errorf("%s: %s %s: %w", pos, verb, arg, ErrIncludeDepth)
	}
	name, ok := p.resolve(pos.File, arg)
	if !ok {
		p.note(pos, "%s %s: outside the configuration directory, not followed", verb, arg)
		return nil
	}
	names := []string{name}
	if strings.ContainsAny(name, "*?[") {
		var err error
		if names, err = fs.Glob(p.fsys, name); err != nil {
			return &SyntaxError{Pos: pos, Msg: fmt.Sprintf("%s %s: %v", verb, arg, err)}
		}
	}
	for _, n := range names {
		err := p.file(n, depth+1)
		if errors.Is(err, fs.ErrNotExist) && try {
			continue
		}
		if err != nil {
			return fmt.Errorf("%s: %s: %w", pos, verb, err)
		}
	}
	return nil
}

// resolve turns an include argument into a path in the FS: relative to
// the including file's directory, or an absolute path under Root.
func (p *parser) resolve(from, arg string) (string, bool) {
	var name string
	if strings.HasPrefix(arg, "/") {
		root := strings.TrimSuffix(p.opts.Root, "/")
		if root == "" || !strings.HasPrefix(arg, root+"/") {
			return "", false
		}
		name = strings.TrimPrefix(arg, root+"/")
	} else {
		name = path.Join(path.Dir(from), arg)
	}
	name = path.Clean(name)
	return name, fs.ValidPath(name)
}
