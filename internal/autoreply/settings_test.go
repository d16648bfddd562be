package autoreply

import (
	"bytes"
	"testing"
)

// rawField returns the raw value of the first field named name in a built
// message ("" when absent), to check exactly what was written.
func rawField(t *testing.T, data []byte, name string) string {
	t.Helper()
	hdr, _, _ := bytes.Cut(data, []byte("\r\n\r\n"))
	for _, line := range bytes.Split(hdr, []byte("\r\n")) {
		k, v, ok := bytes.Cut(line, []byte(":"))
		if ok && string(k) == name {
			return string(bytes.TrimSpace(v))
		}
	}
	return ""
}

func TestBuildVacationDefaultSubject(t *testing.T) {
	tests := []struct {
		name     string
		subject  string // original Subject field, "" for none
		def      string
		template string
		script   string // :subject
		want     string
	}{
		{"no subject", "", "", "", "", "Automated reply"},
		{"no subject, configured", "", "Something colorful", "", "", "Something colorful"},
		{"no subject, template unused", "", "", "Re: %$", "", "Automated reply"},
		{"subject", "Bloemetjes", "Something colorful", "", "", "Auto: Bloemetjes"},
		{"template %$", "Bloemetjes", "", "Automatisch bericht: %$", "", "Automatisch bericht: Bloemetjes"},
		{"template %{subject}", "Bloemetjes", "", "Automatisch bericht: %{subject}", "", "Automatisch bericht: Bloemetjes"},
		{"template %% and unknown", "Frop", "", "100%% %x %$%", "", "100% %x Frop%"},
		{":subject wins", "Bloemetjes", "Something", "X %$", "Mine", "Mine"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw := "From: stephan@example.org\nTo: nico@frop.example.org\n"
			if tc.subject != "" {
				raw += "Subject: " + tc.subject + "\n"
			}
			o := mustOriginal(t, raw+"\nFrop\n", "stephan@example.org", "nico@frop.example.org")
			opts := fixedOptions()
			opts.DefaultSubject, opts.DefaultSubjectTemplate = tc.def, tc.template
			out, err := BuildVacation(o, Vacation{Reason: "away", Subject: tc.script}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := rawField(t, out.Data, "Subject"); got != tc.want {
				t.Errorf("Subject = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBuildVacationToHeaderIgnoreEnvelope(t *testing.T) {
	const both = "From: \"Stephan Bosch\" <stephan@example.org>\nSender: \"Hendrik-Jan Tuinman\" <h.j.tuinman@example.org>\n"
	tests := []struct {
		name   string
		hdr    string
		sender string
		ignore bool
		want   string
	}{
		{"envelope sender matches From", both, "stephan@example.org", false, `"Stephan Bosch" <stephan@example.org>`},
		{"envelope sender unknown", both, "arie@example.org", false, "<arie@example.org>"},
		{"ignored: Sender first", both, "srs0=x=example.com=arie@example.org", true, `"Hendrik-Jan Tuinman" <h.j.tuinman@example.org>`},
		{"ignored: Resent-From before From", "From: a@example.org\nResent-From: B <b@example.org>\n", "x@example.org", true, `"B" <b@example.org>`},
		{"ignored: From", "From: Stephan <stephan@example.org>\n", "x@example.org", true, `"Stephan" <stephan@example.org>`},
		{"ignored: invalid skipped", "Sender: undisclosed\nFrom: a@example.org\n", "x@example.org", true, "<a@example.org>"},
		{"ignored: no sender fields", "", "x@example.org", true, "<x@example.org>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := mustOriginal(t, tc.hdr+"To: nico@frop.example.org\nSubject: s\n\nx\n", tc.sender, "nico@frop.example.org")
			opts := fixedOptions()
			opts.ToHeaderIgnoreEnvelope = tc.ignore
			out, err := BuildVacation(o, Vacation{Reason: "away"}, opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := rawField(t, out.Data, "To"); got != tc.want {
				t.Errorf("To = %q, want %q", got, tc.want)
			}
			if len(out.RcptTo) != 1 || out.RcptTo[0] != tc.sender {
				t.Errorf("RcptTo = %v, want the envelope sender %s", out.RcptTo, tc.sender)
			}
		})
	}
}

// TestGivenFromForm checks that a :from is written in the form the script
// gave, as Pigeonhole does: a bare address stays bare.
func TestGivenFromForm(t *testing.T) {
	tests := []struct{ name, from, want string }{
		{"bare", "nico@frop.example.org", "nico@frop.example.org"},
		{"angle", "<nico@frop.example.org>", "<nico@frop.example.org>"},
		{"named", "Nico Frop <nico@frop.example.org>", `"Nico Frop" <nico@frop.example.org>`},
		{"default", "", "<bertus@frop.example.org>"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := mustOriginal(t, "From: stephan@example.org\nTo: bertus@frop.example.org\nSubject: Frop!\n\nx\n", "stephan@example.org", "bertus@frop.example.org")
			v, err := BuildVacation(o, Vacation{Reason: "away", From: tc.from}, fixedOptions())
			if err != nil {
				t.Fatal(err)
			}
			if got := rawField(t, v.Data, "From"); got != tc.want {
				t.Errorf("vacation From = %q, want %q", got, tc.want)
			}
			n, err := BuildNotification(o, Notify{Method: "mailto:stephan@example.org", From: tc.from}, fixedOptions())
			if err != nil {
				t.Fatal(err)
			}
			if got := rawField(t, n.Data, "From"); got != tc.want {
				t.Errorf("notification From = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBuildNotificationXSieve(t *testing.T) {
	o := mustOriginal(t, "From: stephan@example.org\nTo: bertus@frop.example.org\nSubject: Frop!\n\nx\n", "stephan@example.org", "bertus@frop.example.org")
	for _, ua := range []string{"", "sluice 1.4.0"} {
		opts := fixedOptions()
		opts.UserAgent = ua
		out, err := BuildNotification(o, Notify{Method: "mailto:stephan@example.org"}, opts)
		if err != nil {
			t.Fatal(err)
		}
		want := ua
		if want == "" {
			want = "sluice"
		}
		if got := rawField(t, out.Data, "X-Sieve"); got != want {
			t.Errorf("UserAgent %q: X-Sieve = %q, want %q", ua, got, want)
		}
	}
}
