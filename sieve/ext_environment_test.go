package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// extServices is a Services with a fixed clock and a set of mailboxes.
type extServices struct {
	now   time.Time
	boxes map[string]bool
	err   error
}

var (
	_ Services       = (*extServices)(nil)
	_ MailboxChecker = (*extServices)(nil)
)

func (s *extServices) Now() time.Time { return s.now }

func (s *extServices) MailboxExists(_ context.Context, name string) (bool, error) {
	return s.boxes[name], s.err
}

// runExt compiles src and runs it on msg with in's environment and
// services (in.Message is replaced by msg).
func runExt(t *testing.T, src, msg string, in Input) (*Result, error) {
	t.Helper()
	s, err := Compile(context.Background(), "test", []byte(src), Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	m, err := ParseMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	in.Message = m
	return s.Run(context.Background(), &in)
}

// extCase is one script run whose result must be want.
type extCase struct {
	name, src, want string
}

func runExtCases(t *testing.T, msg string, in Input, cases []extCase) {
	t.Helper()
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			res, err := runExt(t, tt.src, msg, in)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if got := res.String(); got != tt.want {
				t.Errorf("result:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

const extYes, extNo = "discard \n", "implicit keep\n"

func TestEnvironment(t *testing.T) {
	in := Input{Environment: map[string]string{"remote-ip": "192.0.2.1", "host": "mx.example.org"}}
	runExtCases(t, testMsg, in, []extCase{
		{"name", `require "environment"; if environment "name" "sluice" { discard; }`, extYes},
		{"location", `require "environment"; if environment "location" "MDA" { discard; }`, extYes},
		{"phase", `require "environment"; if environment "phase" "during" { discard; }`, extYes},
		{"version exists", `require "environment"; if environment :contains "version" "" { discard; }`, extYes},
		{"caller item", `require "environment"; if environment :matches "remote-ip" "192.0.2.*" { discard; }`, extYes},
		{"item case", `require "environment"; if environment "REMOTE-IP" "192.0.2.1" { discard; }`, extYes},
		{"domain from host", `require "environment"; if environment "domain" "example.org" { discard; }`, extYes},
		{"unknown false", `require "environment"; if environment :contains "nonsense" "" { discard; }`, extNo},
		{"unknown count", `require ["environment", "relational"]; if environment :count "eq" "nonsense" "0" { discard; }`, extNo},
		{"missing remote-host", `require "environment"; if environment :contains "remote-host" "" { discard; }`, extNo},
	})
}

func TestMailbox(t *testing.T) {
	in := Input{Services: &extServices{boxes: map[string]bool{"Lists": true, "Work": true}}}
	runExtCases(t, testMsg, in, []extCase{
		{"exists", `require "mailbox"; if mailboxexists "Lists" { discard; }`, extYes},
		{"all exist", `require "mailbox"; if mailboxexists ["Lists", "Work"] { discard; }`, extYes},
		{"one missing", `require "mailbox"; if mailboxexists ["Lists", "Nope"] { discard; }`, extNo},
		{"bad utf-8", `require ["mailbox", "encoded-character"]; if mailboxexists "${hex:ff}" { discard; }`, extNo},
		{"create", `require ["mailbox", "fileinto"]; fileinto :create "New";`, "fileinto \"New\" :create\n"},
	})
	// Without a MailboxChecker nothing can be confirmed.
	runExtCases(t, testMsg, Input{}, []extCase{
		{"no checker", `require "mailbox"; if mailboxexists "INBOX" { discard; }`, extNo},
	})
	boom := errors.New("store down")
	_, err := runExt(t, `require "mailbox"; if mailboxexists "x" { discard; }`, testMsg, Input{Services: &extServices{err: boom}})
	if !errors.Is(err, boom) || !errors.Is(err, ErrRuntime) {
		t.Errorf("err = %v, want a runtime error wrapping the store error", err)
	}
	if _, err := Compile(context.Background(), "t", []byte(`require "fileinto"; fileinto :create "x";`), Options{}); err == nil {
		t.Error(":create accepted without require mailbox")
	}
}

func TestIhave(t *testing.T) {
	runExtCases(t, testMsg, Input{}, []extCase{
		{"known", `require "ihave"; if ihave "fileinto" { fileinto "a"; }`, "fileinto \"a\"\n"},
		{"unknown block not compiled", `require "ihave"; if ihave "x-frob" { frobnicate :now; } else { discard; }`, extYes},
		{"unknown in allof", `require "ihave"; if allof(true, ihave ["fileinto", "x-frob"]) { fileinto "a"; frob; }`, extNo},
		{"not unknown", `require "ihave"; if not ihave "x-frob" { discard; }`, extYes},
		{"restricted variables", `require "ihave"; if ihave "variables" { set "a" "b"; } else { discard; }`, extYes},
		{"required variables", `require ["ihave", "variables"]; if ihave "variables" { discard; }`, extYes},
		{"elsif", `require "ihave"; if false { keep; } elsif ihave "x-frob" { frob; } else { discard; }`, extYes},
	})
	_, err := runExt(t, `require "ihave"; error "custom failure";`, testMsg, Input{})
	if !errors.Is(err, ErrScriptFailed) || !strings.Contains(err.Error(), "custom failure") {
		t.Errorf("err = %v, want ErrScriptFailed with the message", err)
	}
	for _, src := range []string{
		`require "ihave"; if ihave "x-frob" { keep; } frob;`,                     // outside the block
		`require ["ihave", "variables"]; set "x" "y"; if ihave "${x}" { keep; }`, // not constant
		`if ihave "fileinto" { keep; }`,                                          // not required
	} {
		if _, err := Compile(context.Background(), "t", []byte(src), Options{}); err == nil {
			t.Errorf("Compile(%q) succeeded", src)
		}
	}
}
