package delivery

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/sluice-mail/sluice/internal/scripts"
	"github.com/sluice-mail/sluice/internal/state"
	"github.com/sluice-mail/sluice/maildir"
	"github.com/sluice-mail/sluice/sieve"
)

// NewScriptCache returns the compile cache a SieveAgent shares between all
// deliveries: scripts are compiled with opts (limits, subaddress
// delimiter), includes are read through the cache's Loader, and a
// script's positions are named by its file name ("user.sieve:7:3").
func NewScriptCache(opts sieve.Options, co scripts.CacheOptions) *scripts.Cache[*sieve.Script] {
	compile := func(ctx context.Context, name string, src []byte, inc scripts.Loader) (*sieve.Script, error) {
		o := opts
		o.Includes = includeLoader{inc}
		return sieve.Compile(ctx, filepath.Base(name), src, o)
	}
	return scripts.NewCache(compile, co)
}

// includeLoader adapts the cache's Loader to the engine's ScriptLoader
// (RFC 6609 :personal and :global).
type includeLoader struct{ l scripts.Loader }

var _ sieve.ScriptLoader = includeLoader{}

func (i includeLoader) Load(ctx context.Context, loc sieve.Location, name string) ([]byte, error) {
	return i.l.Load(ctx, loc == sieve.LocationGlobal, name)
}

// sieveRun is one recipient's delivery through the SieveAgent.
type sieveRun struct {
	a   *SieveAgent
	d   *Delivery
	log *slog.Logger
	out Outcome

	msg *sieveMessage // the message as received
	// next is what the next script runs on: msg as the scripts run so
	// far left it (sieve.Result.NextMessage).
	next sieve.Message
	// flags is the imap4flags internal variable as the previous script
	// left it (RFC 5232 §3): a before script's addflag applies to the
	// user script's keep.
	flags []string
	// cur is what a keep outside a script's result stores; fwd are the
	// header edits a redirect applies, fwdFrozen set once a script made
	// a new message. See sieveagent_copy.go.
	cur       msgVersion
	fwd       []*sieve.HeaderEdits
	fwdFrozen bool
	lfRes     *sieve.Result // the result whose Message lfMsg holds
	lfMsg     []byte
	warnedCut bool
	md        *maildir.Maildir // opened on first use
	mdClose   func()
	mdErr     error
	id        string          // the delivery's identity, see deliveryID
	stored    map[string]bool // canonical mailbox names written
	// pending are side effects carried out but not yet recorded.
	pending   []state.Key
	dups      []sieve.DuplicateMark
	redirects int
	discarded bool
}

func newSieveRun(a *SieveAgent, d *Delivery) *sieveRun {
	r := &sieveRun{
		a:      a,
		d:      d,
		stored: map[string]bool{},
		log: a.log.With(slog.String("session", d.SessionID),
			slog.String("rcpt", d.Recipient.Address), slog.String("user", d.Recipient.User)),
	}
	r.msg = newSieveMessage(d)
	r.next = r.msg
	r.id = deliveryID(d, r.msg.shared.raw)
	return r
}

func (r *sieveRun) close() {
	if r.mdClose != nil {
		r.mdClose()
	}
}

// run executes the recipient's chain of scripts.
func (r *sieveRun) run(ctx context.Context) error {
	rc := r.d.Recipient
	plan, err := r.a.opts.Layout.Chain(ctx, scripts.User{Name: rc.User, Local: rc.Local, Domain: rc.Domain, Home: rc.Home})
	if err != nil {
		if scripts.IsTemporary(err) || ctx.Err() != nil {
			return &TempError{Reason: "Temporary failure reading Sieve script", Err: err}
		}
		r.log.LogAttrs(ctx, slog.LevelError, "sieve: cannot locate scripts, keeping message", slog.String("error", err.Error()))
		return r.keepInbox(ctx, "keep (scripts not located)")
	}
	var chain []scripts.Script
	for _, s := range plan.Scripts {
		if s.Exists {
			chain = append(chain, s)
		}
	}
	if len(chain) == 0 {
		return r.implicitKeep(ctx, nil, sieve.Pos{})
	}
	for i, s := range chain {
		last := i == len(chain)-1
		if s.Err != nil {
			r.log.LogAttrs(ctx, slog.LevelError, "sieve: script not run, keeping message",
				slog.String("script", s.Path), slog.String("error", s.Err.Error()))
			r.userLog(ctx, plan, s, []string{s.Err.Error()})
			return r.keepInbox(ctx, fmt.Sprintf("keep (script %s not run)", filepath.Base(s.Path)))
		}
		prog, err := r.a.opts.Scripts.Get(ctx, s.Path, plan.Includes)
		if err != nil {
			if scripts.IsTemporary(err) || ctx.Err() != nil {
				return &TempError{Reason: "Temporary failure reading Sieve script", Err: err}
			}
			return r.scriptFailed(ctx, plan, s, "compile", err)
		}
		res, err := prog.Run(ctx, r.input())
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return r.scriptFailed(ctx, plan, s, "run", err)
		}
		r.dups = append(r.dups, res.Duplicates...)
		kept, err := r.execute(ctx, res, last)
		if err != nil || !kept || last {
			return err
		}
		r.flags = res.ImplicitKeepFlags
		if err := r.advance(res); err != nil {
			// The next script cannot see the message as this one left
			// it: keep that message rather than run on a wrong one.
			r.log.LogAttrs(ctx, slog.LevelError, "sieve: edited message unusable, keeping it",
				slog.String("script", s.Path), slog.String("error", err.Error()))
			return r.keep(ctx, r.storedVersion(res, nil), res.ImplicitKeepFlags, "implicit keep", sieve.Pos{})
		}
	}
	return nil
}

