package sieve

import (
	"fmt"
	"mime"
	"slices"
	"strings"
)

// extEditheader is RFC 5293: addheader and deleteheader change the header
// of the message being filtered. The edits are made in an edit layer over
// the message (editedMessage): later tests of the same run see them
// (RFC 5293 §6) and Result.HeaderEdits hands them to the delivery side.
var extEditheader = &extension{
	name: "editheader",
	commands: []*commandSpec{
		{
			name:       "addheader",
			positional: []argKind{argString, argString},
			tags:       []tagSpec{{name: "last"}},
			check:      checkAddheader,
			run:        runAddheader,
		},
		{
			// deleteheader [:index N [:last]] [COMPARATOR] [MATCH-TYPE]
			// <field-name> [<value-patterns>]: the leading optional
			// argument of the spec is the field name when only one
			// positional argument is given.
			name:       "deleteheader",
			positional: []argKind{argStringList, argStringList},
			optional:   1,
			tags:       []tagSpec{{name: "index", arg: argNumber}, {name: "last"}},
			groups:     []string{groupComparator, groupMatchType},
			check:      checkDeleteheader,
			run:        runDeleteheader,
		},
	},
}

// EditHeaderSettings is an optional add-on to Services giving Pigeonhole's
// editheader settings (sieve_editheader_*).
type EditHeaderSettings interface {
	EditHeaderConfig() EditHeaderConfig
}

// EditHeaderConfig restricts editheader. Received and Auto-Submitted can
// never be deleted (RFC 5293 §7) and Subject is never protected, whatever
// the lists say, as in Pigeonhole.
type EditHeaderConfig struct {
	// Protected fields can be neither added nor deleted.
	Protected []string
	// ForbidAdd fields cannot be added; ForbidDelete cannot be deleted.
	ForbidAdd, ForbidDelete []string
	// MaxHeaderSize, when positive, bounds the value given to addheader
	// at run time, in octets, below or above the script's
	// Limits.EditHeaderMaxSize; 0 leaves that limit alone.
	MaxHeaderSize int
}

const defaultMaxHeaderSize = 2048

func (e *exec) editHeaderConfig() EditHeaderConfig {
	var cfg EditHeaderConfig
	if s, ok := e.services().(EditHeaderSettings); ok {
		cfg = s.EditHeaderConfig()
	}
	if cfg.MaxHeaderSize <= 0 {
		cfg.MaxHeaderSize = e.s.limits.EditHeaderMaxSize
	}
	return cfg
}

// allowed reports whether the field may be added (or deleted).
func (c EditHeaderConfig) allowed(name string, add bool) bool {
	switch strings.ToLower(name) {
	case "received", "auto-submitted":
		// RFC 5293 §7 forbids deleting these trace fields; adding them
		// is allowed, as in Pigeonhole.
		if !add {
			return false
		}
	case "subject":
		return true
	}
	in := func(list []string) bool {
		return slices.ContainsFunc(list, func(s string) bool { return strings.EqualFold(s, name) })
	}
	if in(c.Protected) {
		return false
	}
	if add {
		return !in(c.ForbidAdd)
	}
	return !in(c.ForbidDelete)
}

func checkAddheader(c *checker, n *node) {
	if name, ok := n.args[0].constStrings(); ok && !validHeaderName(name[0]) {
		c.errorf(n.args[0].pos, "addheader command: specified field name '%s' is invalid", name[0])
	}
	if v, ok := n.args[1].constStrings(); ok {
		if err := checkFieldValue(v[0]); err != nil {
			c.errorf(n.args[1].pos, "addheader command: %v", err)
		}
		// A constant value over the limit can never be added: refuse
		// the script now, as Pigeonhole does (a computed value is
		// checked when the action runs).
		if max := c.limits.EditHeaderMaxSize; len(v[0]) > max {
			c.errorf(n.args[1].pos, "addheader command: specified header value is too large (%d octets, max %d)", len(v[0]), max)
		}
	}
}

func checkDeleteheader(c *checker, n *node) {
	if len(n.args[0].list) != 1 {
		c.errorf(n.args[0].pos, "deleteheader command: the field name must be a single string")
	} else if name, ok := n.args[0].constStrings(); ok && !validHeaderName(name[0]) {
		c.errorf(n.args[0].pos, "deleteheader command: specified field name '%s' is invalid", name[0])
	}
	if v := n.tags["index"]; v != nil && v.num < 1 {
		c.errorf(v.pos, "deleteheader command: the :index argument must be 1 or more, not %d", v.num)
	}
	if n.has("last") && !n.has("index") {
		c.errorf(n.pos, "deleteheader command: the :last tag requires :index (RFC 5293 §5)")
	}
}

// checkFieldValue refuses values that cannot be written in a header: NUL
// octets. Other control characters are kept, as in Pigeonhole.
func checkFieldValue(v string) error {
	if strings.IndexByte(v, 0) >= 0 {
		return fmt.Errorf("specified value '%s' is invalid", strings.ReplaceAll(v, "\x00", "\\0"))
	}
	return nil
}

