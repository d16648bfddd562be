package sieve

import (
	"context"
	"fmt"
	"net/textproto"
	"strings"
	"testing"

	gosieve "github.com/foxcpp/go-sieve"
	"github.com/foxcpp/go-sieve/interp"
)

// userScript50 builds a realistic user script of 50 rules: list sorting,
// spam handling, flags and a few redirects. It uses only extensions that
// go-sieve's interpreter also knows, for the comparison benchmark.
func userScript50() string {
	var b strings.Builder
	b.WriteString(`require ["fileinto", "envelope", "imap4flags", "variables", "relational", "comparator-i;ascii-numeric"];` + "\n")
	for i := 0; i < 20; i++ {
		fmt.Fprintf(&b, "if header :contains \"list-id\" \"list%d.example.org\" { fileinto \"Lists.list%d\"; stop; }\n", i, i)
	}
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "if address :domain :is \"from\" \"vendor%d.example.com\" { addflag \"vendor\"; fileinto \"Vendors\"; }\n", i)
	}
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "if header :matches \"subject\" \"*[ticket-%d*]*\" { set \"t\" \"${2}\"; fileinto \"Tickets\"; }\n", i)
	}
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "if envelope :is \"to\" \"alias%d@example.net\" { redirect \"team%d@example.net\"; }\n", i, i)
	}
	for i := 0; i < 5; i++ {
		fmt.Fprintf(&b, "if header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-spam-score\" \"%d\" { addflag \"\\\\Seen\"; fileinto \"Junk%d\"; stop; }\n", 10+i, i)
	}
	return b.String()
}

// generatedScript builds n rules of the common header/address shape.
func generatedScript(n int) string {
	var b strings.Builder
	b.WriteString(`require ["fileinto"];` + "\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "if anyof (header :contains \"subject\" \"topic %d\", address :is \"from\" \"user%d@example.org\") { fileinto \"F%d\"; }\n", i, i, i)
	}
	return b.String()
}

const benchMessage = "From: Someone <someone@vendor3.example.com>\r\n" +
	"To: alias2@example.net\r\n" +
	"Subject: Re: [ticket-7 1234] printer on fire\r\n" +
	"X-Spam-Score: 3\r\n" +
	"Message-ID: <1@example.com>\r\n" +
	"\r\n" +
	"Please help.\r\n"

func benchCompile(b *testing.B, src string) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compile(context.Background(), "bench", []byte(src), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func benchRun(b *testing.B, src string) {
	s, err := Compile(context.Background(), "bench", []byte(src), Options{})
	if err != nil {
		b.Fatal(err)
	}
	msg, err := ParseMessage(strings.NewReader(benchMessage))
	if err != nil {
		b.Fatal(err)
	}
	in := &Input{Message: msg, Envelope: StaticEnvelope{Sender: "someone@vendor3.example.com", Recipient: "alias2@example.net"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Run(context.Background(), in); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCompile50(b *testing.B)   { benchCompile(b, userScript50()) }
func BenchmarkCompile1000(b *testing.B) { benchCompile(b, generatedScript(1000)) }
func BenchmarkRun50(b *testing.B)       { benchRun(b, userScript50()) }
func BenchmarkRun1000(b *testing.B)     { benchRun(b, generatedScript(1000)) }

// BenchmarkGoSieveInterpRun50 runs the same 50-rule script through
// go-sieve's own interpreter, for comparison only.
func BenchmarkGoSieveInterpRun50(b *testing.B) {
	opts := gosieve.DefaultOptions()
	opts.Lexer.MaxTokens = 0
	script, err := gosieve.Load(strings.NewReader(userScript50()), opts)
	if err != nil {
		b.Skipf("go-sieve cannot load the script: %v", err)
	}
	hdr := textproto.MIMEHeader{}
	hdr.Add("From", "Someone <someone@vendor3.example.com>")
	hdr.Add("To", "alias2@example.net")
	hdr.Add("Subject", "Re: [ticket-7 1234] printer on fire")
	hdr.Add("X-Spam-Score", "3")
	msg := interp.MessageStatic{Size: len(benchMessage), Header: hdr}
	env := interp.EnvelopeStatic{From: "someone@vendor3.example.com", To: "alias2@example.net"}
	b.ReportAllocs()
	for b.Loop() {
		data := interp.NewRuntimeData(script, interp.DummyPolicy{}, env, msg)
		if err := script.Execute(context.Background(), data); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBenchScriptsCompile(t *testing.T) {
	for _, src := range []string{userScript50(), generatedScript(1000)} {
		if _, err := Compile(context.Background(), "bench", []byte(src), Options{}); err != nil {
			t.Fatal(err)
		}
	}
	s, _ := Compile(context.Background(), "bench", []byte(userScript50()), Options{})
	msg, _ := ParseMessage(strings.NewReader(benchMessage))
	res, err := s.Run(context.Background(), &Input{Message: msg, Envelope: StaticEnvelope{Sender: "someone@vendor3.example.com", Recipient: "alias2@example.net"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.String(), "Vendors") || !strings.Contains(res.String(), "team2@example.net") {
		t.Errorf("unexpected result for the benchmark message:\n%s", res)
	}
}
