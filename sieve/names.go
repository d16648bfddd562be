package sieve

// ValidHeaderName reports whether name can be a header field name: one or
// more printable US-ASCII characters other than colon (RFC 5322 §3.6.8).
// Tests and actions of a script ignore or refuse other names; a
// configuration naming header fields for the engine checks them with it.
func ValidHeaderName(name string) bool { return validHeaderName(name) }

// ValidSpecialUseFlag reports whether s is a special-use flag: a backslash
// and an atom (RFC 6154 §6), as fileinto :specialuse takes.
func ValidSpecialUseFlag(s string) bool { return validSpecialUse(s) }
