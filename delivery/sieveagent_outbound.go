package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/autoreply"
	"github.com/sluice-mail/sluice/internal/metrics"
	"github.com/sluice-mail/sluice/internal/outbound"
	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/maildir"
	"github.com/sluice-mail/sluice/sieve"
)

// RedirectedFromHeader marks a message sluice forwarded; a message that
// already carries it for a user is not forwarded by that user again.
const RedirectedFromHeader = "X-Sieve-Redirected-From"

// kindReject is the state record of a rejection notice sent.
const kindReject = "reject"

// errNoSender means no outbound Sender is configured.
var errNoSender = errors.New("no outgoing mail system configured")

// redirect forwards the message (RFC 5228 §4.2) with its envelope sender,
// once per (Message-ID, target) within the redirect window. A loop, the
// redirect limit or a permanent refusal keeps the message instead.
func (r *sieveRun) redirect(ctx context.Context, a *sieve.Redirect, res *sieve.Result) error {
	what := "redirect " + a.Address
	if a.Copy {
		what += " :copy"
	}
	refuse := func(result, why string) error {
		r.a.opts.Metrics.Redirect(result)
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: redirect not sent, keeping message",
			slog.String("to", a.Address), slog.String("reason", why), slog.String("at", a.Pos.String()))
		if a.Copy {
			r.note("%s refused: %s%s", what, why, posLabel(a.Pos))
			return nil // the implicit keep is still there
		}
		return r.keep(ctx, r.storedVersion(res, a), nil, fmt.Sprintf("keep (%s refused: %s)", what, why), a.Pos)
	}
	r.redirects++
	if max := r.a.opts.MaxRedirects; max > 0 && r.redirects > max {
		return refuse(metrics.RedirectLimit, fmt.Sprintf("more than %d redirects", max))
	}
	if r.redirectLoop() {
		return refuse(metrics.RedirectLoop, "loop ("+RedirectedFromHeader+")")
	}
	if r.a.opts.Sender == nil {
		return refuse(metrics.RedirectFailed, errNoSender.Error())
	}
	id := r.d.Message.MessageID()
	if id == "" {
		id = r.id
	}
	key := state.Key{User: r.d.Recipient.User, Kind: state.KindRedirect, ID: id + " " + strings.ToLower(a.Address)}
	fresh, err := r.a.opts.State.MarkIfAbsent(ctx, key, r.a.opts.RedirectWindow)
	if err != nil {
		return &TempError{Reason: "Temporary failure forwarding message", Err: err}
	}
	if !fresh {
		r.a.opts.Metrics.Redirect(metrics.RedirectDuplicate)
		r.note("%s: already forwarded%s", what, posLabel(a.Pos))
		return nil
	}
	r.begin(ctx)
	from := r.d.Sender
	if srs := r.a.opts.SRS; srs != nil && from != "" && !r.localDomain(domainOf(from)) {
		if rewritten, err := srs.Forward(from); err == nil {
			from = rewritten
		} else {
			r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: SRS rewrite failed, forwarding with the original sender",
				slog.String("sender", from), slog.String("error", err.Error()))
		}
	}
	// The forwarded copy has the header edits made before the redirect,
	// but not replace or enclose: RFC 5703 §5 and §6 leave messages sent
	// by redirect unaffected by them.
	fwd, err := r.forwardCopy(res, a)
	if err != nil {
		r.release(ctx, key)
		r.a.opts.Metrics.Redirect(metrics.RedirectFailed)
		return &TempError{Reason: "Temporary failure forwarding message", Err: err}
	}
	msg := io.MultiReader(strings.NewReader(RedirectedFromHeader+": <"+r.userAddress()+">\n"), fwd)
	if err := r.a.opts.Sender.Send(ctx, outbound.Envelope{From: from, To: []string{a.Address}}, msg); err != nil {
		r.release(ctx, key)
		if outbound.IsTemporary(err) {
			r.a.opts.Metrics.Redirect(metrics.RedirectFailed)
			return &TempError{Reason: "Temporary failure forwarding message", Err: err}
		}
		return refuse(metrics.RedirectFailed, err.Error())
	}
	r.a.opts.Metrics.Redirect(metrics.RedirectSent)
	r.a.opts.Metrics.Action(metrics.ActionRedirect)
	r.note("%s%s", what, posLabel(a.Pos))
	return nil
}

