package sieve

import (
	"fmt"
	"strings"
)

// Action is one action of a Result. The concrete types are Keep, FileInto,
// Redirect, Reject and Discard, plus those of extensions.
type Action interface {
	// Position is where the command producing the action is.
	Position() Pos
	// Kind is the Sieve name of the action ("keep", "fileinto" ...).
	Kind() string
}

// Keep stores the message into the default mailbox (RFC 5228 §4.3).
type Keep struct {
	Pos   Pos
	Flags []string // IMAP flags (RFC 5232); nil when none
}

// FileInto stores the message into Mailbox (RFC 5228 §4.1).
type FileInto struct {
	Pos     Pos
	Mailbox string
	Flags   []string
	Copy    bool // :copy (RFC 3894): does not cancel the implicit keep
	Create  bool // :create (RFC 5490)
	// SpecialUse (:specialuse, RFC 8579 §4) and MailboxID (:mailboxid,
	// RFC 9042 §4.2) name a mailbox to prefer over Mailbox when it exists.
	SpecialUse string
	MailboxID  string
}

// Redirect forwards the message to Address (RFC 5228 §4.2).
type Redirect struct {
	Pos     Pos
	Address string
	Copy    bool
}

// Reject refuses the message with Reason (RFC 5429). Extended is true for
// ereject, which asks for a protocol-level refusal.
type Reject struct {
	Pos      Pos
	Reason   string
	Extended bool
}

// Discard silently drops the message (RFC 5228 §4.4). It is listed so the
// caller can log which rule discarded; it needs no execution.
type Discard struct {
	Pos Pos
}

func (a *Keep) Position() Pos     { return a.Pos }
func (a *FileInto) Position() Pos { return a.Pos }
func (a *Redirect) Position() Pos { return a.Pos }
func (a *Reject) Position() Pos   { return a.Pos }
func (a *Discard) Position() Pos  { return a.Pos }

func (a *Keep) Kind() string     { return "keep" }
func (a *FileInto) Kind() string { return "fileinto" }
func (a *Redirect) Kind() string { return "redirect" }
func (a *Reject) Kind() string {
	if a.Extended {
		return "ereject"
	}
	return "reject"
}
func (a *Discard) Kind() string { return "discard" }

var (
	_ Action = (*Keep)(nil)
	_ Action = (*FileInto)(nil)
	_ Action = (*Redirect)(nil)
	_ Action = (*Reject)(nil)
	_ Action = (*Discard)(nil)
)

// Result is the outcome of one run.
type Result struct {
	// Actions in the order the script produced them, duplicates merged
	// (RFC 5228 §2.10.3).
	Actions []Action
	// ImplicitKeep is true when no action cancelled the implicit keep
	// (RFC 5228 §2.10.2); ImplicitKeepFlags are its flags (the imap4flags
	// internal variable at the end of the run).
	ImplicitKeep      bool
	ImplicitKeepFlags []string
	// Warnings are problems met during the run that did not stop it,
	// to be logged.
	Warnings []*RunWarning
	// Duplicates are the ids the duplicate test saw (RFC 7352 §3.1): the
	// delivery side records them only once the message is delivered.
	Duplicates []DuplicateMark
	// HeaderEdits are the header changes made by editheader (RFC 5293)
	// by the end of the run, nil when none: the implicit keep stores the
	// message with them. An explicit action carries the edits made
	// before it: see EditsFor. The delivery side applies them
	// (HeaderEdits.Apply) to the header it received (to the header of
	// Message when that is set) and streams the body unchanged.
	HeaderEdits *HeaderEdits
	// actionEdits are the edits in force when each action was taken.
	actionEdits map[Action]*HeaderEdits
	// Message, when not nil, is the new message (header and body) made by
	// replace or enclose (RFC 5703 §5, §6): it is stored and redirected
	// instead of the received one.
	Message []byte
}

