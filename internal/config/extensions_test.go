package config

import (
	"errors"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/sluice-mail/sluice/sieve"
)

const extBase = "[users]\nsource = \"system\"\n"

func TestParseExtensions(t *testing.T) {
	c, err := Parse("s.toml", []byte(extBase+`[spamtest]
status_header = "X-Spam-Score: ([[:digit:]]+\\.[[:digit:]]*)"
max_value = 10
[virustest]
status_header = "X-Virus-Scan"
status_type = "text"
text_value1 = "clean"
text_value5 = "infected"
[extlists]
"tag:example.org,2026:vip" = "/etc/sluice/vip.txt"
":addrbook:default" = "./lists/book"
[editheader]
protected = ["X-Verified"]
forbid_add = ["X-Spam-Score"]
forbid_delete = ["X-Virus-Scan"]
max_header_size = "4KiB"
[mail]
special_use = { Junk = "\\Junk", Sent = "\\Sent \\Archive" }
`))
	if err != nil {
		t.Fatal(err)
	}
	spam, err := c.SpamTest.Sieve("spamtest")
	if err != nil || spam == nil {
		t.Fatalf("spamtest: %v, %v", spam, err)
	}
	if spam.Header != "X-Spam-Score" || spam.Pattern == nil || spam.MaxValue != 10 || spam.Type != sieve.SpamScore {
		t.Errorf("spamtest: %+v", spam)
	}
	virus, err := c.VirusTest.Sieve("virustest")
	if err != nil || virus == nil || virus.Type != sieve.SpamText || len(virus.Text) != 6 || virus.Text[5] != "infected" || virus.Text[1] != "clean" {
		t.Errorf("virustest: %+v, %v", virus, err)
	}
	if c.ExtLists["tag:example.org,2026:vip"] != "/etc/sluice/vip.txt" || c.ExtLists[":addrbook:default"] != mustAbs(t, "lists/book") {
		t.Errorf("extlists: %v", c.ExtLists)
	}
	eh := c.EditHeader
	if !slices.Equal(eh.Protected, []string{"X-Verified"}) || eh.ForbidAdd[0] != "X-Spam-Score" || eh.ForbidDelete[0] != "X-Virus-Scan" || eh.MaxHeaderSize != 4096 {
		t.Errorf("editheader: %+v", eh)
	}
	su := c.Mail.SpecialUseFlags()
	if !slices.Equal(su["Junk"], []string{`\Junk`}) || !slices.Equal(su["Sent"], []string{`\Sent`, `\Archive`}) {
		t.Errorf("special_use: %v", su)
	}
}

