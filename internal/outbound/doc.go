// Package outbound hands messages that sluice itself originates (redirects,
// vacation replies, notifications, rejection notices) to a mail transfer
// agent, and rewrites envelope senders of forwarded mail with the Sender
// Rewriting Scheme.
//
// # Senders
//
// A Sender takes an envelope and a message and returns once the MTA has
// taken responsibility for it. Two are provided:
//
//   - SMTPSender speaks SMTP (RFC 5321) to a relay, by default the local MTA
//     on 127.0.0.1:25: EHLO, optional STARTTLS (RFC 3207), MAIL FROM with
//     SMTPUTF8 (RFC 6531) when an envelope address is not ASCII and BODY=8BITMIME
//     (RFC 6152) when the relay offers it, one RCPT TO per recipient, DATA.
//     The whole transaction is bounded by a timeout; a relay that refuses
//     the connection or stops answering yields a temporary error within it.
//   - SendmailSender runs the MTA's sendmail(1) program as
//     "sendmail -i -f <sender> -- <recipient>...", message on stdin, and
//     reads its exit status as sysexits(3) codes.
//
// Failures are reported as *Error, which says whether the failure is
// temporary (try again later: SMTP 4xx replies, network trouble, timeouts,
// sendmail exit 71 or 75) or permanent (SMTP 5xx replies to MAIL, RCPT or
// DATA, other sendmail exit codes). When some recipients were refused and
// others accepted, the error is a *RcptError listing both. IsTemporary
// classifies any error, treating an unknown one as temporary.
//
// # Sender Rewriting Scheme
//
// Forwarding a message with its original envelope sender makes SPF checks at
// the next hop fail; SRS rewrites the sender into an address at the
// forwarding domain that bounces can be routed back through. SRS encodes the
// original address in the local part, in the format of libsrs2 and PostSRSd,
// so that addresses written by either can be read by the other:
//
//	SRS0=HHHH=TT=orig-domain=orig-local@srs-domain
//
// HHHH is the first HashLength (default 4) characters of the standard base64
// encoding of HMAC-SHA1(secret, lower(TT + orig-domain + orig-local)); TT is
// the day number (Unix time / 86400) modulo 1024 as two base32 characters
// (A-Z, 2-7), most significant first. Reverse accepts the hash in any case
// (some relays change the case of local parts), accepts older secrets for
// rotation, and refuses addresses older than MaxAge (default 21 days).
//
// An address that is already SRS0 at another domain is not wrapped again; it
// becomes SRS1, which keeps the original SRS0 host and local part:
//
//	SRS1=HHHH=srs0-host==HHHH=TT=orig-domain=orig-local@srs-domain
//
// with HHHH = HMAC over lower(srs0-host + "=HHHH=TT=orig-domain=orig-local").
// An SRS1 address forwarded again only gets a fresh hash and domain.
// Reversing SRS1 yields the SRS0 address at srs0-host, which that host
// reverses in turn. The null sender is never rewritten (RFC 5321 §4.5.5:
// bounces must not cause further bounces).
package outbound
