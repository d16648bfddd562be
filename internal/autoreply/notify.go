package autoreply

import (
	"fmt"
	"net/mail"
	"strings"
)

// Notify holds the arguments of a Sieve notify action with a mailto:
// method (RFC 5435 §3, RFC 5436).
type Notify struct {
	// Method is the mailto: URI.
	Method string
	// From is :from (RFC 5436 §2.3); empty means the recipient's address.
	From string
	// Importance is :importance, 1 (high), 2 (normal) or 3 (low); 0 is 2.
	Importance int
	// Message is :message (RFC 5435 §3.5), used as the Subject.
	Message string
	// Options is :options; RFC 5436 §2.5 defines none for mailto, so they
	// are accepted and ignored.
	Options []string
}

// importanceFields maps :importance to the X-Priority and Importance fields
// mail readers show (RFC 5436 §2.4 lets the implementation choose; these
// are Dovecot's).
var importanceFields = map[int][2]string{
	1: {"1 (Highest)", "High"},
	2: {"3 (Normal)", "Normal"},
	3: {"5 (Lowest)", "Low"},
}

// BuildNotification builds the e-mail notification of a notify action
// (RFC 5436). It goes to every recipient of the URI in one message, with
// the envelope sender opts.ReturnPath (null by default), and carries
// "Auto-Submitted: auto-notified" with the owner's address (RFC 5436 §2.7,
// §3). The Subject is :message, else the URI's subject, else "Notification:"
// and the original subject. The body is the URI's body, else a short
// summary of the original.
//
// It does not check whether a notification is allowed: call ShouldNotify.
func BuildNotification(o *Original, n Notify, opts BuildOptions) (Outgoing, error) {
	u, err := ParseMailto(n.Method)
	if err != nil {
		return Outgoing{}, err
	}
	rcpts := u.Recipients()
	if len(rcpts) == 0 {
		return Outgoing{}, ErrNoNotifyRecipients
	}
	imp, ok := importanceFields[n.Importance]
	if n.Importance == 0 {
		imp, ok = importanceFields[2], true
	}
	if !ok {
		return Outgoing{}, fmt.Errorf("autoreply: :importance %d is not 1, 2 or 3", n.Importance)
	}
	out := Outgoing{MailFrom: bareAddress(opts.ReturnPath), RcptTo: rcpts}

	owner := o.EnvelopeTo
	from := ""
	if owner != "" {
		from = formatAddress(&mail.Address{Address: owner})
	}
	if n.From != "" {
		a, err := parseMailbox(n.From)
		if err != nil {
			// RFC 5436 §2.3: an invalid :from is an error at run time;
			// fall back to the owner rather than drop the notification.
			out.Warnings = append(out.Warnings, fmt.Errorf("%w %q: %w; using %s", ErrInvalidFrom, oneLine(n.From), err, owner))
		} else {
			from = formatGiven(n.From, a)
		}
	}
	if from == "" {
		return Outgoing{}, ErrNoRecipient
	}

	subject := oneLine(n.Message)
	if subject == "" {
		subject = u.Subject
	}
	if subject == "" {
		subject = "Notification: (no subject)"
		if o.Subject != "" {
			subject = "Notification: " + oneLine(o.Subject)
		}
	}
	subject = truncateRunes(subject, opts.maxSubject())

	var m msgBuilder
	// Pigeonhole names itself in an X-Sieve field; sluice does the same
	// so that a loop or a complaint can be traced to the filter.
	m.field("X-Sieve", opts.xSieve())
	m.field("From", from)
	if len(u.To) > 0 {
		m.field("To", formatList(u.To))
	}
	if len(u.Cc) > 0 {
		m.field("Cc", formatList(u.Cc))
	}
	m.field("Subject", encodeText(subject))
	m.field("Date", date(opts.now()))
	m.field("Message-ID", "<"+opts.newID()+"@"+opts.hostname()+">")
	m.field("Auto-Submitted", "auto-notified; owner-email="+quoteString(owner))
	m.field("Precedence", "bulk")
	m.field("X-Priority", imp[0])
	m.field("Importance", imp[1])
	for _, h := range u.Headers {
		if strings.EqualFold(h.Name, "Reply-To") {
			l, err := mail.ParseAddressList(h.Value)
			if err != nil {
				out.Warnings = append(out.Warnings, fmt.Errorf("autoreply: ignored invalid Reply-To from notify URI: %w", err))
				continue
			}
			m.field(h.Name, formatList(l))
			continue
		}
		m.field(h.Name, encodeText(oneLine(h.Value)))
	}
	m.field("MIME-Version", "1.0")
	body := u.Body
	if body == "" {
		body = o.summary()
	}
	cte, b := textBody(body, opts.SevenBit)
	m.field("Content-Type", "text/plain; charset=utf-8")
	m.field("Content-Transfer-Encoding", cte)
	m.body(b)
	out.Data = m.buf.Bytes()
	return out, nil
}

// quoteString makes an RFC 5322 quoted-string of s.
func quoteString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(oneLine(s)) + `"`
}

func formatList(l []*mail.Address) string {
	s := make([]string, len(l))
	for i, a := range l {
		s[i] = formatAddress(a)
	}
	return strings.Join(s, ", ")
}

// summary is the default notification body: who sent what to whom.
func (o *Original) summary() string {
	var b strings.Builder
	b.WriteString("Notification of new message.\n")
	if v := o.Header.Get("From"); v != "" {
		b.WriteString("From: " + oneLine(decodeHeader(v)) + "\n")
	}
	b.WriteString("To: " + o.EnvelopeTo + "\n")
	if o.Subject != "" {
		b.WriteString("Subject: " + oneLine(o.Subject) + "\n")
	}
	return b.String()
}
