package delivery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sluice-mail/sluice/internal/metrics"
	"github.com/sluice-mail/sluice/internal/outbound"
	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/maildir"
	"github.com/sluice-mail/sluice/sieve"
)

// SieveAgent is the Agent that runs each recipient's Sieve scripts (RFC
// 5228) and carries out their actions: stores into the recipient's Maildir,
// redirects, vacation replies (RFC 5230), notifications (RFC 5435),
// rejections (RFC 5429) and duplicate tracking (RFC 7352).
//
// # Scripts
//
// The scripts of a recipient come from SieveOptions.Layout (Dovecot's
// sieve_before, personal script or sieve_default, sieve_after) and are
// compiled through one shared scripts.Cache, in memory only.
//
// # Several scripts (Pigeonhole's multiscript semantics)
//
// The scripts run one after the other. Each script's actions are carried
// out before the next script runs. The next script runs only when the
// previous one ended with a keep, implicit or explicit; "stop" ends only
// the script that ran it. A later script cannot undo what an earlier one
// did: a user's "discard" after an administrator's "fileinto" leaves the
// filed copy in place. The implicit keep of a script that is followed by
// another one is not carried out; only the last script run decides the
// final implicit keep. A mailbox is written at most once per delivery,
// however many scripts file into it.
//
// # The message as the scripts left it
//
// Scripts see the per-recipient fields (Return-Path, Delivered-To,
// Received) on top of the received header, as under Dovecot's LMTP. A
// store writes the header as editheader (RFC 5293) had left it when the
// store was taken, the implicit keep as it is at the end, followed by the
// spooled body, streamed. A message made by replace or enclose (RFC 5703
// §5, §6) is stored instead of the received one; a redirect forwards the
// received body with the edited header. Each script of a chain runs on
// the message as the previous one left it.
//
// # Errors never lose mail
//
// A script that fails to compile, fails at run time, or must not run (a
// symlink leading outside the user's directories) ends the chain with a
// plain keep into INBOX, one admin log line, and, for the user's own
// script, the details in the user's script log (once per version of the
// script and error). A script that cannot be read right now fails the
// recipient temporarily (451 4.3.0): it might have redirected. A keep that
// fails is a temporary failure too.
//
// # Once and only once
//
// Every delivery has an identity: its Message-ID, envelope sender and size,
// or a digest of its header when it has no Message-ID. Side effects are
// recorded in the state store under (user, kind, identity and target):
//
//   - stores are looked up before writing and recorded as soon as another
//     side effect follows them or the recipient fails, so a retried delivery
//     skips the mailboxes it already wrote;
//   - redirects, vacation replies, notifications and rejection notices are
//     claimed (an atomic test-and-set) before they are sent and released
//     again when sending fails, so a retry sends them exactly once.
//
// So either all of a recipient's side effects happen, or the recipient
// gets a temporary failure and the retry does only what is left. The one
// window: a crash after a store but before it is recorded stores the copy
// again on retry; a crash after a claim but before the send loses that
// one outgoing message.
//
// # Duplicate tracking
//
// The ids the duplicate test saw (RFC 7352 §3.1) are recorded only once
// the recipient's delivery succeeded.
//
// # Extension settings
//
// SieveOptions.Extensions say where the spam and virus scanners leave
// their verdicts (spamtest, spamtestplus, virustest: RFC 5235), which
// external lists exist (extlists: RFC 6134), what editheader may touch
// (RFC 5293) and which mailboxes have a special use (RFC 8579):
// fileinto :specialuse stores into the recipient's existing mailbox with
// that use, else into the named one. Mailbox ids (RFC 9042) and IMAP
// METADATA (RFC 5490) are not kept in a Maildir: mailboxidexists,
// metadataexists and servermetadataexists are false, the metadata tests
// match nothing, and fileinto :mailboxid goes by the mailbox name.
type SieveAgent struct {
	opts    SieveOptions
	limiter *userLimiter
	log     *slog.Logger
}

var _ Agent = (*SieveAgent)(nil)

// RejectMode says how a Sieve reject is carried out.
type RejectMode string

const (
	// RejectProtocol refuses the recipient in the protocol: 550 5.7.1 with
	// the script's reason (LMTP), like Cyrus. The default.
	RejectProtocol RejectMode = "protocol"
	// RejectMail accepts the message and mails a rejection notice to the
	// envelope sender, like Dovecot. A null sender gets nothing. ereject is
	// always refused in the protocol (RFC 5429 §2.1).
	RejectMail RejectMode = "mail"
)

