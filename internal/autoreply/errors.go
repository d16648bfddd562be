package autoreply

import "errors"

var (
	// ErrNullSender: a reply was asked for a message with a null envelope
	// sender; nothing may be sent to it (RFC 5429 §2.1.1, RFC 3834 §2).
	ErrNullSender = errors.New("autoreply: envelope sender is null")
	// ErrNoRecipient: the original message has no envelope recipient.
	ErrNoRecipient = errors.New("autoreply: envelope recipient is empty")
	// ErrInvalidFrom: a :from address is not a valid mailbox. BuildVacation
	// falls back to the recipient and reports it in Outgoing.Warnings.
	ErrInvalidFrom = errors.New("autoreply: invalid :from address")
	// ErrInvalidMIME: a :mime vacation reason is not a MIME entity.
	ErrInvalidMIME = errors.New("autoreply: invalid :mime reason")
	// ErrInvalidMailto: a notify method is not a valid mailto: URI (RFC 6068).
	ErrInvalidMailto = errors.New("autoreply: invalid mailto URI")
	// ErrNoNotifyRecipients: a mailto: URI names no recipient.
	ErrNoNotifyRecipients = errors.New("autoreply: mailto URI has no recipients")
	// ErrHeader: the original message's header could not be parsed.
	ErrHeader = errors.New("autoreply: malformed message header")

	errInvalidAddrSpec = errors.New("not a valid addr-spec")
)
