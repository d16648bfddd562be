package config_test

import (
	"fmt"

	"github.com/sluice-mail/sluice/internal/config"
)

func ExampleParse() {
	c, err := config.Parse("sluice.toml", []byte(`
hostname = "mail.example.org"
[lmtp]
listen = ["tcp:127.0.0.1:2424"]
max_message_size = "25MiB"
[users]
source = "static"
domains = ["example.org"]
static_home = "/var/vmail/%d/%n"
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.LMTP.Listen[0], c.LMTP.MaxMessageSize, c.LMTP.Timeout, c.Mail.Location)

	_, err = config.Parse("sluice.toml", []byte(`
[lmtp]
max_message_size = "50XB"
[users]
source = "static"
`))
	fmt.Println(err)
	// Output:
	// tcp:127.0.0.1:2424 26214400 5m0s maildir:~/Maildir
	// sluice.toml:3: lmtp.max_message_size: "50XB": unknown unit
	// sluice.toml: users.domains: required for source "static"
	// sluice.toml: users.static_home: required for source "static"
}