// SieveOptions configure a SieveAgent.
type SieveOptions struct {
	// Layout says where each user's scripts are.
	Layout scripts.Layout
	// Scripts compiles and caches scripts; see NewScriptCache. Required.
	Scripts *scripts.Cache[*sieve.Script]
	// Store opens the recipients' Maildirs (and cleans their tmp/); its
	// Options apply to every recipient, but Layout is taken from the
	// recipient and Quota from its quota_rule extra field, else from
	// Options.Quota (Dovecot quota_rule "*:storage=..."). nil means a
	// MaildirStore with default options.
	Store *MaildirStore
	// Autocreate creates a missing mailbox a script files into, as if it
	// had used :create (Dovecot lda_mailbox_autocreate); Autosubscribe
	// also subscribes it (lda_mailbox_autosubscribe).
	Autocreate, Autosubscribe bool
	// SaveToDetailMailbox makes the keep of user+detail@domain go to the
	// mailbox "detail" (Dovecot lmtp_save_to_detail_mailbox); a missing
	// one is created only with Autocreate, else INBOX is used.
	SaveToDetailMailbox bool
	// RecipientDelimiter separates user and detail (RFC 5233).
	RecipientDelimiter string
	// Reject is how reject is carried out; "" means RejectProtocol.
	Reject RejectMode
	// Sender hands outgoing messages to the MTA. nil: redirect, vacation,
	// notify and rejection notices are logged and not sent, and a
	// redirected message is kept instead.
	Sender outbound.Sender
	// SRS, when set, rewrites the envelope sender of redirected messages
	// whose sender's domain is not one of LocalDomains (nor the
	// recipient's own).
	SRS          *outbound.SRS
	LocalDomains []string
	// State remembers side effects, vacation replies and duplicate ids.
	// nil means an in-memory store that lives as long as the agent.
	State state.Store
	// RedirectWindow is how long a (Message-ID, target) pair is not
	// forwarded again; default 12h.
	RedirectWindow time.Duration
	// DoneTTL is how long a side effect of a delivery is remembered so a
	// retry skips it; default 3 days.
	DoneTTL time.Duration
	// VacationFromRecipient sends vacation replies with the recipient as
	// envelope sender instead of the null sender (RFC 3834 §3.3).
	VacationFromRecipient bool
	// VacationAddresses lists extra addresses of every user; a user's
	// vacation_addresses extra field adds more.
	VacationAddresses []string
	// VacationReply sets the default Subject and the To of vacation replies.
	VacationReply VacationReplyOptions
	// MaxRedirects bounds the redirects of one delivery over all its
	// scripts (each script is also bound by its compile limits); 0 means
	// no bound beyond the scripts'.
	MaxRedirects int
	// Extensions answer spamtest, virustest, extlists, editheader and
	// special-use; the zero value configures none of them.
	Extensions Extensions
	// Metrics counts actions, redirects and vacation replies; nil is fine.
	Metrics *metrics.Metrics
	// MaxUserDeliveries bounds the deliveries running at once for one
	// user (Dovecot: 10); the excess gets 451 4.3.0. 0 means 10, negative
	// means no limit.
	MaxUserDeliveries int
	// Hostname and Version are the Sieve environment's "host" and
	// "version" (RFC 5183), and name the host in built messages.
	Hostname, Version string
	// Logger receives the admin log lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Defaults for SieveOptions fields left zero.
const (
	DefaultRedirectWindow    = 12 * time.Hour
	DefaultDoneTTL           = 72 * time.Hour
	DefaultMaxUserDeliveries = 10
)

// NewSieveAgent checks opts and returns the agent.
func NewSieveAgent(opts SieveOptions) (*SieveAgent, error) {
	if opts.Scripts == nil {
		return nil, errors.New("delivery: SieveOptions.Scripts is required")
	}
	switch opts.Reject {
	case "":
		opts.Reject = RejectProtocol
	case RejectProtocol, RejectMail:
	default:
		return nil, fmt.Errorf("delivery: unknown reject mode %q", opts.Reject)
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.State == nil {
		opts.State = state.NewMemory(state.Options{Now: opts.Now})
	}
	if opts.RedirectWindow <= 0 {
		opts.RedirectWindow = DefaultRedirectWindow
	}
	if opts.DoneTTL <= 0 {
		opts.DoneTTL = DefaultDoneTTL
	}
	if opts.MaxUserDeliveries == 0 {
		opts.MaxUserDeliveries = DefaultMaxUserDeliveries
	}
	if opts.Store == nil {
		opts.Store = &MaildirStore{Options: maildir.Options{Logger: opts.Logger, Hostname: opts.Hostname}}
	}
	return &SieveAgent{
		opts:    opts,
		limiter: &userLimiter{max: opts.MaxUserDeliveries, n: map[string]int{}},
		log:     opts.Logger,
	}, nil
}

// ErrTooManyDeliveries is wrapped when a user already has the most
// deliveries running at once.
var ErrTooManyDeliveries = errors.New("too many concurrent deliveries for this user")

// Deliver runs d's recipient's scripts and carries out their actions.
func (a *SieveAgent) Deliver(ctx context.Context, d *Delivery) (Outcome, error) {
	if !a.limiter.acquire(d.Recipient.User) {
		return Outcome{}, &TempError{Reason: "Too many concurrent deliveries for this user", Err: ErrTooManyDeliveries}
	}
	defer a.limiter.release(d.Recipient.User)

	r := newSieveRun(a, d)
	defer r.close()
	err := r.run(ctx)
	if err != nil {
		// What was done is recorded, so the retry does only the rest.
		r.flush(ctx)
		return r.out, err
	}
	r.commitDuplicates(ctx)
	if len(r.out.Stored) == 0 && r.discarded && r.out.Reject == "" {
		r.out.Discarded = true
	}
	return r.out, nil
}

// userLimiter counts the deliveries running per user.
type userLimiter struct {
	mu  sync.Mutex
	max int
	n   map[string]int
}

func (l *userLimiter) acquire(user string) bool {
	if l.max < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[user] >= l.max {
		return false
	}
	l.n[user]++
	return true
}

func (l *userLimiter) release(user string) {
	if l.max < 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n[user]--; l.n[user] <= 0 {
		delete(l.n, user)
	}
}

// posLabel renders where an action came from: "(user.sieve:7)".
func posLabel(p sieve.Pos) string {
	if p.Script == "" && p.Line == 0 {
		return ""
	}
	return fmt.Sprintf(" (%s:%d)", p.Script, p.Line)
}

// note adds one entry to the outcome's action list.
func (r *sieveRun) note(format string, args ...any) {
	r.out.Actions = append(r.out.Actions, fmt.Sprintf(format, args...))
}
