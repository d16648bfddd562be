package sieve_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/sluice-mail/sluice/sieve"
)

// The delivery side keeps the header as received and writes the edited one
// with HeaderEdits.Apply; the body is streamed unchanged.
func ExampleHeaderEdits_Apply() {
	const header = "Received: from mx by host\r\nX-Spam: yes\r\nSubject: hello\r\n"
	msg, _ := sieve.ParseMessage(strings.NewReader(header + "\r\nbody\r\n"))
	script, err := sieve.Compile(context.Background(), "user.sieve", []byte(`require "editheader";
if header :contains "x-spam" "yes" {
    deleteheader "x-spam";
    addheader "X-Filtered" "spam flag removed";
}`), sieve.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := script.Run(context.Background(), &sieve.Input{Message: msg})
	if err != nil {
		fmt.Println(err)
		return
	}
	edited := res.HeaderEdits.Apply([]byte(header))
	fmt.Print(strings.ReplaceAll(string(edited), "\r\n", "\n"))
	// Output:
	// X-Filtered: spam flag removed
	// Received: from mx by host
	// Subject: hello
}
