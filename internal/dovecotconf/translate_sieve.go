package dovecotconf

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// quota: 2.3 plugin { quota_rule = *:storage=1G }, 2.4 quota_storage_size
// and quota_message_count (at the top level or in "quota NAME { }").
func (t *translator) quota() {
	t.used["quota"] = true
	var rules []string
	var from Setting
	if s, ok := t.get("quota_rule"); ok {
		rules, from = append(rules, s.Value), s
	}
	for i := 2; i < 10; i++ {
		if s, ok := t.get("quota_rule" + strconv.Itoa(i)); ok {
			if strings.HasPrefix(s.Value, "*:") {
				rules = append(rules, s.Value)
			} else {
				t.out.skip(s, "only rules for the whole mailbox (*:...) are translated")
			}
		}
	}
	sizes := []*Section{}
	sizes = append(sizes, t.scopes...)
	sizes = append(sizes, t.sections("quota")...)
	for _, sc := range sizes {
		if s, ok := sc.Get("quota_storage_size"); ok {
			if v, err := sizeValue(s.Value); err == nil {
				rules, from = append(rules, "*:bytes="+bytesOf(v)), s
			} else {
				t.out.skip(s, "%v", err)
			}
			break
		}
	}
	for _, sc := range sizes {
		if s, ok := sc.Get("quota_message_count"); ok {
			rules, from = append(rules, "*:messages="+s.Value), s
			break
		}
	}
	t.used["quota_storage_size"], t.used["quota_message_count"] = true, true
	if len(rules) > 0 {
		t.out.set("mail", "quota", tomlString(strings.Join(rules, " ")), from)
	}
	t.boolSetting("quota_full_tempfail", "mail", "quota_temporary")
	if s, ok := t.get("quota"); ok && !strings.HasPrefix(s.Value, "maildir") {
		t.out.skip(s, "sluice keeps Maildir++ quota (maildirsize) only")
	}
}

// bytesOf turns sizeValue's "5MiB" back into a byte count for a quota
// rule (whose bare numbers would be KiB).
func bytesOf(v string) string {
	mult := map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40}
	for unit, m := range mult {
		if n, ok := strings.CutSuffix(v, unit); ok {
			i, _ := strconv.ParseInt(n, 10, 64)
			return strconv.FormatInt(i*m, 10)
		}
	}
	return v
}

// sieveEnabled: does Dovecot's LMTP or LDA load the sieve plugin?
// 2.3: mail_plugins = ... sieve; 2.4: mail_plugins { sieve = yes }.
func (t *translator) sieveEnabled() (bool, Setting) {
	for _, sc := range t.scopes {
		if sc.Type == "plugin" {
			continue
		}
		if s, ok := sc.Get("mail_plugins"); ok {
			t.used["mail_plugins"] = true
			return slices.Contains(strings.Fields(s.Value), "sieve"), s
		}
		for _, mp := range sc.Find("mail_plugins", "") {
			if s, ok := mp.Get("sieve"); ok {
				b, _ := boolValue(s.Value)
				return b, Setting{Key: "mail_plugins { sieve }", Value: s.Value, Pos: s.Pos}
			}
		}
	}
	t.used["mail_plugins"] = true
	return false, Setting{}
}

// sieveLocation splits a Pigeonhole location "file:PATH;active=X;..."
// into the path and its options.
func sieveLocation(v string) (string, map[string]string) {
	v = strings.TrimPrefix(v, "file:")
	parts := strings.Split(v, ";")
	opts := map[string]string{}
	for _, p := range parts[1:] {
		k, val, _ := strings.Cut(p, "=")
		opts[k] = val
	}
	return parts[0], opts
}

// numbered matches sieve_before, sieve_before2, ... sieve_after3.
var numbered = regexp.MustCompile(`^sieve_(before|after)([0-9]*)$`)

