package sieve

import (
	"context"
	"strings"
	"testing"
)

var ext4Seeds = []string{
	`require "vacation"; vacation :days 3 :subject "Out" :from "me@example.com" :addresses ["a@example.com"] :mime :handle "h" "body";`,
	`require ["vacation-seconds", "fcc", "imap4flags", "mailbox"]; vacation :seconds 0 :fcc "Sent" :flags "\\Seen" :create "x";`,
	`require ["enotify", "variables"]; set :encodeurl "b" "a&b"; notify :importance "1" :options "k=v" :message "m" "mailto:a@example.org?body=${b}";`,
	`require "enotify"; if notify_method_capability "mailto:a@example.org" "online" "maybe" { keep; } if valid_notify_method "mailto:x" {}`,
	`require "duplicate"; if duplicate :header "subject" :handle "h" :seconds 60 :last { discard; }`,
	`require ["spamtestplus", "virustest", "relational", "comparator-i;ascii-numeric"]; if spamtest :percent :value "gt" :comparator "i;ascii-numeric" "50" { discard; } if virustest "5" { discard; }`,
	`require ["special-use", "mailboxid", "fileinto"]; if specialuse_exists "INBOX" "\\Junk" { fileinto :specialuse "\\Junk" :mailboxid "abc" "Spam"; } if mailboxidexists "abc" {}`,
	`require ["mboxmetadata", "servermetadata"]; if metadata "INBOX" "/private/x" "y" {} if servermetadataexists "/shared/x" {}`,
	`require ["extlists", "envelope"]; if envelope :list "from" ":addrbook:personal" { keep; } if valid_ext_list "x" {}`,
}

func FuzzExt4(f *testing.F) {
	for _, s := range ext4Seeds {
		f.Add(s)
	}
	msg := mustParse(ext4Msg)
	spam := spamSettings{"sieve_spamtest_status_header": "X-Spam-Score", "sieve_spamtest_max_value": "10"}
	f.Fuzz(func(t *testing.T, src string) {
		ctx := context.Background()
		s, err := Compile(ctx, "fuzz", []byte(src), Options{Limits: Limits{Steps: 10000}})
		if err != nil {
			return
		}
		for _, svc := range []Services{nil, testStore, &memTracker{seen: map[string]bool{}}, spam} {
			res, err := s.Run(ctx, &Input{Message: msg, Envelope: StaticEnvelope{Sender: "a@example.org"}, Services: svc})
			if err == nil && res == nil {
				t.Fatal("nil result without error")
			}
		}
	})
}

func FuzzParseMailto(f *testing.F) {
	for _, s := range []string{
		"mailto:a@example.org", "mailto:a@example.org%2Cb@example.org?subject=x&body=y%0D%0A",
		"mailto:?to=a@example.org&cc=b@example.org", "mailto:a@example.org;?header=frop", "mailto:%", "mailto:",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		m, err := ParseMailto(uri)
		if err != nil {
			return
		}
		// Every recipient is a valid, normalised address, listed once.
		seen := map[string]bool{}
		for _, list := range [][]string{m.To, m.Cc, m.Bcc} {
			for _, a := range list {
				norm, err := normalizeAddress(a)
				if err != nil || norm != a || seen[strings.ToLower(a)] {
					t.Fatalf("recipient %q of %q: %v", a, uri, err)
				}
				seen[strings.ToLower(a)] = true
			}
		}
	})
}
