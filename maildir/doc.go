// Package maildir is sluice's durable Maildir++ writer: the only code that
// stores delivered mail on disk.
//
// It implements the Maildir delivery protocol (D. J. Bernstein, "Using
// maildir format"), the Maildir++ folder, quota and keyword extensions as
// Courier and Dovecot use them, and mailbox names in modified UTF-7
// (RFC 3501 §5.1.3). IMAP flags follow RFC 3501 §2.3.2; keyword names must be
// IMAP atoms (RFC 3501 §9, "flag-keyword").
//
// # Durability
//
// A message is written to tmp/<unique>, fsynced, closed, renamed into new/
// (no flags) or cur/ (with an info suffix ":2,<letters>"), and the target
// directory is fsynced before [Maildir.Deliver] returns. On Linux the file
// in tmp/ has no name at all (O_TMPFILE): it is written, fsynced and then
// linked into new/ or cur/, which spares a directory entry and a rename and
// leaves nothing in tmp/ after a crash (see [TempFS]). Nothing appears in
// new/ or cur/ unless it is complete and fsynced; if the final directory
// fsync fails the renamed file is removed again (best effort), so an error
// returned to the caller never leaves a visible copy behind that a retry
// would duplicate.
//
// # Confinement
//
// Every file and directory operation goes through an [FS] whose default
// implementation is an [os.Root] opened on the user's mail root, so neither
// a crafted mailbox name nor a symlink planted inside the Maildir can make
// sluice read or write outside it. Symlinks that resolve inside the root
// (for example a folder linked to another folder) are followed, as Dovecot
// does; a symlink that leads out of the root makes the operation fail.
//
// # Layouts and names
//
// In the Maildir++ layout (the default) INBOX is the root directory itself
// and mailbox "A/B" lives in root/.A.B/ with its own cur/, new/ and tmp/ and
// an empty maildirfolder file. In the fs layout "A/B" lives in root/A/B/.
//
// "INBOX" is matched case-insensitively and always means the root. Like
// Dovecot with its default namespace (empty prefix, inbox=yes), a name below
// it such as "INBOX/x" is an ordinary folder named "INBOX/x" stored as
// .INBOX.x (fs layout: INBOX/x); it is not folded into "x". Its first level
// is normalised to upper case, so "inbox/x" and "INBOX/x" are the same
// folder. Callers with a Courier-style "INBOX." namespace strip that prefix
// before calling this package.
//
// Names are UTF-8 and use the separator given in [Options] ('/' by
// default). Each level is stored in modified UTF-7. See [ValidMailboxName]
// for the names that are refused.
package maildir
