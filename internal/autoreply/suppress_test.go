package autoreply

import (
	"slices"
	"testing"
)

func TestShouldAutoReply(t *testing.T) {
	const plain = `
From: Timo <timo@example.com>
To: Stephan <stephan@example.com>
Subject: Frop!
`
	def := DefaultPolicy()
	tests := []struct {
		name     string
		header   string
		from, to string
		policy   Policy
		want     Reason
	}{
		{"normal mail", plain, "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"explicit no", plain + "Auto-Submitted: no\nPrecedence: normal\nX-Auto-Response-Suppress: None\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"Auto-Submitted No with comment", plain + "Auto-Submitted: No (a person wrote this)\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"null sender", plain, "", "stephan@example.com", def, ReasonNullSender},
		{"null sender brackets", plain, "<>", "stephan@example.com", def, ReasonNullSender},
		{"sender is recipient", plain, "stephan@example.com", "stephan@example.com", def, ReasonSenderIsUser},
		{"sender is recipient, case", plain, "Stephan@EXAMPLE.com", "stephan@example.com", def, ReasonSenderIsUser},
		{"sender is alternative address", plain + "Cc: sirius@example.com\n", "sirius@example.com", "stephan@example.com", DefaultPolicy("sirius@example.com"), ReasonSenderIsUser},
		{"send to self allowed", plain, "stephan@example.com", "stephan@example.com", Policy{CheckRecipient: true, SendToSelf: true}, ReasonNone},
		{"mailer-daemon", plain, "MAILER-DAEMON@mx.example.net", "stephan@example.com", def, ReasonMailerDaemon},
		{"listserv", plain, "listserv@lists.example.net", "stephan@example.com", def, ReasonMailerDaemon},
		{"majordomo", plain, "Majordomo@lists.example.net", "stephan@example.com", def, ReasonMailerDaemon},
		{"owner-", plain, "owner-dovecot@lists.example.net", "stephan@example.com", def, ReasonMailerDaemon},
		{"-owner", plain, "dovecot-owner@lists.example.net", "stephan@example.com", def, ReasonMailerDaemon},
		{"-request", plain, "dovecot-request@lists.example.com", "stephan@example.com", def, ReasonMailerDaemon},
		{"-bounces VERP", plain, "dovecot-bounces+timo=example.com@lists.example.com", "stephan@example.com", def, ReasonMailerDaemon},
		{"noreply", plain, "noreply@shop.example", "stephan@example.com", def, ReasonMailerDaemon},
		{"no-reply", plain, "No-Reply@shop.example", "stephan@example.com", def, ReasonMailerDaemon},
		{"List-Id", plain + "List-ID: <dovecot.lists.example.com>\n", "timo@example.com", "stephan@example.com", def, ReasonList},
		{"List-Unsubscribe", plain + "List-Unsubscribe: <mailto:leave@example.com>\n", "timo@example.com", "stephan@example.com", def, ReasonList},
		{"List-Post", plain + "list-post: NO\n", "timo@example.com", "stephan@example.com", def, ReasonList},
		{"List-Archive", plain + "List-Archive: <https://lists.example.com/>\n", "timo@example.com", "stephan@example.com", def, ReasonList},
		{"auto-submitted yes", plain + "Auto-submitted: yes\n", "spam@example.com", "stephan@example.com", def, ReasonAutoSubmitted},
		{"auto-generated with param", plain + "Auto-Submitted: auto-generated; owner-email=\"x@example.com\"\n", "x@example.com", "stephan@example.com", def, ReasonAutoSubmitted},
		{"auto-replied by someone else", plain + "Auto-Submitted: AUTO-REPLIED\n", "x@example.com", "stephan@example.com", def, ReasonAutoSubmitted},
		{"own vacation reply", plain + "Auto-Submitted: auto-replied (vacation)\n", "x@example.com", "stephan@example.com", def, ReasonOwnReplyLoop},
		{"auto-submitted empty", plain + "Auto-Submitted:\n", "x@example.com", "stephan@example.com", def, ReasonAutoSubmitted},
		{"second auto-submitted field", plain + "Auto-Submitted: no\nAuto-Submitted: auto-notified\n", "x@example.com", "stephan@example.com", def, ReasonAutoSubmitted},
		{"precedence bulk", plain + "Precedence: bulk\n", "spam@example.com", "stephan@example.com", def, ReasonPrecedence},
		{"precedence JUNK comment", plain + "Precedence: JUNK (spam)\n", "spam@example.com", "stephan@example.com", def, ReasonPrecedence},
		{"precedence list", plain + "Precedence: list\n", "spam@example.com", "stephan@example.com", def, ReasonPrecedence},
		{"precedence first-class", plain + "Precedence: first-class\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"x-auto-response-suppress All", plain + "X-Auto-Response-Suppress: All\n", "spam@example.com", "stephan@example.com", def, ReasonAutoResponseSuppress},
		{"x-auto-response-suppress list with OOF", plain + "X-Auto-Response-Suppress: DR, OOF,\tRN\n", "spam@example.com", "stephan@example.com", def, ReasonAutoResponseSuppress},
		{"x-auto-response-suppress autoreply", plain + "X-Auto-Response-Suppress: autoreply\n", "spam@example.com", "stephan@example.com", def, ReasonAutoResponseSuppress},
		{"x-auto-response-suppress RN only", plain + "X-Auto-Response-Suppress: RN, NRN\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"not addressed", "From: timo@example.com\nTo: all@example.com\n", "timo@example.com", "stephan@example.com", def, ReasonNotAddressed},
		{"not addressed, check off", "From: timo@example.com\nTo: all@example.com\n", "timo@example.com", "stephan@example.com", Policy{}, ReasonNone},
		{"addressed via :addresses", "From: timo@example.com\nTo: all@example.com\n", "timo@example.com", "stephan@example.com", DefaultPolicy("all@example.com"), ReasonNone},
		{"addresses case-insensitive", "From: timo@example.com\nTo: Stephan.Bosch@example.com\n", "timo@example.com", "stephan@example.com", DefaultPolicy("stephan.bosch@example.com"), ReasonNone},
		{"local part case-sensitive policy", "From: timo@example.com\nTo: Stephan@example.com\n", "timo@example.com", "stephan@example.com", Policy{CheckRecipient: true, CaseSensitiveLocalPart: true}, ReasonNotAddressed},
		{"domain always case-insensitive", "From: timo@example.com\nTo: stephan@EXAMPLE.COM\n", "timo@example.com", "stephan@example.com", Policy{CheckRecipient: true, CaseSensitiveLocalPart: true}, ReasonNone},
		{"detail ignored", "From: timo@example.com\nTo: stephan+work@example.com\n", "timo@example.com", "stephan@example.com", Policy{CheckRecipient: true, DetailSeparators: "+"}, ReasonNone},
		{"detail significant", "From: timo@example.com\nTo: stephan+work@example.com\n", "timo@example.com", "stephan@example.com", def, ReasonNotAddressed},
		{"in Cc", "From: timo@example.com\nTo: all@example.com\nCc: colleague@example.net, stephan@example.com\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"in Bcc", "From: timo@example.com\nBcc: stephan@example.com\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"in Resent-To", "From: timo@example.com\nTo: x@example.com\nResent-To: <stephan@example.com>\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"in Resent-Cc", "From: timo@example.com\nResent-Cc: stephan@example.com\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"in group", "From: timo@example.com\nTo: Team: a@example.com, Stephan <stephan@example.com>;, b@example.com\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"empty group only", "From: timo@example.com\nTo: undisclosed-recipients:;\n", "timo@example.com", "stephan@example.com", def, ReasonNotAddressed},
		{"encoded display name", "From: timo@example.com\nTo: =?utf-8?q?St=C3=A9phan?= <stephan@example.com>\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"utf-8 display name", "From: timo@example.com\nTo: Stéphan Bösch <stephan@example.com>\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"malformed To still found", "From: timo@example.com\nTo: Stephan <stephan@example.com>, <<broken\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"folded To", "From: timo@example.com\nTo: a@example.com,\n  stephan@example.com\n", "timo@example.com", "stephan@example.com", def, ReasonNone},
		{"envelope with brackets", plain, "<timo@example.com>", "<stephan@example.com>", def, ReasonNone},
		{"list beats not-addressed", "From: timo@example.com\nTo: list@example.com\nList-Id: x\n", "timo@example.com", "stephan@example.com", def, ReasonList},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := mustOriginal(t, tc.header+"\nbody\n", tc.from, tc.to)
			ok, reason := o.ShouldAutoReply(tc.policy)
			if reason != tc.want || ok != (tc.want == ReasonNone) {
				t.Errorf("ShouldAutoReply = %v, %q; want %q", ok, reason, tc.want)
			}
		})
	}
}

func TestShouldNotify(t *testing.T) {
	tests := []struct {
		header string
		want   Reason
	}{
		{"From: a@example.com\n", ReasonNone},
		{"From: a@example.com\nAuto-Submitted: no\n", ReasonNone},
		{"From: a@example.com\nAuto-submitted: auto-notify\n", ReasonAutoSubmitted},
		{"From: a@example.com\nAuto-Submitted: auto-replied (vacation)\n", ReasonOwnReplyLoop},
		// A list message is still worth a notification: only automation stops it.
		{"From: a@example.com\nList-Id: x\n", ReasonNone},
	}
	for _, tc := range tests {
		o := mustOriginal(t, tc.header, "a@example.com", "b@example.com")
		if ok, r := o.ShouldNotify(); r != tc.want || ok != (tc.want == ReasonNone) {
			t.Errorf("%q: ShouldNotify = %v, %q; want %q", tc.header, ok, r, tc.want)
		}
	}
}

func TestReasonsStable(t *testing.T) {
	want := []string{"null-sender", "sender-is-user", "mailer-daemon", "list", "auto-submitted",
		"precedence", "x-auto-response-suppress", "not-addressed", "own-reply-loop", "spam", "duplicate"}
	var got []string
	for _, r := range Reasons() {
		got = append(got, r.String())
	}
	if !slices.Equal(got, want) {
		t.Errorf("Reasons() = %q, want %q", got, want)
	}
}

func TestNewOriginalMalformed(t *testing.T) {
	if _, err := NewOriginal([]byte("this is not a header\r\n\r\n"), "a@example.com", "b@example.com"); err == nil {
		t.Fatal("NewOriginal accepted a malformed header")
	}
}
