package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// fuzzScripts are seeds for FuzzCompile and the scripts FuzzRun executes.
var fuzzScripts = []string{
	``,
	`keep;`,
	`require ["fileinto", "copy"]; if header :contains "subject" "x" { fileinto :copy "a"; } else { discard; }`,
	`require ["variables", "fileinto"]; if header :matches "from" "*<*@*>*" { set :lower "d" "${3}"; fileinto "${d}"; }`,
	`require ["imap4flags", "relational", "comparator-i;ascii-numeric"]; if header :value "gt" :comparator "i;ascii-numeric" "x-spam" "5" { addflag "\\Seen"; } keep;`,
	`require ["envelope", "subaddress"]; if envelope :detail "to" "*" { redirect "a@example.org"; }`,
	`require "encoded-character"; if header :is "subject" "${hex:41}${unicode:263a}" { stop; }`,
	`if anyof(exists "x", size :over 1K, not address :all :is ["to","cc"] "a@b") { discard; }`,
	`require ["reject"]; if header :contains "subject" "spam" { reject text:
go away
..
.
; }`,
	"require \"comparator-i;unicode-casemap\"; if header :matches :comparator \"i;unicode-casemap\" \"subject\" \"?RÜ*\" { keep; }",
	`if header :is :is "a" "b" { elsif; }`,
	`require "variables"; set "a" "${a}${a}${a}${a}";`,
}

func FuzzCompile(f *testing.F) {
	for _, s := range fuzzScripts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		s, err := Compile(context.Background(), "fuzz", []byte(src), Options{})
		if err != nil {
			var ce *CompileErrors
			if !errors.As(err, &ce) || len(ce.Errors) == 0 {
				t.Fatalf("error %v is not a non-empty *CompileErrors", err)
			}
			return
		}
		if _, err := s.Run(context.Background(), &Input{}); err != nil && !errors.Is(err, ErrRuntime) {
			t.Fatalf("run error %v does not wrap ErrRuntime", err)
		}
	})
}

func FuzzRun(f *testing.F) {
	var scripts []*Script
	for _, src := range fuzzScripts {
		s, err := Compile(context.Background(), "fuzz", []byte(src), Options{})
		if err == nil {
			scripts = append(scripts, s)
		}
	}
	f.Add(testMsg, "a@example.org", "b+c@example.net")
	f.Add("Subject: =?utf-8?B?w7w=?=\r\nFrom: <>\r\n\r\n", "", "<>")
	f.Add("From: a@\r\nTo: g: a@b, c;\r\n Subject: x\r\n", "@r:a@b", "x")
	f.Fuzz(func(t *testing.T, msg, from, to string) {
		m, err := ParseMessage(strings.NewReader(msg))
		if err != nil {
			return
		}
		in := &Input{Message: m, Envelope: StaticEnvelope{Sender: from, Recipient: to}}
		for _, s := range scripts {
			res, err := s.Run(context.Background(), in)
			if err != nil {
				if !errors.Is(err, ErrRuntime) {
					t.Fatalf("run error %v does not wrap ErrRuntime", err)
				}
				continue
			}
			if res == nil {
				t.Fatal("nil result without error")
			}
		}
	})
}
