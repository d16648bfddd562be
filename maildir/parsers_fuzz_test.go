package maildir

import "testing"

func FuzzParseKeywords(f *testing.F) {
	for _, s := range []string{"", "0 $Junk\n1 NonJunk\n", "25 z\n26 over\n-1 neg\nx y\n0 dup\n0 again\n", "3 a b\r\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		kw := parseKeywords(s)
		out := formatKeywords(kw)
		// Writing back what was read is stable.
		if again := formatKeywords(parseKeywords(out)); again != out {
			t.Fatalf("unstable: %q -> %q -> %q", s, out, again)
		}
	})
}

func FuzzParseMaildirsize(f *testing.F) {
	for _, s := range []string{"1000S,10C\n12 1\n", "10C\n", "S\n", "1S,2C,3S\n-1 -1\n", "\n\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		limits, _, ok := parseMaildirsize(s)
		if !ok {
			return
		}
		hdr := formatQuotaHeader(limits)
		l2, _, ok2 := parseMaildirsize(hdr + "\n")
		if hdr != "" && (!ok2 || l2 != limits) {
			t.Fatalf("header %q of %q re-parsed as %v, %v", hdr, s, l2, ok2)
		}
	})
}
