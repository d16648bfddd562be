package dovecotconf

import (
	"errors"
	"io/fs"
	"testing"
	"testing/fstest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name, conf string
		key        string // a setting of the top level or "type/key"
		want       string
	}{
		{"plain", "a = b c\n", "a", "b c"},
		{"no spaces", "a=b\n", "a", "b"},
		{"comment after value", "a = b # note\n", "a", "b"},
		{"hash in quotes", "a = \"b # c\"\n", "a", "b # c"},
		{"single quotes", "a = 'x\\'y'\n", "a", "x'y"},
		{"continuation", "a = one \\\n  two\n", "a", "one two"},
		{"later wins", "a = 1\na = 2\n", "a", "2"},
		{"variable 2.3", "p = quota\np = $p sieve\n", "p", "quota sieve"},
		{"variable 2.4", "p = quota\np = $SET:p sieve\n", "p", "quota sieve"},
		{"unknown variable kept", "a = $nothing\n", "a", "$nothing"},
		{"section", "plugin {\n  sieve = ~/.s\n}\n", "plugin/sieve", "~/.s"},
		{"section without space", "plugin{\n  sieve = x\n}\n", "plugin/sieve", "x"},
		{"variable from outer scope", "p = quota\nprotocol lmtp {\n p = $p sieve\n}\n", "protocol/p", "quota sieve"},
		{"CRLF", "a = b\r\n", "a", "b"},
		{"empty value", "a =\n", "a", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse("t.conf", []byte(tc.conf))
			if err != nil {
				t.Fatal(err)
			}
			s := c.Root
			key := tc.key
			for i := range len(key) {
				if key[i] == '/' {
					secs := s.Find(key[:i], "")
					if len(secs) != 1 {
						t.Fatalf("%d %q sections", len(secs), key[:i])
					}
					s, key = secs[0], key[i+1:]
					break
				}
			}
			got, ok := s.Get(key)
			if !ok || got.Value != tc.want {
				t.Errorf("%s = %q (found %v), want %q", tc.key, got.Value, ok, tc.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, conf := range []string{
		"}\n",
		"plugin {\n a = b\n",
		"just words\n",
		"a = \"unterminated\n",
		"!frobnicate x\n",
		"!include\n",
	} {
		_, err := Parse("t.conf", []byte(conf))
		var se *SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("%q: error %v, want a SyntaxError", conf, err)
		}
	}
}

func TestLoadIncludes(t *testing.T) {
	fsys := fstest.MapFS{
		"dovecot.conf":         {Data: []byte("!include conf.d/*.conf\n!include_try nope.conf\n!include_try /etc/dovecot/local.conf\n!include /usr/share/x.conf\n")},
		"conf.d/10-a.conf":     {Data: []byte("a = 1\nprotocol lmtp {\n  !include ../inner.ext\n}\n")},
		"conf.d/20-b.conf":     {Data: []byte("a = $a 2\n")},
		"inner.ext":            {Data: []byte("inner = yes\n")},
		"local.conf":           {Data: []byte("local = yes\n")},
		"loop/dovecot.conf":    {Data: []byte("!include dovecot.conf\n")},
		"missing/dovecot.conf": {Data: []byte("!include gone.conf\n")},
	}
	c, err := Load(fsys, "dovecot.conf", Options{Root: "/etc/dovecot"})
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := c.Root.Get("a"); v.Value != "1 2" || v.Pos != (Pos{"conf.d/20-b.conf", 1}) {
		t.Errorf("a = %q at %v", v.Value, v.Pos)
	}
	if v, _ := c.Root.Get("local"); v.Value != "yes" {
		t.Errorf("absolute include under Root not read")
	}
	if p := c.Root.Find("protocol", "lmtp"); len(p) != 1 || func() bool { _, ok := p[0].Get("inner"); return !ok }() {
		t.Errorf("include inside a section not read into it")
	}
	if len(c.Notes) != 1 || c.Notes[0].Pos != (Pos{"dovecot.conf", 4}) {
		t.Errorf("notes %v, want the include outside Root", c.Notes)
	}
	if _, err := Load(fsys, "loop/dovecot.conf", Options{}); !errors.Is(err, ErrIncludeDepth) {
		t.Errorf("self include: %v", err)
	}
	if _, err := Load(fsys, "missing/dovecot.conf", Options{}); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing !include: %v", err)
	}
}
