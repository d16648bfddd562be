// Package postfix holds black-box tests that put sluice behind a real
// Postfix: a private Postfix instance (its own configuration, queue and
// data directories under a temporary directory, SMTP on a free loopback
// port) relays mail to a freshly built sluice binary over LMTP (RFC 2033)
// on a unix socket, over LMTP on TCP, and through Postfix's pipe(8)
// transport running "sluice deliver".
//
// The tests read Postfix's own log (maillog_file, Postfix ≥ 3.4) to see
// what Postfix made of each reply: status=sent, status=deferred (and the
// retry after the fault is gone), status=bounced (and the non-delivery
// notification, RFC 3464, that reaches the sender).
//
// They are skipped, with a message saying why, when Postfix is not
// installed (/usr/sbin/postfix), when the tests do not run as root
// (postfix(1) starts its master as the super-user only), and with -short.
// On Debian:
//
//	echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
//	DEBIAN_FRONTEND=noninteractive apt-get install -y postfix
//	go test -race ./tests/postfix/
package postfix
