// Package state remembers short-lived facts about past deliveries so that
// Sieve actions with side effects happen once and only once:
//
//   - "vacation": a reply was sent to this sender for this user within the
//     last :days (RFC 5230 §4.2, one reply per sender per period, remembered
//     across restarts);
//   - "redirect": this message (by Message-ID) was already forwarded to this
//     target, so a second delivery of the same message does not forward it
//     again (RFC 5228 §4.2 leaves duplicate suppression to the implementation);
//   - "duplicate": the "duplicate" test of RFC 7352 saw this unique id before;
//   - "notify": a notification (RFC 5435) was sent for this id.
//
// Each record is a Key (user, kind, id) and an expiry time; nothing else is
// stored. The user and id are hashed with SHA-256 before they touch memory or
// disk, so the state file holds neither addresses nor Message-IDs in clear:
// it can tell whether a given key was seen, not which keys were seen.
//
// Three implementations are provided: Bolt, one bbolt file shared safely
// by concurrent deliveries in one process and by separate processes (the
// LDA runs one process per message); Redis, shared by several sluice nodes
// behind one MTA (SET NX PX gives the same test-and-set); and Memory, for
// tests and dry runs.
//
// Every error a Store returns wraps ErrUnavailable and must be treated by
// callers as temporary: a store that cannot be read is no reason to bounce
// mail, and no reason to send a reply or a forward twice either.
package state
