package message

import (
	"reflect"
	"testing"
)

func TestParseAddressList(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Address
	}{
		{"simple", "a@x", []Address{{Local: "a", Domain: "x"}}},
		{"list", "a@x, B <b@y>", []Address{{Local: "a", Domain: "x"}, {Name: "B", Local: "b", Domain: "y"}}},
		{"quoted name with comma and @", `"Doe, John (j@x)" <john@x.org>, c@z`,
			[]Address{{Name: "Doe, John (j@x)", Local: "john", Domain: "x.org"}, {Local: "c", Domain: "z"}}},
		{"unquoted multi-word name", "John Q. Public <jqp@x>", []Address{{Name: "John Q. Public", Local: "jqp", Domain: "x"}}},
		{"nested comments", "a@x (outer (inner) text), b(c)@y", []Address{{Name: "outer (inner) text", Local: "a", Domain: "x"}, {Local: "b", Domain: "y"}}},
		{"comment inside angle", "Name <a(c)@(d)x>", []Address{{Name: "Name", Local: "a", Domain: "x"}}},
		{"group", "g: a@x, B <b@y>;, c@z", []Address{
			{Local: "a", Domain: "x", Group: "g"}, {Name: "B", Local: "b", Domain: "y", Group: "g"}, {Local: "c", Domain: "z"}}},
		{"group without closing semicolon", "Team: a@x, b@y", []Address{{Local: "a", Domain: "x", Group: "Team"}, {Local: "b", Domain: "y", Group: "Team"}}},
		{"undisclosed-recipients", "undisclosed-recipients:;", nil},
		{"empty group then address", "undisclosed-recipients:; a@x", []Address{{Local: "a", Domain: "x"}}},
		{"encoded name", "=?utf-8?q?J=C3=B6rg?= <j@x>", []Address{{Name: "Jörg", Local: "j", Domain: "x"}}},
		{"encoded comma does not split", "=?utf-8?q?Doe=2C_John?= <j@x>, k@y", []Address{{Name: "Doe, John", Local: "j", Domain: "x"}, {Local: "k", Domain: "y"}}},
		{"encoded words in quotes", `"=?utf-8?b?SsO2cmc=?=" <j@x>`, []Address{{Name: "Jörg", Local: "j", Domain: "x"}}},
		{"null", "<>", []Address{{}}},
		{"null with name", "Mailer <>", []Address{{Name: "Mailer"}}},
		{"missing domain", "root", []Address{{Local: "root"}}},
		{"missing domain in angle", "Root <root>", []Address{{Name: "Root", Local: "root"}}},
		{"obsolete route", "<@r1.x,@r2.y:a@x>", []Address{{Local: "a", Domain: "x"}}},
		{"quoted local part", `"a b"@x`, []Address{{Local: "a b", Domain: "x"}}},
		{"quoted local with @", `"a@b"@x`, []Address{{Local: "a@b", Domain: "x"}}},
		{"domain literal", "a@[192.0.2.1]", []Address{{Local: "a", Domain: "[192.0.2.1]"}}},
		{"obs-local-part spaces", "john . doe @ x . org", []Address{{Local: "john.doe", Domain: "x.org"}}},
		{"empty elements skipped", ",a@x,,b@y,", []Address{{Local: "a", Domain: "x"}, {Local: "b", Domain: "y"}}},
		{"folded", "A\r\n <a@x>,\r\n\tb@y", []Address{{Name: "A", Local: "a", Domain: "x"}, {Local: "b", Domain: "y"}}},
		{"unterminated angle", "Name <a@x", []Address{{Name: "Name", Local: "a", Domain: "x"}}},
		{"unterminated quote", `"Name <a@x>`, []Address{{Local: "Name <a@x>"}}},
		{"garbage", ">>;;", nil},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseAddressList(tt.in)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseAddressList(%q)\n got  %#v\n want %#v", tt.in, got, tt.want)
			}
		})
	}
}
