package dovecotconf

import (
	"strings"
	"testing"
)

// TestRenderEveryTable checks that a table without a place in
// sectionOrder is still written, after the ordered ones.
func TestRenderEveryTable(t *testing.T) {
	o := newOutput()
	o.set("zeta", "a", "1", Setting{Key: "x"})
	o.set("mail", "b", "2", Setting{Key: "y"})
	o.set("alpha", "c", "3", Setting{Key: "z"})
	got := o.render("test.conf")
	mail, alpha, zeta := strings.Index(got, "[mail]"), strings.Index(got, "[alpha]"), strings.Index(got, "[zeta]")
	if mail < 0 || alpha < 0 || zeta < 0 || !(mail < alpha && alpha < zeta) {
		t.Fatalf("tables missing or out of order:\n%s", got)
	}
	for _, kv := range []string{"a = 1", "b = 2", "c = 3"} {
		if !strings.Contains(got, kv) {
			t.Errorf("%q missing:\n%s", kv, got)
		}
	}
}
