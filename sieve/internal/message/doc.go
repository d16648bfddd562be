// Package message is the read-only model of an Internet message that the
// Sieve engine tests against.
//
// It parses the header block of RFC 5322 (fields, folding, obsolete syntax),
// decodes RFC 2047 encoded words, parses address lists (RFC 5322 §3.4) and
// dates (RFC 5322 §3.3 and §4.3), and builds the MIME tree of RFC 2045 and
// RFC 2046 (with RFC 2231 parameter continuations and charsets) on demand,
// for the Sieve body (RFC 5173) and mime/foreverypart (RFC 5703) extensions.
//
// Everything here is tolerant: odd input never makes a parse fail. Only an
// I/O error or an exceeded [Limits] value is reported, with a specific error
// ([ErrHeaderTooLarge], [ErrTooManyFields]). MIME parts beyond MaxParts or
// MaxDepth are kept as opaque leaves and [Message.Truncated] reports it.
//
// The message bytes are held once; fields, bodies and parts are slices of
// them, so nothing returned by this package may be modified by the caller.
// A *Message is safe for concurrent reads.
package message
