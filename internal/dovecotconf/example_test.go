package dovecotconf_test

import (
	"fmt"
	"strings"
	"testing/fstest"

	"github.com/sluice-mail/sluice/internal/dovecotconf"
)

func Example() {
	fsys := fstest.MapFS{
		"dovecot.conf": {Data: []byte(`mail_location = maildir:~/Maildir
!include conf.d/*.conf
`)},
		"conf.d/20-lmtp.conf": {Data: []byte(`protocol lmtp {
  mail_plugins = $mail_plugins sieve
}
plugin {
  sieve = file:~/sieve;active=~/.dovecot.sieve
}
`)},
	}
	c, err := dovecotconf.Load(fsys, "dovecot.conf", dovecotconf.Options{Root: "/etc/dovecot"})
	if err != nil {
		fmt.Println(err)
		return
	}
	out := dovecotconf.Translate(c, dovecotconf.TranslateOptions{})
	for _, l := range strings.Split(out.TOML, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") {
			fmt.Println(l)
		}
	}
	// Output:
	// [mail]
	// location = "maildir:~/Maildir"
	// separator = "."
	// [sieve]
	// user_dir = "~/sieve"
	// user_script = "~/.dovecot.sieve"
}
