package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/metrics"
	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/maildir"
	"github.com/sluice-mail/sluice/sieve"
)

// kindStore is the state record of a mailbox written by a delivery.
const kindStore = "store"

// execute carries out the actions of one script's result and reports
// whether the script ended with a keep (implicit or explicit), which lets
// the next script run. The implicit keep itself is carried out only for
// the last script.
func (r *sieveRun) execute(ctx context.Context, res *sieve.Result, last bool) (bool, error) {
	kept := res.ImplicitKeep
	m := r.a.opts.Metrics
	for _, act := range res.Actions {
		var err error
		switch a := act.(type) {
		case *sieve.Keep:
			kept = true
			if err = r.keep(ctx, r.storedVersion(res, a), a.Flags, "keep", a.Pos); err == nil {
				m.Action(metrics.ActionKeep)
			}
		case *sieve.FileInto:
			if err = r.fileinto(ctx, a, r.storedVersion(res, a)); err == nil {
				m.Action(metrics.ActionFileInto)
			}
		case *sieve.Discard:
			r.discarded = true
			m.Action(metrics.ActionDiscard)
			r.note("discard%s", posLabel(a.Pos))
			r.log.LogAttrs(ctx, slog.LevelInfo, "sieve: discarded", slog.String("at", a.Pos.String()))
		case *sieve.Redirect:
			err = r.redirect(ctx, a, res)
		case *sieve.Reject:
			err = r.reject(ctx, a)
		case *sieve.Vacation:
			err = r.vacation(ctx, a)
		case *sieve.Notify:
			err = r.notify(ctx, a)
		default:
			// Never drop mail over an action this agent does not know.
			r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: unsupported action, keeping message",
				slog.String("action", act.Kind()), slog.String("at", act.Position().String()))
			m.Action(act.Kind())
			err = r.store(ctx, r.storedVersion(res, act), "INBOX", StoreOptions{}, "keep (unsupported "+act.Kind()+")", act.Position())
		}
		if err != nil {
			return false, err
		}
	}
	if res.ImplicitKeep && last {
		if err := r.keep(ctx, r.storedVersion(res, nil), res.ImplicitKeepFlags, "implicit keep", sieve.Pos{}); err != nil {
			return false, err
		}
		m.Action(metrics.ActionImplicitKeep)
	}
	return kept, nil
}

// implicitKeep keeps the message when no script ran at all.
func (r *sieveRun) implicitKeep(ctx context.Context, flags []string, pos sieve.Pos) error {
	err := r.keep(ctx, r.cur, flags, "implicit keep", pos)
	if err == nil {
		r.a.opts.Metrics.Action(metrics.ActionImplicitKeep)
	}
	return err
}

// keep stores into the default mailbox (see keepTarget).
func (r *sieveRun) keep(ctx context.Context, v msgVersion, flags []string, what string, pos sieve.Pos) error {
	box, named := r.keepTarget()
	if !named {
		return r.store(ctx, v, box, StoreOptions{Flags: flags}, what, pos)
	}
	o := r.a.opts
	return r.store(ctx, v, box, StoreOptions{Flags: flags, Create: o.Autocreate, Subscribe: o.Autocreate && o.Autosubscribe},
		fmt.Sprintf("%s %q", what, box), pos)
}

// keepTarget is where keep stores: INBOX, the delivery's DefaultMailbox
// (dovecot-lda -m), or with SaveToDetailMailbox the recipient's detail
// (Dovecot's lmtp_save_to_detail_mailbox); named is false for plain
// INBOX.
func (r *sieveRun) keepTarget() (box string, named bool) {
	switch {
	case r.a.opts.SaveToDetailMailbox && r.d.Recipient.Detail != "":
		return r.d.Recipient.Detail, true
	case r.d.DefaultMailbox != "":
		return r.d.DefaultMailbox, true
	}
	return "INBOX", false
}

// canonical is sieve.CanonicalMailbox with the store's separator.
func (r *sieveRun) canonical(mailbox string) string {
	return sieve.CanonicalMailbox(mailbox, r.a.opts.Store.Options.Separator)
}

// keepInbox is the keep of last resort, after an error: INBOX, no flags,
// the message as the scripts that ran without error left it. what says
// why, for the log.
func (r *sieveRun) keepInbox(ctx context.Context, what string) error {
	err := r.store(ctx, r.cur, "INBOX", StoreOptions{}, what, sieve.Pos{})
	if err == nil {
		r.a.opts.Metrics.Action(metrics.ActionImplicitKeep)
	}
	return err
}