// sieve: Pigeonhole's settings (2.3 in plugin { }, 2.4 at the top level
// and in sieve_script sections).
func (t *translator) sieve() {
	if on, from := t.sieveEnabled(); !on {
		why := "Dovecot's LMTP and LDA do not load the sieve plugin"
		t.out.set("sieve", "enabled", "false", from)
		t.out.skip(from, "%s: sieve.enabled = false; set it to true to run scripts", why)
	}
	if s, ok := t.get("sieve"); ok {
		p, opts := sieveLocation(s.Value)
		if active, ok := opts["active"]; ok {
			t.out.set("sieve", "user_dir", tomlString(p), s)
			t.out.set("sieve", "user_script", tomlString(active), s)
			delete(opts, "active")
		} else {
			t.out.set("sieve", "user_script", tomlString(p), s)
		}
		for k := range opts {
			t.out.skip(s, "location option %q is not translated", k)
		}
	}
	if s, ok := t.get("sieve_dir"); ok {
		t.out.set("sieve", "user_dir", tomlString(s.Value), s)
	}
	lists := map[string][]Setting{}
	for _, sc := range slices.Backward(t.scopes) {
		for _, s := range sc.Settings {
			if m := numbered.FindStringSubmatch(s.Key); m != nil {
				t.used[s.Key] = true
				lists[m[1]] = append(lists[m[1]], s)
			}
		}
	}
	for _, which := range []string{"before", "after"} {
		ss := lists[which]
		slices.SortStableFunc(ss, func(a, b Setting) int { return strings.Compare(numberOf(a.Key), numberOf(b.Key)) })
		var paths []string
		for _, s := range ss {
			p, _ := sieveLocation(s.Value)
			if p != "" {
				paths = append(paths, p)
			}
		}
		if len(paths) > 0 {
			t.out.set("sieve", which, tomlList(paths), ss[0])
		}
	}
	if s, ok := t.get("sieve_default"); ok {
		p, _ := sieveLocation(s.Value)
		t.out.set("sieve", "default", tomlString(p), s)
	}
	for _, k := range []string{"sieve_global", "sieve_global_dir"} {
		if s, ok := t.get(k); ok {
			p, _ := sieveLocation(s.Value)
			t.out.set("sieve", "global_dir", tomlString(p), s)
		}
	}
	for _, k := range []string{"sieve_user_log", "sieve_user_log_path"} {
		if s, ok := t.get(k); ok {
			t.out.set("sieve", "user_log", tomlString(s.Value), s)
		}
	}
	t.sieveScripts()
	if s, ok := t.get("sieve_max_script_size"); ok {
		if v, err := sizeValue(s.Value); err == nil {
			t.out.set("sieve", "max_script_size", tomlString(v), s)
		} else {
			t.out.skip(s, "%v", err)
		}
	}
	for _, k := range []string{"max_actions", "max_redirects"} {
		if s, ok := t.get("sieve_" + k); ok {
			if n, err := strconv.Atoi(strings.TrimSpace(s.Value)); err == nil && n >= 0 {
				t.out.set("sieve", k, strconv.Itoa(n), s)
			} else {
				t.out.skip(s, "not a number")
			}
		}
	}
	t.outbound()
	t.vacation()
}

func numberOf(key string) string {
	n := numbered.FindStringSubmatch(key)[2]
	return strings.Repeat("0", 3-min(3, len(n))) + n
}

// sieveScripts: Dovecot 2.4's "sieve_script NAME { type = ...; path =
// ...; active_path = ... }" (type personal when not given).
func (t *translator) sieveScripts() {
	var before, after []string
	var beforeFrom, afterFrom Setting
	for _, sc := range t.sections("sieve_script") {
		typ := "personal"
		if v, ok := sc.Get("type"); ok {
			typ = v.Value
		}
		p, _ := sc.Get("path")
		from := Setting{Key: "sieve_script " + sc.Name, Pos: sc.Pos}
		if d, ok := sc.Get("driver"); ok && d.Value != "file" {
			t.out.skip(from, "driver %s: sluice reads scripts from files only", d.Value)
			continue
		}
		switch typ {
		case "personal":
			if a, ok := sc.Get("active_path"); ok {
				t.out.set("sieve", "user_script", tomlString(a.Value), from)
				if p.Value != "" {
					t.out.set("sieve", "user_dir", tomlString(p.Value), from)
				}
			} else if p.Value != "" {
				t.out.set("sieve", "user_script", tomlString(p.Value), from)
			}
		case "before":
			before, beforeFrom = append(before, p.Value), from
		case "after":
			after, afterFrom = append(after, p.Value), from
		case "default":
			t.out.set("sieve", "default", tomlString(p.Value), from)
		case "global":
			t.out.set("sieve", "global_dir", tomlString(p.Value), from)
		default:
			t.out.skip(from, "sieve_script type %s is not translated", typ)
		}
		for _, s := range sc.Settings {
			switch s.Key {
			case "type", "path", "active_path", "driver", "name":
			default:
				t.out.skip(s, "sieve_script %s: not translated", sc.Name)
			}
		}
	}
	if len(before) > 0 {
		t.out.set("sieve", "before", tomlList(before), beforeFrom)
	}
	if len(after) > 0 {
		t.out.set("sieve", "after", tomlList(after), afterFrom)
	}
}

