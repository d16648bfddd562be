package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/internal/autoreply"
	"github.com/sluice-mail/sluice/internal/config"
	"github.com/sluice-mail/sluice/maildir"
	"github.com/sluice-mail/sluice/sieve"
)

// execute carries out a dry run's result for "sluice test --execute DIR":
// stores go into a scratch Maildir at dir (a mailbox that does not exist
// is created there, so the result can be looked at), and each outgoing
// message (redirect, vacation, notify, reject notice) is printed instead
// of being sent. Suppression rules and duplicate tracking do not apply.
func execute(ctx context.Context, dir string, rep *report, raw []byte, env sieve.StaticEnvelope, cfg *config.Config, w io.Writer) error {
	md, err := maildir.Open(dir, maildir.Options{Hostname: cfg.Hostname})
	if err != nil {
		return err
	}
	defer md.Close()
	store := func(mailbox string, flags []string) error {
		d, err := md.Deliver(ctx, mailbox, bytes.NewReader(raw), maildir.DeliverOptions{Flags: flags, Create: true})
		if err != nil {
			return fmt.Errorf("storing into %q: %w", mailbox, err)
		}
		fmt.Fprintf(w, "stored into %s: %s\n", d.Mailbox, d.Path)
		return nil
	}
	orig, err := autoreply.NewOriginal(raw, env.Sender, env.Recipient)
	if err != nil {
		orig = nil // no automatic message for a header that does not parse
	}
	opts := autoreply.BuildOptions{Hostname: cfg.Hostname}
	var errs []error
	for _, pa := range rep.actions {
		switch a := pa.Action.(type) {
		case *sieve.Keep:
			errs = append(errs, store("INBOX", a.Flags))
		case *sieve.FileInto:
			errs = append(errs, store(a.Mailbox, a.Flags))
		case *sieve.Redirect:
			printOutgoing(w, "redirect", autoreply.Outgoing{MailFrom: env.Sender, RcptTo: []string{a.Address}, Data: raw}, nil)
		case *sieve.Reject:
			if orig != nil {
				out, err := autoreply.BuildRejection(orig, a.Reason, opts)
				printOutgoing(w, "rejection notice", out, err)
			}
		case *sieve.Vacation:
			if orig != nil {
				out, err := autoreply.BuildVacation(orig, autoreply.Vacation{
					Reason: a.Reason, Subject: a.Subject, From: a.From, Addresses: a.Addresses,
					Mime: a.Mime, Handle: a.Handle, Seconds: int(a.Period / time.Second),
				}, opts)
				printOutgoing(w, "vacation reply", out, err)
			}
		case *sieve.Notify:
			if orig != nil {
				out, err := autoreply.BuildNotification(orig, autoreply.Notify{
					Method: a.Method, From: a.From, Importance: a.Importance, Message: a.Message, Options: a.Options,
				}, opts)
				printOutgoing(w, "notification", out, err)
			}
		}
	}
	if rep.implicitKeep {
		errs = append(errs, store("INBOX", rep.keepFlags))
	}
	return errors.Join(errs...)
}

func printOutgoing(w io.Writer, what string, out autoreply.Outgoing, err error) {
	if err != nil {
		fmt.Fprintf(w, "--- %s: not sent: %v\n", what, err)
		return
	}
	fmt.Fprintf(w, "--- %s: MAIL FROM:<%s> RCPT TO:<%s>\n", what, out.MailFrom, strings.Join(out.RcptTo, ">,<"))
	data := strings.ReplaceAll(string(out.Data), "\r\n", "\n")
	fmt.Fprint(w, data)
	if !strings.HasSuffix(data, "\n") {
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "--- end of %s\n", what)
}
