package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/sieve"
)

// writeText prints the actions the way sieve-test does, with the script
// and line of the command behind each one.
func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "\nPerformed actions:\n\n")
	if len(r.actions) == 0 {
		fmt.Fprintf(w, "  (none)\n")
	}
	for _, a := range r.actions {
		writeAction(w, a)
	}
	fmt.Fprintf(w, "\nImplicit keep:\n\n")
	if !r.implicitKeep {
		fmt.Fprintf(w, "  (none)\n")
		return
	}
	fmt.Fprintf(w, " * store message in folder: INBOX\n")
	if len(r.keepFlags) > 0 {
		fmt.Fprintf(w, "        + add IMAP flags: %s\n", strings.Join(r.keepFlags, " "))
	}
}

func writeAction(w io.Writer, pa placedAction) {
	at := fmt.Sprintf("  (%s:%d)", pa.script, pa.Position().Line)
	flags := func(f []string) {
		if len(f) > 0 {
			fmt.Fprintf(w, "        + add IMAP flags: %s\n", strings.Join(f, " "))
		}
	}
	fcc := func(f *sieve.Fcc) {
		if f != nil {
			fmt.Fprintf(w, "    => fcc     : %s\n", f.Mailbox)
		}
	}
	switch a := pa.Action.(type) {
	case *sieve.Keep:
		fmt.Fprintf(w, " * store message in folder: INBOX%s\n", at)
		flags(a.Flags)
	case *sieve.FileInto:
		fmt.Fprintf(w, " * store message in folder: %s%s\n", a.Mailbox, at)
		flags(a.Flags)
		if a.Create {
			fmt.Fprintf(w, "        + create mailbox if it does not exist\n")
		}
		if a.SpecialUse != "" {
			fmt.Fprintf(w, "        + prefer the mailbox with special use %s\n", a.SpecialUse)
		}
		if a.MailboxID != "" {
			fmt.Fprintf(w, "        + prefer the mailbox with id %s\n", a.MailboxID)
		}
		if a.Copy {
			fmt.Fprintf(w, "        + preserve implicit keep\n")
		}
	case *sieve.Redirect:
		fmt.Fprintf(w, " * redirect message to: <%s>%s\n", a.Address, at)
		if a.Copy {
			fmt.Fprintf(w, "        + preserve implicit keep\n")
		}
	case *sieve.Reject:
		what := "reject"
		if a.Extended {
			what = "ereject"
		}
		fmt.Fprintf(w, " * %s message with reason: %s%s\n", what, a.Reason, at)
	case *sieve.Discard:
		fmt.Fprintf(w, " * discard%s\n", at)
	case *sieve.Vacation:
		fmt.Fprintf(w, " * send vacation message:%s\n", at)
		fmt.Fprintf(w, "    => seconds : %d\n", int64(a.Period/time.Second))
		if a.Subject != "" {
			fmt.Fprintf(w, "    => subject : %s\n", a.Subject)
		}
		if a.From != "" {
			fmt.Fprintf(w, "    => from    : %s\n", a.From)
		}
		fmt.Fprintf(w, "    => handle  : %s\n", a.Handle)
		if a.Mime {
			fmt.Fprintf(w, "    => mime    : yes\n")
		}
		fcc(a.Fcc)
		fmt.Fprintf(w, "\nSTART MESSAGE\n%s\nEND MESSAGE\n", a.Reason)
	case *sieve.Notify:
		fmt.Fprintf(w, " * send notification with method '%s':%s\n", a.Method, at)
		fmt.Fprintf(w, "    => importance   : %d\n", cmpOr(a.Importance, 2))
		if a.Message != "" {
			fmt.Fprintf(w, "    => message      : %s\n", a.Message)
		}
		if a.From != "" {
			fmt.Fprintf(w, "    => from         : %s\n", a.From)
		}
		for _, o := range a.Options {
			fmt.Fprintf(w, "    => option       : %s\n", o)
		}
		fcc(a.Fcc)
	default:
		fmt.Fprintf(w, " * %s%s\n", pa.Kind(), at)
	}
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// The JSON form of "sluice test --json"; the field order is the
// documented one.
type (
	jsonReport struct {
		Actions []any  `json:"actions"`
		Errors  []diag `json:"errors"`
	}
	jsonFileInto struct {
		Action  string   `json:"action"`
		Mailbox string   `json:"mailbox"`
		Flags   []string `json:"flags"`
		Copy    bool     `json:"copy"`
		Create  bool     `json:"create"`
		Line    int      `json:"line"`
		Script  string   `json:"script"`
	}
	jsonRedirect struct {
		Action  string `json:"action"`
		Address string `json:"address"`
		Copy    bool   `json:"copy"`
		Line    int    `json:"line"`
		Script  string `json:"script"`
	}
	jsonReject struct {
		Action string `json:"action"`
		Reason string `json:"reason"`
		Line   int    `json:"line"`
		Script string `json:"script"`
	}
	jsonVacation struct {
		Action  string `json:"action"`
		To      string `json:"to"`
		From    string `json:"from"`
		Subject string `json:"subject"`
		Reason  string `json:"reason"`
		Days    *int64 `json:"days"`
		Seconds *int64 `json:"seconds"`
		Handle  string `json:"handle"`
		Mime    bool   `json:"mime"`
		Line    int    `json:"line"`
		Script  string `json:"script"`
	}
	jsonNotify struct {
		Action  string `json:"action"`
		Method  string `json:"method"`
		Message string `json:"message"`
		Line    int    `json:"line"`
		Script  string `json:"script"`
	}
	jsonPlain struct {
		Action string `json:"action"`
		Line   int    `json:"line"`
		Script string `json:"script"`
	}
	jsonKeep struct {
		Action   string   `json:"action"`
		Flags    []string `json:"flags"`
		Implicit bool     `json:"implicit"`
		Line     int      `json:"line,omitempty"`
		Script   string   `json:"script,omitempty"`
	}
)

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (r *report) json() jsonReport {
	out := jsonReport{Actions: []any{}, Errors: []diag{}}
	for _, pa := range r.actions {
		line, script := pa.Position().Line, pa.script
		switch a := pa.Action.(type) {
		case *sieve.Keep:
			out.Actions = append(out.Actions, jsonKeep{"keep", nonNil(a.Flags), false, line, script})
		case *sieve.FileInto:
			out.Actions = append(out.Actions, jsonFileInto{"fileinto", a.Mailbox, nonNil(a.Flags), a.Copy, a.Create, line, script})
		case *sieve.Redirect:
			out.Actions = append(out.Actions, jsonRedirect{"redirect", a.Address, a.Copy, line, script})
		case *sieve.Reject:
			out.Actions = append(out.Actions, jsonReject{a.Kind(), a.Reason, line, script})
		case *sieve.Vacation:
			v := jsonVacation{Action: "vacation", To: r.sender, From: a.From, Subject: a.Subject, Reason: a.Reason,
				Handle: a.Handle, Mime: a.Mime, Line: line, Script: script}
			if a.Period%(24*time.Hour) == 0 {
				d := int64(a.Period / (24 * time.Hour))
				v.Days = &d
			} else {
				s := int64(a.Period / time.Second)
				v.Seconds = &s
			}
			out.Actions = append(out.Actions, v)
		case *sieve.Notify:
			out.Actions = append(out.Actions, jsonNotify{"notify", a.Method, a.Message, line, script})
		default:
			out.Actions = append(out.Actions, jsonPlain{pa.Kind(), line, script})
		}
	}
	if r.implicitKeep {
		out.Actions = append(out.Actions, jsonKeep{Action: "keep", Flags: nonNil(r.keepFlags), Implicit: true})
	}
	out.Errors = append(out.Errors, r.errors...)
	return out
}
