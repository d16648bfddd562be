package dovecotconf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzParse feeds the parser and the translation arbitrary text: neither
// may panic, and every translation must be valid TOML.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*/*.conf")
	more, _ := filepath.Glob("testdata/*/conf.d/*")
	for _, s := range append(seeds, more...) {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a = \"b\\\"\" # c\nplugin {\n sieve = file:~/s;active=~/.s\n}\n"))
	f.Add([]byte("service lmtp {\n inet_listener x {\n address = *, ::\n port = 24\n }\n}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.conf", data)
		if err != nil {
			return
		}
		out := Translate(c, TranslateOptions{Domains: []string{"example.org"}})
		var doc map[string]any
		if _, err := toml.Decode(out.TOML, &doc); err != nil {
			t.Fatalf("translation is not TOML: %v\n%s", err, out.TOML)
		}
	})
}
