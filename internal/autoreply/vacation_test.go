package autoreply

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"strings"
	"testing"
	"time"
)

const threadMsg = `
From: "Stephan Bosch" <stephan@example.org>
To: nico@frop.example.org
Subject: frop
Message-ID: <432df324@example.org>
References: <1234@local.machine.example> <3456@example.net>
 <435444@ttms.example.org>
Date: Mon, 2 Mar 2026 09:00:00 +0100

Frop
`

func TestBuildVacationGolden(t *testing.T) {
	long := strings.Repeat("Lorem ipsum dolor sit amet, consectetur adipiscing elit. ", 25)
	tests := []struct {
		golden string
		msg    string
		v      Vacation
		check  func(t *testing.T, out Outgoing)
	}{
		{
			golden: "vacation_basic.eml",
			msg:    threadMsg,
			v:      Vacation{Reason: "I am not in today!\nBack on Monday."},
		},
		{
			golden: "vacation_utf8.eml",
			msg:    threadMsg,
			v: Vacation{
				Subject: "Auto: Я могу есть стекло, оно мне не вредит.",
				From:    "Günther M. Karotte <g.m.karotte@example.com>",
				Reason:  "Ich bin im Urlaub — zurück am Montag.\n",
			},
		},
		{
			golden: "vacation_longline.eml",
			msg:    threadMsg,
			v:      Vacation{Reason: long},
		},
		{
			golden: "vacation_mime.eml",
			msg:    threadMsg,
			v: Vacation{Mime: true, Reason: "Content-Type: multipart/alternative; boundary=\"b1\"\n" +
				"From: forged@example.net\n\n" +
				"--b1\nContent-Type: text/plain; charset=utf-8\n\nAway.\n" +
				"--b1\nContent-Type: text/html; charset=utf-8\n\n<p>Away.</p>\n--b1--\n"},
		},
		{
			golden: "vacation_japanese_subject.eml",
			msg: "\nFrom: a@example.org\nTo: nico@frop.example.org\n" +
				"Subject: =?UTF-8?B?5Lul44Gk44KP44Gl6IGeNjXntbXjgZLjgb7lhazlrZjjgofmhJvnm4o=?=\n\nx\n",
			v: Vacation{Reason: "不在です。"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			o := mustOriginal(t, tc.msg, "stephan@example.org", "nico@frop.example.org")
			out, err := BuildVacation(o, tc.v, fixedOptions())
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Warnings) > 0 {
				t.Errorf("warnings: %v", out.Warnings)
			}
			if out.MailFrom != "" || len(out.RcptTo) != 1 || out.RcptTo[0] != "stephan@example.org" {
				t.Errorf("envelope = %q -> %q", out.MailFrom, out.RcptTo)
			}
			checkWellFormed(t, out.Data)
			golden(t, tc.golden, out.Data)

			h, e := parseBack(t, out.Data)
			if got := h.Get("Auto-Submitted"); got != "auto-replied (vacation)" {
				t.Errorf("Auto-Submitted = %q", got)
			}
			if got := h.Get("In-Reply-To"); tc.msg == threadMsg && got != "<432df324@example.org>" {
				t.Errorf("In-Reply-To = %q", got)
			}
			if id, err := h.MessageID(); err != nil || id != "k3j5h7g9f1d2s4a6@mx.example.org" {
				t.Errorf("Message-ID = %q, %v", id, err)
			}
			if d, err := h.Date(); err != nil || !d.Equal(fixedOptions().Now()) {
				t.Errorf("Date = %v, %v", d, err)
			}
			if !tc.v.Mime {
				body, err := io.ReadAll(e.Body)
				if err != nil {
					t.Fatal(err)
				}
				want := strings.ReplaceAll(strings.TrimSuffix(tc.v.Reason, "\n"), "\n", "\r\n") + "\r\n"
				if string(body) != want {
					t.Errorf("decoded body = %q, want %q", body, want)
				}
			}
		})
	}
}

