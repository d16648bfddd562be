// Command bench measures sluice against Dovecot LMTP with Pigeonhole Sieve,
// side by side, on the same machine, users, Maildirs and Sieve script.
//
// Run it from the repository root:
//
//	go run ./bench -scenarios all
//
// It checks that Dovecot 2.3 with dovecot-lmtpd and dovecot-sieve is
// installed (it installs nothing and says what to install), builds
// ./cmd/sluice, starts a private Dovecot and then sluice for every round of
// every scenario, drives both with an LMTP (RFC 2033) load generator built
// on go-smtp, checks after every round that each message was filed into the
// folder and with the IMAP flags (RFC 5232) that testdata/user.sieve
// (RFC 5228, 5229) decides, and prints one Markdown table per scenario.
//
// It also measures the machine's raw durable-write rate, the Maildir
// delivery floor: write 4 KB into tmp/, fsync, rename into new/, fsync the
// directory, serially and with 8 writers, and reports each server's
// deliveries per second as a fraction of it.
//
// See README.md beside this file for the scenarios, the flags and how to
// read the numbers.
package main
