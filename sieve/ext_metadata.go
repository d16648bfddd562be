package sieve

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Metadata is an optional add-on to Services for the mboxmetadata and
// servermetadata extensions (RFC 5490 §§3-4): it reads IMAP METADATA
// entries (RFC 5464) of the user. mailbox "" means server entries. ok is
// false when the entry has no value. Without it no entry exists.
type Metadata interface {
	Metadata(ctx context.Context, mailbox, entry string) (value string, ok bool, err error)
}

// extMboxMetadata is RFC 5490 §3 (metadata, metadataexists) and
// extServerMetadata §4 (servermetadata, servermetadataexists).
var (
	extMboxMetadata = &extension{
		name: "mboxmetadata",
		tests: []*commandSpec{
			{name: "metadata", positional: []argKind{argString, argString, argStringList},
				groups: []string{groupComparator, groupMatchType},
				check:  checkMetadata(0, 1), eval: evalMetadata(true)},
			{name: "metadataexists", positional: []argKind{argString, argStringList},
				check: checkMetadata(0, 1), eval: evalMetadataExists(true)},
		},
	}
	extServerMetadata = &extension{
		name: "servermetadata",
		tests: []*commandSpec{
			{name: "servermetadata", positional: []argKind{argString, argStringList},
				groups: []string{groupComparator, groupMatchType},
				check:  checkMetadata(-1, 0), eval: evalMetadata(false)},
			{name: "servermetadataexists", positional: []argKind{argStringList},
				check: checkMetadata(-1, 0), eval: evalMetadataExists(false)},
		},
	}
)

// checkEntryName checks an annotation name (RFC 5464 §3.2): it starts
// with /private or /shared, has no empty component and no wildcards.
func checkEntryName(s string) error {
	if !strings.HasPrefix(s, "/") {
		return fmt.Errorf("entry name must begin with '/'")
	}
	low := strings.ToLower(s)
	if !strings.HasPrefix(low, "/private/") && !strings.HasPrefix(low, "/shared/") {
		return fmt.Errorf("entry name must begin with /private or /shared")
	}
	if strings.Contains(s, "//") || strings.HasSuffix(s, "/") || strings.ContainsAny(s, "*%") {
		return fmt.Errorf("entry name has an empty component or a wildcard")
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("entry name has a control character")
		}
	}
	return nil
}

// checkMetadata warns about constant mailbox names (arg mbox, -1 for none)
// and entry names (arg entries) that can never match, as Pigeonhole does.
func checkMetadata(mbox, entries int) func(c *checker, n *node) {
	return func(c *checker, n *node) {
		if mbox >= 0 {
			if s, ok := n.args[mbox].constStrings(); ok && !utf8.ValidString(s[0]) {
				c.warnf(n.args[mbox].pos, "%s test: invalid mailbox name '%s' specified: invalid UTF-8", n.spec.name, s[0])
			}
		}
		if list, ok := n.args[entries].constStrings(); ok {
			for _, s := range list {
				if err := checkEntryName(s); err != nil {
					c.warnf(n.args[entries].pos, "%s test: specified annotation name '%s' is invalid: %v", n.spec.name, s, err)
				}
			}
		}
	}
}

func evalMetadata(withMailbox bool) func(e *exec, n *node) (bool, error) {
	return func(e *exec, n *node) (bool, error) {
		args := n.args
		mailbox := ""
		if withMailbox {
			mailbox = e.str(args[0])
			if validMailbox(mailbox) != nil {
				return false, nil
			}
			args = args[1:]
		}
		entry := e.str(args[0])
		if checkEntryName(entry) != nil {
			return false, nil
		}
		md, ok := e.services().(Metadata)
		if !ok {
			return false, nil
		}
		v, ok, err := md.Metadata(e.ctx, mailbox, entry)
		if err != nil {
			return false, fmt.Errorf("%s %q: %w", n.spec.name, entry, err)
		}
		if !ok {
			// No value to compare: the test is false (RFC 5490 §3.3).
			return false, nil
		}
		return e.matchKeys(n, []string{v}, args[1]), nil
	}
}

// evalMetadataExists is true when every entry has a value (RFC 5490 §3.2).
func evalMetadataExists(withMailbox bool) func(e *exec, n *node) (bool, error) {
	return func(e *exec, n *node) (bool, error) {
		args := n.args
		mailbox := ""
		if withMailbox {
			mailbox = e.str(args[0])
			if validMailbox(mailbox) != nil {
				return false, nil
			}
			args = args[1:]
		}
		entries := e.strs(args[0])
		for _, entry := range entries {
			if checkEntryName(entry) != nil {
				return false, nil
			}
		}
		md, ok := e.services().(Metadata)
		if !ok {
			return false, nil
		}
		for _, entry := range entries {
			e.step()
			_, ok, err := md.Metadata(e.ctx, mailbox, entry)
			if err != nil {
				return false, fmt.Errorf("%s %q: %w", n.spec.name, entry, err)
			}
			if !ok {
				return false, nil
			}
		}
		return true, nil
	}
}
