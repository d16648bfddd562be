package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
	"github.com/emersion/go-smtp"

	"github.com/sluice-mail/sluice/internal/metrics"
)

// deliverOne hands one recipient's copy to the agent and returns the reply
// for it. It touches no shared state but the read-only spool, so the
// recipients of a transaction could be delivered in parallel.
func (s *session) deliverOne(tx *transaction, e *rcptEntry, sp *Spool, hdr textproto.Header) *smtp.SMTPError {
	now := s.srv.opts.Now()
	tr := trace{
		sender:   tx.from,
		rcpt:     e.addr,
		lhlo:     s.lhlo,
		remote:   s.remote,
		hostname: s.srv.opts.Hostname,
		id:       s.id,
		utf8:     tx.utf8,
		received: s.srv.opts.AddReceived,
		date:     now,
	}
	d := &Delivery{
		SessionID:         s.id,
		Sender:            tx.from,
		Recipient:         e.rcpt,
		OriginalRecipient: e.orcpt,
		RemoteAddr:        s.remote,
		LHLO:              s.lhlo,
		UTF8:              tx.utf8,
		Body:              tx.body,
		Message:           NewMessage(tr.prefix(), sp, hdr),
	}
	out, err := s.runAgent(s.ctx, d)
	if err == nil && out.Reject != "" {
		err = &RejectError{Reason: out.Reject}
	}
	var rep *smtp.SMTPError
	if err == nil {
		rep = savedReply(s.id)
	} else {
		rep = s.srv.policy.Reply(err)
	}
	dur := s.srv.opts.Now().Sub(now)
	s.logDelivery(d, out, err, rep, dur)
	m := s.srv.opts.Metrics
	m.Delivery(outcomeLabel(out, err, rep), metrics.ReplyClass(rep.Code))
	m.ObserveDelivery(dur)
	return rep
}

// outcomeLabel classifies one recipient's delivery for the
// sluice_deliveries_total metric.
func outcomeLabel(out Outcome, err error, rep *smtp.SMTPError) string {
	var rj *RejectError
	switch {
	case errors.As(err, &rj):
		return metrics.OutcomeRejected
	case err != nil && rep.Code/100 == 4:
		return metrics.OutcomeDeferred
	case err != nil:
		return metrics.OutcomeFailed
	case len(out.Stored) > 0:
		return metrics.OutcomeStored
	case out.Discarded:
		return metrics.OutcomeDiscarded
	default:
		// Forwarded only, or stored by an earlier attempt.
		return metrics.Other
	}
}

// runAgent calls the agent, turning a panic into a temporary error for
// this recipient alone.
func (s *session) runAgent(ctx context.Context, d *Delivery) (out Outcome, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.LogAttrs(ctx, slog.LevelError, "agent panic",
				slog.String("rcpt", d.Recipient.Address), slog.Any("panic", p),
				slog.String("stack", string(debug.Stack())))
			out, err = Outcome{}, fmt.Errorf("agent panic: %v", p)
		}
	}()
	return s.srv.agent.Deliver(ctx, d)
}

// logDelivery writes the one log line of a recipient's delivery.
func (s *session) logDelivery(d *Delivery, out Outcome, err error, rep *smtp.SMTPError, dur time.Duration) {
	attrs := []slog.Attr{
		slog.String("msgid", d.Message.MessageID()),
		slog.String("from", d.Sender),
		slog.String("rcpt", d.Recipient.Address),
		slog.String("orcpt", d.OriginalRecipient),
		slog.String("user", d.Recipient.User),
		slog.Int64("size", d.Message.Size()),
		slog.Duration("duration", dur),
		slog.String("reply", replyString(rep)),
	}
	var boxes []string
	for _, st := range out.Stored {
		boxes = append(boxes, st.Mailbox)
	}
	if len(boxes) > 0 {
		attrs = append(attrs, slog.String("mailbox", strings.Join(boxes, ",")))
	}
	switch {
	case out.Discarded:
		attrs = append(attrs, slog.String("action", "discard"))
	case out.Reject != "":
		attrs = append(attrs, slog.String("action", "reject"))
	}
	if len(out.Actions) > 0 {
		attrs = append(attrs, slog.String("actions", strings.Join(out.Actions, "; ")))
	}
	level := slog.LevelInfo
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
		if rep.Code/100 == 4 {
			level = slog.LevelWarn
		}
	}
	s.log.LogAttrs(s.ctx, level, "delivery", attrs...)
}

// replyString renders a reply as it appears on the wire (without CRLF).
func replyString(r *smtp.SMTPError) string {
	return fmt.Sprintf("%d %d.%d.%d %s", r.Code, r.EnhancedCode[0], r.EnhancedCode[1], r.EnhancedCode[2], r.Message)
}
