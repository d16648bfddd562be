package sieve

import (
	"context"
	"errors"
	"strings"
	"testing"
)

const testMsg = "From: \"Doe, John\" <john.doe@example.org>\r\n" +
	"To: alice+lists@example.com, Bob <bob@example.net>\r\n" +
	"Cc: undisclosed-recipients:;\r\n" +
	"Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= from the\r\n list\r\n" +
	"X-Spam-Score: 7\r\n" +
	"X-Spam-Score: 12\r\n" +
	"\r\n" +
	"Hello world.\r\n"

// runScript compiles src and runs it on msg, failing the test on errors.
func runScript(t testing.TB, src, msg string) *Result {
	t.Helper()
	res, err := tryRun(t, src, msg)
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	return res
}

func tryRun(t testing.TB, src, msg string) (*Result, error) {
	t.Helper()
	s, err := Compile(context.Background(), "test", []byte(src), Options{})
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	m, err := ParseMessage(strings.NewReader(msg))
	if err != nil {
		t.Fatalf("parse message: %v", err)
	}
	return s.Run(context.Background(), &Input{
		Message:  m,
		Envelope: StaticEnvelope{Sender: "sender@example.org", Recipient: "alice+lists@example.com"},
	})
}

func TestRun(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"empty script keeps", ``, "implicit keep\n"},
		{"discard", `discard;`, "discard \n"},
		{"header is", `require "fileinto"; if header :is "subject" "Grüße from the list" { fileinto "a"; }`, "fileinto \"a\"\n"},
		{"header contains case", `if header :contains "SUBJECT" "GRÜ" { discard; }`, "implicit keep\n"},
		{"header contains ascii case", `if header :contains "SUBJECT" "FROM THE" { discard; }`, "discard \n"},
		{"unicode casemap", `require "comparator-i;unicode-casemap"; if header :contains :comparator "i;unicode-casemap" "subject" "GRÜSSE" { discard; }`, "implicit keep\n"},
		{"unicode casemap simple", `require "comparator-i;unicode-casemap"; if header :contains :comparator "i;unicode-casemap" "subject" "GRÜ" { discard; }`, "discard \n"},
		{"unicode casemap matches", `require "comparator-i;unicode-casemap"; if header :matches :comparator "i;unicode-casemap" "subject" "gRü*LIST" { discard; }`, "discard \n"},
		{"matches unicode ?", `if header :matches "subject" "Gr??e*" { discard; }`, "discard \n"},
		{"address display name comma", `if address :is "from" "john.doe@example.org" { discard; }`, "discard \n"},
		{"address domain", `if address :domain :is "to" "example.net" { discard; }`, "discard \n"},
		{"address localpart", `if address :localpart :is "to" "bob" { discard; }`, "discard \n"},
		{"subaddress detail", `require "subaddress"; if address :detail "to" "lists" { discard; }`, "discard \n"},
		{"subaddress user", `require ["subaddress", "envelope"]; if envelope :user "to" "alice" { discard; }`, "discard \n"},
		{"envelope", `require "envelope"; if envelope :domain "from" "example.org" { discard; }`, "discard \n"},
		{"size over", `if size :over 10 { discard; }`, "discard \n"},
		{"size under K", `if size :under 1K { discard; }`, "discard \n"},
		{"exists", `if exists ["from", "x-spam-score"] { discard; }`, "discard \n"},
		{"not exists", `if exists ["from", "x-nope"] { discard; }`, "implicit keep\n"},
		{"elsif else", `require "fileinto"; if false { fileinto "a"; } elsif false { fileinto "b"; } else { fileinto "c"; }`, "fileinto \"c\"\n"},
		{"stop", `require "fileinto"; fileinto "a"; stop; fileinto "b";`, "fileinto \"a\"\n"},
		{"copy keeps implicit", `require ["fileinto","copy"]; fileinto :copy "a";`, "fileinto \"a\" :copy\nimplicit keep\n"},
		{"dup fileinto", `require "fileinto"; fileinto "a"; fileinto "a";`, "fileinto \"a\"\n"},
		{"keep and inbox merge", `require "fileinto"; keep; fileinto "INBOX";`, "keep \n"},
		{"redirect", `redirect "x@example.net"; redirect "X@example.net";`, "redirect \"x@example.net\"\n"},
		{"relational count", `require ["relational","comparator-i;ascii-numeric"]; if header :count "ge" :comparator "i;ascii-numeric" "x-spam-score" "2" { discard; }`, "discard \n"},
		{"relational value", `require ["relational","comparator-i;ascii-numeric"]; if header :value "gt" :comparator "i;ascii-numeric" "x-spam-score" "10" { discard; }`, "discard \n"},
		{"variables match", `require ["variables","fileinto"]; if header :matches "from" "*<*@*>" { fileinto "${3}.${2}"; }`, "fileinto \"example.org.john.doe\"\n"},
		{"set modifiers", `require ["variables","fileinto"]; set :upperfirst :lower "a" "HELLO"; set :length "b" "${a}"; fileinto "${a}${b}";`, "fileinto \"Hello5\"\n"},
		{"imap4flags", `require ["imap4flags","fileinto"]; addflag "\\Seen"; addflag "$Junk \\seen"; fileinto "a"; removeflag "\\Seen"; keep :flags "x";`, "fileinto \"a\" flags=\\Seen $Junk\nkeep  flags=x\n"},
		{"imap4flags implicit", `require "imap4flags"; setflag "\\Flagged"; if hasflag :is "\\flagged" { addflag "b"; }`, "implicit keep flags=\\Flagged b\n"},
		{"encoded character", `require ["encoded-character","fileinto"]; fileinto "${hex:41 42}${unicode:263A}";`, "fileinto \"AB☺\"\n"},
		{"multiline", "require \"fileinto\";\nfileinto text:\n..dot\n.\n;", "fileinto \".dot\\r\\n\"\n"},
		{"reject", `require "reject"; reject "go away";`, "reject \"go away\"\n"},
		{"ereject", `require "ereject"; ereject "go away";`, "ereject \"go away\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := runScript(t, tt.src, testMsg).String()
			if got != tt.want {
				t.Errorf("result:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct{ name, src string }{
		{"reject after keep", `require "reject"; keep; reject "x";`},
		{"keep after reject", `require "reject"; reject "x"; keep;`},
		{"too many redirects", `redirect "a@x.org"; redirect "b@x.org"; redirect "c@x.org"; redirect "d@x.org"; redirect "e@x.org";`},
		{"invalid runtime address", `require "variables"; set "a" "not an address"; redirect "${a}";`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tryRun(t, tt.src, testMsg)
			if !errors.Is(err, ErrRuntime) {
				t.Fatalf("err = %v, want a runtime error", err)
			}
		})
	}
}

