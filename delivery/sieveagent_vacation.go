package delivery

import (
	"context"
	"log/slog"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/autoreply"
	"github.com/sluice-mail/sluice/internal/metrics"
	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/sieve"
)

// VacationReplyOptions are the settings of vacation replies that Dovecot
// calls sieve_vacation_default_subject, sieve_vacation_default_subject_template
// and sieve_vacation_to_header_ignore_envelope; see autoreply.BuildOptions.
type VacationReplyOptions struct {
	DefaultSubject         string
	DefaultSubjectTemplate string
	ToHeaderIgnoreEnvelope bool
}

// vacation answers the sender (RFC 5230) unless RFC 3834 and RFC 5230 §4.5
// say not to, at most once per sender per period: the (user, handle,
// sender) record is claimed atomically, so concurrent deliveries send one
// reply.
func (r *sieveRun) vacation(ctx context.Context, a *sieve.Vacation) error {
	orig, err := r.original()
	if err != nil {
		r.vacationSuppressed(ctx, "malformed-header", a.Pos)
		return nil
	}
	pol := autoreply.DefaultPolicy(r.vacationAddresses(a)...)
	pol.DetailSeparators = r.a.opts.RecipientDelimiter
	if ok, reason := orig.ShouldAutoReply(pol); !ok {
		r.vacationSuppressed(ctx, reason.String(), a.Pos)
		return nil
	}
	v := autoreply.Vacation{
		Reason: a.Reason, Subject: a.Subject, From: a.From, Addresses: a.Addresses,
		Mime: a.Mime, Handle: a.Handle, Seconds: int(a.Period / time.Second),
	}
	bo := r.buildOptions()
	vr := r.a.opts.VacationReply
	bo.DefaultSubject, bo.DefaultSubjectTemplate = vr.DefaultSubject, vr.DefaultSubjectTemplate
	bo.ToHeaderIgnoreEnvelope = vr.ToHeaderIgnoreEnvelope
	if r.a.opts.VacationFromRecipient {
		bo.ReturnPath = r.userAddress()
	}
	out, err := autoreply.BuildVacation(orig, v, bo)
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: cannot build vacation reply", slog.String("error", err.Error()), slog.String("at", a.Pos.String()))
		r.note("vacation failed: %v%s", err, posLabel(a.Pos))
		return nil
	}
	key := state.Key{User: r.d.Recipient.User, Kind: state.KindVacation, ID: a.Handle + "\x00" + strings.ToLower(r.d.Sender)}
	sent, err := r.sendOnce(ctx, key, a.Period, out)
	if err != nil {
		return err
	}
	switch sent {
	case "already sent":
		r.vacationSuppressed(ctx, autoreply.ReasonDuplicate.String(), a.Pos)
		return nil
	case "sent":
		r.a.opts.Metrics.VacationSent()
		r.a.opts.Metrics.Action(metrics.ActionVacation)
		r.fcc(ctx, a.Fcc, out.Data)
	}
	r.note("vacation %s to %s%s", sent, r.d.Sender, posLabel(a.Pos))
	return nil
}

func (r *sieveRun) vacationSuppressed(ctx context.Context, reason string, pos sieve.Pos) {
	r.a.opts.Metrics.VacationSuppressed(reason)
	r.log.LogAttrs(ctx, slog.LevelInfo, "sieve: vacation suppressed",
		slog.String("reason", reason), slog.String("from", r.d.Sender), slog.String("at", pos.String()))
	r.note("vacation suppressed: %s%s", reason, posLabel(pos))
}

// vacationAddresses are the user's addresses (RFC 5230 §4.5): the
// recipient, the original recipient, :addresses, the configured extra
// addresses and the user's vacation_addresses extra field.
func (r *sieveRun) vacationAddresses(a *sieve.Vacation) []string {
	rc := r.d.Recipient
	out := []string{rc.Address, r.userAddress()}
	if r.d.OriginalRecipient != "" {
		out = append(out, r.d.OriginalRecipient)
	}
	out = append(out, a.Addresses...)
	out = append(out, r.a.opts.VacationAddresses...)
	out = append(out, strings.FieldsFunc(rc.Extra["vacation_addresses"], func(c rune) bool {
		return c == ',' || c == ' ' || c == ';'
	})...)
	return out
}
