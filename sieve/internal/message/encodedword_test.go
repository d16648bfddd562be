package message

import "testing"

func TestDecodeHeaderValue(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello world", "hello world"},
		{"Q utf-8", "=?UTF-8?Q?Gr=C3=BC=C3=9Fe_dich?=", "Grüße dich"},
		{"B utf-8", "=?utf-8?B?R3LDvMOfZQ==?=", "Grüße"},
		{"B missing padding", "=?utf-8?b?R3LDvMOfZQ?=", "Grüße"},
		{"Q iso-8859-1", "=?ISO-8859-1?Q?caf=E9?=", "café"},
		{"Q lower-case hex", "=?iso-8859-1?q?caf=e9?=", "café"},
		{"windows-1252", "=?windows-1252?Q?=80_=96_x?=", "€ – x"},
		{"KOI8-R", "=?koi8-r?B?8NLJ18XU?=", "Привет"},
		{"adjacent words joined", "=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
		{"adjacent across folding", "=?utf-8?q?a?=\r\n =?utf-8?q?b?=", "ab"},
		{"split multibyte char", "=?utf-8?B?w6k=?= =?utf-8?B?w6k=?=", "éé"},
		{"utf-8 split across words", "=?utf-8?Q?=C3?= =?utf-8?Q?=A9?=", "é"},
		{"different charsets adjacent", "=?iso-8859-1?q?=E9?= =?utf-8?q?=C3=A9?=", "éé"},
		{"text between words kept", "=?utf-8?q?a?= and =?utf-8?q?b?=", "a and b"},
		{"text around", "Re: =?utf-8?q?caf=C3=A9?= (x)", "Re: café (x)"},
		{"not space delimited", "\"=?utf-8?q?J=C3=B6rg?=\" <j@x>", "\"Jörg\" <j@x>"},
		{"unknown charset left", "=?x-unknown?q?abc?= z", "=?x-unknown?q?abc?= z"},
		{"broken base64 left", "=?utf-8?b?!!!?=", "=?utf-8?b?!!!?="},
		{"broken Q left", "=?utf-8?q?a=Zb?=", "=?utf-8?q?a=Zb?="},
		{"unknown encoding left", "=?utf-8?x?abc?=", "=?utf-8?x?abc?="},
		{"unterminated", "=?utf-8?q?abc", "=?utf-8?q?abc"},
		{"space inside word", "=?utf-8?q?a b?=", "=?utf-8?q?a b?="},
		{"empty text", "=?utf-8?q??=x", "x"},
		{"broken then good", "=?utf-8?b?!?= =?utf-8?q?ok?=", "=?utf-8?b?!?= ok"},
		{"language suffix", "=?utf-8*en?q?hi?=", "hi"},
		{"8-bit utf-8 passes", "Grüße", "Grüße"},
		{"invalid 8-bit as windows-1252", "caf\xe9 \x80", "café €"},
		{"invalid bytes inside utf-8 word", "=?utf-8?q?caf=E9?=", "café"},
		{"lone =?", "a =? b", "a =? b"},
		{"us-ascii with 8-bit utf-8", "=?us-ascii?q?=C3=A9?=", "é"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DecodeHeaderValue(tt.in); got != tt.want {
				t.Errorf("DecodeHeaderValue(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
