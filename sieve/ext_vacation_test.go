package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const ext4Msg = "From: Alice <alice@example.org>\r\nTo: bob@example.com\r\nSubject: Hello\r\nMessage-ID: <1@example.org>\r\n\r\nHi!\r\n"

// ext4Run compiles and runs src on msg with svc as services.
func ext4Run(t *testing.T, src, msg string, svc Services) (*Result, error) {
	t.Helper()
	return ext4RunOpts(t, src, msg, svc, Options{})
}

func ext4RunOpts(t *testing.T, src, msg string, svc Services, opts Options) (*Result, error) {
	t.Helper()
	s, err := Compile(context.Background(), "test", []byte(src), opts)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	m, err := ParseMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatal(err)
	}
	return s.Run(context.Background(), &Input{Message: m, Envelope: StaticEnvelope{Sender: "alice@example.org", Recipient: "bob@example.com"}, Services: svc})
}

// ext4CompileErr returns the compile error text, "" when src compiles.
func ext4CompileErr(t *testing.T, src string) string {
	t.Helper()
	_, err := Compile(context.Background(), "test", []byte(src), Options{})
	if err == nil {
		return ""
	}
	var ce *CompileErrors
	if !errors.As(err, &ce) {
		t.Fatalf("not a *CompileErrors: %v", err)
	}
	return err.Error()
}

func TestVacationAction(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want Vacation
	}{
		{"defaults", `require "vacation"; vacation "away";`,
			Vacation{Reason: "away", Handle: "away<default-subject><default-from><NO-MIME>", Period: 7 * 24 * time.Hour}},
		{"all tags", `require "vacation"; vacation :days 3 :subject "Out" :from "me@example.com" :addresses ["a@example.com", "b@example.com"] :mime :handle "h" "body";`,
			Vacation{Reason: "body", Subject: "Out", From: "me@example.com", Addresses: []string{"a@example.com", "b@example.com"}, Mime: true, Handle: "h", Period: 3 * 24 * time.Hour}},
		{"default handle", `require "vacation"; vacation :subject "S" :from "me@example.com" :mime "R";`,
			Vacation{Reason: "R", Subject: "S", From: "me@example.com", Mime: true, Handle: "RSme@example.com<MIME>", Period: 7 * 24 * time.Hour}},
		{"days clamped up", `require "vacation"; vacation :days 0 "x";`,
			Vacation{Reason: "x", Handle: "x<default-subject><default-from><NO-MIME>", Period: 24 * time.Hour}},
		{"days clamped down", `require "vacation"; vacation :days 365 "x";`,
			Vacation{Reason: "x", Handle: "x<default-subject><default-from><NO-MIME>", Period: 60 * 24 * time.Hour}},
		{"seconds implies vacation", `require "vacation-seconds"; vacation :seconds 90000 "x";`,
			Vacation{Reason: "x", Handle: "x<default-subject><default-from><NO-MIME>", Period: 90000 * time.Second}},
		{"variables in handle", `require ["vacation", "variables"]; set "r" "gone"; vacation :subject "${r}!" "I am ${r}";`,
			Vacation{Reason: "I am gone", Subject: "gone!", Handle: "I am gonegone!<default-from><NO-MIME>", Period: 7 * 24 * time.Hour}},
		{"fcc", `require ["vacation", "fcc", "imap4flags", "mailbox"]; vacation :fcc "Sent" :flags "\\Seen" :create "x";`,
			Vacation{Reason: "x", Handle: "x<default-subject><default-from><NO-MIME>", Period: 7 * 24 * time.Hour, Fcc: &Fcc{Mailbox: "Sent", Flags: []string{`\Seen`}, Create: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := ext4Run(t, tt.src, ext4Msg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Actions) != 1 || !res.ImplicitKeep {
				t.Fatalf("result = %s", res)
			}
			got, ok := res.Actions[0].(*Vacation)
			if !ok {
				t.Fatalf("action %T", res.Actions[0])
			}
			tt.want.Pos = got.Pos
			if got.Pos.Line != 1 || got.Kind() != "vacation" {
				t.Errorf("pos %v kind %s", got.Pos, got.Kind())
			}
			if !equalVacation(got, &tt.want) {
				t.Errorf("got  %+v (fcc %+v)\nwant %+v (fcc %+v)", *got, got.Fcc, tt.want, tt.want.Fcc)
			}
		})
	}
}

