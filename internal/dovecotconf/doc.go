// Package dovecotconf reads Dovecot's configuration files (2.3 and 2.4
// syntax) and translates the part that concerns local delivery into a
// sluice configuration.
//
// The parser follows Dovecot's own rules (doc/example-config and
// src/config/config-parser.c in Dovecot): one "key = value" per line, a
// trailing backslash continuing a line, '#' starting a comment outside
// quotes, "type [name] {" ... "}" sections, "!include" and
// "!include_try" with globs, and "$name" (2.3) or "$SET:name" (2.4)
// standing for the value a setting has so far.
//
// The translation covers what an LMTP or LDA delivery reads: the user
// database (passwd-file, static, passwd), the mail location, the
// recipient delimiter (RFC 5233) and lmtp_save_to_detail_mailbox, the
// LMTP listeners, Pigeonhole's Sieve settings (RFC 5228; vacation,
// RFC 5230; redirect limits) and the quota rule. Every delivery setting
// it cannot express is listed at the top of the output.
package dovecotconf
