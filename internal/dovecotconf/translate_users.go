package dovecotconf

import (
	"maps"
	"slices"
	"strconv"
	"strings"
)

// users translates the first userdb sluice can read: passwd-file,
// static or passwd (the system users).
func (t *translator) users() {
	t.authUsername()
	var chosen bool
	for _, db := range t.cfg.Root.Find("userdb", "") {
		drv := db.Name // 2.4: "userdb passwd-file { }"
		if v, ok := db.Get("driver"); ok {
			drv = v.Value
		}
		from := Setting{Key: "userdb " + drv, Pos: db.Pos}
		if chosen {
			t.out.skip(from, "a second user database: sluice reads one")
			continue
		}
		switch drv {
		case "passwd-file":
			chosen = t.passwdFile(db, from)
		case "static":
			chosen = t.static(db, from)
		case "passwd":
			t.out.set("users", "source", tomlString("system"), from)
			chosen = true
		case "prefetch":
			t.out.skip(from, "prefetch takes users from the passdb, which sluice does not read")
		default:
			t.out.skip(from, "sluice reads passwd-file, static and passwd user databases only")
		}
		if chosen {
			t.userdbExtras(db)
			if len(t.opts.Domains) > 0 {
				t.out.set("users", "domains", tomlList(t.opts.Domains), Setting{})
			}
		}
	}
	if !chosen && len(t.cfg.Root.Find("userdb", "")) == 0 {
		t.out.skip(Setting{}, "no userdb section: set [users] by hand")
	}
}

// authUsername: auth_username_format decides case folding (%Lu, the
// default, lowers) and whether the domain is dropped (%n).
func (t *translator) authUsername() {
	s, ok := t.get("auth_username_format")
	if !ok {
		return
	}
	v := strings.ReplaceAll(s.Value, " ", "")
	switch v {
	case "%Lu", "%{user|lower}":
	case "%u", "%{user}":
		t.out.set("users", "local_part_fold", tomlString("none"), s)
	case "%Ln", "%{user|username|lower}", "%{user|lower|username}":
		t.out.set("users", "strip_domain", "true", s)
	case "%n", "%{user|username}":
		t.out.set("users", "local_part_fold", tomlString("none"), s)
		t.out.set("users", "strip_domain", "true", s)
	default:
		t.out.skip(s, "only %%u, %%Lu, %%n and %%Ln (and their 2.4 forms) are translated")
	}
}

// passwdFile: 2.3 "args = [key=value ...] PATH", 2.4 passwd_file_path.
func (t *translator) passwdFile(db *Section, from Setting) bool {
	var file string
	if v, ok := db.Get("passwd_file_path"); ok {
		file = v.Value
	}
	if v, ok := db.Get("args"); ok {
		for _, f := range strings.Fields(v.Value) {
			key, val, isOpt := strings.Cut(f, "=")
			switch {
			case !isOpt:
				file = f
			case key == "username_format":
				switch val {
				case "%n", "%Ln", "%{user|username}", "%{user|username|lower}":
					t.out.set("users", "strip_domain", "true", v)
				case "%u", "%Lu", "%{user}", "%{user|lower}":
				default:
					t.out.skip(v, "username_format=%s is not translated", val)
				}
			case key == "scheme":
				// A passdb option; delivery does not check passwords.
			default:
				t.out.skip(v, "passwd-file option %s is not translated", key)
			}
		}
	}
	if file == "" {
		t.out.skip(from, "passwd-file without a file")
		return false
	}
	if strings.Contains(file, "%") {
		t.out.skip(from, "the file name %q has variables; sluice reads one passwd-file", file)
	}
	t.out.set("users", "source", tomlString("passwd-file"), from)
	t.out.set("users", "file", tomlString(file), from)
	return true
}

// static: 2.3 "args = uid=vmail gid=vmail home=/var/vmail/%d/%n",
// 2.4 "fields { uid = vmail ... }".
func (t *translator) static(db *Section, from Setting) bool {
	fields := map[string]Setting{}
	if v, ok := db.Get("args"); ok {
		for _, f := range strings.Fields(v.Value) {
			if key, val, ok := strings.Cut(f, "="); ok {
				fields[key] = Setting{Key: key, Value: val, Pos: v.Pos}
			}
		}
	}
	for _, fs := range db.Find("fields", "") {
		for _, s := range fs.Settings {
			fields[s.Key] = s
		}
	}
	t.out.set("users", "source", tomlString("static"), from)
	if len(t.opts.Domains) == 0 {
		t.out.pending("users", "domains", `["example.org"]`, from, "required for a static user database, and not in Dovecot's configuration: list your domains")
	}
	home, ok := fields["home"]
	if !ok {
		home, ok = t.get("mail_home")
	}
	if ok {
		t.out.set("users", "static_home", tomlString(home.Value), home)
	} else {
		t.out.skip(from, "no home: set users.static_home")
	}
	for _, id := range []string{"uid", "gid"} {
		s, ok := fields[id]
		if !ok {
			continue
		}
		if n, err := strconv.Atoi(strings.TrimSpace(s.Value)); err == nil && n >= 0 {
			t.out.set("users", "static_"+id, strconv.Itoa(n), s)
		} else {
			t.out.pending("users", "static_"+id, "5000", s, "sluice wants the number of "+strconv.Quote(s.Value)+" (id -"+id[:1]+" "+s.Value+")")
		}
	}
	for _, k := range []string{"allow_all_users"} {
		delete(fields, k)
	}
	delete(fields, "home")
	delete(fields, "uid")
	delete(fields, "gid")
	for _, k := range sortedKeys(fields) {
		t.out.skip(fields[k], "static field not translated")
	}
	return true
}

// userdbExtras: default_fields / override_fields (2.3) and fields
// (2.4, except static's, read above) give every user values sluice's
// passwd-file cannot default.
func (t *translator) userdbExtras(db *Section) {
	for _, k := range []string{"default_fields", "override_fields"} {
		if v, ok := db.Get(k); ok {
			t.out.skip(v, "sluice has no default or override fields: put them into each user's line")
		}
	}
	if drv, _ := db.Get("driver"); drv.Value == "static" || db.Name == "static" {
		return
	}
	for _, fs := range db.Find("fields", "") {
		for _, s := range fs.Settings {
			t.out.skip(s, "userdb field not translated: put it into each user's line")
		}
	}
}

func sortedKeys(m map[string]Setting) []string {
	return slices.Sorted(maps.Keys(m))
}
