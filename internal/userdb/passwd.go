package userdb

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// PasswdEntry is one line of a Dovecot passwd-file:
//
//	user:password:uid:gid:(gecos):home:(shell):extra_fields
//
// Trailing fields may be left out and any field may be empty. UID and GID
// are kept as written: numbers or user/group names.
type PasswdEntry struct {
	Name     string
	UID, GID string
	Home     string
	// Extra holds the space-separated key=value extra fields with any
	// "userdb_" prefix removed; a prefixed key wins over a bare one, and a
	// key without '=' has the value "".
	Extra map[string]string
}

// ParsePasswdLine parses one passwd-file line that is neither blank nor a
// comment. The password, gecos and shell fields are not kept.
func ParsePasswdLine(line string) (PasswdEntry, error) {
	// The extra fields are the rest of the line and may hold ':'
	// ("userdb_mail=maildir:~/Mail"), so split into at most 8 fields.
	f := strings.SplitN(line, ":", 8)
	for len(f) < 8 {
		f = append(f, "")
	}
	e := PasswdEntry{Name: f[0], UID: f[2], GID: f[3], Home: f[5]}
	if e.Name == "" {
		return PasswdEntry{}, fmt.Errorf("empty user name")
	}
	if strings.ContainsAny(e.Name, " \t") {
		return PasswdEntry{}, fmt.Errorf("user name %q contains white space", e.Name)
	}
	if extra := strings.Fields(f[7]); len(extra) > 0 {
		e.Extra = make(map[string]string, len(extra))
		prefixed := make(map[string]bool)
		for _, kv := range extra {
			key, value, _ := strings.Cut(kv, "=")
			bare, isUserdb := strings.CutPrefix(key, "userdb_")
			if bare == "" {
				return PasswdEntry{}, fmt.Errorf("extra field %q has no name", kv)
			}
			if !isUserdb && prefixed[bare] {
				continue
			}
			if isUserdb {
				prefixed[bare] = true
			}
			e.Extra[bare] = value
		}
	}
	// Extra fields override the positional ones (Dovecot: userdb_home,
	// userdb_uid, userdb_gid).
	for key, dst := range map[string]*string{"home": &e.Home, "uid": &e.UID, "gid": &e.GID} {
		if v, ok := e.Extra[key]; ok {
			*dst = v
			delete(e.Extra, key)
		}
	}
	if len(e.Extra) == 0 {
		e.Extra = nil
	}
	return e, nil
}

// sysEntry is a line of the system passwd or group file.
type sysEntry struct {
	name string
	id   int    // uid, or gid for a group
	gid  int    // primary gid of a user
	home string // home of a user
}

// parseSystemFile parses /etc/passwd (group=false: name:pw:uid:gid:gecos:
// home:shell) or /etc/group (group=true: name:pw:gid:members). Comments,
// blank lines and NIS "+"/"-" lines are skipped; other malformed lines are
// errors naming their line.
func parseSystemFile(name string, data []byte, group bool) (map[string]sysEntry, error) {
	out := make(map[string]sysEntry)
	minFields := 6
	if group {
		minFields = 3
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if line == "" || line[0] == '#' || line[0] == '+' || line[0] == '-' {
			continue
		}
		f := strings.Split(line, ":")
		if len(f) < minFields || f[0] == "" {
			return nil, fmt.Errorf("%s:%d: malformed line", name, n)
		}
		id, err := strconv.Atoi(f[2])
		if err != nil || id < 0 {
			return nil, fmt.Errorf("%s:%d: invalid id %q", name, n, f[2])
		}
		e := sysEntry{name: f[0], id: id}
		if !group {
			gid, err := strconv.Atoi(f[3])
			if err != nil || gid < 0 {
				return nil, fmt.Errorf("%s:%d: invalid gid %q", name, n, f[3])
			}
			e.gid, e.home = gid, f[5]
		}
		if _, dup := out[e.name]; !dup { // the first entry wins, as in getpwnam(3)
			out[e.name] = e
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return out, nil
}
