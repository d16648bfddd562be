package autoreply

import (
	"bytes"
	"net/mail"
)

// BuildRejection builds the rejection notice of a Sieve reject action
// (RFC 5429 §2.1.1): a message disposition notification (RFC 8098) of type
// multipart/report with a human-readable part giving reason, a
// message/disposition-notification part ("automatic-action/
// MDN-sent-automatically; deleted") and the original's header
// (text/rfc822-headers) or, with IncludeFullMessage, the whole original
// (message/rfc822). Its layout follows Dovecot's, so users see the same
// notice.
//
// It goes to the envelope sender from the null reverse-path, whatever
// opts.ReturnPath says (RFC 5429 §2.1.1, RFC 3834 §3.3); a message whose
// sender is null gets no notice: ErrNullSender.
func BuildRejection(o *Original, reason string, opts BuildOptions) (Outgoing, error) {
	if o.EnvelopeFrom == "" {
		return Outgoing{}, ErrNullSender
	}
	if o.EnvelopeTo == "" {
		return Outgoing{}, ErrNoRecipient
	}
	id := opts.newID()
	boundary := "sluice-" + id + "=_"
	postmaster := opts.Postmaster
	if postmaster == "" {
		_, domain, _ := splitAddress(o.EnvelopeTo)
		if domain == "" {
			domain = opts.hostname()
		}
		postmaster = "postmaster@" + domain
	}
	subject := "Rejected: (no subject)"
	if o.Subject != "" {
		subject = truncateRunes("Rejected: "+oneLine(o.Subject), opts.maxSubject())
	}

	var m msgBuilder
	m.field("From", formatAddress(&mail.Address{Name: "Postmaster", Address: bareAddress(postmaster)}))
	m.field("To", formatAddress(o.senderMailbox()))
	m.field("Subject", encodeText(subject))
	m.field("Date", date(opts.now()))
	m.field("Message-ID", "<"+id+"@"+opts.hostname()+">")
	if o.MessageID != "" {
		m.field("In-Reply-To", o.MessageID)
		m.field("References", o.MessageID)
	}
	m.field("Auto-Submitted", "auto-replied (rejected)")
	m.field("Precedence", "bulk")
	m.field("MIME-Version", "1.0")
	m.field("Content-Type", `multipart/report; report-type=disposition-notification; boundary="`+boundary+`"`)

	var b bytes.Buffer
	b.WriteString("This is a MIME-encapsulated message.\r\n\r\n")

	// Human-readable part (RFC 8098 §3).
	cte, text := textBody("Your message to <"+o.EnvelopeTo+"> was automatically rejected:\n"+reason, opts.SevenBit)
	b.WriteString("--" + boundary + "\r\n")
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	b.WriteString("Content-Disposition: inline\r\n")
	b.WriteString("Content-Transfer-Encoding: " + cte + "\r\n\r\n")
	b.Write(text)

	// Machine-readable part (RFC 8098 §3.2).
	b.WriteString("\r\n--" + boundary + "\r\n")
	b.WriteString("Content-Type: message/disposition-notification\r\n\r\n")
	var dn msgBuilder
	dn.field("Reporting-UA", opts.hostname()+"; "+opts.userAgent())
	dn.field("Final-Recipient", "rfc822; "+o.EnvelopeTo)
	if o.MessageID != "" {
		dn.field("Original-Message-ID", o.MessageID)
	}
	// RFC 5429 §2.1.1: the disposition of a rejected message.
	dn.field("Disposition", "automatic-action/MDN-sent-automatically; deleted")
	b.Write(dn.buf.Bytes())

	// The original (RFC 8098 §3: third part optional, header or message).
	b.WriteString("\r\n--" + boundary + "\r\n")
	header := foldLongLines(crlf(o.rawHeader))
	if len(header) > 0 && !bytes.HasSuffix(header, []byte("\r\n")) {
		header = append(header, '\r', '\n')
	}
	if opts.IncludeFullMessage && len(o.rawBody) > 0 && !hasLongLine(crlf(o.rawBody)) {
		b.WriteString("Content-Type: message/rfc822\r\n\r\n")
		b.Write(header)
		b.WriteString("\r\n")
		body := crlf(o.rawBody)
		b.Write(body)
		if len(body) > 0 && !bytes.HasSuffix(body, []byte("\r\n")) {
			b.WriteString("\r\n")
		}
	} else {
		// Also when the body has lines too long to pass on unchanged.
		b.WriteString("Content-Type: text/rfc822-headers\r\n\r\n")
		b.Write(header)
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	m.body(b.Bytes())

	return Outgoing{MailFrom: "", RcptTo: []string{o.EnvelopeFrom}, Data: m.buf.Bytes()}, nil
}

// hasLongLine reports whether a CRLF text has a line over 998 octets.
func hasLongLine(b []byte) bool {
	for _, line := range bytes.Split(b, []byte("\r\n")) {
		if len(line) > 998 {
			return true
		}
	}
	return false
}

// foldLongLines breaks header lines over 998 octets (RFC 5322 §2.1.1) with
// CRLF and a space, so that a copied header that arrived malformed does not
// make the notice malformed too.
func foldLongLines(b []byte) []byte {
	if !hasLongLine(b) {
		return b
	}
	var out bytes.Buffer
	for i, line := range bytes.Split(b, []byte("\r\n")) {
		if i > 0 {
			out.WriteString("\r\n")
		}
		limit := 998
		for len(line) > limit {
			out.Write(line[:maxWord])
			out.WriteString("\r\n ")
			line = line[maxWord:]
			limit = 997 // a continuation line starts with the space
		}
		out.Write(line)
	}
	return out.Bytes()
}
