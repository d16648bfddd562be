package sieve

import (
	"context"
	"fmt"
	"unicode/utf8"
)

// SpecialUseChecker is an optional add-on to Services for the special-use
// extension (RFC 8579). SpecialUseExists reports whether every flag (such as
// `\Junk`, RFC 6154) is assigned to some mailbox, or, when mailbox is not
// "", to that mailbox. Without it specialuse_exists is false.
type SpecialUseChecker interface {
	SpecialUseExists(ctx context.Context, mailbox string, flags []string) (bool, error)
}

// extSpecialUse is RFC 8579: the specialuse_exists test and the :specialuse
// tag of fileinto (the FileInto action then has SpecialUse set; the
// delivery side stores into the mailbox with that use when there is one,
// else into Mailbox, RFC 8579 §4).
var extSpecialUse = &extension{
	name: "special-use",
	tests: []*commandSpec{{
		name:       "specialuse_exists",
		positional: []argKind{argString, argStringList},
		optional:   1,
		check:      checkSpecialUseExists,
		eval:       evalSpecialUseExists,
	}},
	tags: []*extraTag{{tag: tagSpec{name: "specialuse", arg: argString}, on: []string{"fileinto"}}},
}

// validSpecialUse checks the syntax of a special-use flag: a backslash and
// an atom (RFC 6154 §6, use-attr being a flag-extension of RFC 3501).
func validSpecialUse(s string) bool {
	if len(s) < 2 || s[0] != '\\' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '\\' || c == '"' || c == '%' || c == '*' || c == '(' || c == ')' || c == '{' || c == ']' {
			return false
		}
	}
	return true
}

func checkSpecialUseExists(c *checker, n *node) {
	flags := n.args[len(n.args)-1]
	if list, ok := flags.constStrings(); ok {
		for _, f := range list {
			if !validSpecialUse(f) {
				c.errorf(flags.pos, "specialuse_exists test: invalid special-use flag '%s' specified", f)
			}
		}
	}
	if len(n.args) == 2 {
		if s, ok := n.args[0].constStrings(); ok && !utf8.ValidString(s[0]) {
			c.warnf(n.args[0].pos, "specialuse_exists test: invalid mailbox name '%s' specified: invalid UTF-8", s[0])
		}
	}
}

// evalSpecialUseExists is RFC 8579 §5. A mailbox name or flag that is not
// valid cannot exist: the test is false, not an error.
func evalSpecialUseExists(e *exec, n *node) (bool, error) {
	mailbox := ""
	if len(n.args) == 2 {
		mailbox = e.str(n.args[0])
		if err := validMailbox(mailbox); err != nil {
			return false, nil
		}
	}
	flags := e.strs(n.args[len(n.args)-1])
	for _, f := range flags {
		if !validSpecialUse(f) {
			return false, nil
		}
	}
	sc, ok := e.services().(SpecialUseChecker)
	if !ok {
		return false, nil
	}
	exists, err := sc.SpecialUseExists(e.ctx, mailbox, flags)
	if err != nil {
		return false, fmt.Errorf("specialuse_exists: %w", err)
	}
	return exists, nil
}

// checkFileintoTargets validates a constant :specialuse or :mailboxid of
// fileinto.
func checkFileintoTargets(c *checker, n *node) {
	if v, ok := n.tags["specialuse"]; ok {
		if s, ok := v.constStrings(); ok && !validSpecialUse(s[0]) {
			c.errorf(v.pos, "specialuse tag: invalid special-use flag '%s' specified", s[0])
		}
	}
	if v, ok := n.tags["mailboxid"]; ok {
		if s, ok := v.constStrings(); ok && !validMailboxID(s[0]) {
			c.errorf(v.pos, "mailboxid tag: invalid mailbox id '%s' specified (RFC 8474 objectid)", s[0])
		}
	}
}

// fileintoTargets fills the SpecialUse and MailboxID of a fileinto action
// from its :specialuse and :mailboxid tags.
func (e *exec) fileintoTargets(n *node, a *FileInto) error {
	if su, ok := e.tagStr(n, "specialuse"); ok {
		if !validSpecialUse(su) {
			return fmt.Errorf("invalid special-use flag '%s' for fileinto", su)
		}
		a.SpecialUse = su
	}
	if id, ok := e.tagStr(n, "mailboxid"); ok {
		// RFC 9042 §4.2: an id that cannot exist falls back to the
		// mailbox name, it is not an error.
		if validMailboxID(id) {
			a.MailboxID = id
		}
	}
	return nil
}
