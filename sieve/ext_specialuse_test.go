package sieve

import (
	"context"
	"strings"
	"testing"
	"time"
)

// mailStore answers the optional mailbox services from maps.
type mailStore struct {
	uses  map[string][]string // mailbox -> special-use flags
	ids   map[string]bool
	meta  map[string]string // mailbox + "\x00" + entry -> value
	lists map[string][]string
}

var (
	_ SpecialUseChecker = (*mailStore)(nil)
	_ MailboxIDChecker  = (*mailStore)(nil)
	_ Metadata          = (*mailStore)(nil)
	_ Lists             = (*mailStore)(nil)
	_ ListChecker       = (*mailStore)(nil)
)

func (*mailStore) Now() time.Time { return time.Unix(0, 0) }

func (m *mailStore) SpecialUseExists(_ context.Context, mailbox string, flags []string) (bool, error) {
	for _, f := range flags {
		found := false
		for box, uses := range m.uses {
			if (mailbox == "" || box == mailbox) && containsFold(uses, f) {
				found = true
			}
		}
		if !found {
			return false, nil
		}
	}
	return true, nil
}

func (m *mailStore) MailboxIDExists(_ context.Context, id string) (bool, error) {
	return m.ids[id], nil
}

func (m *mailStore) Metadata(_ context.Context, mailbox, entry string) (string, bool, error) {
	v, ok := m.meta[mailbox+"\x00"+entry]
	return v, ok, nil
}

func (m *mailStore) Contains(_ context.Context, list, value string) (bool, error) {
	for _, v := range m.lists[list] {
		if strings.EqualFold(v, value) {
			return true, nil
		}
	}
	return false, nil
}

func (m *mailStore) ListExists(_ context.Context, list string) (bool, error) {
	_, ok := m.lists[list]
	return ok, nil
}

var testStore = &mailStore{
	uses:  map[string][]string{"Junk": {`\Junk`}, "Sent": {`\Sent`}},
	ids:   map[string]bool{"F2212ea87-6097-4256-9d51-71338625": true},
	meta:  map[string]string{"INBOX\x00/private/vendor/x": "on", "\x00/shared/admin": "admin@example.org"},
	lists: map[string][]string{":addrbook:personal": {"alice@example.org"}},
}

// ext4Cond runs `if cond { fileinto "yes"; }` and reports whether it held.
func ext4Cond(t *testing.T, req, cond string, svc Services) bool {
	t.Helper()
	res, err := ext4Run(t, `require ["fileinto", `+req+`]; if `+cond+` { fileinto "yes"; }`, ext4Msg, svc)
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Actions) == 1
}

func TestSpecialUseExists(t *testing.T) {
	tests := []struct {
		cond string
		svc  Services
		want bool
	}{
		{`specialuse_exists "\\Junk"`, testStore, true},
		{`specialuse_exists ["\\Junk", "\\Sent"]`, testStore, true},
		{`specialuse_exists ["\\Junk", "\\Trash"]`, testStore, false},
		{`specialuse_exists "Junk" "\\Junk"`, testStore, true},
		{`specialuse_exists "Sent" "\\Junk"`, testStore, false},
		{`specialuse_exists "\\Junk"`, nil, false},
	}
	for _, tt := range tests {
		if got := ext4Cond(t, `"special-use"`, tt.cond, tt.svc); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
		}
	}
}

