// Package scripts finds the Sieve scripts that run for a mail user and keeps
// them compiled in memory, recompiling a script as soon as it or anything it
// includes changes on disk.
//
// The layout follows Dovecot Pigeonhole so existing installations keep
// working: a personal script at ~/.dovecot.sieve (a file, or a symlink to the
// active script in ~/sieve/), administrator scripts that run before and after
// it, a default script for users who have none, and include directories for
// "include :personal" and "include :global" (RFC 6609). Layout.Chain
// computes the ordered list of scripts for a user and says why each one was
// or was not chosen.
//
// Cache compiles each script at most once per version of the script and its
// includes. The compiler is reached through CompileFunc, so this package does
// not depend on any particular Sieve implementation (RFC 5228); includes are
// read only through the Loader handed to the compiler, which lets the cache
// record every file a compiled program depends on. Staleness is detected by
// fsnotify watches on the directories of those files and, at every Get, by a
// stat comparison of each of them (see Cache for the details). Compiled
// programs are never written to disk.
//
// AppendLog writes compile errors to a bounded log file beside the user's
// script (~/.dovecot.sieve.log), where the user can read them.
package scripts
