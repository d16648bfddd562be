package sieve

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/sluice-mail/sluice/sieve/internal/message"
)

// extDate is RFC 5260 §4 and §5: the date test over a date in a header
// field and the currentdate test over the time of the run, each extracting
// one date-part and comparing it with the keys.
var extDate = &extension{
	name: "date",
	tests: []*commandSpec{
		{
			name:       "date",
			positional: []argKind{argString, argString, argStringList},
			tags: []tagSpec{
				{name: "zone", arg: argString, conflicts: []string{"originalzone"}},
				{name: "originalzone", conflicts: []string{"zone"}},
			},
			groups: []string{groupComparator, groupMatchType},
			check:  checkDate(1),
			eval:   evalDate,
		},
		{
			name:       "currentdate",
			positional: []argKind{argString, argStringList},
			tags:       []tagSpec{{name: "zone", arg: argString}},
			groups:     []string{groupComparator, groupMatchType},
			check:      checkDate(0),
			eval:       evalCurrentDate,
		},
	},
}

// dateParts formats each date-part of RFC 5260 §4.2 for a time already in
// the wanted zone.
var dateParts = map[string]func(t time.Time) string{
	"year":   func(t time.Time) string { return fmt.Sprintf("%04d", t.Year()) },
	"month":  func(t time.Time) string { return fmt.Sprintf("%02d", int(t.Month())) },
	"day":    func(t time.Time) string { return fmt.Sprintf("%02d", t.Day()) },
	"date":   func(t time.Time) string { return t.Format("2006-01-02") },
	"julian": func(t time.Time) string { return strconv.FormatInt(modifiedJulianDay(t), 10) },
	"hour":   func(t time.Time) string { return fmt.Sprintf("%02d", t.Hour()) },
	"minute": func(t time.Time) string { return fmt.Sprintf("%02d", t.Minute()) },
	"second": func(t time.Time) string { return fmt.Sprintf("%02d", t.Second()) },
	"time":   func(t time.Time) string { return t.Format("15:04:05") },
	// RFC 3339 form; a zero offset is written "Z", as Pigeonhole does.
	"iso8601": func(t time.Time) string { return t.Format(time.RFC3339) },
	"std11":   func(t time.Time) string { return t.Format(time.RFC1123Z) },
	"zone":    func(t time.Time) string { return t.Format("-0700") },
	"weekday": func(t time.Time) string { return strconv.Itoa(int(t.Weekday())) },
}

// mjdEpoch is day 0 of the Modified Julian Day count (RFC 5260 §4.2).
var mjdEpoch = time.Date(1858, time.November, 17, 0, 0, 0, 0, time.UTC)

// modifiedJulianDay counts the days from 1858-11-17 to t's calendar date
// (in t's own zone). Both ends are midnights in UTC, so the division is
// exact, before the epoch too.
func modifiedJulianDay(t time.Time) int64 {
	d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	return (d.Unix() - mjdEpoch.Unix()) / 86400
}

// parseZone parses a :zone argument, "+hhmm" or "-hhmm" (RFC 5260 §4.1).
func parseZone(s string) (*time.Location, bool) {
	if len(s) != 5 || (s[0] != '+' && s[0] != '-') {
		return nil, false
	}
	for i := 1; i < 5; i++ {
		if s[i] < '0' || s[i] > '9' {
			return nil, false
		}
	}
	h, _ := strconv.Atoi(s[1:3])
	m, _ := strconv.Atoi(s[3:5])
	if m > 59 {
		return nil, false
	}
	off := (h*60 + m) * 60
	if s[0] == '-' {
		off = -off
	}
	return time.FixedZone(s, off), true
}

// checkDate validates constant :zone and date-part arguments; part is the
// index of the date-part argument.
func checkDate(part int) func(c *checker, n *node) {
	return func(c *checker, n *node) {
		if v, ok := n.tags["zone"]; ok && v != nil {
			if z, ok := v.constStrings(); ok {
				if _, valid := parseZone(z[0]); !valid {
					c.errorf(v.pos, "invalid :zone argument '%s' for the %s test: expected +hhmm or -hhmm (RFC 5260 §4.1)", z[0], n.spec.name)
				}
			}
		}
		if p, ok := n.args[part].constStrings(); ok {
			if _, known := dateParts[strings.ToLower(p[0])]; !known {
				c.errorf(n.args[part].pos, "unknown date part '%s' for the %s test (RFC 5260 §4.2)", p[0], n.spec.name)
			}
		}
	}
}

// zoneOf returns the zone dates are shown in: the :zone argument, else the
// local zone, which is the zone of Services.Now (RFC 5260 §4.1). ok is false
// for an invalid zone given through a variable.
func (e *exec) zoneOf(n *node) (*time.Location, bool) {
	if z, ok := e.tagStr(n, "zone"); ok {
		return parseZone(z)
	}
	return e.services().Now().Location(), true
}

func evalDate(e *exec, n *node) (bool, error) {
	format, ok := dateParts[strings.ToLower(e.str(n.args[1]))]
	if !ok {
		return false, nil
	}
	loc, ok := e.zoneOf(n)
	if !ok {
		return false, nil
	}
	name := e.str(n.args[0])
	if !validHeaderName(name) {
		return false, nil
	}
	var values []string
	for _, v := range e.filterValues(n, e.msg.Header(name)) {
		e.step()
		t, ok := headerDate(v)
		if !ok {
			continue // RFC 5260 §4: a field without a valid date is skipped
		}
		if !n.has("originalzone") {
			t = t.In(loc)
		}
		values = append(values, format(t))
	}
	return e.matchKeys(n, values, n.args[2]), nil
}

// headerDate reads the date of a header field value. In trace fields such
// as Received the date-time follows the last semicolon (RFC 5322 §3.6.7).
func headerDate(v string) (time.Time, bool) {
	if i := strings.LastIndexByte(v, ';'); i >= 0 {
		v = v[i+1:]
	}
	t, err := message.ParseDate(v)
	return t, err == nil
}

func evalCurrentDate(e *exec, n *node) (bool, error) {
	format, ok := dateParts[strings.ToLower(e.str(n.args[0]))]
	if !ok {
		return false, nil
	}
	loc, ok := e.zoneOf(n)
	if !ok {
		return false, nil
	}
	now := e.services().Now().In(loc)
	return e.matchKeys(n, []string{format(now)}, n.args[1]), nil
}
