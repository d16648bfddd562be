package delivery

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"

	"github.com/sluice-mail/sluice/sieve"
)

// Extensions are the site's answers to the optional questions of Sieve
// extensions, the same for every recipient: where the scanners leave
// their verdicts (spamtest, spamtestplus, virustest: RFC 5235), the
// external lists (extlists: RFC 6134), the limits on header edits
// (editheader: RFC 5293) and the special-use mailboxes (RFC 8579, RFC
// 6154). The zero value answers as if none were configured: "not
// tested", no list, the engine's editheader defaults, no special use.
//
// A SieveAgent hands them to every script it runs; "sluice test" uses
// the same value, so a dry run sees what a delivery sees.
type Extensions struct {
	// SpamTest and VirusTest say where the verdicts are; nil means the
	// test answers "0" (not tested).
	SpamTest, VirusTest *sieve.SpamTestConfig
	// Lists answers :list and valid_ext_list; nil knows no list.
	Lists ExternalLists
	// EditHeader restricts addheader and deleteheader at run time; the
	// compile-time size limit is sieve.Limits.EditHeaderMaxSize.
	EditHeader sieve.EditHeaderConfig
	// SpecialUse maps mailbox names to their special-use flags, such
	// as "Junk" → [`\Junk`]. A flag counts only while its mailbox exists.
	SpecialUse map[string][]string
	// Separator is the hierarchy separator of mailbox names ('/' when
	// zero), for comparing them (see sieve.CanonicalMailbox).
	Separator rune
}

// ExternalLists is what the extlists extension asks (RFC 6134 §2.2,
// §2.5).
type ExternalLists interface {
	sieve.Lists
	sieve.ListChecker
}

var (
	_ sieve.SpamScores         = (*Extensions)(nil)
	_ sieve.EditHeaderSettings = (*Extensions)(nil)
	_ ExternalLists            = (*Extensions)(nil)
)

// SpamTestConfig returns the verdict settings of test ("spamtest" or
// "virustest").
func (x *Extensions) SpamTestConfig(test string) *sieve.SpamTestConfig {
	if x == nil {
		return nil
	}
	switch test {
	case "spamtest":
		return x.SpamTest
	case "virustest":
		return x.VirusTest
	}
	return nil
}

// EditHeaderConfig returns the editheader restrictions.
func (x *Extensions) EditHeaderConfig() sieve.EditHeaderConfig {
	if x == nil {
		return sieve.EditHeaderConfig{}
	}
	return x.EditHeader
}

// Contains reports whether value is in the external list.
func (x *Extensions) Contains(ctx context.Context, list, value string) (bool, error) {
	if x == nil || x.Lists == nil {
		return false, nil
	}
	return x.Lists.Contains(ctx, list, value)
}

// ListExists reports whether the external list is configured.
func (x *Extensions) ListExists(ctx context.Context, list string) (bool, error) {
	if x == nil || x.Lists == nil {
		return false, nil
	}
	return x.Lists.ListExists(ctx, list)
}

// SpecialUseExistsIn answers specialuse_exists (RFC 8579 §5) over the
// mailboxes mc knows: with a mailbox, whether it exists and has every
// flag; without ("" ), whether each flag belongs to some existing
// mailbox. Flags compare without regard to case, like IMAP atoms.
func (x *Extensions) SpecialUseExistsIn(ctx context.Context, mc sieve.MailboxChecker, mailbox string, flags []string) (bool, error) {
	if x == nil {
		return false, nil
	}
	for _, f := range flags {
		box, ok := x.mailboxFor(f)
		if !ok || (mailbox != "" && sieve.CanonicalMailbox(box, x.Separator) != sieve.CanonicalMailbox(mailbox, x.Separator)) {
			return false, nil
		}
		exists, err := mc.MailboxExists(ctx, box)
		if err != nil || !exists {
			return false, err
		}
	}
	return len(flags) > 0, nil
}

// SpecialUseMailboxIn returns the existing mailbox that has flag (RFC
// 8579 §4): ok is false when no mailbox has it or that mailbox does not
// exist.
func (x *Extensions) SpecialUseMailboxIn(ctx context.Context, mc sieve.MailboxChecker, flag string) (mailbox string, ok bool, err error) {
	if x == nil {
		return "", false, nil
	}
	box, ok := x.mailboxFor(flag)
	if !ok {
		return "", false, nil
	}
	exists, err := mc.MailboxExists(ctx, box)
	if err != nil || !exists {
		return "", false, err
	}
	return box, true, nil
}

// mailboxFor finds the configured mailbox of flag; the first in name
// order when several have it.
func (x *Extensions) mailboxFor(flag string) (string, bool) {
	for _, box := range slices.Sorted(maps.Keys(x.SpecialUse)) {
		if slices.ContainsFunc(x.SpecialUse[box], func(f string) bool { return strings.EqualFold(f, flag) }) {
			return box, true
		}
	}
	return "", false
}

// The agent's services answer the extension questions from
// SieveOptions.Extensions and the recipient's Maildir. Mailbox ids
// (RFC 9042) and IMAP METADATA (RFC 5490) are not offered: sluice's
// Maildirs keep neither, so mailboxidexists and the metadata tests are
// false and fileinto :mailboxid goes by the mailbox name.
var (
	_ sieve.SpamScores         = sieveServices{}
	_ sieve.EditHeaderSettings = sieveServices{}
	_ ExternalLists            = sieveServices{}
	_ sieve.SpecialUseChecker  = sieveServices{}
)

func (s sieveServices) ext() *Extensions { return &s.r.a.opts.Extensions }

func (s sieveServices) SpamTestConfig(test string) *sieve.SpamTestConfig {
	return s.ext().SpamTestConfig(test)
}

func (s sieveServices) EditHeaderConfig() sieve.EditHeaderConfig { return s.ext().EditHeaderConfig() }

func (s sieveServices) Contains(ctx context.Context, list, value string) (bool, error) {
	return s.ext().Contains(ctx, list, value)
}

func (s sieveServices) ListExists(ctx context.Context, list string) (bool, error) {
	return s.ext().ListExists(ctx, list)
}

func (s sieveServices) SpecialUseExists(ctx context.Context, mailbox string, flags []string) (bool, error) {
	return s.ext().SpecialUseExistsIn(ctx, s, mailbox, flags)
}

// fileintoTarget is where fileinto stores: with :specialuse, the
// recipient's existing mailbox that has the flag, else the named one
// (RFC 8579 §4). A :create then applies to the named mailbox only: the
// special-use mailbox is used only when it exists, and a new mailbox
// gets no flag, as flags come from the configuration. :mailboxid (RFC
// 9042) names no mailbox here, so the name decides.
func (r *sieveRun) fileintoTarget(ctx context.Context, a *sieve.FileInto) (mailbox string, special bool, err error) {
	if a.SpecialUse == "" {
		return a.Mailbox, false, nil
	}
	box, ok, err := r.a.opts.Extensions.SpecialUseMailboxIn(ctx, sieveServices{r}, a.SpecialUse)
	if err != nil {
		return "", false, fmt.Errorf("special-use mailbox %s: %w", a.SpecialUse, err)
	}
	if !ok {
		r.log.LogAttrs(ctx, slog.LevelDebug, "sieve: no mailbox with this special use, using the named one",
			slog.String("specialuse", a.SpecialUse), slog.String("mailbox", a.Mailbox))
		return a.Mailbox, false, nil
	}
	return box, true, nil
}
