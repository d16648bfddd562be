package sieve

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParseMailto(t *testing.T) {
	tests := []struct {
		uri     string
		to, cc  string
		headers string
		body    string
		err     string
	}{
		{uri: "mailto:a@example.org", to: "a@example.org"},
		{uri: "MAILTO:a@example.org%2Cb@example.org,A@example.org", to: "a@example.org,b@example.org"},
		{uri: "mailto:?to=a@example.org&cc=b@example.org&subject=Hi%20there&body=x%0D%0Ay", to: "a@example.org", cc: "b@example.org", headers: "subject=Hi there", body: "x\r\ny"},
		{uri: "mailto:a@example.org?to=a@example.org", to: "a@example.org"},
		{uri: "mailto:stephan@example.org;?header=frop", err: "invalid character ';' in 'to' part"},
		{uri: "mailto:stephan@example.org?header<=frop", err: "invalid character '<' in header field name part"},
		{uri: "mailto:stephan@example.org?header=fr>op", err: "invalid character '>' in header field value part"},
		{uri: "mailto:stephan@example.org?header:=frop", err: "invalid header field name"},
		{uri: "mailto:stephan%23example.org", err: "invalid recipient 'stephan#example.org'"},
		{uri: "mailto:a@example.org?to=nico%23frop.example.org", err: "invalid recipient"},
		{uri: "mailto:a@example.org?subject", err: "has no value"},
		{uri: "mailto:a@example.org%2", err: "invalid percent encoding"},
		{uri: "http://example.org", err: "not a mailto URI"},
	}
	for _, tt := range tests {
		t.Run(tt.uri, func(t *testing.T) {
			m, err := ParseMailto(tt.uri)
			if tt.err != "" {
				if err == nil || !errors.Is(err, ErrMailto) || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var hs []string
			for _, h := range m.Headers {
				hs = append(hs, h.Name+"="+h.Value)
			}
			if got := strings.Join(m.To, ","); got != tt.to {
				t.Errorf("to = %q, want %q", got, tt.to)
			}
			if got := strings.Join(m.Cc, ","); got != tt.cc {
				t.Errorf("cc = %q, want %q", got, tt.cc)
			}
			if got := strings.Join(hs, "&"); got != tt.headers {
				t.Errorf("headers = %q, want %q", got, tt.headers)
			}
			if m.Body != tt.body {
				t.Errorf("body = %q, want %q", m.Body, tt.body)
			}
		})
	}
}

func TestEncodeURL(t *testing.T) {
	for in, want := range map[string]string{
		`\frop\&fruts/^@`: "%5Cfrop%5C%26fruts%2F%5E%40",
		"a-b.c_d~e":       "a-b.c_d~e",
		"é":               "%C3%A9",
		"":                "",
	} {
		if got := encodeURL(in); got != want {
			t.Errorf("encodeURL(%q) = %q, want %q", in, got, want)
		}
	}
	res, err := ext4Run(t, `require ["enotify", "variables"]; set :encodeurl :upper "v" "a b&c"; notify :message "${v}" "mailto:x@example.org";`, ext4Msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Actions[0].(*Notify).Message; got != "A%20B%26C" {
		t.Errorf("message = %q", got)
	}
}

func TestNotifyAction(t *testing.T) {
	res, err := ext4Run(t, `require "enotify";
notify :from "me@example.com" :importance "1" :options ["k=v", "x.y=z"] :message "New mail" "mailto:a@example.org?subject=hi";
notify "mailto:a@example.org?subject=hi";
notify "mailto:a@example.org?subject=hi";
`, ext4Msg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Actions) != 2 || !res.ImplicitKeep {
		t.Fatalf("result:\n%s", res)
	}
	n := res.Actions[0].(*Notify)
	if n.Method != "mailto:a@example.org?subject=hi" || n.From != "me@example.com" || n.Importance != 1 ||
		strings.Join(n.Options, ",") != "k=v,x.y=z" || n.Message != "New mail" || n.Pos.Line != 2 || n.Kind() != "notify" {
		t.Errorf("first = %+v", n)
	}
	if n := res.Actions[1].(*Notify); n.Importance != 2 || n.From != "" || n.Pos.Line != 3 {
		t.Errorf("second = %+v", n)
	}
}

func TestNotifyErrors(t *testing.T) {
	tests := []struct{ name, src, want string }{
		{"unknown method", `require "enotify"; notify "snailto:a@example.org";`, "invalid method 'snailto'"},
		{"not a URI", `require "enotify"; notify "nothing";`, "invalid method URI"},
		{"bad mailto", `require "enotify"; notify "mailto:a@example.org;";`, "mailto URI: invalid character ';'"},
		{"bad from", `require "enotify"; notify :from "x#y" "mailto:a@example.org";`, "specified :from address 'x#y'"},
		{"empty from", `require "enotify"; notify :from "" "mailto:a@example.org";`, "empty address"},
		{"importance", `require "enotify"; notify :importance "4" "mailto:a@example.org";`, "invalid :importance value '4'"},
		{"empty option", `require "enotify"; notify :options "" "mailto:a@example.org";`, "empty option"},
		{"option name", `require "enotify"; notify :options "_a=b" "mailto:a@example.org";`, "invalid option name"},
		{"option no value", `require "enotify"; notify :options "frop" "mailto:a@example.org";`, "invalid option name"},
		{"option value", "require \"enotify\"; notify :options \"a=b\nc\" \"mailto:a@example.org\";", "invalid option value"},
		{"no require", `notify "mailto:a@example.org";`, "requires the 'enotify' extension"},
		{"fcc needs require", `require "enotify"; notify :fcc "Sent" "mailto:a@example.org";`, "requires the 'fcc' extension"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ext4CompileErr(t, tt.src); !strings.Contains(got, tt.want) {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNotifyRuntimeErrors(t *testing.T) {
	for _, src := range []string{
		`require ["enotify", "variables"]; set "m" "xmpp:a@example.org"; notify "${m}";`,
		`require ["enotify", "variables"]; set "m" "mailto:a#b"; notify "${m}";`,
		`require ["enotify", "variables"]; set "i" "7"; notify :importance "${i}" "mailto:a@example.org";`,
	} {
		if _, err := ext4Run(t, src, ext4Msg, nil); !errors.Is(err, ErrRuntime) {
			t.Errorf("%s: err = %v, want a runtime error", src, err)
		}
	}
}

func TestNotifyTests(t *testing.T) {
	tests := []struct {
		cond string
		want bool
	}{
		{`valid_notify_method "mailto:a@example.org"`, true},
		{`valid_notify_method ["mailto:a@example.org", "mailto:b@example.org?subject=x"]`, true},
		{`valid_notify_method ["mailto:a@example.org", "xmpp:b@example.org"]`, false},
		{`valid_notify_method "mailto:stephan@example.org?header:=frop"`, false},
		{`notify_method_capability "mailto:a@example.org" "online" "maybe"`, true},
		{`notify_method_capability "mailto:a@example.org" "Online" "yes"`, false},
		{`notify_method_capability :matches "mailto:a@example.org" "online" "m*"`, true},
		{`notify_method_capability "mailto:a@example.org" "other" "maybe"`, false},
		{`notify_method_capability "tel:+1" "online" "maybe"`, false},
	}
	for _, tt := range tests {
		t.Run(tt.cond, func(t *testing.T) {
			res, err := ext4Run(t, `require ["enotify", "fileinto"]; if `+tt.cond+` { fileinto "yes"; }`, ext4Msg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(res.Actions) == 1; got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func ExampleParseMailto() {
	m, err := ParseMailto("mailto:alice@example.org%2Cbob@example.org?subject=New%20mail&body=Hi")
	if err != nil {
		panic(err)
	}
	fmt.Println(m.To, m.Headers[0].Name+": "+m.Headers[0].Value, m.Body)
	// Output: [alice@example.org bob@example.org] subject: New mail Hi
}