func runAddheader(e *exec, n *node) error {
	name, value := e.str(n.args[0]), e.str(n.args[1])
	if !validHeaderName(name) {
		return fmt.Errorf("addheader action: specified field name '%s' is invalid", name)
	}
	if err := checkFieldValue(value); err != nil {
		return fmt.Errorf("addheader action: %w", err)
	}
	cfg := e.editHeaderConfig()
	if len(value) > cfg.MaxHeaderSize {
		return fmt.Errorf("%w: addheader action: value of field '%s' is too large (%d octets, max %d)", ErrLimit, name, len(value), cfg.MaxHeaderSize)
	}
	if !cfg.allowed(name, true) {
		return nil // Pigeonhole ignores it with a warning.
	}
	e.edited().add(newHeaderField(name, value), n.has("last"))
	return nil
}

func runDeleteheader(e *exec, n *node) error {
	name := e.str(n.args[0])
	if !validHeaderName(name) {
		return fmt.Errorf("deleteheader action: specified field name '%s' is invalid", name)
	}
	if !e.editHeaderConfig().allowed(name, false) {
		return nil
	}
	// Looking at the fields needs no edit layer; one is put in place only
	// when something is deleted.
	em, fresh := e.ownLayer(), false
	if em == nil {
		em, fresh = &editedMessage{base: e.msg}, true
	}
	refs := em.fields(name)
	if v := n.tags["index"]; v != nil {
		i := int(v.num) - 1
		if n.has("last") {
			i = len(refs) - int(v.num)
		}
		if i < 0 || i >= len(refs) {
			return nil
		}
		refs = refs[i : i+1]
	}
	if len(n.args) == 2 {
		var keep []fieldRef
		for _, r := range refs {
			e.step()
			if e.matchKeys(n, []string{decodeHeader(r.value)}, n.args[1]) {
				keep = append(keep, r)
			}
		}
		refs = keep
	}
	if len(refs) == 0 {
		return nil
	}
	if fresh {
		// A new layer: find the fields again in it.
		em = e.edited()
		refs = remap(em, name, refs)
	}
	em.remove(name, refs)
	return nil
}

// remap returns the fields of a fresh edit layer that correspond to refs,
// found on the layer's base (the same received fields).
func remap(em *editedMessage, name string, refs []fieldRef) []fieldRef {
	all := em.fields(name)
	var out []fieldRef
	for _, r := range refs {
		for _, a := range all {
			if a.list == nil && a.index == r.index {
				out = append(out, a)
			}
		}
	}
	return out
}

// newHeaderField builds the field addheader adds: line breaks in the value
// unfolded (a break before white space is folding; another one becomes a
// space), non-ASCII text RFC 2047 encoded (RFC 5293 §4 leaves encoding to
// the implementation; Pigeonhole encodes), long values folded.
func newHeaderField(name, value string) HeaderField {
	var b strings.Builder
	for i := 0; i < len(value); i++ {
		c := value[i]
		if c != '\r' && c != '\n' {
			b.WriteByte(c)
			continue
		}
		if c == '\r' && i+1 < len(value) && value[i+1] == '\n' {
			i++
		}
		if i+1 < len(value) && (value[i+1] == ' ' || value[i+1] == '\t') {
			continue
		}
		b.WriteByte(' ')
	}
	v := strings.Trim(b.String(), " \t")
	if !isASCII(v) {
		enc := mime.QEncoding
		if nonASCII(v)*3 > len(v) {
			enc = mime.BEncoding
		}
		v = enc.Encode("utf-8", v)
	}
	return HeaderField{Name: name, Value: v, Raw: foldField(name, v)}
}

func isASCII(s string) bool { return nonASCII(s) == 0 }

func nonASCII(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			n++
		}
	}
	return n
}

// maxLine is the line length folding aims at (RFC 5322 §2.1.1).
const maxLine = 78

// foldField writes "name: value", breaking lines before white space so no
// line passes maxLine octets where the words allow it (RFC 5322 §2.2.3).
// Unfolding the result gives the value back.
func foldField(name, value string) []byte {
	out := make([]byte, 0, len(name)+2+len(value)+8)
	out = append(append(out, name...), ':', ' ')
	lineLen := len(out)
	atStart := true
	first := strings.IndexAny(value, " \t")
	if first < 0 {
		first = len(value)
	}
	if len(out)+first > maxLine {
		// The first word does not fit after the name: start the value on
		// a continuation line.
		out = append(out[:len(out)-1], '\r', '\n', ' ')
		lineLen = 1
	}
	for len(value) > 0 {
		// A segment is a run of white space and the word after it.
		i := 0
		for i < len(value) && (value[i] == ' ' || value[i] == '\t') {
			i++
		}
		for i < len(value) && value[i] != ' ' && value[i] != '\t' {
			i++
		}
		seg := value[:i]
		value = value[i:]
		wsp := seg[0] == ' ' || seg[0] == '\t'
		if !atStart && wsp && lineLen+len(seg) > maxLine && strings.TrimLeft(seg, " \t") != "" {
			out = append(out, '\r', '\n')
			lineLen = 0
		}
		out = append(out, seg...)
		lineLen += len(seg)
		atStart = false
	}
	return out
}
