package sieve

import (
	"fmt"
	"strings"
	"time"
)

// Vacation asks the delivery side to send an automatic reply (RFC 5230).
// The engine does not decide whether the reply must be suppressed
// (RFC 5230 §4.5 and RFC 3834: null or automated senders, lists, a reply
// already sent within Period ...): the delivery side does, with Handle,
// Addresses and From as its inputs.
type Vacation struct {
	Pos Pos
	// Reason is the body of the reply: plain text, or a MIME entity
	// (header and body) when Mime is set (RFC 5230 §5.8).
	Reason string
	// Subject is :subject; "" means the delivery side derives one
	// ("Auto: " and the original subject, RFC 5230 §5.1).
	Subject string
	// From is :from as given (checked to be an address); "" means the
	// recipient's own address (RFC 5230 §5.2).
	From string
	// Addresses lists the user's other addresses (:addresses, RFC 5230
	// §4.5): a reply is sent only when one of them, or the recipient,
	// is in To, Cc or Bcc.
	Addresses []string
	Mime      bool
	// Handle identifies the reply for tracking who was answered
	// (RFC 5230 §4.2); when the script gives none it is derived from
	// the reason, subject, from and :mime.
	Handle string
	// Period is how long to wait before replying to the same sender
	// again with the same Handle: :days (RFC 5230 §4.1) or :seconds
	// (RFC 6131), bounded by Limits. Zero means always reply.
	Period time.Duration
	// Fcc, when set, files a copy of the reply (RFC 8580).
	Fcc *Fcc
}

func (a *Vacation) Position() Pos { return a.Pos }
func (a *Vacation) Kind() string  { return "vacation" }

var _ Action = (*Vacation)(nil)

// Default vacation periods (RFC 5230 §4.1 and the bounds REFERENCE
// deployments use).
const (
	DefaultVacationPeriod    = 7 * 24 * time.Hour
	DefaultVacationMinPeriod = 24 * time.Hour
	DefaultVacationMaxPeriod = 60 * 24 * time.Hour
)

var vacationTags = []tagSpec{
	{name: "days", arg: argNumber, conflicts: []string{"seconds"}},
	{name: "subject", arg: argString},
	{name: "from", arg: argString},
	{name: "addresses", arg: argStringList},
	{name: "mime"},
	{name: "handle", arg: argString},
}

// extVacation is RFC 5230 and extVacationSeconds RFC 6131 (the :seconds
// tag). Only one vacation action is allowed in a result (RFC 5230 §4.7
// says implementations SHOULD refuse a second); vacation conflicts with
// reject (RFC 5429 §2.1). The command itself belongs to
// extVacationCommand, which has no capability of its own: either
// capability enables it, since vacation-seconds implies vacation
// (RFC 6131 §2).
var (
	extVacation        = &extension{name: "vacation"}
	extVacationCommand = &extension{
		commands: []*commandSpec{{
			name:       "vacation",
			positional: []argKind{argString},
			tags:       vacationTags,
			check:      checkVacation,
			run:        runVacation,
		}},
	}
	extVacationSeconds = &extension{
		name: "vacation-seconds",
		tags: []*extraTag{{tag: tagSpec{name: "seconds", arg: argNumber, conflicts: []string{"days"}}, on: []string{"vacation"}}},
	}
)

// vacationBounds returns the period bounds of l: zero fields take the
// defaults, negative ones mean no bound.
func vacationBounds(l Limits) (lo, hi time.Duration) {
	lo, hi = l.VacationMinPeriod, l.VacationMaxPeriod
	if lo == 0 {
		lo = DefaultVacationMinPeriod
	}
	if hi == 0 {
		hi = DefaultVacationMaxPeriod
	}
	return max(lo, 0), hi
}

// vacationData is the compiled period of one vacation command.
type vacationData struct {
	period time.Duration
}

func checkVacation(c *checker, n *node) {
	if !c.required["vacation"] && !c.required["vacation-seconds"] {
		c.errorf(n.pos, "command 'vacation' requires the 'vacation' extension (missing require)")
		return
	}
	checkFcc(c, n)
	period := DefaultVacationPeriod
	unit, what := time.Duration(0), ""
	if v, ok := n.tags["days"]; ok {
		unit, what = 24*time.Hour, "days"
		period = time.Duration(v.num) * unit
		if v.num > int64(1<<62/unit) {
			period = 1 << 62
		}
	}
	if v, ok := n.tags["seconds"]; ok {
		unit, what = time.Second, "seconds"
		period = time.Duration(v.num) * unit
		if v.num > int64(1<<62/unit) {
			period = 1 << 62
		}
	}
	lo, hi := vacationBounds(c.limits)
	switch {
	case period < lo:
		if what != "" {
			c.warnf(n.tags[what].pos, "specified :%s value '%d' is under the minimum", what, n.tags[what].num)
		}
		period = lo
	case hi > 0 && period > hi:
		if what != "" {
			c.warnf(n.tags[what].pos, "specified :%s value '%d' is over the maximum", what, n.tags[what].num)
		}
		period = hi
	}
	n.data = &vacationData{period: period}
	if v, ok := n.tags["from"]; ok {
		if s, ok := v.constStrings(); ok {
			if _, err := normalizeAddress(s[0]); err != nil {
				c.errorf(v.pos, "specified :from address '%s' is invalid for vacation action: %v", s[0], err)
			}
		}
	}
	if v, ok := n.tags["addresses"]; ok {
		if list, ok := v.constStrings(); ok {
			for _, a := range list {
				if _, err := normalizeAddress(a); err != nil {
					c.warnf(v.pos, "specified :addresses item '%s' is not a valid address and never matches", a)
				}
			}
		}
	}
}

func runVacation(e *exec, n *node) error {
	a := &Vacation{
		Pos:    n.pos,
		Reason: e.str(n.args[0]),
		Mime:   n.has("mime"),
		Period: n.data.(*vacationData).period,
	}
	a.Subject, _ = e.tagStr(n, "subject")
	if from, ok := e.tagStr(n, "from"); ok {
		if _, err := normalizeAddress(from); err != nil {
			return fmt.Errorf("specified :from address '%s' is invalid for vacation action: %w", from, err)
		}
		a.From = from
	}
	if v, ok := n.tags["addresses"]; ok {
		a.Addresses = e.strs(v)
	}
	if h, ok := e.tagStr(n, "handle"); ok {
		a.Handle = h
	} else {
		a.Handle = defaultVacationHandle(a)
	}
	fcc, err := e.fccOf(n)
	if err != nil {
		return err
	}
	a.Fcc = fcc
	for _, old := range e.actions {
		switch o := old.(type) {
		case *Vacation:
			return fmt.Errorf("duplicate vacation action not allowed (previously triggered at %s)", o.Pos)
		case *Reject:
			// RFC 5429 §2.1: reject already answers the sender.
			return fmt.Errorf("vacation action conflicts with earlier %s action (%s)", o.Kind(), o.Pos)
		}
	}
	return e.addAction(a)
}

// defaultVacationHandle derives a handle from the arguments that shape the
// reply (RFC 5230 §4.2), the way Pigeonhole does so that trackers of both
// agree.
func defaultVacationHandle(a *Vacation) string {
	var b strings.Builder
	b.WriteString(a.Reason)
	if a.Subject != "" {
		b.WriteString(a.Subject)
	} else {
		b.WriteString("<default-subject>")
	}
	if a.From != "" {
		b.WriteString(a.From)
	} else {
		b.WriteString("<default-from>")
	}
	if a.Mime {
		b.WriteString("<MIME>")
	} else {
		b.WriteString("<NO-MIME>")
	}
	return b.String()
}
