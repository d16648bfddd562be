package sieve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// mimeFuzzScripts exercise the message-walking and message-changing
// extensions on fuzzed messages.
var mimeFuzzScripts = []string{
	`require ["foreverypart", "mime", "variables", "extracttext"];
	 foreverypart :name "l" {
		extracttext :first 100 "t";
		if header :mime :anychild :param ["charset", "boundary", "name"] :contains "content-type" "a" { set "x" "${t}"; }
		if header :mime :type "content-disposition" "attachment" { break :name "l"; }
		if address :mime :domain "from" "example.com" { set "y" "1"; }
		foreverypart { if exists :mime :anychild "X-A" { break; } }
	 }`,
	`require ["editheader", "variables"];
	 addheader "X-A" "Grüße from the fuzzer, long enough to need folding on the way out of the engine";
	 addheader :last "X-A" "last";
	 deleteheader :index 2 "X-A";
	 deleteheader :matches "received" "*";
	 deleteheader :contains "subject" "a";
	 if header :matches "x-a" "*" { set "v" "${1}"; }`,
	`require ["replace", "editheader"]; addheader "X-R" "1"; replace :subject "Ersetzt" "new body";`,
	`require ["enclose", "editheader"]; deleteheader "to"; enclose :subject "s" :headers ["X-E: 1"] "text";`,
}

func FuzzMimeExtensions(f *testing.F) {
	for _, m := range []string{nestedMsg, editMsg, testMsg, manyParts(3), deepMsg(3),
		"Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n--\r\n",
		"X-A: 1\nX-A: 2\n folded\n\nbody",
		"", "\r\n", "Subject: no body"} {
		f.Add([]byte(m))
	}
	scripts := make([]*Script, len(mimeFuzzScripts))
	for i, src := range mimeFuzzScripts {
		scripts[i] = mustCompile(f, src)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := ParseMessage(bytes.NewReader(raw))
		if err != nil {
			return
		}
		for _, s := range scripts {
			res, err := s.Run(context.Background(), &Input{Message: msg})
			var re *RuntimeError
			if errors.As(err, &re) && strings.Contains(re.Err.Error(), "internal error") {
				t.Fatalf("%s: %v", s.Name(), err)
			}
			if err != nil {
				continue
			}
			if res.Message != nil {
				if _, err := ParseMessage(bytes.NewReader(res.Message)); err != nil {
					t.Fatalf("replacement does not parse: %v", err)
				}
			}
		}
	})
}

// FuzzHeaderEdits checks that HeaderEdits.Apply writes the header that the
// edit layer showed the script: parsing the applied header gives the same
// fields, and the same size for CRLF messages.
func FuzzHeaderEdits(f *testing.F) {
	f.Add([]byte(editMsg), "X-A", "v", uint8(1), true)
	f.Add([]byte("X-A: 1\nX-a : 2\n cont\nbad line\nX-B: 3\n\nbody"), "x-a", "Grüße", uint8(2), false)
	f.Add([]byte(" leading: cont\r\nX-A: 1\r\n\r\n"), "X-A", "", uint8(0), true)
	f.Add([]byte("\n"), "0", "0", uint8(0x96), true)
	f.Fuzz(func(t *testing.T, raw []byte, name, value string, index uint8, last bool) {
		if !validHeaderName(name) || strings.IndexByte(value, 0) >= 0 {
			return
		}
		orig, err := ParseMessage(bytes.NewReader(raw))
		if err != nil {
			return
		}
		if strings.Contains(name+value, "${") {
			return // would be a variable reference
		}
		var del string
		switch idx := int(index % 5); {
		case idx == 0:
			del = `deleteheader "${n}" "end";`
		case last:
			del = fmt.Sprintf(`deleteheader :index %d :last "${n}";`, idx)
		default:
			del = fmt.Sprintf(`deleteheader :index %d "${n}";`, idx)
		}
		s, err := Compile(context.Background(), "fuzz", []byte(`require ["editheader", "variables"];
			set "n" "`+quote(name)+`"; set "v" "`+quote(value)+`";
			addheader "${n}" "${v}"; addheader :last "${n}" "end"; `+del), Options{})
		if err != nil {
			return // bare CR and such cannot be written in a script
		}
		e := &exec{ctx: context.Background(), s: s, in: &Input{}, msg: orig, env: StaticEnvelope{},
			vars: map[string]string{}, implicitKeep: true, state: map[string]any{}, delim: "+"}
		if err := e.runBlock(s.prog); err != nil {
			if errors.Is(err, ErrLimit) {
				return // a field over the editheader size limit is refused, as it must be
			}
			t.Fatalf("run: %v", err)
		}
		edits := e.currentEdits()
		p := orig.(*parsedMessage)
		hdr := edits.Apply(p.m.RawHeader())
		// The empty line as received, then the body.
		rest := raw[len(p.m.RawHeader()):]
		if len(hdr) > 0 && !bytes.HasSuffix(hdr, []byte("\n")) {
			rest = append([]byte("\r\n"), rest...)
		}
		rebuilt := append(slices.Clip(hdr), rest...)
		if len(p.m.RawHeader()) == 0 && len(hdr) > 0 && !bytes.HasSuffix(hdr, []byte("\n")) {
			t.Fatalf("applied header lacks a line ending: %q", hdr)
		}
		back, err := ParseMessage(bytes.NewReader(rebuilt))
		if err != nil {
			return // the edits can push the header over a parser limit
		}
		for _, n := range []string{name, "X-A", "Subject"} {
			if got, want := back.Header(n), e.msg.Header(n); !slices.Equal(got, want) {
				t.Fatalf("%s: written %q, seen by the script %q\nheader:\n%s", n, got, want, hdr)
			}
		}
		h := p.m.RawHeader()
		if bytes.Count(h, []byte("\n")) == bytes.Count(h, []byte("\r\n")) && headerEndsWell(h) && back.Size() != e.msg.Size() {
			t.Fatalf("size: written %d, seen by the script %d\nheader:\n%q", back.Size(), e.msg.Size(), hdr)
		}
	})
}

// headerEndsWell reports whether a non-empty header ends with CRLF, the
// case in which the size the script sees is exact.
func headerEndsWell(h []byte) bool { return len(h) == 0 || bytes.HasSuffix(h, []byte("\r\n")) }

// quote escapes s for a Sieve quoted string.
func quote(s string) string { return strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) }