// fileinto stores into the named mailbox (RFC 5228 §4.1), or with
// :specialuse into the mailbox with that use when the recipient has one
// (RFC 8579 §4, see fileintoTarget). A missing mailbox is created with
// :create (RFC 5490 §3.2) or Autocreate; else the message goes to INBOX.
// :mailboxid (RFC 9042) names no mailbox here: the name decides.
func (r *sieveRun) fileinto(ctx context.Context, a *sieve.FileInto, v msgVersion) error {
	o := r.a.opts
	create := a.Create || o.Autocreate
	box, special, err := r.fileintoTarget(ctx, a)
	if err != nil {
		return maildirError(r.canonical(a.Mailbox), err)
	}
	what := fmt.Sprintf("fileinto %q", a.Mailbox)
	if special {
		what = fmt.Sprintf("fileinto %q -> %q (%s)", a.Mailbox, box, a.SpecialUse)
	}
	return r.store(ctx, v, box, StoreOptions{Flags: a.Flags, Create: create, Subscribe: create && o.Autosubscribe}, what, a.Pos)
}

// store writes the copy v into mailbox, once per delivery. A missing
// mailbox or an invalid name falls back to INBOX with a log line.
func (r *sieveRun) store(ctx context.Context, v msgVersion, mailbox string, so StoreOptions, what string, pos sieve.Pos) error {
	box := r.canonical(mailbox)
	if r.stored[box] {
		r.note("%s: already stored%s", what, posLabel(pos))
		return nil
	}
	key := state.Key{User: r.d.Recipient.User, Kind: kindStore, ID: r.id + " " + box}
	if done, err := r.a.opts.State.Seen(ctx, key); err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: state store unavailable, storing anyway", slog.String("error", err.Error()))
	} else if done {
		r.stored[box] = true
		r.note("%s: stored by an earlier attempt%s", what, posLabel(pos))
		return nil
	}
	r.begin(ctx)
	md, err := r.maildir(ctx)
	if err != nil {
		return maildirError(box, err)
	}
	msg, err := r.open(v)
	if err != nil {
		return maildirError(box, err)
	}
	dl, err := md.Deliver(ctx, box, msg, maildir.DeliverOptions{Flags: so.Flags, Create: so.Create, Subscribe: so.Subscribe})
	if err != nil {
		if box != "INBOX" && (errors.Is(err, maildir.ErrMailboxNotFound) || errors.Is(err, maildir.ErrInvalidName)) {
			reason := "mailbox does not exist"
			if errors.Is(err, maildir.ErrInvalidName) {
				reason = "invalid mailbox name"
			}
			r.log.LogAttrs(ctx, slog.LevelInfo, "sieve: storing into INBOX instead",
				slog.String("mailbox", mailbox), slog.String("reason", reason), slog.String("at", pos.String()))
			return r.store(ctx, v, "INBOX", StoreOptions{Flags: so.Flags}, what+" -> INBOX ("+reason+")", pos)
		}
		return maildirError(box, err)
	}
	if len(dl.DroppedFlags) > 0 {
		r.log.LogAttrs(ctx, slog.LevelInfo, "sieve: flags not stored",
			slog.String("mailbox", dl.Mailbox), slog.String("flags", strings.Join(dl.DroppedFlags, " ")))
	}
	r.stored[box] = true
	r.out.Stored = append(r.out.Stored, Stored{Mailbox: dl.Mailbox, Path: dl.Path, Size: dl.Size})
	r.pending = append(r.pending, key)
	r.note("%s%s", what, posLabel(pos))
	return nil
}

// begin is called before each side effect: the ones already carried out
// are recorded first, so that if this one fails the retry skips them.
func (r *sieveRun) begin(ctx context.Context) {
	if len(r.pending) > 0 {
		r.flush(ctx)
	}
}

// flushTimeout bounds recording side effects after a failure.
const flushTimeout = 10 * time.Second

// flush records the side effects carried out and not yet recorded. It
// runs even when ctx is cancelled: what was done must be remembered.
func (r *sieveRun) flush(ctx context.Context) {
	if len(r.pending) == 0 {
		return
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	for _, k := range r.pending {
		if err := r.a.opts.State.Mark(fctx, k, r.a.opts.DoneTTL); err != nil {
			r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: cannot record a side effect; a retry may repeat it",
				slog.String("kind", k.Kind), slog.String("error", err.Error()))
		}
	}
	r.pending = nil
}

// maildir opens the recipient's Maildir on first use, with the
// recipient's layout and quota.
func (r *sieveRun) maildir(ctx context.Context) (*maildir.Maildir, error) {
	if r.md != nil || r.mdErr != nil {
		return r.md, r.mdErr
	}
	r.md, r.mdClose, r.mdErr = r.a.opts.Store.openFor(ctx, r.d.Recipient)
	return r.md, r.mdErr
}
