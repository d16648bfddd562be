package sieve

import "strings"

// addressHeaders are the header fields the address test may name. RFC 5228
// §5.1 says implementations MUST restrict the address test to headers
// that contain addresses; this is Pigeonhole's list, so that a script
// valid there is valid here and the reverse.
var addressHeaders = map[string]bool{
	// RFC 5228 §5.1
	"from": true, "to": true, "cc": true, "bcc": true, "sender": true,
	"resent-from": true, "resent-to": true,
	// RFC 5322
	"reply-to": true, "resent-reply-to": true, "resent-sender": true,
	"resent-cc": true, "resent-bcc": true,
	// RFC 2076 and common practice
	"for-approval": true, "for-handling": true, "for-comment": true,
	"apparently-to": true, "errors-to": true, "delivered-to": true,
	"return-receipt-to": true, "x-admin": true, "read-receipt-to": true,
	"x-confirm-reading-to": true, "return-receipt-requested": true,
	"registered-mail-reply-requested-by": true, "mail-followup-to": true,
	"mail-reply-to": true, "abuse-reports-to": true, "x-complaints-to": true,
	"x-report-abuse-to": true, "x-beenthere": true, "x-original-to": true,
}

// checkAddressHeaders refuses constant header names in the first argument
// of the address test that cannot hold addresses (RFC 5228 §5.1).
func checkAddressHeaders(c *checker, n *node) {
	if len(n.args) == 0 {
		return
	}
	names, ok := n.args[0].constStrings()
	if !ok {
		return
	}
	for _, h := range names {
		if !addressHeaders[strings.ToLower(h)] {
			c.errorf(n.args[0].pos, "specified header '%s' is not allowed for the address test", h)
			return
		}
	}
}
