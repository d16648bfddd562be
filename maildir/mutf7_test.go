package maildir

import (
	"testing"
	"unicode/utf8"
)

func TestMUTF7(t *testing.T) {
	tests := []struct{ utf8, mutf7 string }{
		{"", ""},
		{"INBOX", "INBOX"},
		{"Sent Items", "Sent Items"},
		{"&", "&-"},
		{"a&b", "a&-b"},
		{"Entwürfe", "Entw&APw-rfe"},
		{"日本語", "&ZeVnLIqe-"},
		{"~peter/mail/日本語/台北", "~peter/mail/&ZeVnLIqe-/&U,BTFw-"},
		{"ü&", "&APw-&-"},
		{"😀", "&2D3eAA-"},
		{"é é", "&AOk- &AOk-"},
		{"\x7f", "&AH8-"},
		{"\t", "&AAk-"},
	}
	for _, tt := range tests {
		got, err := EncodeMUTF7(tt.utf8)
		if err != nil || got != tt.mutf7 {
			t.Errorf("EncodeMUTF7(%q) = %q, %v; want %q", tt.utf8, got, err, tt.mutf7)
		}
		back, err := DecodeMUTF7(tt.mutf7)
		if err != nil || back != tt.utf8 {
			t.Errorf("DecodeMUTF7(%q) = %q, %v; want %q", tt.mutf7, back, err, tt.utf8)
		}
	}
}

func TestEncodeMUTF7InvalidUTF8(t *testing.T) {
	if _, err := EncodeMUTF7("a\xffb"); err == nil {
		t.Fatal("invalid UTF-8 accepted")
	}
}

func TestDecodeMUTF7Rejects(t *testing.T) {
	for _, in := range []string{
		"&",            // unterminated
		"&ZeVn",        // unterminated
		"&Ze/n-",       // '/' is not in the modified alphabet
		"&ZeVnLIqe=-",  // padding
		"&AGE-",        // "a" must be direct
		"&ZeV-",        // odd byte count
		"&APx-",        // non-zero trailing bits
		"&2D0-",        // lone high surrogate
		"&3gA-",        // lone low surrogate
		"&2D3YPQ-",     // high surrogate followed by a high one
		"&APw-&APw-",   // adjacent shifts must be merged
		"caf\xc3\xa9",  // raw 8-bit
		"a\tb",         // raw control
		"&Ze\nVnLIqe-", // base64 decoders skip newlines; we must not
	} {
		if got, err := DecodeMUTF7(in); err == nil {
			t.Errorf("DecodeMUTF7(%q) = %q, want error", in, got)
		}
	}
}

func FuzzMUTF7RoundTrip(f *testing.F) {
	for _, s := range []string{"", "a", "&", "Entwürfe", "日本語", "😀&x", "\x00\x7f", "é é"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc, err := EncodeMUTF7(s)
		if !utf8.ValidString(s) {
			if err == nil {
				t.Fatalf("invalid UTF-8 %q encoded", s)
			}
			return
		}
		if err != nil {
			t.Fatalf("EncodeMUTF7(%q): %v", s, err)
		}
		for i := 0; i < len(enc); i++ {
			if enc[i] < 0x20 || enc[i] > 0x7e {
				t.Fatalf("EncodeMUTF7(%q) = %q: not printable ASCII", s, enc)
			}
		}
		dec, err := DecodeMUTF7(enc)
		if err != nil || dec != s {
			t.Fatalf("round trip %q -> %q -> %q, %v", s, enc, dec, err)
		}
	})
}

func FuzzDecodeMUTF7(f *testing.F) {
	for _, s := range []string{"", "&-", "&ZeVnLIqe-", "&APw-&-", "&2D3eAA-", "&", "&AGE-", "a&b-c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		dec, err := DecodeMUTF7(s)
		if err != nil {
			return
		}
		if !utf8.ValidString(dec) {
			t.Fatalf("DecodeMUTF7(%q) = %q: invalid UTF-8", s, dec)
		}
		// The decoder accepts only canonical input.
		enc, err := EncodeMUTF7(dec)
		if err != nil || enc != s {
			t.Fatalf("DecodeMUTF7(%q) = %q, re-encoded %q, %v", s, dec, enc, err)
		}
	})
}
