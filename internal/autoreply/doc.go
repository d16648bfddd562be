// Package autoreply decides whether sluice may send an automatic message in
// answer to an incoming one, and builds that message.
//
// It is a pure library: it reads the incoming message's header fields and
// envelope, and returns the bytes and envelope of the message to send. It
// does no network or disk I/O; delivery hands the result to its submission
// path and keeps the per-sender "already replied" memory.
//
// Three kinds of automatic message are built here:
//
//   - vacation replies (RFC 5230 Sieve "vacation", RFC 6131 ":seconds"),
//     following the rules of RFC 3834 for automatic responses;
//   - rejection notices for Sieve "reject" (RFC 5429 §2.1.1), shaped as a
//     message disposition notification (RFC 8098, formerly RFC 3798);
//   - e-mail notifications for Sieve "notify" with a mailto: method
//     (RFC 5435, RFC 5436), whose URI follows RFC 6068.
//
// Whether a reply may be sent at all is decided by [Original.ShouldAutoReply]:
// it never answers a null sender, a mailing list, an automated or bulk
// message, a system address, or a message that does not name the user, and
// reports why as a [Reason] with a stable string for logs and metrics.
package autoreply
