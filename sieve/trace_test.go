package sieve

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

type recTracer struct{ lines []string }

func (r *recTracer) Command(p Pos, name string) {
	r.lines = append(r.lines, fmt.Sprintf("%d cmd %s", p.Line, name))
}
func (r *recTracer) Test(p Pos, name string, ok bool) {
	r.lines = append(r.lines, fmt.Sprintf("%d test %s %t", p.Line, name, ok))
}
func (r *recTracer) Match(p Pos, mt, cmp string, values, keys []string, ok bool) {
	r.lines = append(r.lines, fmt.Sprintf("%d match :%s %s %q %q %t", p.Line, mt, cmp, values, keys, ok))
}

func TestTracer(t *testing.T) {
	src := "require \"fileinto\";\nif header :contains \"subject\" \"go\" {\n  fileinto \"Go\";\n}\n"
	s, err := Compile(context.Background(), "t.sieve", []byte(src), Options{})
	if err != nil {
		t.Fatal(err)
	}
	msg, err := ParseMessage(strings.NewReader("Subject: Gophers\n\nbody\n"))
	if err != nil {
		t.Fatal(err)
	}
	tr := &recTracer{}
	if _, err := s.Run(WithTracer(context.Background(), tr), &Input{Message: msg}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"2 cmd if",
		`2 match :contains i;ascii-casemap ["Gophers"] ["go"] true`,
		"2 test header true",
		"3 cmd fileinto",
	}
	if strings.Join(tr.lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("trace:\n%s\nwant:\n%s", strings.Join(tr.lines, "\n"), strings.Join(want, "\n"))
	}
	// Without a tracer nothing is reported and the run is the same.
	res, err := s.Run(context.Background(), &Input{Message: msg})
	if err != nil || len(res.Actions) != 1 {
		t.Errorf("untraced run: %v %v", res, err)
	}
}