// userAddress is the recipient's address without a detail.
func (r *sieveRun) userAddress() string {
	rc := r.d.Recipient
	if rc.Local != "" && rc.Domain != "" {
		return rc.Local + "@" + rc.Domain
	}
	return rc.User
}

// redirectLoop reports whether the message was already forwarded by this
// user.
func (r *sieveRun) redirectLoop() bool {
	me := []string{strings.ToLower(r.userAddress()), strings.ToLower(r.d.Recipient.Address)}
	for _, v := range r.msg.shared.hdr.Header(RedirectedFromHeader) {
		v = strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>"))
		for _, m := range me {
			if v == m {
				return true
			}
		}
	}
	return false
}

func (r *sieveRun) localDomain(dom string) bool {
	if strings.EqualFold(dom, r.d.Recipient.Domain) {
		return true
	}
	for _, l := range r.a.opts.LocalDomains {
		if strings.EqualFold(l, dom) {
			return true
		}
	}
	return false
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return addr[i+1:]
	}
	return ""
}

// reject refuses the message (RFC 5429): in the protocol (550 5.7.1), or
// with RejectMail by a rejection notice to the envelope sender.
func (r *sieveRun) reject(ctx context.Context, a *sieve.Reject) error {
	r.a.opts.Metrics.Action(a.Kind())
	// An earlier script of the chain may already have stored a copy;
	// Pigeonhole then carries out both the store and the reject. A 550
	// would tell the sender the message was refused while the user has
	// it, so the reject is a rejection notice instead (RFC 5429 §2.1.1:
	// when refusing in the protocol is no longer possible).
	alreadyStored := len(r.stored) > 0
	if (a.Extended || r.a.opts.Reject == RejectProtocol) && !alreadyStored {
		r.out.Reject = a.Reason
		if r.out.Reject == "" {
			r.out.Reject = "Message rejected"
		}
		r.note("%s %q%s", a.Kind(), sanitizeLine(a.Reason, maxReasonLen), posLabel(a.Pos))
		return nil
	}
	r.discarded = !alreadyStored
	orig, err := r.original()
	var out autoreply.Outgoing
	if err == nil {
		out, err = autoreply.BuildRejection(orig, a.Reason, r.buildOptions())
	}
	if errors.Is(err, autoreply.ErrNullSender) || r.d.Sender == "" {
		// RFC 5429 §2.1.1: never a notice to the null sender.
		r.log.LogAttrs(ctx, slog.LevelInfo, "sieve: reject of a message with a null sender: discarded", slog.String("at", a.Pos.String()))
		r.note("reject: null sender, discarded%s", posLabel(a.Pos))
		return nil
	}
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: cannot build rejection notice, discarded", slog.String("error", err.Error()))
		r.note("reject: no notice (%v)%s", err, posLabel(a.Pos))
		return nil
	}
	sent, err := r.sendOnce(ctx, state.Key{User: r.d.Recipient.User, Kind: kindReject, ID: r.id}, r.a.opts.DoneTTL, out)
	if err != nil {
		return err
	}
	r.note("reject: notice %s to %s%s", sent, r.d.Sender, posLabel(a.Pos))
	return nil
}