func TestParseSpecialUseTable(t *testing.T) {
	c, err := Parse("s.toml", []byte(extBase+"[mail.special_use]\nTrash = \"\\\\Trash\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Mail.SpecialUse["Trash"] != `\Trash` {
		t.Errorf("special_use: %v", c.Mail.SpecialUse)
	}
}

func TestExtensionErrors(t *testing.T) {
	tests := []struct{ name, text, want string }{
		{"bad regexp", "[spamtest]\nstatus_header = \"X-Spam: (\"\nmax_value = 5\n",
			`s.toml:4: spamtest.status_header: "X-Spam: (": error parsing regexp`},
		{"bad header name", "[spamtest]\nstatus_header = \"X Spam\"\nmax_value = 5\n",
			`s.toml:4: spamtest.status_header: "X Spam": invalid header name`},
		{"bad max regexp", "[virustest]\nstatus_header = \"X-Virus\"\nmax_header = \"X-Max: [\"\n",
			`s.toml:5: virustest.max_header: "X-Max: [": error parsing regexp`},
		{"no header", "[spamtest]\nmax_value = 5\n", `s.toml: spamtest.status_header: required when [spamtest] is set`},
		{"no maximum", "[spamtest]\nstatus_header = \"X-Spam\"\n", `s.toml: spamtest.max_value: set max_value or max_header`},
		{"bad max", "[spamtest]\nstatus_header = \"X-Spam\"\nmax_value = -1\n", `s.toml:5: spamtest.max_value: "-1": want a number more than 0`},
		{"bad type", "[spamtest]\nstatus_header = \"X-Spam\"\nstatus_type = \"stars\"\n", `s.toml:5: spamtest.status_type: "stars": want`},
		{"text without values", "[virustest]\nstatus_header = \"X-Virus\"\nstatus_type = \"text\"\n", `s.toml:5: virustest.status_type: type text needs`},
		{"virus text range", "[virustest]\ntext_value6 = \"x\"\n", `s.toml:4: virustest.text_value6: unknown key`},
		{"list template", "[extlists]\n\"tag:x,2026:l\" = \"~/vip\"\n", `s.toml:3: extlists.tag:x,2026:l: "~/vip": a list file is a fixed path`},
		{"list user", "[extlists]\nvip = \"/etc/lists/%u\"\n", `s.toml:4: extlists.vip: "/etc/lists/%u": a list file is a fixed path`},
		{"list type", "[extlists]\nvip = 3\n", `s.toml:4: extlists.vip: want a file path`},
		{"list table", "[extlists.vip]\npath = \"/x\"\n", `extlists.vip: want a file path`},
		{"protected name", "[editheader]\nprotected = [\"X:Y\"]\n", `s.toml:4: editheader.protected: "X:Y" is not a header field name`},
		{"header size", "[editheader]\nmax_header_size = \"2MiB\"\n", `s.toml:4: editheader.max_header_size: 2097152: at most`},
		{"editheader key", "[editheader]\nprotect = []\n", `s.toml:4: editheader.protect: unknown key`},
		{"special-use flag", "[mail]\nspecial_use = { Junk = \"Junk\" }\n", `s.toml:4: mail.special_use: Junk: "Junk" is not a special-use flag`},
		{"special-use twice", "[mail]\nspecial_use = { Junk = \"\\\\Junk\", Spam = \"\\\\junk\" }\n", `mail.special_use: Spam: \junk is already the use of Junk`},
		{"special-use type", "[mail]\nspecial_use = \"\\\\Junk\"\n", `s.toml:4: mail.special_use: want a table`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("s.toml", []byte(extBase+tc.text))
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error %v, want Errors", err)
			}
			if got := es.Error(); !strings.Contains(got, tc.want) {
				t.Errorf("errors:\n%s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestSpamTestUnset(t *testing.T) {
	cfg, err := (SpamTest{}).Sieve("spamtest")
	if cfg != nil || err != nil {
		t.Errorf("unset section: %v, %v; want nil, nil", cfg, err)
	}
	if err := Default().ValidateExtensions(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

// TestReferenceExtensionExamples uncomments the examples of the extension
// settings in reference.toml and parses them, so the documentation stays
// valid.
func TestReferenceExtensionExamples(t *testing.T) {
	data, err := os.ReadFile("reference.toml")
	if err != nil {
		t.Fatal(err)
	}
	ref := string(data)
	i := strings.Index(ref, "# Sieve extension settings")
	if i < 0 {
		t.Fatal("reference.toml: no extension settings")
	}
	example := regexp.MustCompile(`^# (\[[a-z]+\]|[a-z_0-9]+ = .*|"[^"]+" = .*)$`)
	var b strings.Builder
	b.WriteString(extBase)
	for _, line := range strings.Split(ref, "\n") {
		if strings.HasPrefix(line, "# special_use = ") {
			b.WriteString("[mail]\n" + line[2:] + "\n")
		}
	}
	for _, line := range strings.Split(ref[i:], "\n") {
		if m := example.FindStringSubmatch(line); m != nil {
			b.WriteString(m[1] + "\n")
		}
	}
	c, err := Parse("reference-examples.toml", []byte(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if c.SpamTest.StatusHeader == "" || c.VirusTest.StatusType != "text" || len(c.ExtLists) != 2 ||
		len(c.EditHeader.Protected) != 1 || len(c.Mail.SpecialUse) != 5 {
		t.Errorf("examples not all read:\n%s", b.String())
	}
}

func FuzzParseExtensions(f *testing.F) {
	for _, s := range []string{
		"[spamtest]\nstatus_header = \"X-Spam: ([0-9.]+)\"\nmax_value = 5.5\ntext_value3 = \"x\"\n",
		"[virustest]\nstatus_header = \"X\"\nstatus_type = \"text\"\ntext_value5 = \"bad\"\n",
		"[extlists]\n\"a.b\" = \"/x\"\n[extlists.c]\nd = 1\n",
		"[editheader]\nprotected = [\"A\", 1]\nmax_header_size = \"1KiB\"\n",
		"[mail]\nspecial_use = { Junk = \"\\\\Junk\", \"\" = \"\\\\X\" }\n[mail.special_use.deep]\nx = 1\n",
	} {
		f.Add([]byte(extBase + s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.toml", data)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		// A configuration that loads must give the engine its settings.
		for name, st := range map[string]SpamTest{"spamtest": c.SpamTest, "virustest": c.VirusTest} {
			if _, err := st.Sieve(name); err != nil {
				t.Fatalf("%s accepted at load but not by the engine: %v", name, err)
			}
		}
	})
}
