package sieve

import "fmt"

// Fcc asks the delivery side to file a copy of a message the script makes
// (a vacation reply, a notification) into Mailbox (RFC 8580 §3).
type Fcc struct {
	Mailbox    string
	Flags      []string // :flags (RFC 5232), nil when none
	Create     bool     // :create (RFC 5490 §3.2)
	SpecialUse string   // :specialuse (RFC 8579 §4): prefer the mailbox with this use
	MailboxID  string   // :mailboxid (RFC 9042 §4.3): prefer the mailbox with this id
}

// fccCommands are the commands that accept :fcc (RFC 8580 §3).
var fccCommands = []string{"vacation", "notify"}

// extFcc is RFC 8580: the :fcc tag of vacation and notify, and with it
// :flags, :create, :specialuse and :mailboxid, which mean nothing without
// :fcc. Each of those also needs its own extension (imap4flags, mailbox,
// special-use, mailboxid), checked by checkFcc.
var extFcc = &extension{
	name: "fcc",
	tags: []*extraTag{
		{tag: tagSpec{name: "fcc", arg: argString}, on: fccCommands},
		{tag: tagSpec{name: "flags", arg: argStringList}, on: fccCommands},
		{tag: tagSpec{name: "create"}, on: fccCommands},
		{tag: tagSpec{name: "specialuse", arg: argString}, on: fccCommands},
		{tag: tagSpec{name: "mailboxid", arg: argString}, on: fccCommands},
	},
}

// fccCompanions maps each tag that only qualifies :fcc to the extension
// it needs.
var fccCompanions = []struct{ tag, ext string }{
	{"flags", "imap4flags"},
	{"create", "mailbox"},
	{"specialuse", "special-use"},
	{"mailboxid", "mailboxid"},
}

// checkFcc validates :fcc and its companions on a vacation or notify node.
func checkFcc(c *checker, n *node) {
	for _, t := range fccCompanions {
		v, ok := n.tags[t.tag]
		if !ok {
			continue
		}
		pos := n.pos
		if v != nil {
			pos = v.pos
		}
		if !n.has("fcc") {
			// RFC 8580 §3: these tags qualify :fcc.
			c.errorf(pos, "the :%s tag of the %s command requires the :fcc tag", t.tag, n.spec.name)
		}
		if !c.required[t.ext] {
			c.errorf(pos, "the :%s tag of the %s command requires the '%s' extension", t.tag, n.spec.name, t.ext)
		}
	}
	if v, ok := n.tags["fcc"]; ok {
		if s, ok := v.constStrings(); ok {
			if err := validMailbox(s[0]); err != nil {
				c.errorf(v.pos, "invalid :fcc mailbox name '%s' for the %s command: %v", s[0], n.spec.name, err)
			}
		}
	}
	if v, ok := n.tags["specialuse"]; ok {
		if s, ok := v.constStrings(); ok && !validSpecialUse(s[0]) {
			c.errorf(v.pos, "invalid special-use flag '%s' for :fcc", s[0])
		}
	}
	if v, ok := n.tags["flags"]; ok {
		if list, ok := v.constStrings(); ok {
			for _, f := range splitFlags(list) {
				if !validFlag(f) {
					c.warnf(v.pos, "IMAP flag '%s' is invalid and will be ignored", f)
				}
			}
		}
	}
}

// fccOf builds the Fcc of a vacation or notify node, nil without :fcc.
func (e *exec) fccOf(n *node) (*Fcc, error) {
	box, ok := e.tagStr(n, "fcc")
	if !ok {
		return nil, nil
	}
	if err := validMailbox(box); err != nil {
		return nil, fmt.Errorf("invalid :fcc mailbox name '%s': %w", box, err)
	}
	f := &Fcc{Mailbox: box, Create: n.has("create")}
	if v, ok := n.tags["flags"]; ok {
		f.Flags = validFlags(splitFlags(e.strs(v)))
	}
	if su, ok := e.tagStr(n, "specialuse"); ok {
		if !validSpecialUse(su) {
			return nil, fmt.Errorf("invalid special-use flag '%s' for :fcc", su)
		}
		f.SpecialUse = su
	}
	if id, ok := e.tagStr(n, "mailboxid"); ok {
		if !validMailboxID(id) {
			return nil, fmt.Errorf("invalid mailbox id '%s' for :fcc", id)
		}
		f.MailboxID = id
	}
	return f, nil
}
