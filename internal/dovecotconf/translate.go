package dovecotconf

import (
	"path"
	"slices"
	"strconv"
	"strings"
)

// TranslateOptions tune Translate.
type TranslateOptions struct {
	// Source names the configuration in the output's first line, such
	// as "/etc/dovecot/dovecot.conf".
	Source string
	// Domains become users.domains: required by a static user database,
	// which Dovecot's configuration does not list.
	Domains []string
}

// Translation is a sluice configuration made from a Dovecot one.
type Translation struct {
	// TOML is the whole file, its header listing what was not
	// translated.
	TOML string
	// Untranslated are the delivery settings that TOML lacks.
	Untranslated []Note
}

// Translate makes a sluice configuration of the delivery settings in c:
// those Dovecot's LMTP server and LDA read, with "protocol lmtp { }"
// overriding "protocol lda { }" overriding the top level, and "plugin
// { }" (Dovecot 2.3) read like the top level (Dovecot 2.4).
func Translate(c *Config, o TranslateOptions) *Translation {
	t := &translator{cfg: c, out: newOutput(), used: make(map[string]bool), opts: o}
	t.out.skips = append(t.out.skips, c.Notes...)
	t.scopes = t.deliveryScopes()
	t.general()
	t.listeners()
	t.users()
	t.mail()
	t.quota()
	t.sieve()
	t.unknown()
	source := o.Source
	if source == "" {
		source = c.Root.Pos.File
	}
	return &Translation{TOML: t.out.render(source), Untranslated: t.out.skips}
}

type translator struct {
	cfg  *Config
	opts TranslateOptions
	out  *output
	// scopes are the sections a delivery reads settings from, most
	// specific first.
	scopes []*Section
	// used are the keys handled, so that unknown() lists the others.
	used map[string]bool
}

// deliveryScopes: protocol lmtp, protocol lda, the top level, each
// followed by its plugin sections.
func (t *translator) deliveryScopes() []*Section {
	var out []*Section
	add := func(s *Section) {
		out = append(out, s)
		out = append(out, s.Find("plugin", "")...)
	}
	for _, proto := range []string{"lmtp", "lda"} {
		for _, s := range t.cfg.Root.Find("protocol", "") {
			if slices.Contains(strings.Fields(s.Name), proto) {
				add(s)
			}
		}
	}
	add(t.cfg.Root)
	return out
}

// get is the value of key a delivery sees.
func (t *translator) get(key string) (Setting, bool) {
	t.used[key] = true
	for _, s := range t.scopes {
		if v, ok := s.Get(key); ok {
			return v, true
		}
	}
	return Setting{}, false
}

// sections are the sections of typ a delivery sees, most specific scope
// first.
func (t *translator) sections(typ string) []*Section {
	var out []*Section
	for _, s := range t.scopes {
		if s.Type == "plugin" {
			continue
		}
		out = append(out, s.Find(typ, "")...)
	}
	return out
}

// boolSetting translates a yes/no setting into table.key.
func (t *translator) boolSetting(dovecot, table, key string) {
	s, ok := t.get(dovecot)
	if !ok {
		return
	}
	b, err := boolValue(s.Value)
	if err != nil {
		t.out.skip(s, "%v", err)
		return
	}
	t.out.set(table, key, strconv.FormatBool(b), s)
}

// general: the host name and LMTP behaviour.
func (t *translator) general() {
	if s, ok := t.get("hostname"); ok && s.Value != "" {
		t.out.set("", "hostname", tomlString(s.Value), s)
	}
	if s, ok := t.get("lmtp_user_concurrency_limit"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(s.Value)); err != nil || n < 0 {
			t.out.skip(s, "not a number")
		} else {
			t.out.set("lmtp", "max_user_deliveries", strconv.Itoa(n), s)
		}
	}
	t.boolSetting("lmtp_add_received_header", "lmtp", "add_received")
	if s, ok := t.get("postmaster_address"); ok {
		t.out.skip(s, "sluice takes the postmaster address from hostname")
	}
	for _, k := range []string{"lmtp_proxy", "lmtp_rcpt_check_quota", "lmtp_hdr_delivery_address", "lda_original_recipient_header", "lmtp_client_workarounds", "lda_mailbox_autocreate", "lda_mailbox_autosubscribe"} {
		t.used[k] = true
	}
	if s, ok := t.get("lmtp_proxy"); ok {
		if b, _ := boolValue(s.Value); b {
			t.out.skip(s, "sluice delivers locally; it does not proxy LMTP")
		}
	}
}

