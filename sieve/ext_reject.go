package sieve

// extReject and extEReject are RFC 5429: reject and ereject. Conflicts with
// other actions are checked when the action is added (RFC 5429 §2.1).
var (
	extReject = &extension{
		name: "reject",
		commands: []*commandSpec{{
			name:       "reject",
			positional: []argKind{argString},
			run: func(e *exec, n *node) error {
				return e.addAction(&Reject{Pos: n.pos, Reason: e.str(n.args[0])})
			},
		}},
	}
	extEReject = &extension{
		name: "ereject",
		commands: []*commandSpec{{
			name:       "ereject",
			positional: []argKind{argString},
			run: func(e *exec, n *node) error {
				return e.addAction(&Reject{Pos: n.pos, Reason: e.str(n.args[0]), Extended: true})
			},
		}},
	}
)
