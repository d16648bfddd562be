package sieve

import (
	"context"
	"strings"
)

// The harness's mail store answers the run-time service questions of the
// mailbox (RFC 5490 §3) and metadata (RFC 5490 §3, §4) extensions:
// mailboxes made by test_mailbox_create or by fileinto :create exist, and
// test_imap_metadata_set writes the entries the metadata tests read.

var (
	_ MailboxChecker = (*suite)(nil)
	_ Metadata       = (*suite)(nil)
)

func (s *suite) MailboxExists(_ context.Context, name string) (bool, error) {
	_, ok := s.boxes[canonTest(name)]
	return ok, nil
}

func metadataKey(mailbox, entry string) string {
	return canonTest(mailbox) + "\x00" + strings.ToLower(entry)
}

func (s *suite) Metadata(_ context.Context, mailbox, entry string) (string, bool, error) {
	v, ok := s.metadata[metadataKey(mailbox, entry)]
	return v, ok, nil
}

func init() {
	extTestsuite.commands = append(extTestsuite.commands, &commandSpec{
		name:       "test_imap_metadata_set",
		positional: []argKind{argString, argString},
		tags:       []tagSpec{{name: "mailbox", arg: argString}},
		run: func(e *exec, n *node) error {
			s := suiteOf(e)
			box, _ := e.tagStr(n, "mailbox") // "" means a server entry
			if s.metadata == nil {
				s.metadata = map[string]string{}
			}
			s.metadata[metadataKey(box, e.str(n.args[0]))] = e.str(n.args[1])
			return nil
		},
	})
}

var _ EditHeaderSettings = (*suite)(nil)

// EditHeaderConfig maps Pigeonhole's sieve_editheader_* lists (the size
// limit is a compile option, see options).
func (s *suite) EditHeaderConfig() EditHeaderConfig {
	return EditHeaderConfig{
		Protected:    strings.Fields(s.config["sieve_editheader_protected"]),
		ForbidAdd:    strings.Fields(s.config["sieve_editheader_forbid_add"]),
		ForbidDelete: strings.Fields(s.config["sieve_editheader_forbid_delete"]),
	}
}

// extDebug stands in for Dovecot's vnd.dovecot.debug in the harness only,
// so that suite files requiring it for their own logging run: debug_log
// records nothing. sluice offers no such extension to scripts.
var extDebug = &extension{
	name:     "vnd.dovecot.debug",
	testOnly: true,
	commands: []*commandSpec{{
		name:       "debug_log",
		positional: []argKind{argString},
		run:        func(*exec, *node) error { return nil },
	}},
}

// canonTest canonicalises a mailbox name of the test suite, whose scripts
// use both '.' and '/' as hierarchy separators.
func canonTest(m string) string { return CanonicalMailbox(CanonicalMailbox(m, '.'), '/') }
