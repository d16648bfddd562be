package sieve

import (
	"fmt"
	"unicode/utf8"
)

// extMailbox is RFC 5490 §3: the mailboxexists test and the :create tag of
// fileinto (the FileInto action then has Create set).
var extMailbox = &extension{
	name: "mailbox",
	tests: []*commandSpec{{
		name:       "mailboxexists",
		positional: []argKind{argStringList},
		eval:       evalMailboxExists,
	}},
	tags: []*extraTag{{tag: tagSpec{name: "create"}, on: []string{"fileinto"}}},
}

// evalMailboxExists is true when every named mailbox exists (RFC 5490
// §3.1). Without a MailboxChecker among the services nothing can be
// confirmed, so the test is false.
func evalMailboxExists(e *exec, n *node) (bool, error) {
	mc, ok := e.services().(MailboxChecker)
	if !ok {
		return false, nil
	}
	for _, name := range e.strs(n.args[0]) {
		e.step()
		// A name that is not UTF-8 cannot name a mailbox (RFC 5490
		// §3.1 refers to RFC 3501 §5.1): the test is false, not an error.
		if name == "" || !utf8.ValidString(name) {
			return false, nil
		}
		exists, err := mc.MailboxExists(e.ctx, name)
		if err != nil {
			return false, fmt.Errorf("mailboxexists %q: %w", name, err)
		}
		if !exists {
			return false, nil
		}
	}
	return true, nil
}