func TestBuildVacationHeaders(t *testing.T) {
	o := mustOriginal(t, threadMsg, "stephan@example.org", "nico@frop.example.org")
	out, err := BuildVacation(o, Vacation{Reason: "away"}, fixedOptions())
	if err != nil {
		t.Fatal(err)
	}
	h, _ := parseBack(t, out.Data)
	if got := headerText(t, h, "Subject"); got != "Auto: frop" {
		t.Errorf("Subject = %q", got)
	}
	to, err := h.AddressList("To")
	if err != nil || len(to) != 1 || to[0].Name != "Stephan Bosch" || to[0].Address != "stephan@example.org" {
		t.Errorf("To = %v, %v", to, err)
	}
	refs, err := h.MsgIDList("References")
	want := []string{"1234@local.machine.example", "3456@example.net", "435444@ttms.example.org", "432df324@example.org"}
	if err != nil || strings.Join(refs, " ") != strings.Join(want, " ") {
		t.Errorf("References = %q, %v", refs, err)
	}
	if got := h.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := h.Get("Content-Transfer-Encoding"); got != "7bit" {
		t.Errorf("Content-Transfer-Encoding = %q", got)
	}
}

func TestBuildVacationSubjects(t *testing.T) {
	longSubject := "Subject: Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nam tempor a\n" +
		" odio vitae dapibus. Suspendisse ligula libero, faucibus ac laoreet quis,\n" +
		" viverra a quam. Morbi tempus suscipit feugiat. Fusce at sagittis est. Ut\n" +
		" lacinia scelerisque porttitor. Mauris nec nunc quis elit varius fringilla.\n" +
		" Morbi pretium felis id justo blandit, quis pulvinar est dignissim. Sed rhoncus\n"
	tests := []struct {
		name, header string
		subject      string
		max          int
		want         string
	}{
		{"default", "Subject: Bloemetjes\n", "", 0, "Auto: Bloemetjes"},
		{"explicit", "Subject: Bloemetjes\n", "Tulips", 0, "Tulips"},
		{"no original subject", "", "", 0, "Automated reply"},
		{"encoded original", "Subject: =?iso-8859-1?q?caf=E9?=\n", "", 0, "Auto: café"},
		{"encoded :subject", "", "=?utf-8?b?w4TDlsOc?= sadasd", 0, "ÄÖÜ sadasd"},
		{"line breaks in :subject", "", "one\r\ntwo", 0, "one two"},
		{"truncated", longSubject, "", 40, "Auto: Lorem ipsum dolor sit amet, conse…"},
		{"truncated default limit", longSubject, "", 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := mustOriginal(t, "From: a@example.org\nTo: b@example.org\n"+tc.header+"\nx\n", "a@example.org", "b@example.org")
			opts := fixedOptions()
			opts.MaxSubjectRunes = tc.max
			out, err := BuildVacation(o, Vacation{Reason: "x", Subject: tc.subject}, opts)
			if err != nil {
				t.Fatal(err)
			}
			checkWellFormed(t, out.Data)
			h, _ := parseBack(t, out.Data)
			got := headerText(t, h, "Subject")
			if tc.want == "" {
				if n := len([]rune(got)); n != 256 || !strings.HasSuffix(got, "…") || !strings.Contains(got, "porttitor") {
					t.Errorf("Subject has %d runes: %q", n, got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("Subject = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBuildVacationFrom(t *testing.T) {
	tests := []struct {
		name     string
		to       string
		v        Vacation
		wantFrom string
		wantName string
		wantWarn bool
	}{
		{"recipient in To", "To: timo@example.net\n", Vacation{}, "timo@example.net", "", false},
		{":addresses match", "To: tss@example.net\n", Vacation{Addresses: []string{"tss@example.net"}}, "tss@example.net", "", false},
		{"recipient in Cc", "To: tss@example.net\nCc: Timo@Example.net\n", Vacation{Addresses: []string{"other@example.net"}}, "timo@example.net", "", false},
		{"not addressed", "To: all@example.net\n", Vacation{}, "timo@example.net", "", false},
		{":from", "To: timo@example.net\n", Vacation{From: "Timo Sirainen <sirainen@example.net>"}, "sirainen@example.net", "Timo Sirainen", false},
		{":from encoded", "To: timo@example.net\n", Vacation{From: "=?utf-8?q?G=C3=BCnther?= M. Karotte <g.m.karotte@example.com>"}, "g.m.karotte@example.com", "Günther M. Karotte", false},
		{":from invalid", "To: timo@example.net\n", Vacation{From: "stephan#example.org"}, "timo@example.net", "", true},
		{":from with line break", "To: timo@example.net\n", Vacation{From: "a@example.net\r\nBcc: x@example.org"}, "timo@example.net", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := mustOriginal(t, "From: sirius@example.org\n"+tc.to+"\nx\n", "sirius@example.org", "timo@example.net")
			tc.v.Reason = "gone"
			out, err := BuildVacation(o, tc.v, fixedOptions())
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantWarn != (len(out.Warnings) == 1 && errors.Is(out.Warnings[0], ErrInvalidFrom)) {
				t.Errorf("warnings = %v", out.Warnings)
			}
			h, _ := parseBack(t, out.Data)
			from, err := h.AddressList("From")
			if err != nil || len(from) != 1 || from[0].Address != tc.wantFrom || from[0].Name != tc.wantName {
				t.Errorf("From = %v, %v; want %q <%s>", from, err, tc.wantName, tc.wantFrom)
			}
			if h.Has("Bcc") {
				t.Error("a Bcc field was injected")
			}
		})
	}
}

func TestBuildVacationEnvelope(t *testing.T) {
	o := mustOriginal(t, "From: a@example.org\nTo: b@example.org\nIn-Reply-To: <parent@example.org>\n\nx\n", "a@example.org", "b@example.org")
	opts := fixedOptions()
	opts.ReturnPath = "<b@example.org>"
	out, err := BuildVacation(o, Vacation{Reason: "x"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if out.MailFrom != "b@example.org" {
		t.Errorf("MailFrom = %q", out.MailFrom)
	}
	h, _ := parseBack(t, out.Data)
	// No Message-ID: no In-Reply-To, References from the parent's In-Reply-To.
	if h.Has("In-Reply-To") || h.Get("References") != "<parent@example.org>" {
		t.Errorf("In-Reply-To = %q, References = %q", h.Get("In-Reply-To"), h.Get("References"))
	}

	o.EnvelopeFrom = ""
	if _, err := BuildVacation(o, Vacation{Reason: "x"}, opts); !errors.Is(err, ErrNullSender) {
		t.Errorf("null sender: err = %v", err)
	}
}

func TestBuildVacationSevenBit(t *testing.T) {
	o := mustOriginal(t, threadMsg, "stephan@example.org", "nico@frop.example.org")
	opts := fixedOptions()
	opts.SevenBit = true
	out, err := BuildVacation(o, Vacation{Reason: "Zurück am Montag"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range out.Data {
		if c >= 0x80 {
			t.Fatalf("8-bit octet in a 7-bit message:\n%s", out.Data)
		}
	}
	h, e := parseBack(t, out.Data)
	if h.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("Content-Transfer-Encoding = %q", h.Get("Content-Transfer-Encoding"))
	}
	if b, _ := io.ReadAll(e.Body); string(b) != "Zurück am Montag\r\n" {
		t.Errorf("body = %q", b)
	}
}

func TestBuildVacationInvalidMime(t *testing.T) {
	o := mustOriginal(t, threadMsg, "stephan@example.org", "nico@frop.example.org")
	for _, reason := range []string{
		"I am away, this is no MIME entity\n",
		"Content-Type: text/plain\n\n" + strings.Repeat("x", 1200) + "\n",
	} {
		if _, err := BuildVacation(o, Vacation{Mime: true, Reason: reason}, fixedOptions()); !errors.Is(err, ErrInvalidMIME) {
			t.Errorf("err = %v, want ErrInvalidMIME", err)
		}
	}
}

func TestVacationPeriodAndKey(t *testing.T) {
	day := 24 * time.Hour
	tests := []struct {
		v        Vacation
		min, max time.Duration
		want     time.Duration
	}{
		{Vacation{}, 0, 0, 7 * day},
		{Vacation{Days: 3}, day, 60 * day, 3 * day},
		{Vacation{Days: 365}, day, 60 * day, 60 * day},
		{Vacation{Seconds: 30}, time.Minute, 0, time.Minute},
		{Vacation{Seconds: 3600, Days: 9}, 0, 0, time.Hour},
	}
	for _, tc := range tests {
		if got := tc.v.Period(tc.min, tc.max); got != tc.want {
			t.Errorf("%+v.Period(%v, %v) = %v, want %v", tc.v, tc.min, tc.max, got, tc.want)
		}
	}
	a := Vacation{Reason: "x"}
	b := Vacation{Reason: "y"}
	if a.Key() == b.Key() || a.Key() != (Vacation{Reason: "x"}).Key() {
		t.Error("Key does not follow the arguments")
	}
	if k := (Vacation{Reason: "x", Handle: "h1"}).Key(); k != "h1" {
		t.Errorf("Key with handle = %q", k)
	}
}

// The encoded-word choice must round-trip through a standard decoder.
func TestEncodeTextRoundTrip(t *testing.T) {
	for _, s := range []string{"plain", "café au lait", "以つわづ聞65絵げま", "a=?b?=c", strings.Repeat("ü", 200)} {
		d, err := new(mime.WordDecoder).DecodeHeader(encodeText(s))
		if err != nil || d != s {
			t.Errorf("encodeText(%q) decodes to %q, %v", s, d, err)
		}
	}
}

// Hostile originals must still give well-formed replies: no line over 998
// octets, no injected fields, a bounded References.
func TestBuildVacationHostileInput(t *testing.T) {
	var refs strings.Builder
	for i := range 500 {
		fmt.Fprintf(&refs, " <r%d@example.org>", i)
	}
	tests := []struct {
		name, header, sender string
	}{
		{"huge subject word", "Subject: " + strings.Repeat("x", 5000) + "\n", "a@example.org"},
		{"huge message-id", "Message-ID: <" + strings.Repeat("y", 4000) + "@x>\nReferences: <" + strings.Repeat("z", 2000) + "@x>\n", "a@example.org"},
		{"many references", "Message-ID: <last@example.org>\nReferences:" + refs.String() + "\n", "a@example.org"},
		{"huge display name", "From: " + strings.Repeat("N", 3000) + " <a@example.org>\n", "a@example.org"},
		{"line break in sender", "From: x@example.org\n", "a@example.org\r\nBcc: victim@example.net"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := mustOriginal(t, "To: b@example.org\n"+tc.header+"\nbody\n", tc.sender, "b@example.org")
			for _, build := range []func() (Outgoing, error){
				func() (Outgoing, error) { return BuildVacation(o, Vacation{Reason: "away"}, fixedOptions()) },
				func() (Outgoing, error) { return BuildRejection(o, "no", fixedOptions()) },
			} {
				out, err := build()
				if err != nil {
					t.Fatal(err)
				}
				checkWellFormed(t, out.Data)
				h, _ := parseBack(t, out.Data)
				if h.Has("Bcc") {
					t.Error("a Bcc field was injected")
				}
				if ids, _ := h.MsgIDList("References"); len(ids) > 50 {
					t.Errorf("References has %d ids", len(ids))
				}
			}
		})
	}
}