func TestFileintoTargets(t *testing.T) {
	res, err := ext4Run(t, `require ["fileinto", "special-use", "mailboxid", "variables"]; set "u" "\\Junk";
fileinto :specialuse "${u}" :mailboxid "F2212ea87" "Spam";`, ext4Msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	f := res.Actions[0].(*FileInto)
	if f.Mailbox != "Spam" || f.SpecialUse != `\Junk` || f.MailboxID != "F2212ea87" {
		t.Errorf("fileinto = %+v", f)
	}
	if _, err := ext4Run(t, `require ["fileinto", "special-use", "variables"]; set "u" "Junk"; fileinto :specialuse "${u}" "Spam";`, ext4Msg, nil); err == nil {
		t.Error("invalid runtime special-use flag accepted")
	}
}

func TestSpecialUseErrors(t *testing.T) {
	for src, want := range map[string]string{
		`require "special-use"; if specialuse_exists "frop" {}`:              "invalid special-use flag 'frop'",
		`require "special-use"; if specialuse_exists "INBOX" ["frop"] {}`:    "invalid special-use flag 'frop'",
		`require "special-use"; if specialuse_exists 3 {}`:                   "expects a string list",
		`require ["special-use", "fileinto"]; fileinto :specialuse "x" "y";`: "specialuse tag: invalid special-use flag 'x'",
		`require "fileinto"; fileinto :specialuse "\\Junk" "y";`:             "requires the 'special-use' extension",
		`require ["mailboxid", "fileinto"]; fileinto :mailboxid "a b" "y";`:  "invalid mailbox id 'a b'",
		`require "fileinto"; fileinto :mailboxid "abc" "y";`:                 "requires the 'mailboxid' extension",
	} {
		if got := ext4CompileErr(t, src); !strings.Contains(got, want) {
			t.Errorf("%s: error = %q, want %q", src, got, want)
		}
	}
}

func TestMailboxIDExists(t *testing.T) {
	tests := []struct {
		cond string
		svc  Services
		want bool
	}{
		{`mailboxidexists "F2212ea87-6097-4256-9d51-71338625"`, testStore, true},
		{`mailboxidexists ["F2212ea87-6097-4256-9d51-71338625", "nope"]`, testStore, false},
		{`mailboxidexists "not valid!"`, testStore, false},
		{`mailboxidexists "F2212ea87-6097-4256-9d51-71338625"`, nil, false},
	}
	for _, tt := range tests {
		if got := ext4Cond(t, `"mailboxid"`, tt.cond, tt.svc); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
		}
	}
}

func TestMetadata(t *testing.T) {
	tests := []struct {
		cond string
		want bool
	}{
		{`metadata "INBOX" "/private/vendor/x" "on"`, true},
		{`metadata :contains "INBOX" "/private/vendor/x" "o"`, true},
		{`metadata "INBOX" "/private/vendor/x" "off"`, false},
		{`metadata :contains "INBOX" "/private/none" ""`, false},
		{`metadata :contains "INBOX" "/frop" ""`, false},
		{`metadataexists "INBOX" "/private/vendor/x"`, true},
		{`metadataexists "INBOX" ["/private/vendor/x", "/private/none"]`, false},
		{`servermetadata :matches "/shared/admin" "*@example.org"`, true},
		{`servermetadataexists "/shared/admin"`, true},
		{`servermetadataexists "/shared/none"`, false},
	}
	for _, tt := range tests {
		if got := ext4Cond(t, `"mboxmetadata", "servermetadata"`, tt.cond, testStore); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
		}
	}
	if ext4Cond(t, `"mboxmetadata"`, `metadataexists "INBOX" "/private/vendor/x"`, nil) {
		t.Error("true without a Metadata service")
	}
}

func TestMetadataWarnings(t *testing.T) {
	s, err := Compile(context.Background(), "t", []byte(`require "mboxmetadata"; if metadata "INBOX" "frop" "x" {}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w := s.Warnings(); len(w) != 1 || !strings.Contains(w[0].Message, "must begin with '/'") {
		t.Errorf("warnings = %v", w)
	}
}

func TestExtlists(t *testing.T) {
	tests := []struct {
		cond string
		want bool
	}{
		{`address :list "from" ":addrbook:personal"`, true},
		{`address :list "to" ":addrbook:personal"`, false},
		{`header :list "from" ":addrbook:personal"`, false},
		{`envelope :list "from" ":addrbook:personal"`, true},
		{`string :list "ALICE@example.org" ":addrbook:personal"`, true},
		{`valid_ext_list ":addrbook:personal"`, true},
		{`valid_ext_list [":addrbook:personal", ":addrbook:other"]`, false},
	}
	for _, tt := range tests {
		if got := ext4Cond(t, `"extlists", "envelope", "variables"`, tt.cond, testStore); got != tt.want {
			t.Errorf("%s = %v, want %v", tt.cond, got, tt.want)
		}
	}
	if got := ext4CompileErr(t, `if address :list "from" "x" {}`); !strings.Contains(got, "requires the 'extlists' extension") {
		t.Errorf("error = %q", got)
	}
}