// scriptFailed logs a compile or runtime error and keeps the message.
func (r *sieveRun) scriptFailed(ctx context.Context, plan scripts.Plan, s scripts.Script, what string, err error) error {
	var msgs []string
	var ce *sieve.CompileErrors
	var re *sieve.RuntimeError
	switch {
	case errors.As(err, &ce):
		for _, e := range ce.Errors {
			msgs = append(msgs, e.Error())
		}
	case errors.As(err, &re):
		msgs = append(msgs, re.Error())
	default:
		msgs = append(msgs, err.Error())
	}
	for _, m := range msgs {
		r.log.LogAttrs(ctx, slog.LevelError, "sieve: script failed, keeping message",
			slog.String("script", s.Path), slog.String("phase", what), slog.String("error", m))
	}
	r.userLog(ctx, plan, s, msgs)
	if what == "compile" {
		r.a.opts.Metrics.CompileError()
	}
	return r.keepInbox(ctx, fmt.Sprintf("keep (%s error in %s)", what, filepath.Base(s.Path)))
}

// userLogTTL is how long an error written to a user's log is not written
// again for the same script content.
const userLogTTL = 7 * 24 * time.Hour

// userLog appends msgs to the user's script log, for the user's own
// script only, once per version of the script and messages.
func (r *sieveRun) userLog(ctx context.Context, plan scripts.Plan, s scripts.Script, msgs []string) {
	if s.Kind != scripts.KindPersonal || plan.UserLog == "" {
		return
	}
	h := sha256.New()
	h.Write([]byte(s.Path))
	if f, err := os.Open(s.Path); err == nil {
		io.Copy(h, io.LimitReader(f, 1<<20))
		f.Close()
	}
	for _, m := range msgs {
		h.Write([]byte{0})
		h.Write([]byte(m))
	}
	key := state.Key{User: r.d.Recipient.User, Kind: "sieve-log", ID: hex.EncodeToString(h.Sum(nil))}
	if fresh, err := r.a.opts.State.MarkIfAbsent(ctx, key, userLogTTL); err == nil && !fresh {
		return
	}
	if err := scripts.AppendLog(plan.UserLog, r.a.opts.Now(), filepath.Base(s.Path), msgs); err != nil {
		r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: cannot write the user's script log",
			slog.String("path", plan.UserLog), slog.String("error", err.Error()))
	}
}

// commitDuplicates records the duplicate test's ids once the delivery
// succeeded (RFC 7352 §3.1). :last refreshes the period; otherwise the
// first sighting's period stands.
func (r *sieveRun) commitDuplicates(ctx context.Context) {
	for _, m := range r.dups {
		if m.Period <= 0 {
			continue
		}
		key := state.Key{User: r.d.Recipient.User, Kind: state.KindDuplicate, ID: m.ID}
		var err error
		if m.Last {
			err = r.a.opts.State.Mark(ctx, key, m.Period)
		} else {
			_, err = r.a.opts.State.MarkIfAbsent(ctx, key, m.Period)
		}
		if err != nil {
			r.log.LogAttrs(ctx, slog.LevelWarn, "sieve: cannot record duplicate id", slog.String("error", err.Error()))
		}
	}
}

// input builds the engine's input for one script run.
func (r *sieveRun) input() *sieve.Input {
	d := r.d
	keep, _ := r.keepTarget()
	return &sieve.Input{
		Message:            r.next,
		Envelope:           sieve.StaticEnvelope{Sender: d.Sender, Recipient: d.Recipient.Address, Original: d.OriginalRecipient},
		Environment:        r.environment(),
		Services:           sieveServices{r},
		RecipientDelimiter: r.a.opts.RecipientDelimiter,
		Flags:              r.flags,
		Separator:          r.a.opts.Store.Options.Separator,
		KeepMailbox:        keep,
	}
}

// sieveServices gives the engine the clock, the duplicate memory and the
// recipient's mailboxes; sieveagent_services.go adds the extension
// settings.
type sieveServices struct{ r *sieveRun }

var (
	_ sieve.Services         = sieveServices{}
	_ sieve.DuplicateTracker = sieveServices{}
	_ sieve.MailboxChecker   = sieveServices{}
)

func (s sieveServices) Now() time.Time { return s.r.a.opts.Now() }

func (s sieveServices) Seen(ctx context.Context, id string) (bool, error) {
	return s.r.a.opts.State.Seen(ctx, state.Key{User: s.r.d.Recipient.User, Kind: state.KindDuplicate, ID: id})
}

func (s sieveServices) MailboxExists(ctx context.Context, name string) (bool, error) {
	md, err := s.r.maildir(ctx)
	if err != nil {
		return false, err
	}
	ok, err := md.MailboxExists(ctx, name)
	if errors.Is(err, maildir.ErrInvalidName) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mailboxexists: %w", err)
	}
	return ok, nil
}