// notify sends an e-mail notification (RFC 5435, RFC 5436), never about
// an automatically submitted message (RFC 5436 §2.7).
func (r *sieveRun) notify(ctx context.Context, a *sieve.Notify) error {
	orig, err := r.original()
	if err != nil {
		r.note("notify suppressed: %v%s", err, posLabel(a.Pos))
		return nil
	}
	if ok, reason := orig.ShouldNotify(); !ok {
		r.log.LogAttrs(ctx, slog.LevelInfo, "sieve: notify suppressed", slog.String("reason", reason.String()), slog.String("at", a.Pos.String()))
		r.note("notify suppressed: %s%s", reason, posLabel(a.Pos))
		return nil
	}
	out, err := autoreply.BuildNotification(orig, autoreply.Notify{
		Method: a.Method, From: a.From, Importance: a.Importance, Message: a.Message, Options: a.Options,
	}, r.buildOptions())
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: cannot build notification", slog.String("error", err.Error()), slog.String("at", a.Pos.String()))
		r.note("notify failed: %v%s", err, posLabel(a.Pos))
		return nil
	}
	key := state.Key{User: r.d.Recipient.User, Kind: state.KindNotify, ID: r.id + " " + a.Method}
	sent, err := r.sendOnce(ctx, key, r.a.opts.DoneTTL, out)
	if err != nil {
		return err
	}
	r.a.opts.Metrics.Action(metrics.ActionNotify)
	r.note("notify %s %s%s", strings.Join(out.RcptTo, ","), sent, posLabel(a.Pos))
	if sent == "sent" {
		r.fcc(ctx, a.Fcc, out.Data)
	}
	return nil
}

// sendOnce claims key, sends out and releases the claim when sending
// fails. It says "sent", "already sent" or "failed" (a permanent refusal,
// logged); a temporary failure is returned.
func (r *sieveRun) sendOnce(ctx context.Context, key state.Key, ttl time.Duration, out autoreply.Outgoing) (string, error) {
	for _, w := range out.Warnings {
		r.log.LogAttrs(ctx, slog.LevelInfo, "sieve: outgoing message", slog.String("warning", w.Error()))
	}
	if r.a.opts.Sender == nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: message not sent", slog.String("kind", key.Kind), slog.String("error", errNoSender.Error()))
		return "failed", nil
	}
	fresh, err := r.a.opts.State.MarkIfAbsent(ctx, key, ttl)
	if err != nil {
		return "", &TempError{Reason: "Temporary failure sending automatic message", Err: err}
	}
	if !fresh {
		return "already sent", nil
	}
	r.begin(ctx)
	err = r.a.opts.Sender.Send(ctx, outbound.Envelope{From: out.MailFrom, To: out.RcptTo}, bytes.NewReader(out.Data))
	if err != nil {
		r.release(ctx, key)
		if outbound.IsTemporary(err) {
			return "", &TempError{Reason: "Temporary failure sending automatic message", Err: err}
		}
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: automatic message refused", slog.String("kind", key.Kind), slog.String("error", err.Error()))
		return "failed", nil
	}
	return "sent", nil
}

// release undoes a claim after a failed send, so the retry sends. The
// store has no delete: a record expiring at once is as good.
func (r *sieveRun) release(ctx context.Context, key state.Key) {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	if err := r.a.opts.State.Mark(fctx, key, time.Millisecond); err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: cannot release a claim; the retry will not send",
			slog.String("kind", key.Kind), slog.String("error", err.Error()))
	}
}

// original is the incoming message as the autoreply package reads it.
func (r *sieveRun) original() (*autoreply.Original, error) {
	return autoreply.NewOriginal(r.msg.shared.raw, r.d.Sender, r.d.Recipient.Address)
}

func (r *sieveRun) buildOptions() autoreply.BuildOptions {
	bo := autoreply.BuildOptions{Now: r.a.opts.Now, Hostname: r.a.opts.Hostname}
	if v := r.a.opts.Version; v != "" {
		bo.UserAgent = "sluice " + v // X-Sieve of notifications, Reporting-UA
	}
	return bo
}

// fcc stores a copy of a sent message (RFC 8580). Failing to is logged:
// the message is already sent.
func (r *sieveRun) fcc(ctx context.Context, f *sieve.Fcc, data []byte) {
	if f == nil {
		return
	}
	md, err := r.maildir(ctx)
	if err == nil {
		data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
		create := f.Create || r.a.opts.Autocreate
		_, err = md.Deliver(ctx, f.Mailbox, bytes.NewReader(data), maildir.DeliverOptions{
			Flags: f.Flags, Create: create, Subscribe: create && r.a.opts.Autosubscribe,
		})
	}
	if err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: fcc failed", slog.String("mailbox", f.Mailbox), slog.String("error", err.Error()))
		r.note("fcc %q failed", f.Mailbox)
		return
	}
	r.note("fcc %q", f.Mailbox)
}
