package delivery

import (
	"bytes"
	"strings"
	"testing"
)

// TestParseSharedLongLine checks that a header line whose length is a
// multiple of the read buffer does not end the header: the fields after
// it stay visible to the scripts.
func TestParseSharedLongLine(t *testing.T) {
	for n := 4090; n <= 4100; n++ {
		long := "X-Long: " + strings.Repeat("a", n-len("X-Long: ")-1) + "\n"
		msg := "Subject: s\n" + long + "X-Spam-Flag: YES\n\nbody\n"
		m := parseShared(bytes.NewReader([]byte(msg)))
		if got := m.hdr.Header("X-Spam-Flag"); len(got) != 1 || got[0] != "YES" {
			t.Errorf("line of %d bytes: X-Spam-Flag = %q; want YES", n, got)
		}
		if want := int64(strings.Index(msg, "body")); m.bodyOff != want {
			t.Errorf("line of %d bytes: body at %d, want %d", n, m.bodyOff, want)
		}
	}
}
