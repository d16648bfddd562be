package message

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func mustParse(t *testing.T, s string) *Message {
	t.Helper()
	m, err := ParseBytes([]byte(s), Limits{})
	if err != nil {
		t.Fatalf("ParseBytes: %v", err)
	}
	return m
}

func TestHeaderFields(t *testing.T) {
	type f struct{ name, raw, value string }
	tests := []struct {
		name   string
		in     string
		fields []f
		body   string
	}{
		{
			name:   "crlf",
			in:     "From: a@x\r\nTo: b@y\r\n\r\nbody\r\n",
			fields: []f{{"From", "From: a@x", "a@x"}, {"To", "To: b@y", "b@y"}},
			body:   "body\r\n",
		},
		{
			name:   "lf",
			in:     "From: a@x\nTo: b@y\n\nbody\n",
			fields: []f{{"From", "From: a@x", "a@x"}, {"To", "To: b@y", "b@y"}},
			body:   "body\n",
		},
		{
			name:   "folded",
			in:     "Subject: one\r\n two\r\n\tthree \r\nX: y\r\n\r\n",
			fields: []f{{"Subject", "Subject: one\r\n two\r\n\tthree ", "one two\tthree"}, {"X", "X: y", "y"}},
		},
		{
			name:   "multiple occurrences and odd names",
			in:     "Received: 1\nreceived: 2\nX-Empty:\nSubject  : obs\n\n",
			fields: []f{{"Received", "Received: 1", "1"}, {"received", "received: 2", "2"}, {"X-Empty", "X-Empty:", ""}, {"Subject", "Subject  : obs", "obs"}},
		},
		{
			name:   "lines without colon and leading continuation ignored",
			in:     " stray\nFrom foo@bar Mon Jan 1 00:00:00 2024\ngarbage\n  folded garbage\nA: b\n\nx",
			fields: []f{{"A", "A: b", "b"}},
			body:   "x",
		},
		{
			name:   "no body",
			in:     "A: b\r\nC: d",
			fields: []f{{"A", "A: b", "b"}, {"C", "C: d", "d"}},
		},
		{
			name: "no header",
			in:   "\r\nbody only",
			body: "body only",
		},
		{
			name:   "bare CR and NUL",
			in:     "A: b\rc\x00d\r\n\r\n",
			fields: []f{{"A", "A: b\rc\x00d", "bc\x00d"}},
		},
		{
			name:   "8-bit utf-8 value",
			in:     "Subject: Grüße\n\n",
			fields: []f{{"Subject", "Subject: Grüße", "Grüße"}},
		},
		{
			name:   "blank line of only CR ends the header",
			in:     "A: b\n\r\nbody",
			fields: []f{{"A", "A: b", "b"}},
			body:   "body",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := mustParse(t, tt.in)
			got := m.Fields()
			if len(got) != len(tt.fields) {
				t.Fatalf("got %d fields %q, want %d", len(got), got, len(tt.fields))
			}
			for i, w := range tt.fields {
				if got[i].Name != w.name || string(got[i].Raw) != w.raw || got[i].Value != w.value {
					t.Errorf("field %d = {%q %q %q}, want {%q %q %q}", i, got[i].Name, got[i].Raw, got[i].Value, w.name, w.raw, w.value)
				}
			}
			if string(m.BodyBytes()) != tt.body {
				t.Errorf("body = %q, want %q", m.BodyBytes(), tt.body)
			}
			b, _ := io.ReadAll(m.Body())
			if string(b) != tt.body {
				t.Errorf("Body() = %q, want %q", b, tt.body)
			}
			if m.Size() != int64(len(tt.in)) {
				t.Errorf("Size = %d, want %d", m.Size(), len(tt.in))
			}
		})
	}
}

func TestHeaderLookup(t *testing.T) {
	m := mustParse(t, "Received: 1\nSubject: s\nRECEIVED: 2\nreceived: 3\n\n")
	tests := []struct {
		name string
		want []string
	}{
		{"received", []string{"1", "2", "3"}},
		{"SUBJECT", []string{"s"}},
		{"Subjec", nil},
		{"X-Missing", nil},
	}
	for _, tt := range tests {
		got := m.Header(tt.name)
		var vals []string
		for _, f := range got {
			vals = append(vals, f.Value)
		}
		if strings.Join(vals, ",") != strings.Join(tt.want, ",") {
			t.Errorf("Header(%q) = %q, want %q", tt.name, vals, tt.want)
		}
	}
	// Appending to a single-match result must not clobber the message.
	one := m.Header("subject")
	_ = append(one, Field{Name: "X"})
	if m.Fields()[2].Value != "2" {
		t.Error("append to Header result modified the message")
	}
}

func TestHeaderLimits(t *testing.T) {
	many := strings.Repeat("X-A: b\r\n", 100000) + "\r\nbody"
	tests := []struct {
		name string
		in   string
		lim  Limits
		want error
	}{
		{"100k fields", many, Limits{}, ErrTooManyFields},
		{"100k fields, byte limit first", many, Limits{MaxHeaderBytes: 1000, MaxFields: -1}, ErrHeaderTooLarge},
		{"lines without colon count", strings.Repeat("junk\n", 11) + "\n", Limits{MaxFields: 10}, ErrTooManyFields},
		{"long folded field", "A: " + strings.Repeat("x\r\n ", 1000) + "\r\n\r\n", Limits{MaxHeaderBytes: 100}, ErrHeaderTooLarge},
		{"at the limit", "A: b\nC: d\n\nbody", Limits{MaxHeaderBytes: 10, MaxFields: 2}, nil},
		{"one over", "A: b\nC: d\n\nbody", Limits{MaxHeaderBytes: 9}, ErrHeaderTooLarge},
		{"unlimited", many, Limits{MaxHeaderBytes: -1, MaxFields: -1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseBytes([]byte(tt.in), tt.lim)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if err != nil {
				var le *LimitError
				if !errors.As(err, &le) || le.Limit <= 0 {
					t.Errorf("err %v is not a *LimitError with a limit", err)
				}
				if m != nil {
					t.Error("message returned with an error")
				}
			}
		})
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, io.ErrUnexpectedEOF }

func TestParseReader(t *testing.T) {
	m, err := Parse(strings.NewReader("A: b\n\nbody"), Limits{})
	if err != nil || string(m.BodyBytes()) != "body" {
		t.Fatalf("Parse = %v, %v", m, err)
	}
	if _, err := Parse(errReader{}, Limits{}); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("Parse(errReader) err = %v", err)
	}
}