func TestStepBudget(t *testing.T) {
	src := `require "variables"; if string :matches "` + strings.Repeat("a", 200) + `" "` + strings.Repeat("*a", 60) + `b" { discard; }`
	s, err := Compile(context.Background(), "t", []byte(src), Options{Limits: Limits{Steps: 100}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(context.Background(), &Input{})
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
}

func TestRunConcurrent(t *testing.T) {
	s, err := Compile(context.Background(), "c", []byte(userScript50()), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := ""
	done := make(chan string)
	for i := 0; i < 8; i++ {
		go func() {
			m, _ := ParseMessage(strings.NewReader(benchMessage))
			var last string
			for j := 0; j < 20; j++ {
				res, err := s.Run(context.Background(), &Input{Message: m, Envelope: StaticEnvelope{Recipient: "alias1@example.net"}})
				if err != nil {
					last = err.Error()
					break
				}
				last = res.String()
			}
			done <- last
		}()
	}
	for i := 0; i < 8; i++ {
		got := <-done
		if want == "" {
			want = got
		}
		if got != want {
			t.Errorf("concurrent runs disagree:\n%s\n%s", got, want)
		}
	}
}

func TestRunCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	src := `require "variables"; if string :matches "` + strings.Repeat("a", 3000) + `" "` + strings.Repeat("*a", 50) + `b" { discard; }`
	s, err := Compile(context.Background(), "t", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(ctx, &Input{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}
