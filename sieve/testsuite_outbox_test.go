package sieve

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/autoreply"
)

// The outgoing side of the conformance harness: what test_result_execute
// "sends" for redirect, reject, vacation and notify lands in the suite's
// outbox, where test_message :smtp N reads it. Replies are built with
// internal/autoreply, the builders the delivery agent uses, so the suite's
// checks of reply headers test sluice's real messages. The envelope
// choices follow the Pigeonhole settings the suite sets with
// test_config_set (sieve_redirect_envelope_from, sieve_user_email ...).

// fixedNow dates every built message, so runs are reproducible.
func fixedNow() time.Time { return time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC) }

func (s *suite) buildOptions() autoreply.BuildOptions {
	bo := autoreply.BuildOptions{Now: fixedNow, Hostname: "sluice.example.net", NewID: func() string { return "testsuite" }}
	if n := s.configInt("sieve_vacation_max_subject_codepoints"); n > 0 {
		bo.MaxSubjectRunes = n
	}
	bo.DefaultSubject = s.config["sieve_vacation_default_subject"]
	bo.DefaultSubjectTemplate = s.config["sieve_vacation_default_subject_template"]
	bo.ToHeaderIgnoreEnvelope = s.configBool("sieve_vacation_to_header_ignore_envelope")
	return bo
}

// userEmail is sieve_user_email, else the envelope recipient.
func (s *suite) userEmail() string {
	if u := strings.TrimSpace(s.config["sieve_user_email"]); u != "" {
		return u
	}
	return s.env.Recipient
}

// queue adds one outbox message per envelope recipient, as an SMTP
// submission with several RCPT TO would be stored once per recipient.
func (s *suite) queue(from string, rcpts []string, data []byte) {
	for _, r := range rcpts {
		s.outbox = append(s.outbox, stored{msg: data, env: StaticEnvelope{Sender: from, Recipient: r}})
	}
}

// envelopeFrom resolves a Pigeonhole envelope-sender setting ("sender",
// "recipient", "orig_recipient", "user_email", "<address>"); def is used
// when the setting is empty.
func (s *suite) envelopeFrom(setting, def string) string {
	switch v := strings.ToLower(strings.TrimSpace(setting)); {
	case v == "":
		return def
	case v == "sender":
		return s.env.Sender
	case v == "recipient":
		return s.env.Recipient
	case v == "orig_recipient":
		if s.env.Original != "" {
			return s.env.Original
		}
		return s.env.Recipient
	case v == "user_email":
		return s.userEmail()
	case strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">"):
		return strings.TrimSpace(setting)[1 : len(strings.TrimSpace(setting))-1]
	}
	return def
}

// sendRedirect forwards the message with an X-Sieve-Redirected-From
// field, refusing to forward a message that already carries ours, with
// the user's address or the final recipient (a loop).
func (s *suite) sendRedirect(a *Redirect, raw []byte) {
	self := s.userEmail()
	for _, v := range s.msg.Header("X-Sieve-Redirected-From") {
		v = strings.TrimSpace(v)
		if strings.EqualFold(v, self) || strings.EqualFold(v, s.env.Recipient) {
			return
		}
	}
	from := s.env.Sender
	if from != "" {
		from = s.envelopeFrom(s.config["sieve_redirect_envelope_from"], s.env.Sender)
	}
	hdr := "X-Sieve-Redirected-From: " + self + "\r\n"
	s.queue(from, []string{a.Address}, append([]byte(hdr), raw...))
}

func (s *suite) original(raw []byte) (*autoreply.Original, error) {
	return autoreply.NewOriginal(raw, s.env.Sender, s.env.Recipient)
}

// sendReject returns a rejection notice to the sender.
func (s *suite) sendReject(a *Reject, raw []byte) error {
	o, err := s.original(raw)
	if err != nil {
		return err
	}
	out, err := autoreply.BuildRejection(o, a.Reason, s.buildOptions())
	if err != nil {
		return nil // null sender: no notice
	}
	s.queue(out.MailFrom, out.RcptTo, out.Data)
	return nil
}

