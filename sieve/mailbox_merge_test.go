package sieve

import (
	"strings"
	"testing"
)

// TestMailboxMerge checks which stores count as one (RFC 5228 §2.10.3):
// INBOX is case-insensitive only up to the hierarchy separator in use,
// and keep is the same store as a fileinto of where keep stores.
func TestMailboxMerge(t *testing.T) {
	tests := []struct {
		name, src string
		in        Input
		stores    int
	}{
		{"inbox case, slash", `fileinto "inbox/x"; fileinto "INBOX/x";`, Input{}, 1},
		{"inbox dot is no prefix with slash", `fileinto "inbox.x"; fileinto "INBOX.x";`, Input{}, 2},
		{"inbox dot prefix with dot", `fileinto "inbox.x"; fileinto "INBOX.x";`, Input{Separator: '.'}, 1},
		{"keep and fileinto INBOX", `keep; fileinto "inbox";`, Input{}, 1},
		{"keep elsewhere and fileinto INBOX", `keep; fileinto "INBOX";`, Input{KeepMailbox: "Work"}, 2},
		{"fileinto INBOX and keep elsewhere", `fileinto "INBOX"; keep;`, Input{KeepMailbox: "Work"}, 2},
		{"keep and fileinto its mailbox", `fileinto "Work"; keep;`, Input{KeepMailbox: "Work"}, 1},
	}
	// Either order of keep and fileinto :create of keep's mailbox gives
	// one store that creates the mailbox.
	for _, src := range []string{`keep; fileinto :create "Work";`, `fileinto :create "Work"; keep;`} {
		res, err := runExt(t, `require ["fileinto", "mailbox"]; `+src, testMsg, Input{KeepMailbox: "Work"})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Actions) != 1 {
			t.Errorf("%s: %d actions, want 1:\n%s", src, len(res.Actions), res)
			continue
		}
		if f, ok := res.Actions[0].(*FileInto); !ok || !f.Create || f.Mailbox != "Work" {
			t.Errorf("%s: %s, want fileinto :create \"Work\"", src, res)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runExt(t, `require "fileinto"; `+tt.src, testMsg, tt.in)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, a := range res.Actions {
				switch a.(type) {
				case *Keep, *FileInto:
					n++
				}
			}
			if n != tt.stores {
				t.Errorf("%d stores, want %d:\n%s", n, tt.stores, strings.TrimSpace(res.String()))
			}
		})
	}
}
