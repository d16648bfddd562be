package autoreply

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// Vacation holds the arguments of a Sieve vacation action (RFC 5230 §4,
// RFC 6131).
type Vacation struct {
	// Reason is the body of the reply; with Mime, a whole MIME entity.
	Reason string
	// Subject is :subject; empty means "Auto: " and the original subject
	// (RFC 5230 §4.5), or what BuildOptions.DefaultSubject and
	// DefaultSubjectTemplate say.
	Subject string
	// From is :from, a mailbox such as "Name <addr>"; empty means the
	// user's address that the original was sent to.
	From string
	// Addresses is :addresses, the user's other addresses (RFC 5230 §4.3).
	Addresses []string
	// Mime is :mime: Reason starts with MIME header fields (RFC 5230 §4.8).
	Mime bool
	// Handle is :handle (RFC 5230 §4.2).
	Handle string
	// Days is :days and Seconds is :seconds (RFC 6131); when both are
	// zero the period is 7 days. Seconds wins when set.
	Days    int
	Seconds int
}

// Period returns how long to remember a reply to one sender (RFC 5230 §4.1,
// RFC 6131 §2), clamped to [min, max] when they are positive.
func (v Vacation) Period(min, max time.Duration) time.Duration {
	d := 7 * 24 * time.Hour
	switch {
	case v.Seconds > 0:
		d = time.Duration(v.Seconds) * time.Second
	case v.Days > 0:
		d = time.Duration(v.Days) * 24 * time.Hour
	}
	if min > 0 && d < min {
		d = min
	}
	if max > 0 && d > max {
		d = max
	}
	return d
}

// Key returns the handle under which replies are remembered: :handle when
// given, otherwise a digest of the arguments that make one vacation action
// differ from another (RFC 5230 §4.2: the same reason, subject, from, mime
// and addresses is the same vacation).
func (v Vacation) Key() string {
	if v.Handle != "" {
		return v.Handle
	}
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %t %q", v.Reason, v.Subject, v.From, v.Mime, v.Addresses)
	return "auto:" + hex.EncodeToString(h.Sum(nil)[:16])
}

// BuildVacation builds the reply for a vacation action. It does not apply
// the suppression rules: call ShouldAutoReply first.
//
// The reply goes to the envelope sender, not to Reply-To (RFC 5230 §4.4,
// RFC 3834 §4), and carries In-Reply-To and References (RFC 5322 §3.6.4),
// "Auto-Submitted: auto-replied (vacation)" (RFC 3834 §5) and, as Dovecot
// does, "Precedence: bulk" for old list software.
func BuildVacation(o *Original, v Vacation, opts BuildOptions) (Outgoing, error) {
	if o.EnvelopeFrom == "" {
		return Outgoing{}, ErrNullSender
	}
	if o.EnvelopeTo == "" {
		return Outgoing{}, ErrNoRecipient
	}
	out := Outgoing{MailFrom: bareAddress(opts.ReturnPath), RcptTo: []string{o.EnvelopeFrom}}

	from := formatAddress(o.replyFrom(v))
	if v.From != "" {
		a, err := parseMailbox(v.From)
		if err != nil {
			out.Warnings = append(out.Warnings, fmt.Errorf("%w %q: %w; using %s", ErrInvalidFrom, oneLine(v.From), err, from))
		} else {
			from = formatGiven(v.From, a)
		}
	}

	subject := decodeHeader(oneLine(v.Subject))
	if subject == "" {
		subject = o.defaultSubject(opts)
	}
	subject = truncateRunes(oneLine(subject), opts.maxSubject())

	to := o.senderMailbox()
	if opts.ToHeaderIgnoreEnvelope {
		to = o.headerSender(to)
	}

	var m msgBuilder
	m.field("From", from)
	m.field("To", formatAddress(to))
	m.field("Subject", encodeText(subject))
	m.field("Date", date(opts.now()))
	m.field("Message-ID", "<"+opts.newID()+"@"+opts.hostname()+">")
	if o.MessageID != "" {
		m.field("In-Reply-To", o.MessageID)
	}
	if refs := o.references(); len(refs) > 0 {
		m.field("References", strings.Join(refs, " "))
	}
	m.field("Auto-Submitted", "auto-replied (vacation)")
	m.field("Precedence", "bulk")
	m.field("MIME-Version", "1.0")
	if v.Mime {
		if err := mimeReason(&m, v.Reason); err != nil {
			return Outgoing{}, err
		}
	} else {
		cte, body := textBody(v.Reason, opts.SevenBit)
		m.field("Content-Type", "text/plain; charset=utf-8")
		m.field("Content-Transfer-Encoding", cte)
		m.body(body)
	}
	out.Data = m.buf.Bytes()
	return out, nil
}

