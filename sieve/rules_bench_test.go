package sieve

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// manyRulesScript builds n rules of the shape a large personal script
// has: an anyof of a header :contains and an address :is test, none of
// which matches manyRulesMessage, so every run evaluates all of them.
func manyRulesScript(n int) string {
	var b strings.Builder
	b.WriteString(`require ["fileinto", "imap4flags"];` + "\n")
	for i := range n {
		fmt.Fprintf(&b, "if anyof (header :contains \"Subject\" \"topic-%04d\", address :is \"from\" \"sender%04d@news.example.net\") {\n"+
			"    addflag \"\\\\Seen\";\n    fileinto \"Topics\";\n    stop;\n}\n", i, i)
	}
	return b.String()
}

// manyRulesMessage is a message with a header like a real one.
func manyRulesMessage() string {
	var b strings.Builder
	b.WriteString("Received: from mx.example.net (mx.example.net [192.0.2.25])\r\n\tby mail.example.org with ESMTPS id x1; Mon, 2 Jun 2025 10:00:00 +0000\r\n" +
		"From: Ops Robot <robot@ops.example.org>\r\n" +
		"To: u1@example.org\r\n" +
		"Subject: [alert] Disk Almost Full on db-3\r\n" +
		"Date: Mon, 2 Jun 2025 10:00:00 +0000\r\n" +
		"Message-ID: <x1.bench@example.net>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n")
	for b.Len() < 4096 {
		b.WriteString("The quick brown fox jumps over the lazy dog while the mail keeps flowing 0123\r\n")
	}
	return b.String()
}

// BenchmarkRunManyRules measures the cost of a rule: a run of a script of
// 1000 rules on a message none of them matches.
func BenchmarkRunManyRules(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			s, err := Compile(context.Background(), "many", []byte(manyRulesScript(n)), Options{})
			if err != nil {
				b.Fatal(err)
			}
			msg, err := ParseMessage(strings.NewReader(manyRulesMessage()))
			if err != nil {
				b.Fatal(err)
			}
			in := &Input{Message: msg, Envelope: StaticEnvelope{Sender: "robot@ops.example.org", Recipient: "u1@example.org"}}
			b.ReportAllocs()
			for b.Loop() {
				res, err := s.Run(context.Background(), in)
				if err != nil {
					b.Fatal(err)
				}
				if !res.ImplicitKeep || len(res.Actions) != 0 {
					b.Fatalf("a rule matched: %v", res)
				}
			}
		})
	}
}
