package sieve

import "fmt"

// extFileinto is RFC 5228 §4.1: fileinto "mailbox".
var extFileinto = &extension{
	name: "fileinto",
	commands: []*commandSpec{{
		name:       "fileinto",
		positional: []argKind{argString},
		check: func(c *checker, n *node) {
			checkFileintoTargets(c, n)
			if s, ok := n.args[0].constStrings(); ok {
				if err := validMailbox(s[0]); err != nil {
					c.errorf(n.args[0].pos, "invalid mailbox name '%s' for fileinto: %v", s[0], err)
				}
			}
		},
		run: func(e *exec, n *node) error {
			box := e.str(n.args[0])
			if err := validMailbox(box); err != nil {
				return fmt.Errorf("fileinto: invalid folder name '%s': %w", box, err)
			}
			a := &FileInto{Pos: n.pos, Mailbox: box, Flags: e.actionFlags(n), Copy: n.has("copy"), Create: n.has("create")}
			if err := e.fileintoTargets(n, a); err != nil {
				return err
			}
			return e.addAction(a)
		},
	}},
}