// listeners: "service lmtp { unix_listener ... inet_listener ... }".
func (t *translator) listeners() {
	baseDir := "/run/dovecot"
	if s, ok := t.get("base_dir"); ok && s.Value != "" {
		baseDir = s.Value
	}
	var items []string
	var from Setting
	for _, svc := range t.cfg.Root.Find("service", "lmtp") {
		from = Setting{Key: "service lmtp", Pos: svc.Pos}
		for _, l := range svc.Find("unix_listener", "") {
			p := l.Name
			if !strings.HasPrefix(p, "/") {
				p = path.Join(baseDir, p)
			}
			item := "{ path = " + tomlString(p)
			for _, f := range []struct{ dovecot, sluice string }{{"mode", "mode"}, {"user", "owner"}, {"group", "group"}} {
				if v, ok := l.Get(f.dovecot); ok && v.Value != "" {
					item += ", " + f.sluice + " = " + tomlString(v.Value)
				}
			}
			items = append(items, item+" }")
		}
		for _, l := range svc.Find("inet_listener", "") {
			port := "24"
			if v, ok := l.Get("port"); ok {
				port = v.Value
			}
			if port == "0" {
				continue // disabled
			}
			addrs := []string{"127.0.0.1"}
			if v, ok := l.Get("address"); ok && v.Value != "" {
				addrs = strings.FieldsFunc(v.Value, func(r rune) bool { return r == ',' || r == ' ' })
			} else if v, ok := t.get("listen"); ok && v.Value != "" {
				addrs = strings.FieldsFunc(v.Value, func(r rune) bool { return r == ',' || r == ' ' })
			}
			for _, a := range addrs {
				switch a {
				case "*":
					a = "0.0.0.0"
				case "::", "[::]":
					a = "[::]"
				default:
					if strings.Contains(a, ":") && !strings.HasPrefix(a, "[") {
						a = "[" + a + "]"
					}
				}
				items = append(items, tomlString("tcp:"+a+":"+port))
			}
		}
	}
	if len(items) == 0 {
		t.out.skip(Setting{}, "no \"service lmtp\" listener found: set lmtp.listen")
		return
	}
	t.out.set("lmtp", "listen", "[\n  "+strings.Join(items, ",\n  ")+",\n]", from)
}

// mail: mail location (2.3 mail_location, 2.4 mail_driver + mail_path),
// the recipient delimiter and the LDA/LMTP mailbox options.
func (t *translator) mail() {
	t.used["mail_home"] = true
	if s, ok := t.get("mail_location"); ok && s.Value != "" {
		if strings.HasPrefix(s.Value, "maildir:") {
			t.out.set("mail", "location", tomlString(s.Value), s)
		} else {
			t.out.skip(s, "sluice stores into Maildir only")
		}
	}
	if drv, ok := t.get("mail_driver"); ok {
		if drv.Value != "maildir" {
			t.out.skip(drv, "sluice stores into Maildir only")
		} else {
			loc := "maildir:~/Maildir"
			if p, ok := t.get("mail_path"); ok && p.Value != "" {
				loc = "maildir:" + p.Value
			}
			if l, ok := t.get("mail_layout"); ok {
				switch l.Value {
				case "fs":
					loc += ":LAYOUT=fs"
				case "", "maildir++":
				default:
					t.out.skip(l, "sluice knows the layouts maildir++ and fs only")
				}
			}
			t.out.set("mail", "location", tomlString(loc), drv)
		}
	}
	for _, k := range []string{"mail_path", "mail_layout"} {
		if s, ok := t.get(k); ok && !t.out.has("mail", "location") {
			t.out.skip(s, "without mail_driver = maildir")
		}
	}
	if !t.out.has("mail", "location") {
		if _, ok := t.get("mail_location"); !ok {
			t.out.skip(Setting{}, "no mail_location (2.3) or mail_driver (2.4): Dovecot would guess; sluice defaults to maildir:~/Maildir")
		}
	}
	if s, ok := t.get("recipient_delimiter"); ok {
		t.out.set("mail", "recipient_delimiter", tomlString(s.Value), s)
	}
	t.boolSetting("lmtp_save_to_detail_mailbox", "mail", "save_to_detail_mailbox")
	t.boolSetting("lda_mailbox_autocreate", "mail", "autocreate")
	t.boolSetting("lda_mailbox_autosubscribe", "mail", "autosubscribe")
	// Scripts name folders with the namespace separator; Dovecot's
	// default is '.' for Maildir++ and '/' for the fs layout.
	sep := "."
	if v, ok := t.get("mail_location"); ok && strings.Contains(strings.ToUpper(v.Value), "LAYOUT=FS") {
		sep = "/"
	}
	if v, ok := t.get("mail_layout"); ok && strings.EqualFold(v.Value, "fs") {
		sep = "/"
	}
	for _, ns := range t.cfg.Root.Find("namespace", "") {
		if v, ok := ns.Get("separator"); ok && v.Value != "" {
			if v.Value == "/" || v.Value == "." {
				sep = v.Value
			} else {
				t.out.skip(v, "namespace %s: sluice's separator is '/' or '.'", ns.Name)
			}
		}
		if v, ok := ns.Get("prefix"); ok && v.Value != "" {
			t.out.skip(v, "namespace %s: sluice files Sieve folder names with no namespace prefix", ns.Name)
		}
	}
	t.out.set("mail", "separator", tomlString(sep), Setting{})
}

// relevantPrefixes are the settings about delivery: those not handled
// are listed as not translated. Others (auth, ssl, imap, ...) are not
// about delivery and are left out silently.
var relevantPrefixes = []string{"sieve", "lmtp_", "lda_", "quota", "mail_location", "mail_driver", "mail_path", "mail_home", "mail_layout", "mail_plugins", "recipient_delimiter", "submission_host", "sendmail_path", "hostname", "postmaster_address"}

// unknown lists the delivery settings nothing above handled.
func (t *translator) unknown() {
	for _, s := range t.scopes {
		for _, set := range s.Settings {
			if t.used[set.Key] {
				continue
			}
			for _, p := range relevantPrefixes {
				if strings.HasPrefix(set.Key, p) {
					t.out.skip(set, "no sluice equivalent")
					t.used[set.Key] = true
					break
				}
			}
		}
	}
}