func equalVacation(a, b *Vacation) bool {
	if (a.Fcc == nil) != (b.Fcc == nil) {
		return false
	}
	if a.Fcc != nil && (a.Fcc.Mailbox != b.Fcc.Mailbox || strings.Join(a.Fcc.Flags, " ") != strings.Join(b.Fcc.Flags, " ") || a.Fcc.Create != b.Fcc.Create) {
		return false
	}
	return a.Reason == b.Reason && a.Subject == b.Subject && a.From == b.From &&
		strings.Join(a.Addresses, ",") == strings.Join(b.Addresses, ",") && a.Mime == b.Mime &&
		a.Handle == b.Handle && a.Period == b.Period
}

func TestVacationLimits(t *testing.T) {
	src := `require "vacation-seconds"; vacation :seconds 0 "x";`
	res, err := ext4RunOpts(t, src, ext4Msg, nil, Options{Limits: Limits{VacationMinPeriod: -1}})
	if err != nil {
		t.Fatal(err)
	}
	if p := res.Actions[0].(*Vacation).Period; p != 0 {
		t.Errorf("period = %v, want 0 without a minimum", p)
	}
	s, err := Compile(context.Background(), "t", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Warnings()) != 1 || !strings.Contains(s.Warnings()[0].Message, "under the minimum") {
		t.Errorf("warnings = %v", s.Warnings())
	}
}

func TestVacationErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"missing require", `vacation "x";`, "test:1:1: command 'vacation' requires the 'vacation' extension"},
		{"require needed", `require "fileinto"; vacation "x";`, "requires the 'vacation' extension"},
		{"bad from", `require "vacation"; vacation :from "not an address" "x";`, "test:1:36: specified :from address"},
		{"days and seconds", `require "vacation-seconds"; vacation :days 1 :seconds 5 "x";`, "cannot be combined"},
		{"seconds without require", `require "vacation"; vacation :seconds 5 "x";`, "requires the 'vacation-seconds' extension"},
		{"no reason", `require "vacation"; vacation :days 2;`, "requires 1 positional"},
		{"flags without fcc", `require ["vacation", "fcc", "imap4flags"]; vacation :flags "\\Seen" "x";`, "requires the :fcc tag"},
		{"fcc without require", `require "vacation"; vacation :fcc "Sent" "x";`, "requires the 'fcc' extension"},
		{"create needs mailbox", `require ["vacation", "fcc"]; vacation :fcc "Sent" :create "x";`, "requires the 'mailbox' extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ext4CompileErr(t, tt.src)
			if !strings.Contains(got, tt.want) {
				t.Errorf("error = %q, want it to contain %q", got, tt.want)
			}
		})
	}
}

func TestVacationConflicts(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"twice", `require "vacation"; vacation "a"; vacation "b";`, "duplicate vacation"},
		{"reject after vacation", `require ["vacation", "reject"]; vacation "a"; reject "no";`, "conflicts with earlier vacation"},
		{"vacation after reject", `require ["vacation", "reject"]; reject "no"; vacation "a";`, "conflicts with earlier reject"},
		{"bad runtime from", `require ["vacation", "variables"]; set "f" "nobody"; vacation :from "${f}" "a";`, "specified :from address 'nobody'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ext4Run(t, tt.src, ext4Msg, nil)
			if !errors.Is(err, ErrRuntime) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want a runtime error containing %q", err, tt.want)
			}
		})
	}
}

func TestCapabilitiesExt4(t *testing.T) {
	caps := strings.Join(Capabilities(), " ")
	for _, c := range []string{"vacation", "vacation-seconds", "enotify", "duplicate", "spamtest", "spamtestplus", "virustest", "special-use", "mboxmetadata", "servermetadata", "mailboxid", "fcc", "extlists"} {
		if !strings.Contains(" "+caps+" ", " "+c+" ") {
			t.Errorf("Capabilities() lacks %q: %s", c, caps)
		}
	}
	if strings.Contains(" "+caps+" ", "  ") {
		t.Errorf("Capabilities() has an empty name: %q", caps)
	}
}
