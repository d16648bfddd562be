package message

import (
	"errors"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	utc := time.UTC
	zone := func(h, m int) *time.Location { return time.FixedZone("", (h*60+m)*60) }
	tests := []struct {
		in   string
		want time.Time
	}{
		{"Mon, 02 Jan 2006 15:04:05 -0700", time.Date(2006, 1, 2, 15, 4, 5, 0, zone(-7, 0))},
		{"2 Jan 2006 15:04:05 +0530", time.Date(2006, 1, 2, 15, 4, 5, 0, zone(5, 30))},
		{"Mon, 2 Jan 2006 15:04 +0000", time.Date(2006, 1, 2, 15, 4, 0, 0, utc)},
		{"Fri, 21 Nov 1997 09:55:06 GMT", time.Date(1997, 11, 21, 9, 55, 6, 0, utc)},
		{"21 Nov 97 09:55:06 EST", time.Date(1997, 11, 21, 9, 55, 6, 0, zone(-5, 0))},
		{"21 Nov 03 09:55:06 PDT", time.Date(2003, 11, 21, 9, 55, 6, 0, zone(-7, 0))},
		{"21 Nov 103 09:55:06 UT", time.Date(2003, 11, 21, 9, 55, 6, 0, utc)},
		{"21 Nov 1997 09:55:06 Z", time.Date(1997, 11, 21, 9, 55, 6, 0, utc)},
		{"21 Nov 1997 09:55:06 A", time.Date(1997, 11, 21, 9, 55, 6, 0, utc)},
		{"21 Nov 1997 09:55:06 CDT", time.Date(1997, 11, 21, 9, 55, 6, 0, zone(-5, 0))},
		{"Thu,\r\n 13\r\n   Feb\r\n     1969 23:32:54 -0330 (Newfoundland Time)", time.Date(1969, 2, 13, 23, 32, 54, 0, zone(-3, -30))},
		{"(comment) Tue (x (y)) , 1 (z) Jul 2003 10 : 52 : 37 +0200", time.Date(2003, 7, 1, 10, 52, 37, 0, zone(2, 0))},
		{"1 July 2003 10:52:37 +0200", time.Date(2003, 7, 1, 10, 52, 37, 0, zone(2, 0))},
		{"Jan 2 15:04:05 2006", time.Date(2006, 1, 2, 15, 4, 5, 0, utc)},
		{"31 Dec 2016 23:59:60 +0000", time.Date(2016, 12, 31, 23, 59, 59, 0, utc)},
		{"2 Jan 2006", time.Date(2006, 1, 2, 0, 0, 0, 0, utc)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseDate(tt.in)
			if err != nil {
				t.Fatalf("ParseDate: %v", err)
			}
			_, gotOff := got.Zone()
			_, wantOff := tt.want.Zone()
			if !got.Equal(tt.want) || gotOff != wantOff {
				t.Errorf("ParseDate(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseDateErrors(t *testing.T) {
	for _, in := range []string{"", "garbage", "32 Jan 2006 10:00:00 +0000", "30 Feb 2006 10:00 +0000",
		"2 Foo 2006 10:00:00 +0000", "2 Jan 2006 25:00:00 +0000", "2 Jan 2006 10:00:00 +0099", "2 Jan 2006 1:2:3:4"} {
		if _, err := ParseDate(in); !errors.Is(err, ErrBadDate) {
			t.Errorf("ParseDate(%q) err = %v, want ErrBadDate", in, err)
		}
	}
}
