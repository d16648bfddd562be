package maildir

import (
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name limits, counted in bytes after modified UTF-7 encoding.
const (
	maxComponentLen = 255  // one hierarchy level (and, in Maildir++, the whole .A.B directory name: it is one path element)
	maxNameLen      = 1024 // the whole name as stored on disk
)

// fsReserved are names a level may not take in the fs layout, where mailbox
// directories share a directory with the Maildir's own subdirectories and
// control files.
var fsReserved = map[string]bool{
	"cur": true, "new": true, "tmp": true,
	"maildirfolder": true, "maildirsize": true, "subscriptions": true,
}

// mailboxPath is a validated mailbox name and where it lives on disk.
type mailboxPath struct {
	name    string   // normalised name, caller's separator ("INBOX" for the root)
	dir     string   // directory relative to the mail root, "." for INBOX
	parents []string // fs layout: directories above dir that must exist, outermost first
	subs    string   // the name as written to the subscriptions file
	levels  []string // encoded levels (nil for INBOX)
}

func (p mailboxPath) inbox() bool { return p.dir == "." }

// ValidMailboxName reports whether name is acceptable as a mailbox name for
// the default options (Maildir++ layout, '/' separator). It returns nil or an
// error wrapping [ErrInvalidName]. Refused are:
//   - the empty name, an empty level ("a//b", a trailing separator), a
//     leading '/' and a leading '~';
//   - the levels "." and "..";
//   - NUL, any other control character (C0, DEL, C1) and invalid UTF-8;
//   - '/' inside a level when the separator is something else (it is the
//     path separator on disk);
//   - in the Maildir++ layout, '.' inside a level: '.' is the on-disk
//     hierarchy separator there, so "a.b" would be indistinguishable from
//     "a/b" (Dovecot refuses it too);
//   - in the fs layout, the levels cur, new, tmp, maildirfolder, maildirsize
//     and subscriptions, and any level starting with "dovecot", which would
//     collide with the Maildir's own files;
//   - a level longer than 255 bytes or a name longer than 1024 bytes once
//     encoded in modified UTF-7, and in Maildir++ a folder directory name
//     (".A.B") longer than 255 bytes.
func ValidMailboxName(name string) error {
	_, err := parseName(name, '/', LayoutMaildirPP)
	return err
}

func invalid(name, why string) error {
	return fmt.Errorf("%w %q: %s", ErrInvalidName, name, why)
}

// parseName validates name and maps it onto the layout.
func parseName(name string, sep rune, layout Layout) (mailboxPath, error) {
	switch {
	case name == "":
		return mailboxPath{}, invalid(name, "empty")
	case !utf8.ValidString(name):
		return mailboxPath{}, invalid(name, "not valid UTF-8")
	case len(name) > maxNameLen:
		return mailboxPath{}, invalid(name, "too long")
	case name[0] == '~':
		return mailboxPath{}, invalid(name, "leading '~'")
	case name[0] == '/':
		return mailboxPath{}, invalid(name, "leading '/'")
	}
	for _, r := range name {
		if r == 0 || unicode.IsControl(r) {
			return mailboxPath{}, invalid(name, "control character")
		}
	}
	raw := strings.Split(name, string(sep))
	// RFC 3501 §5.1: INBOX is case-insensitive; Dovecot also upper-cases it
	// as the first level of a longer name.
	if strings.EqualFold(raw[0], "INBOX") {
		raw[0] = "INBOX"
	}
	if len(raw) == 1 && raw[0] == "INBOX" {
		return mailboxPath{name: "INBOX", dir: ".", subs: "INBOX"}, nil
	}
	levels := make([]string, len(raw))
	for i, c := range raw {
		switch {
		case c == "":
			return mailboxPath{}, invalid(name, "empty hierarchy level")
		case c == "." || c == "..":
			return mailboxPath{}, invalid(name, "'.' or '..' level")
		case strings.ContainsRune(c, '/'):
			return mailboxPath{}, invalid(name, "'/' inside a level")
		case layout == LayoutMaildirPP && strings.ContainsRune(c, '.'):
			return mailboxPath{}, invalid(name, "'.' inside a level (Maildir++ separator)")
		case layout == LayoutFS && (fsReserved[c] || strings.HasPrefix(c, "dovecot")):
			return mailboxPath{}, invalid(name, "reserved level name")
		}
		enc, err := EncodeMUTF7(c)
		if err != nil {
			return mailboxPath{}, invalid(name, "not valid UTF-8")
		}
		if len(enc) > maxComponentLen {
			return mailboxPath{}, invalid(name, "level too long")
		}
		levels[i] = enc
	}
	p := mailboxPath{name: strings.Join(raw, string(sep)), levels: levels}
	switch layout {
	case LayoutFS:
		p.dir = path.Join(levels...)
		for i := 1; i < len(levels); i++ {
			p.parents = append(p.parents, path.Join(levels[:i]...))
		}
		p.subs = p.dir
	default:
		p.subs = strings.Join(levels, ".")
		p.dir = "." + p.subs
		if len(p.dir) > maxComponentLen {
			return mailboxPath{}, invalid(name, "folder directory name too long")
		}
	}
	if len(p.dir) > maxNameLen {
		return mailboxPath{}, invalid(name, "too long")
	}
	return p, nil
}
