package message

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrBadDate is wrapped by the errors of [ParseDate].
var ErrBadDate = errors.New("message: unparsable date")

// ParseDate parses an RFC 5322 §3.3 date-time, obsolete forms included
// (RFC 5322 §4.3): optional day of week, comments and extra whitespace
// anywhere, 2-digit years (00-49 → 20xx, 50-99 → 19xx) and 3-digit years
// (+1900), named zones (UT, GMT, Z, EST, EDT, CST, CDT, MST, MDT, PST,
// PDT), seconds optional. Military and unknown zones are read as -0000
// (UTC), as RFC 5322 §4.3 asks; a missing zone too. The asctime order
// "Jan 2 15:04:05 2006" is accepted as well. The result keeps the zone
// offset of the field.
func ParseDate(v string) (time.Time, error) {
	fail := func(why string) (time.Time, error) {
		return time.Time{}, fmt.Errorf("%w: %s: %q", ErrBadDate, why, truncateForError(v))
	}
	words := dateWords(v)
	day, year, yearDigits := -1, -1, 0
	month := time.Month(0)
	hour, minute, sec := -1, 0, 0
	offset, haveZone := 0, false
	for _, w := range words {
		switch {
		case strings.IndexByte(w, ':') >= 0:
			if hour >= 0 {
				continue
			}
			h, mi, s, ok := parseClock(w)
			if !ok {
				return fail("bad time")
			}
			hour, minute, sec = h, mi, s
		case (w[0] == '+' || w[0] == '-') && len(w) == 5 && allDigits(w[1:]):
			if haveZone {
				continue
			}
			h, m := atoi(w[1:3]), atoi(w[3:5])
			if m > 59 {
				return fail("bad zone")
			}
			offset = (h*60 + m) * 60
			if w[0] == '-' {
				offset = -offset
			}
			haveZone = true
		case allDigits(w):
			if len(w) > 4 {
				return fail("bad number")
			}
			n := atoi(w)
			if day < 0 && len(w) <= 2 && (month == 0 || year < 0) && hour < 0 {
				day = n
			} else if year < 0 {
				year, yearDigits = n, len(w)
			}
		case isAlpha(w):
			if m, ok := monthByName(w); ok && month == 0 {
				month = m
				continue
			}
			if isDayName(w) {
				continue
			}
			if hour >= 0 && !haveZone {
				offset, haveZone = namedZone(w), true
			}
		}
	}
	if day < 1 || month == 0 || year < 0 {
		return fail("missing day, month or year")
	}
	switch yearDigits { // RFC 5322 §4.3
	case 1, 2:
		if year < 50 {
			year += 2000
		} else {
			year += 1900
		}
	case 3:
		year += 1900
	}
	if hour < 0 {
		hour = 0
	}
	// RFC 5322 §3.3: "the year is any numeric year 1900 or later".
	if year < 1900 || day > daysIn(month, year) || hour > 23 || minute > 59 || sec > 60 {
		return fail("out of range")
	}
	if sec == 60 { // a leap second
		sec = 59
	}
	loc := time.UTC
	if offset != 0 {
		loc = time.FixedZone("", offset)
	}
	return time.Date(year, month, day, hour, minute, sec, 0, loc), nil
}

// dateWords removes comments and splits on whitespace and commas; spaces
// around ':' (obs-time allows CFWS there) are removed so a time is one word.
func dateWords(v string) []string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == '(':
			i = skipComment(v, i)
			c = ' '
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
			c = ' '
		default:
			i++
		}
		if c != ' ' {
			b.WriteByte(c)
			continue
		}
		// Collapse the whitespace run; drop it next to ':'.
		for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == '\r' || v[i] == '\n') {
			i++
		}
		s := b.String()
		if (len(s) > 0 && s[len(s)-1] == ':') || (i < len(v) && v[i] == ':') {
			continue
		}
		if i < len(v) && v[i] == '(' {
			continue // the comment adds its own space
		}
		b.WriteByte(' ')
	}
	return strings.FieldsFunc(b.String(), func(r rune) bool { return r == ' ' || r == ',' })
}

// parseClock parses hh:mm or hh:mm:ss.
func parseClock(w string) (h, m, s int, ok bool) {
	p := strings.Split(w, ":")
	if len(p) < 2 || len(p) > 3 {
		return 0, 0, 0, false
	}
	for _, x := range p {
		if x == "" || len(x) > 2 || !allDigits(x) {
			return 0, 0, 0, false
		}
	}
	h, m = atoi(p[0]), atoi(p[1])
	if len(p) == 3 {
		s = atoi(p[2])
	}
	return h, m, s, true
}

func namedZone(w string) int {
	switch strings.ToUpper(w) {
	case "EDT":
		return -4 * 3600
	case "EST", "CDT":
		return -5 * 3600
	case "CST", "MDT":
		return -6 * 3600
	case "MST", "PDT":
		return -7 * 3600
	case "PST":
		return -8 * 3600
	}
	return 0 // UT, GMT, Z, military and unknown zones: -0000
}

// monthByName accepts the three-letter name or any longer prefix of the
// full English name ("Sept", "January").
func monthByName(w string) (time.Month, bool) {
	if len(w) < 3 {
		return 0, false
	}
	lw := strings.ToLower(w)
	for m := time.January; m <= time.December; m++ {
		if strings.HasPrefix(strings.ToLower(m.String()), lw) {
			return m, true
		}
	}
	if lw == "sept" {
		return time.September, true
	}
	return 0, false
}

func isDayName(w string) bool {
	if len(w) < 3 {
		return false
	}
	switch strings.ToLower(w[:3]) {
	case "mon", "tue", "wed", "thu", "fri", "sat", "sun":
		return true
	}
	return false
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func isAlpha(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isASCIILetter(s[i]) {
			return false
		}
	}
	return s != ""
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

func truncateForError(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}