// defaultSubject is the Subject of a reply without :subject: as in
// Pigeonhole, DefaultSubject (else "Automated reply") when the original has
// no subject, else DefaultSubjectTemplate (else "Auto: %$") filled in.
func (o *Original) defaultSubject(opts BuildOptions) string {
	if o.Subject == "" {
		if opts.DefaultSubject != "" {
			return opts.DefaultSubject
		}
		return "Automated reply"
	}
	tmpl := opts.DefaultSubjectTemplate
	if tmpl == "" {
		tmpl = "Auto: %$"
	}
	return expandSubject(tmpl, oneLine(o.Subject))
}

// expandSubject fills in a subject template: "%$" and "%{subject}" are the
// original subject, "%%" is "%"; any other "%" is kept as it is.
func expandSubject(tmpl, subject string) string {
	var b strings.Builder
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c != '%' || i+1 == len(tmpl) {
			b.WriteByte(c)
			continue
		}
		switch rest := tmpl[i+1:]; {
		case rest[0] == '$':
			b.WriteString(subject)
			i++
		case rest[0] == '%':
			b.WriteByte('%')
			i++
		case strings.HasPrefix(rest, "{subject}"):
			b.WriteString(subject)
			i += len("{subject}")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// senderHeaders are the fields whose first address a reply's To names
// when the envelope is ignored, in Pigeonhole's order.
var senderHeaders = []string{"Sender", "Resent-From", "From"}

// headerSender returns the first valid address of the first of the
// Sender, Resent-From and From fields that has one, with its display
// name; def when none has.
func (o *Original) headerSender(def *mail.Address) *mail.Address {
	for _, h := range senderHeaders {
		v := o.Header.Get(h)
		if v == "" {
			continue
		}
		for _, a := range parseAddressList(v) {
			if validAddrSpec(a.Address) {
				return a
			}
		}
	}
	return def
}

// replyFrom picks the default From of a reply: the first of the user's
// addresses found in the recipient fields (so a reply to mail sent to an
// alias comes from that alias, as in Pigeonhole), else the recipient.
func (o *Original) replyFrom(v Vacation) *mail.Address {
	p := Policy{UserAddresses: v.Addresses}
	if a, ok := o.addressedTo(p.matcher(), p); ok {
		return &mail.Address{Address: a}
	}
	return &mail.Address{Address: o.EnvelopeTo}
}

// senderMailbox returns the envelope sender as a mailbox, with the display
// name of the From or Sender field that carries the same address.
func (o *Original) senderMailbox() *mail.Address {
	var m addressMatcher
	for _, h := range []string{"From", "Sender"} {
		for _, v := range o.values(h) {
			for _, a := range parseAddressList(v) {
				if m.same(a.Address, o.EnvelopeFrom) {
					return &mail.Address{Name: a.Name, Address: o.EnvelopeFrom}
				}
			}
		}
	}
	return &mail.Address{Address: o.EnvelopeFrom}
}

// references returns the References of a reply (RFC 5322 §3.6.4): the
// parent's References, or its single In-Reply-To when it has none, followed
// by the parent's Message-ID.
func (o *Original) references() []string {
	var refs []string
	for _, v := range o.values("References") {
		refs = append(refs, msgIDs(v)...)
	}
	if len(refs) == 0 {
		if irt := msgIDs(strings.Join(o.values("In-Reply-To"), " ")); len(irt) == 1 {
			refs = irt
		}
	}
	if o.MessageID != "" {
		refs = append(refs, o.MessageID)
	}
	// Keep the thread's root and the most recent ids: a reply to a
	// message with a huge References field need not repeat all of it.
	if len(refs) > maxReferences {
		refs = append(refs[:1], refs[len(refs)-maxReferences+1:]...)
	}
	return refs
}

// maxReferences bounds the ids in the References of a reply.
const maxReferences = 50

// mimeReason writes a :mime reason (RFC 5230 §4.8): a MIME entity whose
// header holds the Content-* fields of the reply's body. Other fields in it
// are dropped so that a script cannot forge From, To or the like.
func mimeReason(m *msgBuilder, reason string) error {
	raw := crlf([]byte(reason))
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidMIME, err)
	}
	_, body := splitHeader(raw)
	if !h.Has("Content-Type") {
		// RFC 2045 §5.2: without Content-Type the entity is plain US-ASCII
		// text; say so rather than leave it implicit.
		m.field("Content-Type", "text/plain; charset=us-ascii")
	}
	fs := h.Fields()
	var kept [][2]string
	for fs.Next() {
		if strings.HasPrefix(strings.ToLower(fs.Key()), "content-") {
			kept = append(kept, [2]string{fs.Key(), fs.Value()})
		}
	}
	for _, f := range kept {
		m.field(f[0], f[1])
	}
	cte := strings.ToLower(keyword(h.Get("Content-Transfer-Encoding")))
	if cte != "base64" && cte != "quoted-printable" {
		for _, line := range bytes.Split(body, []byte("\r\n")) {
			if len(line) > 998 {
				return fmt.Errorf("%w: line longer than 998 octets without a transfer encoding", ErrInvalidMIME)
			}
		}
	}
	if len(body) > 0 && !bytes.HasSuffix(body, []byte("\r\n")) {
		body = append(body, '\r', '\n')
	}
	m.body(body)
	return nil
}
