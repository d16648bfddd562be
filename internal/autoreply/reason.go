package autoreply

// Reason says why an automatic reply was suppressed. Its string form is
// stable: callers log it and count it in metrics.
type Reason string

// The reasons reported by [Original.ShouldAutoReply] and [Original.ShouldNotify].
// ReasonSpam and ReasonDuplicate are decided by the caller (spam verdict,
// per-sender reply memory) and exist here so that all suppressions share one
// vocabulary.
const (
	// ReasonNone: nothing prevents the reply.
	ReasonNone Reason = ""
	// ReasonNullSender: the envelope sender is null (RFC 3834 §2, RFC 5230 §4.6).
	ReasonNullSender Reason = "null-sender"
	// ReasonSenderIsUser: the envelope sender is one of the user's own addresses.
	ReasonSenderIsUser Reason = "sender-is-user"
	// ReasonMailerDaemon: the sender is a system or role address
	// (MAILER-DAEMON, LISTSERV, majordomo, owner-*, *-owner, *-request, ...).
	ReasonMailerDaemon Reason = "mailer-daemon"
	// ReasonList: the message carries a List-* header field (RFC 2369, RFC 2919).
	ReasonList Reason = "list"
	// ReasonAutoSubmitted: the message has Auto-Submitted other than "no" (RFC 3834 §5).
	ReasonAutoSubmitted Reason = "auto-submitted"
	// ReasonPrecedence: the message has Precedence bulk, junk or list.
	ReasonPrecedence Reason = "precedence"
	// ReasonAutoResponseSuppress: Microsoft's X-Auto-Response-Suppress asks for no reply.
	ReasonAutoResponseSuppress Reason = "x-auto-response-suppress"
	// ReasonNotAddressed: none of the user's addresses is in the recipient fields.
	ReasonNotAddressed Reason = "not-addressed"
	// ReasonOwnReplyLoop: the message is itself a vacation reply.
	ReasonOwnReplyLoop Reason = "own-reply-loop"
	// ReasonSpam: the caller judged the message to be spam.
	ReasonSpam Reason = "spam"
	// ReasonDuplicate: the caller already replied to this sender within the period.
	ReasonDuplicate Reason = "duplicate"
)

// String returns the stable name of r ("" for ReasonNone).
func (r Reason) String() string { return string(r) }

// Reasons lists every suppression reason, for pre-registering metric labels.
func Reasons() []Reason {
	return []Reason{
		ReasonNullSender, ReasonSenderIsUser, ReasonMailerDaemon, ReasonList,
		ReasonAutoSubmitted, ReasonPrecedence, ReasonAutoResponseSuppress,
		ReasonNotAddressed, ReasonOwnReplyLoop, ReasonSpam, ReasonDuplicate,
	}
}