// sendVacation answers the sender unless the suppression rules forbid it.
func (s *suite) sendVacation(a *Vacation, raw []byte) error {
	o, err := s.original(raw)
	if err != nil {
		return err
	}
	addrs := append([]string{s.userEmail()}, a.Addresses...)
	if s.configBool("sieve_vacation_use_original_recipient") && s.env.Original != "" {
		addrs = append(addrs, s.env.Original)
	}
	pol := autoreply.DefaultPolicy(addrs...)
	pol.CheckRecipient = !s.configBool("sieve_vacation_dont_check_recipient")
	pol.DetailSeparators = s.config["recipient_delimiter"]
	if ok, _ := o.ShouldAutoReply(pol); !ok {
		return nil
	}
	bo := s.buildOptions()
	if s.configBool("sieve_vacation_send_from_recipient") {
		bo.ReturnPath = s.env.Recipient
	}
	out, err := autoreply.BuildVacation(o, autoreply.Vacation{
		Reason: a.Reason, Subject: a.Subject, From: a.From, Addresses: addrs,
		Mime: a.Mime, Handle: a.Handle, Seconds: int(a.Period / time.Second),
	}, bo)
	if err != nil {
		return fmt.Errorf("vacation: %w", err)
	}
	s.queue(out.MailFrom, out.RcptTo, out.Data)
	return nil
}

// sendNotify sends a mailto notification (RFC 5436). Its envelope sender
// is sieve_notify_mailto_envelope_from, else :from, else the postmaster.
func (s *suite) sendNotify(a *Notify, raw []byte) error {
	o, err := s.original(raw)
	if err != nil {
		return err
	}
	if ok, _ := o.ShouldNotify(); !ok {
		return nil
	}
	out, err := autoreply.BuildNotification(o, autoreply.Notify{
		Method: a.Method, From: a.From, Importance: a.Importance, Message: a.Message, Options: a.Options,
	}, s.buildOptions())
	if err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	from := ""
	if s.env.Sender != "" {
		def := "postmaster@example.net"
		if a.From != "" {
			def = bareAddr(a.From)
		}
		from = s.envelopeFrom(s.config["sieve_notify_mailto_envelope_from"], def)
	}
	s.queue(from, out.RcptTo, out.Data)
	return nil
}

// bareAddr takes the address out of "Name <addr>".
func bareAddr(s string) string {
	if i := strings.LastIndexByte(s, '<'); i >= 0 {
		if j := strings.IndexByte(s[i:], '>'); j > 0 {
			return s[i+1 : i+j]
		}
	}
	return strings.TrimSpace(s)
}

func (s *suite) configBool(key string) bool {
	switch strings.ToLower(strings.TrimSpace(s.config[key])) {
	case "yes", "true", "1":
		return true
	}
	return false
}

// runResult records what a result of test_script_run did to the message.
func (s *suite) runResult(res *Result) {
	if s.edits == nil {
		s.edits = map[Action]*HeaderEdits{}
	}
	for _, a := range res.Actions {
		s.edits[a] = res.EditsFor(a)
	}
	s.keepEdits = res.HeaderEdits
	if res.Message != nil {
		s.replaced = res.Message
	}
}

// messageFor is the message an executed action stores or sends, nil a
// for the implicit keep: the suite's message, or the one replace or
// enclose made, with the header edits made before the action (RFC 5293)
// by a script run with test_script_run or by the running block itself.
func (s *suite) messageFor(e *exec, a Action) []byte {
	hdr, body := messageParts(s.msg)
	if b := s.replaced; b != nil {
		hdr, body = splitRaw(b)
	} else if b := e.replacement(); b != nil {
		hdr, body = splitRaw(b)
	}
	var h *HeaderEdits
	if x, ok := s.edits[a]; ok && a != nil {
		h = x
	} else if x, ok := e.actionEdits()[a]; ok && a != nil {
		h = x
	} else if a == nil && s.keepEdits != nil {
		h = s.keepEdits
	} else {
		h = e.currentEdits()
	}
	out := append([]byte(nil), h.Apply(hdr)...)
	out = append(out, "\r\n"...)
	return append(out, body...)
}

// messageParts returns the raw header (its lines with their line endings)
// and the body of a parsed message.
func messageParts(m Message) (hdr, body []byte) {
	p, ok := m.(*parsedMessage)
	if !ok {
		return nil, nil
	}
	body, _ = io.ReadAll(p.m.Body())
	return p.m.RawHeader(), body
}

// splitRaw cuts a whole message at the empty line that ends its header.
func splitRaw(b []byte) (hdr, body []byte) {
	for _, sep := range []string{"\r\n\r\n", "\n\n"} {
		if i := bytes.Index(b, []byte(sep)); i >= 0 {
			return b[:i+len(sep)/2], b[i+len(sep):]
		}
	}
	return b, nil
}
