package config

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// ParseWithOverrides is Parse with some keys replaced first, as the
// dovecot-lda "-o key=value" options do. Each key of overrides is a
// dotted key ("mail.location", "lmtp.spool_memory"); each value is a TOML
// value ("true", "5000", "[\"a\", \"b\"]") or, when it does not parse as
// one, a plain string ("maildir:~/Mail" needs no quotes). Overridden keys
// are checked like keys in the file; their errors name "-o key" instead
// of a line.
func ParseWithOverrides(name string, data []byte, overrides map[string]string) (*Config, error) {
	if len(overrides) == 0 {
		return Parse(name, data)
	}
	doc := map[string]any{}
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return Parse(name, data) // reports the syntax error with its line
	}
	keys := make([]string, 0, len(overrides))
	for k := range overrides {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var errs Errors
	for _, k := range keys {
		if err := setDotted(doc, k, overrideValue(overrides[k])); err != nil {
			errs = append(errs, &Error{File: "-o", Key: k, Err: err})
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(doc); err != nil {
		return nil, Errors{{File: name, Err: fmt.Errorf("applying -o overrides: %w", err)}}
	}
	c, err := Parse(name, buf.Bytes())
	var es Errors
	if errors.As(err, &es) {
		// The lines are those of the rewritten document: point at the
		// original file, or at the -o option that set the key.
		for _, e := range es {
			if _, ok := overrides[e.Key]; ok {
				e.File, e.Line = "-o", 0
			} else if e.Key != "" {
				e.Line = keyLine(string(data), strings.Split(e.Key, "."))
			}
		}
		return nil, es
	}
	return c, err
}

// overrideValue reads v as a TOML value, or else takes it as a string.
func overrideValue(v string) any {
	var m map[string]any
	if _, err := toml.Decode("v = "+v, &m); err == nil {
		return m["v"]
	}
	return v
}

// setDotted stores v at the dotted key in doc, creating tables on the way.
func setDotted(doc map[string]any, key string, v any) error {
	parts := strings.Split(key, ".")
	for _, p := range parts {
		if p == "" {
			return errors.New("empty key element")
		}
	}
	t := doc
	for _, p := range parts[:len(parts)-1] {
		next, ok := t[p]
		if !ok {
			m := map[string]any{}
			t[p] = m
			t = m
			continue
		}
		m, ok := next.(map[string]any)
		if !ok {
			return fmt.Errorf("%s is not a table", p)
		}
		t = m
	}
	t[parts[len(parts)-1]] = v
	return nil
}
