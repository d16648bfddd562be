// Package sieve is sluice's Sieve mail filtering engine: it compiles
// scripts once and runs them, concurrently, on many messages.
//
// Implemented:
//   - RFC 5228, the Sieve language: require, if/elsif/else, stop, keep,
//     discard, redirect, fileinto, the address, allof, anyof, envelope,
//     exists, false, header, not, size and true tests, :is, :contains and
//     :matches, the i;octet and i;ascii-casemap comparators, and
//     encoded-character (§2.4.2.4)
//   - RFC 4790 §9.1 (i;ascii-numeric) and RFC 5051 (i;unicode-casemap)
//   - RFC 5429 reject and ereject
//   - RFC 5232 imap4flags
//   - RFC 5229 variables
//   - RFC 5231 relational
//   - RFC 5233 subaddress
//   - RFC 3894 copy
//   - RFC 5293 editheader (Result.HeaderEdits; later tests see the edits)
//   - RFC 5703 mime, foreverypart (and break), extracttext, replace and
//     enclose (Result.Message); replace works on the whole message only
//
// Scripts are parsed with the lexer and parser of
// github.com/foxcpp/go-sieve; the checks, the compiled program and its
// semantics are this package's own. Where Pigeonhole (Dovecot) differs from
// a strict reading of the RFCs, sluice follows Pigeonhole so that users
// notice no change: the string test compares with i;octet by default,
// invalid header names in tests are warnings that never match, and match
// variables go up to ${31}. Multi-line strings are rewritten into
// quoted strings before lexing (see prelex) because that lexer mishandles
// dot-stuffing on the first line and empty multi-line strings, and accepts
// a trailing comma in lists. That parser stops at the first syntax error;
// sluice skips the broken statement and parses again (recover.go), so that
// a script gets every syntax error, as with Pigeonhole. The checks report
// errors with Pigeonhole's granularity (compile_args.go): one error per bad
// command or argument, and an unknown command, test or tag once. Pigeonhole's
// limits apply too: identifiers of at most 32 characters, numbers up to
// 2^64-1, variable names of at most 64 characters, at most 32 arguments per
// command, and the address test only on headers that hold addresses
// (RFC 5228 §5.1).
//
// # Using it
//
//	s, err := sieve.Compile(ctx, "user.sieve", src, sieve.Options{})
//	// err is a *CompileErrors listing every problem with its line and column.
//	res, err := s.Run(ctx, &sieve.Input{Message: msg, Envelope: env})
//	// err (a *RuntimeError) means: keep the message (RFC 5228 §2.10.6).
//	// Otherwise deliver res.Actions, and keep when res.ImplicitKeep.
//
// # Writing an extension
//
// Every extension is one file ext_<name>.go defining an *extension value,
// plus one line in the registry table in extensions.go. An extension may
// give:
//
//   - commands and tests: a commandSpec lists its positional arguments
//     (argString, argStringList, argNumber; leading ones may be optional),
//     its own tagged arguments (tagSpec, with a value kind and conflicts),
//     the shared tag groups it accepts (comparator, match-type,
//     address-part, modifier), whether it takes tests or a block, a check
//     hook run at compile time (report with c.errorf/c.warnf, keep compiled
//     data in n.data, look at other scripts through c.ctx and
//     c.opts.Includes) and a run (command) or eval (test) hook;
//   - tags added to other extensions' commands (extraTag: :copy on
//     fileinto and redirect, :flags on keep, :index on header ...); they
//     are only accepted when the extension is required;
//   - members of the shared groups: match types (matchType, with a
//     compile-time check against the comparator and an optional
//     compileKey hook for constant keys, e.g. for :matches and :regex),
//     comparators, address parts and set modifiers (:encodeurl);
//   - variable namespaces (${env.name}) and a value filter that narrows
//     the values of header-like tests (the :index/:last of RFC 5260).
//
// At run time, hooks get the *exec: e.str/e.strs expand arguments
// (variables included; e.strsShared avoids the copy of a constant list
// for callers that only read it), e.matchKeys matches values against
// keys with the test's match type and comparator, e.headerValues gives
// decoded header values and e.header raw ones (both cached for the run:
// replace the message only through e.setMessage), e.addAction adds an
// action (merging duplicates and checking limits), e.msg is the Message
// (assert BodySource for the body) and e.state keeps per-run data.
// Actions of new kinds implement Action, and CancelsImplicitKeep() bool
// when they do.
//
// Extensions marked testOnly are never available to real scripts; the
// conformance test harness passes its own through an unexported field of
// Options.
package sieve
