package autoreply

import "strings"

// Policy says who the user is and how strictly a reply is restricted.
type Policy struct {
	// UserAddresses are the user's other addresses: the vacation
	// :addresses (RFC 5230 §4.3) and configured aliases. The envelope
	// recipient always counts as the user's address.
	UserAddresses []string
	// CheckRecipient requires one of the user's addresses in To, Cc, Bcc,
	// Resent-To, Resent-Cc or Resent-Bcc (RFC 5230 §4.5). It is Dovecot's
	// sieve_vacation_dont_check_recipient inverted; DefaultPolicy sets it.
	CheckRecipient bool
	// SendToSelf allows a reply whose destination is one of the user's own
	// addresses (useful for trying a vacation script out).
	SendToSelf bool
	// CaseSensitiveLocalPart compares local parts byte for byte. By
	// default they compare case-insensitively, as Dovecot does; domains
	// always compare case-insensitively (RFC 5321 §2.4).
	CaseSensitiveLocalPart bool
	// DetailSeparators, when not empty, makes "user+detail" match "user"
	// (RFC 5233): the local part is cut at the first of these characters.
	DetailSeparators string
}

// DefaultPolicy returns the recommended policy: the recipient check on,
// replies to the user's own addresses off, local parts case-insensitive.
func DefaultPolicy(userAddresses ...string) Policy {
	return Policy{UserAddresses: userAddresses, CheckRecipient: true}
}

func (p Policy) matcher() addressMatcher {
	return addressMatcher{caseSensitiveLocal: p.CaseSensitiveLocalPart, detailSeparators: p.DetailSeparators}
}

// listHeaders mark mailing-list traffic (RFC 2369, RFC 2919); RFC 5230 §4.6
// says not to reply to list mail, and Pigeonhole checks exactly these.
var listHeaders = []string{
	"List-Id", "List-Owner", "List-Subscribe", "List-Post",
	"List-Unsubscribe", "List-Help", "List-Archive",
}

// recipientHeaders are searched for the user's addresses (RFC 5230 §4.5
// names To, Cc, Bcc and the Resent- forms).
var recipientHeaders = []string{"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"}

// ShouldAutoReply decides whether a vacation reply may be sent for o. It
// returns ok=false and the first reason that forbids it, checking in this
// order: null sender, our own reply coming back, the user writing to
// themselves, list mail, automated mail (Auto-Submitted, Precedence,
// X-Auto-Response-Suppress), system senders, and finally whether the
// message names the user at all.
//
// Rate limiting per sender (ReasonDuplicate) and spam (ReasonSpam) are left
// to the caller.
func (o *Original) ShouldAutoReply(p Policy) (ok bool, reason Reason) {
	m := p.matcher()
	sender := o.EnvelopeFrom
	// RFC 5230 §4.6, RFC 3834 §2: never answer the null reverse-path.
	if sender == "" {
		return false, ReasonNullSender
	}
	if r := o.autoSubmitted(); r != ReasonNone {
		return false, r
	}
	// Pigeonhole: "discarded vacation reply to own address", also for the
	// :addresses. RFC 5230 §4.6 forbids replying to oneself.
	if !p.SendToSelf && o.isUser(m, p, sender) {
		return false, ReasonSenderIsUser
	}
	// RFC 5230 §4.6: don't reply to mailing lists.
	for _, h := range listHeaders {
		if o.Header.Has(h) {
			return false, ReasonList
		}
	}
	if precedenceBulk(o.values("Precedence")) {
		return false, ReasonPrecedence
	}
	if autoResponseSuppressed(o.values("X-Auto-Response-Suppress")) {
		return false, ReasonAutoResponseSuppress
	}
	if isSystemAddress(sender) {
		return false, ReasonMailerDaemon
	}
	if p.CheckRecipient {
		if _, found := o.addressedTo(m, p); !found {
			return false, ReasonNotAddressed
		}
	}
	return true, ReasonNone
}

// ShouldNotify decides whether a notify :mailto message may be sent for o.
// RFC 5436 §2.7 forbids notifying about an automatically submitted message
// (Auto-Submitted other than "no"), which also stops notification loops.
func (o *Original) ShouldNotify() (ok bool, reason Reason) {
	if r := o.autoSubmitted(); r != ReasonNone {
		return false, r
	}
	return true, ReasonNone
}

