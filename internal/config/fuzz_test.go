package config

import (
	"os"
	"testing"
)

func FuzzParse(f *testing.F) {
	if ref, err := os.ReadFile("reference.toml"); err == nil {
		f.Add(ref)
	}
	for _, s := range []string{
		"", "[users]\nsource = \"system\"\n", "hostname = \n", "lmtp.listen = [{path=\"/x\", mode=\"0600\"}, 5]",
		"[[lmtp.listen]]\naddress = \"tcp:h:1\"\n", "log = 1", "[users.x.y]\nz = 1", "lmtp.max_message_size = \"9 TiB\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.toml", data)
		if err == nil && c == nil {
			t.Fatal("nil config without error")
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
