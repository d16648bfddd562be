package sieve

import (
	"context"
	"fmt"
)

// MailboxIDChecker is an optional add-on to Services for the mailboxid
// extension (RFC 9042): MailboxIDExists reports whether a mailbox with this
// object id (RFC 8474) exists. Without it mailboxidexists is false.
type MailboxIDChecker interface {
	MailboxIDExists(ctx context.Context, id string) (bool, error)
}

// extMailboxID is RFC 9042: the :mailboxid tag of fileinto (the FileInto
// action then has MailboxID set; the delivery side stores into that mailbox
// when it exists, else into Mailbox, RFC 9042 §4.2) and the
// mailboxidexists test (§4.4).
var extMailboxID = &extension{
	name: "mailboxid",
	tests: []*commandSpec{{
		name:       "mailboxidexists",
		positional: []argKind{argStringList},
		check: func(c *checker, n *node) {
			if list, ok := n.args[0].constStrings(); ok {
				for _, id := range list {
					if !validMailboxID(id) {
						c.warnf(n.args[0].pos, "mailboxidexists test: invalid mailbox id '%s': it never exists", id)
					}
				}
			}
		},
		eval: evalMailboxIDExists,
	}},
	tags: []*extraTag{{tag: tagSpec{name: "mailboxid", arg: argString}, on: []string{"fileinto"}}},
}

// validMailboxID checks the objectid syntax of RFC 8474 §4: 1 to 255
// characters from A-Z, a-z, 0-9, "_" and "-".
func validMailboxID(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// evalMailboxIDExists is true when every id names an existing mailbox
// (RFC 9042 §4.4).
func evalMailboxIDExists(e *exec, n *node) (bool, error) {
	ids := e.strs(n.args[0])
	for _, id := range ids {
		if !validMailboxID(id) {
			return false, nil
		}
	}
	mc, ok := e.services().(MailboxIDChecker)
	if !ok {
		return false, nil
	}
	for _, id := range ids {
		e.step()
		exists, err := mc.MailboxIDExists(e.ctx, id)
		if err != nil {
			return false, fmt.Errorf("mailboxidexists %q: %w", id, err)
		}
		if !exists {
			return false, nil
		}
	}
	return true, nil
}