// String describes the result, one action a line, for logs and tests.
func (r *Result) String() string {
	var b strings.Builder
	for _, a := range r.Actions {
		fmt.Fprintf(&b, "%s %s\n", a.Kind(), describe(a))
	}
	if r.ImplicitKeep {
		b.WriteString("implicit keep")
		if len(r.ImplicitKeepFlags) > 0 {
			fmt.Fprintf(&b, " flags=%s", strings.Join(r.ImplicitKeepFlags, " "))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func describe(a Action) string {
	switch a := a.(type) {
	case *Keep:
		return flagStr(a.Flags)
	case *FileInto:
		s := fmt.Sprintf("%q", a.Mailbox)
		if a.Copy {
			s += " :copy"
		}
		if a.Create {
			s += " :create"
		}
		return s + flagStr(a.Flags)
	case *Redirect:
		s := fmt.Sprintf("%q", a.Address)
		if a.Copy {
			s += " :copy"
		}
		return s
	case *Reject:
		return fmt.Sprintf("%q", a.Reason)
	}
	return ""
}

func flagStr(f []string) string {
	if len(f) == 0 {
		return ""
	}
	return " flags=" + strings.Join(f, " ")
}

// addAction appends an action, merging duplicates (RFC 5228 §2.10.3), and
// enforcing conflicts and limits.
func (e *exec) addAction(a Action) error {
	switch a.(type) {
	case *Keep, *FileInto, *Redirect:
		if err := e.checkReject(a); err != nil {
			return err
		}
	}
	switch a := a.(type) {
	case *Keep:
		e.cancelImplicitKeep()
		for _, old := range e.actions {
			if k, ok := old.(*Keep); ok {
				k.Flags = a.Flags
				return nil
			}
			if f, ok := old.(*FileInto); ok && e.isKeepMailbox(f.Mailbox) {
				f.Flags = a.Flags
				return nil
			}
		}
	case *FileInto:
		if !a.Copy {
			e.cancelImplicitKeep()
		}
		for i, old := range e.actions {
			if f, ok := old.(*FileInto); ok && e.sameMailbox(f.Mailbox, a.Mailbox) {
				// RFC 5232 §5: of duplicate stores, the last flags win.
				f.Flags = a.Flags
				f.Copy = f.Copy && a.Copy
				f.Create = f.Create || a.Create
				return nil
			}
			if k, ok := old.(*Keep); ok && e.isKeepMailbox(a.Mailbox) {
				if a.Create {
					// keep does not create its mailbox (RFC 5490 §3.2
					// is fileinto's): the fileinto takes the keep's
					// place, as keep merges into it in the other order.
					a.Copy = false
					e.actions[i] = a
					return nil
				}
				k.Flags = a.Flags
				return nil
			}
		}
	case *Redirect:
		if !a.Copy {
			e.cancelImplicitKeep()
		}
		for _, old := range e.actions {
			if r, ok := old.(*Redirect); ok && strings.EqualFold(r.Address, a.Address) {
				r.Copy = r.Copy && a.Copy
				return nil
			}
		}
		e.redirects++
		if e.redirects > e.s.limits.Redirects {
			return fmt.Errorf("%w: number of redirect actions exceeds policy limit (%d)", ErrLimit, e.s.limits.Redirects)
		}
	case *Reject:
		e.cancelImplicitKeep()
		for _, old := range e.actions {
			switch o := old.(type) {
			case *Reject:
				// RFC 5429 §2.1: only one reject per script result.
				return fmt.Errorf("duplicate reject/ereject action not allowed (previously triggered at %s)", o.Pos)
			case *Keep, *FileInto, *Redirect, *Vacation:
				if cp, ok := o.(*FileInto); ok && cp.Copy {
					continue
				}
				return fmt.Errorf("reject action conflicts with earlier %s action (%s)", o.Kind(), o.Position())
			}
		}
	case *Discard:
		e.cancelImplicitKeep()
		for _, old := range e.actions {
			if _, ok := old.(*Discard); ok {
				return nil
			}
		}
	default:
		if c, ok := a.(interface{ CancelsImplicitKeep() bool }); ok && c.CancelsImplicitKeep() {
			e.cancelImplicitKeep()
		}
	}
	if len(e.actions) >= e.s.limits.Actions {
		return fmt.Errorf("%w: total number of actions exceeds policy limit (%d)", ErrLimit, e.s.limits.Actions)
	}
	e.actions = append(e.actions, a)
	return nil
}

// checkReject refuses a store after a reject (RFC 5429 §2.1).
func (e *exec) checkReject(a Action) error {
	for _, old := range e.actions {
		if r, ok := old.(*Reject); ok {
			return fmt.Errorf("%s action conflicts with earlier %s action (%s)", a.Kind(), r.Kind(), r.Pos)
		}
	}
	return nil
}

// CanonicalMailbox spells the INBOX prefix of a mailbox name in capitals:
// INBOX, and INBOX followed by the hierarchy separator sep ('/' when
// zero), are case-insensitive (RFC 3501 §5.1); other names are not.
func CanonicalMailbox(m string, sep rune) string {
	if sep == 0 {
		sep = '/'
	}
	if len(m) >= 5 && strings.EqualFold(m[:5], "INBOX") && (len(m) == 5 || strings.HasPrefix(m[5:], string(sep))) {
		return "INBOX" + m[5:]
	}
	return m
}

// sameMailbox reports whether two mailbox names of this run name one
// mailbox.
func (e *exec) sameMailbox(a, b string) bool {
	return CanonicalMailbox(a, e.in.Separator) == CanonicalMailbox(b, e.in.Separator)
}

// isKeepMailbox reports whether m is where keep stores.
func (e *exec) isKeepMailbox(m string) bool {
	keep := e.in.KeepMailbox
	if keep == "" {
		keep = "INBOX"
	}
	return e.sameMailbox(m, keep)
}

func (e *exec) cancelImplicitKeep() { e.implicitKeep = false }

func mergeFlags(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, f := range b {
		if !containsFold(out, f) {
			out = append(out, f)
		}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}
