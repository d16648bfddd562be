package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

const dateMsg = "From: a@example.org\r\n" +
	"Date: Mon, 20 Jul 2009 21:44:43 +0300\r\n" +
	"Received: from a by b; Wed, 12 Nov 2014 18:18:31 +0100\r\n" +
	"Received: from c by d; Wed, 12 Nov 2014 18:18:30 +0100\r\n" +
	"Received: from e by f; Wed, 12 Nov 2014 18:18:29 +0100\r\n" +
	"X-Bad: Moo, 34 Juul 3060 25:30:42 +6600\r\n" +
	"To: first@example.com\r\n" +
	"To: second@example.com\r\n" +
	"To: third@example.com\r\n" +
	"\r\n" +
	"Hi\r\n"

func TestDate(t *testing.T) {
	// The local zone is that of Services.Now: +0200.
	now := time.Date(2024, time.February, 29, 23, 30, 5, 0, time.FixedZone("", 2*3600))
	in := Input{Services: &extServices{now: now}}
	d := func(args, key string) string {
		return `require ["date", "relational"]; if date ` + args + ` "` + key + `" { discard; }`
	}
	runExtCases(t, dateMsg, in, []extCase{
		{"year", d(`:originalzone "date" "year"`, "2009"), extYes},
		{"month", d(`:originalzone "date" "month"`, "07"), extYes},
		{"day", d(`:originalzone "date" "day"`, "20"), extYes},
		{"date", d(`:originalzone "date" "date"`, "2009-07-20"), extYes},
		{"julian", d(`:originalzone "date" "julian"`, "55032"), extYes},
		{"hour", d(`:originalzone "date" "hour"`, "21"), extYes},
		{"minute", d(`:originalzone "date" "minute"`, "44"), extYes},
		{"second", d(`:originalzone "date" "second"`, "43"), extYes},
		{"time", d(`:originalzone "date" "time"`, "21:44:43"), extYes},
		{"iso8601", d(`:originalzone "date" "iso8601"`, "2009-07-20T21:44:43+03:00"), extYes},
		{"std11", d(`:originalzone "date" "std11"`, "Mon, 20 Jul 2009 21:44:43 +0300"), extYes},
		{"zone", d(`:originalzone "date" "zone"`, "+0300"), extYes},
		{"weekday", d(`:originalzone "date" "weekday"`, "1"), extYes},
		{"part case", d(`:originalzone "date" "YEAR"`, "2009"), extYes},
		{"local zone", d(`"date" "iso8601"`, "2009-07-20T20:44:43+02:00"), extYes},
		{":zone", d(`:zone "-0130" "date" "time"`, "17:14:43"), extYes},
		{":zone UTC", d(`:zone "+0000" "date" "iso8601"`, "2009-07-20T18:44:43Z"), extYes},
		{"received", d(`:originalzone "received" "second"`, "31"), extYes},
		{"invalid date skipped", d(`:matches "x-bad" "date"`, "*"), extNo},
		{"missing header", d(`:matches "resent-date" "date"`, "*"), extNo},
		{"count", d(`:count "eq" "received" "date"`, "3"), extYes},
		{"value ge", d(`:originalzone :value "ge" "date" "date"`, "2009-07-20"), extYes},
		{"value lt", d(`:originalzone :value "lt" "date" "date"`, "2009-07-20"), extNo},
		{"currentdate", `require "date"; if currentdate "date" "2024-02-29" { discard; }`, extYes},
		{"currentdate zone", `require "date"; if currentdate :zone "+0000" "iso8601" "2024-02-29T21:30:05Z" { discard; }`, extYes},
		{"currentdate local zone", `require "date"; if currentdate "zone" "+0200" { discard; }`, extYes},
		{"variable zone invalid", `require ["date", "variables"]; set "z" "bogus"; if currentdate :zone "${z}" :matches "date" "*" { discard; }`, extNo},
		{"variable part unknown", `require ["date", "variables"]; set "p" "bogus"; if currentdate :matches "${p}" "*" { discard; }`, extNo},
		{"match variables", `require ["date", "variables", "fileinto"]; if currentdate :matches "date" "*-*-*" { fileinto "${1}/${2}"; }`, "fileinto \"2024/02\"\n"},
	})
}

func TestModifiedJulianDay(t *testing.T) {
	for _, tt := range []struct {
		t    time.Time
		want int64
	}{
		{time.Date(1858, 11, 17, 23, 0, 0, 0, time.UTC), 0},
		{time.Date(1858, 11, 16, 0, 0, 0, 0, time.UTC), -1},
		{time.Date(2009, 7, 22, 0, 0, 0, 0, time.UTC), 55034},
		{time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 124593},
	} {
		if got := modifiedJulianDay(tt.t); got != tt.want {
			t.Errorf("modifiedJulianDay(%v) = %d, want %d", tt.t, got, tt.want)
		}
	}
}

func TestIndex(t *testing.T) {
	in := Input{Services: &extServices{now: time.Now()}}
	runExtCases(t, dateMsg, in, []extCase{
		{"header", `require "index"; if header :index 2 "to" "second@example.com" { discard; }`, extYes},
		{"header other", `require "index"; if header :index 2 "to" ["first@example.com", "third@example.com"] { discard; }`, extNo},
		{"header last", `require "index"; if header :index 1 :last "to" "third@example.com" { discard; }`, extYes},
		{"last before index", `require "index"; if header :last :index 3 "to" "first@example.com" { discard; }`, extYes},
		{"out of range", `require "index"; if header :index 4 "to" "first@example.com" { discard; }`, extNo},
		{"address", `require "index"; if address :localpart :index 2 :last "to" "second" { discard; }`, extYes},
		{"date", `require ["index", "date"]; if date :originalzone :index 1 :last "received" "second" "29" { discard; }`, extYes},
		{"date first", `require ["index", "date"]; if date :originalzone :index 1 "received" "second" "31" { discard; }`, extYes},
	})
	for _, tt := range []struct{ name, src, want string }{
		{"last without index", `require "index"; if header :last "to" "x" { keep; }`, "requires :index"},
		{"index zero", `require "index"; if header :index 0 "to" "x" { keep; }`, "must be 1 or more"},
		{"no require", `if header :index 1 "to" "x" { keep; }`, "requires the 'index' extension"},
		{"bad zone", `require "date"; if date :zone "+25" "date" "year" "2009" { keep; }`, "invalid :zone"},
		{"bad part", `require "date"; if date "date" "fortnight" "1" { keep; }`, "unknown date part 'fortnight'"},
		{"zone and originalzone", `require "date"; if date :zone "+0100" :originalzone "date" "year" "2009" { keep; }`, "cannot be combined"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Compile(context.Background(), "t", []byte(tt.src), Options{})
			var ce *CompileErrors
			if !errors.As(err, &ce) || len(ce.Errors) != 1 || !strings.Contains(ce.Errors[0].Message, tt.want) {
				t.Errorf("err = %v, want one error containing %q", err, tt.want)
			}
		})
	}
}
