package sieve_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/sluice-mail/sluice/sieve"
)

func Example() {
	src := `require ["fileinto", "variables"];
if header :matches "list-id" "*<*.example.org>" {
    fileinto "Lists.${2}";
    stop;
}
if address :domain :is "from" "example.com" { keep; }`
	script, err := sieve.Compile(context.Background(), "user.sieve", []byte(src), sieve.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	msg, _ := sieve.ParseMessage(strings.NewReader(
		"From: Ann <ann@example.com>\r\nList-Id: Golang <golang.example.org>\r\nSubject: hi\r\n\r\nhello\r\n"))
	res, err := script.Run(context.Background(), &sieve.Input{
		Message:  msg,
		Envelope: sieve.StaticEnvelope{Sender: "ann@example.com", Recipient: "bob@example.net"},
	})
	if err != nil {
		fmt.Println("runtime error, keeping:", err)
		return
	}
	for _, a := range res.Actions {
		if f, ok := a.(*sieve.FileInto); ok {
			fmt.Printf("%s %s (line %d)\n", a.Kind(), f.Mailbox, a.Position().Line)
		}
	}
	fmt.Println("implicit keep:", res.ImplicitKeep)
	// Output:
	// fileinto Lists.golang (line 3)
	// implicit keep: false
}

func ExampleCompile_errors() {
	_, err := sieve.Compile(context.Background(), "bad.sieve", []byte("frobnicate;\nfileinto \"x\";\n"), sieve.Options{})
	if ce, ok := err.(*sieve.CompileErrors); ok {
		for _, e := range ce.Errors {
			fmt.Println(e)
		}
	}
	// Output:
	// bad.sieve:1:1: unknown command 'frobnicate'
	// bad.sieve:2:1: command 'fileinto' requires the 'fileinto' extension (missing require)
}

func ExampleValidHeaderName() {
	fmt.Println(sieve.ValidHeaderName("X-Spam-Score"), sieve.ValidHeaderName("X Spam"), sieve.ValidHeaderName(""))
	fmt.Println(sieve.ValidSpecialUseFlag(`\Junk`), sieve.ValidSpecialUseFlag("Junk"))
	// Output:
	// true false false
	// true false
}