// outbound: how redirects and vacation replies leave.
func (t *translator) outbound() {
	if s, ok := t.get("submission_host"); ok && s.Value != "" {
		host := s.Value
		if !strings.Contains(strings.TrimPrefix(host, "["), ":") || strings.HasSuffix(host, "]") {
			host += ":25" // Dovecot's default submission port
		}
		t.out.set("outbound", "relay", tomlString(host), s)
	} else if s, ok := t.get("sendmail_path"); ok && s.Value != "" {
		t.out.set("outbound", "sendmail", tomlString(s.Value), s)
	}
	t.used["sendmail_path"] = true
	if s, ok := t.get("sieve_redirect_duplicate_period"); ok {
		if v, err := durationValue(s.Value); err == nil {
			t.out.set("redirect", "duplicate_window", tomlString(v), s)
		} else {
			t.out.skip(s, "%v", err)
		}
	}
	if s, ok := t.get("sieve_redirect_envelope_from"); ok {
		t.out.pending("redirect", "envelope_from", tomlString(s.Value), s, "not a sluice setting yet (sluice keeps the original sender, or rewrites it with SRS)")
	}
}

// vacation: sieve_vacation_* (RFC 5230).
func (t *translator) vacation() {
	for _, k := range []string{"min_period", "max_period"} {
		if s, ok := t.get("sieve_vacation_" + k); ok {
			if v, err := durationValue(s.Value); err == nil {
				t.out.set("vacation", k, tomlString(v), s)
			} else {
				t.out.skip(s, "%v", err)
			}
		}
	}
	if s, ok := t.get("sieve_vacation_default_period"); ok {
		if v, err := durationValue(s.Value); err == nil {
			t.out.pending("vacation", "default_period", tomlString(v), s, "not a sluice setting yet (sluice uses 7 days, RFC 5230 §4.1)")
		}
	}
	if s, ok := t.get("sieve_vacation_send_from_recipient"); ok {
		if b, _ := boolValue(s.Value); b {
			t.out.set("vacation", "return_path", tomlString("recipient"), s)
		} else {
			t.out.set("vacation", "return_path", tomlString("null"), s)
		}
	}
	for _, k := range []string{"default_subject", "default_subject_template"} {
		if s, ok := t.get("sieve_vacation_" + k); ok {
			t.out.set("vacation", k, tomlString(s.Value), s)
		}
	}
	if s, ok := t.get("sieve_vacation_to_header_ignore_envelope"); ok {
		if b, err := boolValue(s.Value); err == nil {
			t.out.set("vacation", "to_header_ignore_envelope", strconv.FormatBool(b), s)
		} else {
			t.out.skip(s, "%v", err)
		}
	}
	if s, ok := t.get("sieve_vacation_dont_check_recipient"); ok {
		if b, _ := boolValue(s.Value); b {
			t.out.pending("vacation", "check_recipient", "false", s, "not a sluice setting yet (sluice always checks that the user is a recipient, RFC 5230 §4.5)")
		}
	}
	for _, k := range []string{"sieve_extensions", "sieve_global_extensions"} {
		if s, ok := t.get(k); ok {
			t.out.pending("sieve", "extensions", tomlString(s.Value), s, "not a sluice setting yet (sluice enables every extension it implements)")
		}
	}
}
