package dovecotconf

import (
	"fmt"
	"slices"
	"strings"
)

// sectionOrder is the order of the tables in the output, as in
// internal/config/reference.toml ("" is the top level).
var sectionOrder = []string{"", "lmtp", "users", "mail", "sieve", "outbound", "redirect", "vacation"}

// entry is one key of the output.
type entry struct {
	key, value string // value is a TOML literal
	from       string // the Dovecot setting(s) it comes from
	// pending is why the key is written commented out: sluice has no
	// such setting yet, or the value needs a human.
	pending string
}

// output collects the translated keys and what could not be translated.
type output struct {
	tables map[string][]entry
	skips  []Note
}

func newOutput() *output { return &output{tables: make(map[string][]entry)} }

// set writes table.key = value, noting the Dovecot setting behind it.
func (o *output) set(table, key, value string, from Setting) {
	o.put(table, entry{key: key, value: value, from: describe(from)})
}

// pending writes table.key = value commented out, with the reason.
func (o *output) pending(table, key, value string, from Setting, why string) {
	o.put(table, entry{key: key, value: value, from: describe(from), pending: why})
}

func (o *output) put(table string, e entry) {
	es := o.tables[table]
	for i := range es {
		if es[i].key == e.key && es[i].pending == "" && e.pending == "" {
			es[i] = e // a later source wins
			return
		}
	}
	o.tables[table] = append(es, e)
}

// has reports whether table.key was set (not pending).
func (o *output) has(table, key string) bool {
	return slices.ContainsFunc(o.tables[table], func(e entry) bool { return e.key == key && e.pending == "" })
}

// skip records a setting that is not translated, and why.
func (o *output) skip(from Setting, format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	if from.Key != "" {
		text = from.Key + " = " + from.Value + ": " + text
	}
	o.skips = append(o.skips, Note{Pos: from.Pos, Text: text})
}

func describe(s Setting) string {
	if s.Pos.File == "" {
		return s.Key
	}
	return fmt.Sprintf("%s (%s)", s.Key, s.Pos)
}

// render writes the TOML file: a header naming source, the list of what
// was not translated, then the tables.
func (o *output) render(source string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# sluice configuration translated from Dovecot's %s\n", oneLine(source))
	b.WriteString("# by \"sluice import-dovecot\". internal/config/reference.toml documents\n")
	b.WriteString("# every key. Review it, then check it with \"sluice serve -c FILE\".\n#\n")
	if len(o.skips) == 0 {
		b.WriteString("# Every delivery setting found was translated.\n")
	} else {
		b.WriteString("# Not translated (review these by hand):\n")
		for _, n := range o.skips {
			line := "#   "
			if n.Pos.File != "" {
				line += n.Pos.String() + ": "
			}
			b.WriteString(line + oneLine(n.Text) + "\n")
		}
	}
	for _, t := range o.tableOrder() {
		es := o.tables[t]
		if len(es) == 0 {
			continue
		}
		b.WriteString("\n")
		if t != "" {
			fmt.Fprintf(&b, "[%s]\n", t)
		}
		for _, e := range es {
			if e.from != "" {
				fmt.Fprintf(&b, "# from %s\n", oneLine(e.from))
			}
			if e.pending != "" {
				fmt.Fprintf(&b, "# %s:\n# %s = %s\n", oneLine(e.pending), e.key, oneLine(e.value))
				continue
			}
			fmt.Fprintf(&b, "%s = %s\n", e.key, e.value)
		}
	}
	return b.String()
}

// tableOrder is sectionOrder, then any other table in name order, so
// that a table added without a place in sectionOrder is still written.
func (o *output) tableOrder() []string {
	order := slices.Clone(sectionOrder)
	var others []string
	for t := range o.tables {
		if !slices.Contains(sectionOrder, t) {
			others = append(others, t)
		}
	}
	slices.Sort(others)
	return append(order, others...)
}

// oneLine folds a note into one comment line; control characters,
// which TOML comments may not hold, become '?'.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}
