package maildir

import (
	"errors"
	"strings"
	"testing"
)

func TestParseName(t *testing.T) {
	long := strings.Repeat("x", 256)
	tests := []struct {
		name   string
		sep    rune
		layout Layout
		dir    string // "" means ErrInvalidName expected
		norm   string
		subs   string
	}{
		{"INBOX", '/', LayoutMaildirPP, ".", "INBOX", "INBOX"},
		{"inbox", '/', LayoutMaildirPP, ".", "INBOX", "INBOX"},
		{"Inbox", '/', LayoutFS, ".", "INBOX", "INBOX"},
		{"Archive", '/', LayoutMaildirPP, ".Archive", "Archive", "Archive"},
		{"A/B", '/', LayoutMaildirPP, ".A.B", "A/B", "A.B"},
		{"A/B", '/', LayoutFS, "A/B", "A/B", "A/B"},
		{"A.B", '.', LayoutMaildirPP, ".A.B", "A.B", "A.B"},
		{"inbox/x", '/', LayoutMaildirPP, ".INBOX.x", "INBOX/x", "INBOX.x"},
		{"INBOXES", '/', LayoutMaildirPP, ".INBOXES", "INBOXES", "INBOXES"},
		{"Entwürfe", '/', LayoutMaildirPP, ".Entw&APw-rfe", "Entwürfe", "Entw&APw-rfe"},
		{"日本語/台北", '/', LayoutFS, "&ZeVnLIqe-/&U,BTFw-", "日本語/台北", "&ZeVnLIqe-/&U,BTFw-"},
		{"a&b", '/', LayoutMaildirPP, ".a&-b", "a&b", "a&-b"},
		{"~x/y", '/', LayoutMaildirPP, ".~x.y", "", ""},
		{"x/~y", '/', LayoutMaildirPP, ".x.~y", "x/~y", "x.~y"},
		{"cur", '/', LayoutMaildirPP, ".cur", "cur", "cur"},
		{strings.Repeat("x", 255), '/', LayoutFS, strings.Repeat("x", 255), strings.Repeat("x", 255), strings.Repeat("x", 255)},

		{"", '/', LayoutMaildirPP, "", "", ""},
		{"/etc", '/', LayoutMaildirPP, "", "", ""},
		{"/etc", '.', LayoutFS, "", "", ""},
		{"~root", '/', LayoutMaildirPP, "", "", ""},
		{"a//b", '/', LayoutMaildirPP, "", "", ""},
		{"a/", '/', LayoutMaildirPP, "", "", ""},
		{"..", '/', LayoutMaildirPP, "", "", ""},
		{"../x", '/', LayoutFS, "", "", ""},
		{"a/../../x", '/', LayoutFS, "", "", ""},
		{"a/./b", '/', LayoutFS, "", "", ""},
		{".", '/', LayoutFS, "", "", ""},
		{"a.b", '/', LayoutMaildirPP, "", "", ""},
		{".hidden", '/', LayoutMaildirPP, "", "", ""},
		{"a.b", '/', LayoutFS, "a.b", "a.b", "a.b"},
		{"a/b", '.', LayoutFS, "", "", ""},
		{"..", '.', LayoutFS, "", "", ""},
		{"a\x00b", '/', LayoutMaildirPP, "", "", ""},
		{"a\nb", '/', LayoutMaildirPP, "", "", ""},
		{"a\tb", '/', LayoutMaildirPP, "", "", ""},
		{"a\x7fb", '/', LayoutMaildirPP, "", "", ""},
		{"a\u0085b", '/', LayoutMaildirPP, "", "", ""},
		{"a\xffb", '/', LayoutMaildirPP, "", "", ""},
		{"\xc3", '/', LayoutMaildirPP, "", "", ""},
		{long, '/', LayoutFS, "", "", ""},
		{strings.Repeat("ü", 100), '/', LayoutFS, "", "", ""}, // 200 bytes of UTF-8, 270 encoded
		{strings.Repeat("x", 200) + "/" + strings.Repeat("y", 200), '/', LayoutMaildirPP, "", "", ""},
		{strings.Repeat(strings.Repeat("x", 200)+"/", 6) + "x", '/', LayoutFS, "", "", ""},
		{"cur", '/', LayoutFS, "", "", ""},
		{"a/tmp", '/', LayoutFS, "", "", ""},
		{"subscriptions", '/', LayoutFS, "", "", ""},
		{"dovecot-keywords", '/', LayoutFS, "", "", ""},
	}
	for _, tt := range tests {
		p, err := parseName(tt.name, tt.sep, tt.layout)
		if tt.norm == "" {
			if !errors.Is(err, ErrInvalidName) {
				t.Errorf("parseName(%q, %q, %v) = %+v, %v; want ErrInvalidName", tt.name, tt.sep, tt.layout, p, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseName(%q, %q, %v): %v", tt.name, tt.sep, tt.layout, err)
			continue
		}
		if p.dir != tt.dir || p.name != tt.norm || p.subs != tt.subs {
			t.Errorf("parseName(%q, %q, %v) = dir %q name %q subs %q; want %q %q %q",
				tt.name, tt.sep, tt.layout, p.dir, p.name, p.subs, tt.dir, tt.norm, tt.subs)
		}
	}
}

func TestParseNameFSParents(t *testing.T) {
	p, err := parseName("a/b/c", '/', LayoutFS)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(p.parents, ","); got != "a,a/b" {
		t.Fatalf("parents = %q", got)
	}
}

func TestValidMailboxName(t *testing.T) {
	for name, ok := range map[string]bool{
		"INBOX": true, "Lists/go-nuts": true, "Junk": true,
		"": false, "a/../b": false, "a.b": false, "~x": false, "x\x00": false,
	} {
		if err := ValidMailboxName(name); (err == nil) != ok {
			t.Errorf("ValidMailboxName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func FuzzParseName(f *testing.F) {
	for _, s := range []string{"INBOX", "a/b", "../x", "a\x00", "Entwürfe/日本語", "inbox/x", "a.b", "~"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, name string, fsLayout bool) {
		layout := LayoutMaildirPP
		if fsLayout {
			layout = LayoutFS
		}
		p, err := parseName(name, '/', layout)
		if err != nil {
			if !errors.Is(err, ErrInvalidName) {
				t.Fatalf("parseName(%q): error %v does not wrap ErrInvalidName", name, err)
			}
			return
		}
		// Whatever is accepted stays below the root.
		if p.dir != "." {
			for _, el := range strings.Split(p.dir, "/") {
				if el == "" || el == "." || el == ".." || strings.ContainsRune(el, 0) {
					t.Fatalf("parseName(%q) = dir %q", name, p.dir)
				}
				if layout == LayoutMaildirPP && (el[0] != '.' || len(el) > 255) {
					t.Fatalf("parseName(%q) = dir %q", name, p.dir)
				}
			}
		}
		if len(p.dir) > maxNameLen {
			t.Fatalf("parseName(%q): dir too long", name)
		}
	})
}