// autoSubmitted inspects every Auto-Submitted field (RFC 3834 §5). Any value
// but "no" (ignoring case, comments and parameters) marks the message as
// automatic; "auto-replied" with the "(vacation)" comment that our own
// replies carry is reported as a reply loop.
func (o *Original) autoSubmitted() Reason {
	for _, v := range o.values("Auto-Submitted") {
		kw := keyword(v)
		if kw == "no" {
			continue
		}
		if kw == "auto-replied" && strings.Contains(strings.ToLower(v), "(vacation)") {
			return ReasonOwnReplyLoop
		}
		return ReasonAutoSubmitted
	}
	return ReasonNone
}

// keyword returns the lower-case first token of a structured value, with
// comments removed and anything after ";" (parameters) dropped.
func keyword(v string) string {
	v = stripComments(v)
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// precedenceBulk: the non-standard Precedence field (RFC 3834 §3.1.8 notes
// its use) with bulk, junk or list, as Pigeonhole checks.
func precedenceBulk(values []string) bool {
	for _, v := range values {
		switch keyword(v) {
		case "bulk", "junk", "list":
			return true
		}
	}
	return false
}

// autoResponseSuppressed: Microsoft's X-Auto-Response-Suppress ([MS-OXCMAIL]
// §2.2.3.2.14) is a comma-separated list; All, OOF (out of office) and
// AutoReply each ask an out-of-office responder to stay quiet. Pigeonhole
// honours All and OOF.
func autoResponseSuppressed(values []string) bool {
	for _, v := range values {
		for _, tok := range strings.Split(stripComments(v), ",") {
			switch strings.ToLower(strings.TrimSpace(tok)) {
			case "all", "oof", "autoreply":
				return true
			}
		}
	}
	return false
}

// isSystemAddress reports whether the envelope sender is a system or role
// address that must not get a personal reply. Sources for each rule:
//
//   - MAILER-DAEMON: RFC 3834 §2 (bounces come from it), RFC 5230 §4.6,
//     Pigeonhole.
//   - LISTSERV, majordomo: list managers, RFC 5230 §4.6 and Pigeonhole.
//   - owner-*, *-request: list administrative addresses, RFC 3834 §2 and
//     RFC 5230 §4.6, Pigeonhole.
//   - *-owner: the same convention with a suffix (Sendmail aliases, Mailman).
//   - *-bounces: Mailman's envelope sender (VERP "list-bounces+..."), a list
//     even when it sends no List-* field.
//   - noreply, no-reply, do-not-reply and the like: the sender states that
//     replies are not read; answering them only adds traffic.
//
// The local part is compared case-insensitively, after removing a
// "+detail" (RFC 5233) so that VERP addresses match.
func isSystemAddress(addr string) bool {
	local, _, _ := splitAddress(bareAddress(addr))
	local = strings.ToLower(local)
	if i := strings.IndexByte(local, '+'); i > 0 {
		local = local[:i]
	}
	switch local {
	case "mailer-daemon", "listserv", "majordomo":
		return true
	}
	for _, p := range []string{"owner-", "noreply", "no-reply", "no_reply", "donotreply", "do-not-reply", "do_not_reply"} {
		if strings.HasPrefix(local, p) {
			return true
		}
	}
	for _, s := range []string{"-request", "-owner", "-bounces"} {
		if strings.HasSuffix(local, s) {
			return true
		}
	}
	return false
}

// userAddresses returns the envelope recipient first, then the policy's
// other addresses.
func (o *Original) userAddresses(p Policy) []string {
	out := make([]string, 0, 1+len(p.UserAddresses))
	if o.EnvelopeTo != "" {
		out = append(out, o.EnvelopeTo)
	}
	for _, a := range p.UserAddresses {
		if a = bareAddress(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

func (o *Original) isUser(m addressMatcher, p Policy, addr string) bool {
	for _, u := range o.userAddresses(p) {
		if m.same(addr, u) {
			return true
		}
	}
	return false
}

// addressedTo finds the first of the user's addresses that appears in the
// recipient fields. Like Pigeonhole it walks the fields in order and, in
// each, tries the envelope recipient before the other addresses; the
// address found is the natural From of the reply.
func (o *Original) addressedTo(m addressMatcher, p Policy) (string, bool) {
	users := o.userAddresses(p)
	for _, h := range recipientHeaders {
		var listed []string
		for _, v := range o.values(h) {
			for _, a := range parseAddressList(v) {
				listed = append(listed, a.Address)
			}
		}
		for _, u := range users {
			for _, a := range listed {
				if m.same(a, u) {
					return u, true
				}
			}
		}
	}
	return "", false
}
