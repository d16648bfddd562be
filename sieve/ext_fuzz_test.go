package sieve

import (
	"context"
	"strings"
	"testing"
	"time"
)

// extFuzzSeeds use the body, regex, include, mailbox, environment, ihave,
// date and index extensions.
var extFuzzSeeds = []string{
	`require ["body", "relational"]; if body :content "text" :count "gt" "1" { discard; }`,
	`require "body"; if body :raw :matches "*x*" { discard; }`,
	`require ["regex", "variables"]; if header :regex "subject" "^(.*)$" { set :quoteregex "a" "${1}"; }`,
	`require ["regex", "variables"]; set "r" "(a|b)*[[:alpha:]]\\<"; if string :regex "ab" "${r}" { keep; }`,
	`require ["include", "variables"]; global "g"; include :once "inc"; include :optional :global "nothere"; return;`,
	`require ["mailbox", "fileinto"]; if not mailboxexists "a" { fileinto :create "a"; }`,
	`require "environment"; if environment :matches "host" "*.example.org" { stop; }`,
	`require "ihave"; if ihave "x-unknown" { whatever :x 1 "y"; } else { error "no"; }`,
	`require ["date", "index"]; if date :index 1 :last :zone "+0100" "received" "weekday" "0" { keep; }`,
	`require "date"; if currentdate :value "ge" "julian" "60000" { keep; }`,
}

const extFuzzMsg = "From: a@example.org\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n" +
	"Content-Type: multipart/mixed; boundary=b\r\n\r\npre\r\n--b\r\n\r\none\r\n--b\r\n" +
	"Content-Type: text/html\r\n\r\n<b>two</b>\r\n--b--\r\n"

// FuzzExtensionScripts compiles and runs scripts using these extensions:
// neither may panic, and a run must end within its step budget.
func FuzzExtensionScripts(f *testing.F) {
	for _, s := range extFuzzSeeds {
		f.Add(s)
	}
	inc := mapLoader{"inc": `require ["include", "variables"]; global "g"; set "g" "${g}x"; include :once "inc";`}
	msg, err := ParseMessage(strings.NewReader(extFuzzMsg))
	if err != nil {
		f.Fatal(err)
	}
	svc := &extServices{now: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC), boxes: map[string]bool{"a": true}}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Compile(context.Background(), "fuzz", []byte(src), Options{Includes: inc, Limits: Limits{Steps: 20000}})
		if err != nil {
			return
		}
		_, _ = s.Run(context.Background(), &Input{Message: msg, Services: svc, Environment: map[string]string{"host": "mx.example.org"}})
	})
}
