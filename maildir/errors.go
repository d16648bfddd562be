package maildir

import "errors"

// Sentinel errors. Test for them with [errors.Is]. Every other error returned
// by this package is an I/O failure that callers should treat as temporary.
var (
	// ErrInvalidName reports a mailbox name that is refused (see
	// [ValidMailboxName]). It is permanent.
	ErrInvalidName = errors.New("maildir: invalid mailbox name")
	// ErrMailboxNotFound reports a missing mailbox when creation was not
	// requested. It is permanent for this delivery attempt.
	ErrMailboxNotFound = errors.New("maildir: mailbox does not exist")
	// ErrQuotaExceeded reports that storing the message would exceed the
	// Maildir++ quota.
	ErrQuotaExceeded = errors.New("maildir: quota exceeded")
	// ErrLockTimeout reports that a lock file (dovecot-uidlist.lock,
	// subscriptions.lock) stayed held by someone else for too long. It is
	// temporary.
	ErrLockTimeout = errors.New("maildir: timeout waiting for lock")
)

// Temporary reports whether err should be treated as a temporary failure,
// that is, whether a later retry of the same delivery may succeed. Invalid
// names, missing mailboxes and quota refusals are permanent; everything else,
// including unknown errors, is temporary.
func Temporary(err error) bool {
	if err == nil {
		return false
	}
	switch {
	case errors.Is(err, ErrInvalidName), errors.Is(err, ErrMailboxNotFound), errors.Is(err, ErrQuotaExceeded):
		return false
	}
	return true
}
