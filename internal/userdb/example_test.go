package userdb_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/sluice-mail/sluice/internal/userdb"
)

func ExampleNewResolver() {
	d, err := userdb.NewResolver(userdb.Options{
		Source:             userdb.SourceStatic,
		Domains:            []string{"example.org"},
		StaticHome:         "/var/vmail/%d/%n",
		StaticUID:          5000,
		StaticGID:          5000,
		MailLocation:       "maildir:%h/Maildir:LAYOUT=fs",
		RecipientDelimiter: "+",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, err := d.Resolve(context.Background(), "Alice+Lists@Example.org")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(r.User, r.Detail, r.MailRoot, r.MailLayout)

	_, err = d.Resolve(context.Background(), "bob@example.net")
	fmt.Println(errors.Is(err, userdb.ErrUnknownUser))
	// Output:
	// alice@example.org lists /var/vmail/example.org/alice/Maildir fs
	// true
}

func ExampleParseTemplate() {
	t, err := userdb.ParseTemplate("/var/vmail/%{user | domain}/%Ln")
	if err != nil {
		fmt.Println(err)
		return
	}
	path, _ := t.Expand(userdb.Vars{User: "Alice@example.org"})
	fmt.Println(path)
	// Output: /var/vmail/example.org/alice
}
