// Package delivery is sluice's local delivery front end: an LMTP server
// (RFC 2033) that accepts a message once per transaction, spools it, and
// hands one copy per accepted recipient to an Agent (the seam where Sieve
// filtering plugs in; the default Agent keeps the message into INBOX).
//
// The protocol follows RFC 2033 on top of RFC 5321, with PIPELINING,
// 8BITMIME, SIZE, ENHANCEDSTATUSCODES (RFC 2034, codes from RFC 3463),
// CHUNKING/BDAT (RFC 3030), SMTPUTF8 (RFC 6531) and the ORCPT parameter of
// DSN (RFC 3461), which becomes the recipient's original address.
//
// After DATA, and after BDAT ... LAST, the server answers once per accepted
// RCPT, in RCPT order (RFC 2033 section 4.2), so one recipient's failure
// never affects another's. Errors are turned into LMTP replies, and into
// sysexits(3) exit codes for the LDA path, in exactly one place: Reply and
// ExitCode in errors.go. Unknown errors are always temporary.
package delivery
