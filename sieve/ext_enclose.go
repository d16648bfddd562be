package sieve

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// extEnclose is RFC 5703 §6: enclose makes the delivered message a new
// multipart/mixed message whose first part is the given text and whose
// second part is the message as the script left it (message/rfc822). Only
// the last enclose of a run counts (RFC 5703 §6); the new message is built
// when the run ends and handed over in Result.Message.
var extEnclose = &extension{
	name: "enclose",
	commands: []*commandSpec{{
		name:       "enclose",
		positional: []argKind{argString},
		tags: []tagSpec{
			{name: "subject", arg: argString},
			{name: "headers", arg: argStringList},
		},
		check: checkEnclose,
		run:   runEnclose,
	}},
}

const encloseKey = "enclose"

// enclosure holds the arguments of the last enclose.
type enclosure struct {
	subject    string
	hasSubject bool
	headers    []string
	text       string
}

func checkEnclose(c *checker, n *node) {
	if v := n.tags["headers"]; v != nil {
		if hs, ok := v.constStrings(); ok {
			for _, h := range hs {
				if err := checkHeaderLine(h); err != nil {
					c.errorf(v.pos, "enclose command: %v", err)
				}
			}
		}
	}
}

// checkHeaderLine checks one :headers string: "Name: value".
func checkHeaderLine(h string) error {
	name, value, ok := strings.Cut(h, ":")
	if !ok || !validHeaderName(strings.TrimRight(name, " \t")) {
		return fmt.Errorf("'%s' is not a header field (name: value)", h)
	}
	return checkFieldValue(value)
}

func runEnclose(e *exec, n *node) error {
	enc := &enclosure{text: e.str(n.args[0])}
	enc.subject, enc.hasSubject = e.tagStr(n, "subject")
	if v := n.tags["headers"]; v != nil {
		enc.headers = e.strs(v)
		for _, h := range enc.headers {
			if err := checkHeaderLine(h); err != nil {
				return fmt.Errorf("enclose action: %w", err)
			}
		}
	}
	// The enclosure is built when the run ends; make sure it can be.
	if _, ok := rawHeaderOf(e.msg); !ok {
		return errors.New("enclose action: the message does not give its raw header")
	}
	if _, ok := e.msg.(BodySource); !ok {
		return fmt.Errorf("enclose action: %w", errNoBody)
	}
	e.state[encloseKey] = enc
	return nil
}

// buildEnclosure makes the enclosing message around the current one. Its
// header keeps the fields of the enclosed message that do not describe
// MIME structure, the Subject replaced by :subject, and the :headers
// fields, each replacing the fields of its name.
func (e *exec) buildEnclosure(enc *enclosure) ([]byte, error) {
	inner, err := e.currentMessage()
	if err != nil {
		return nil, err
	}
	type field struct{ name, raw string }
	var fields []field
	for _, f := range keptFields(inner) {
		fields = append(fields, field{f.Name, string(f.Raw)})
	}
	set := func(name, raw string) {
		kept := fields[:0]
		for _, f := range fields {
			if !strings.EqualFold(f.name, name) {
				kept = append(kept, f)
			}
		}
		fields = append(kept, field{name, raw})
	}
	if enc.hasSubject {
		set("Subject", string(newHeaderField("Subject", enc.subject).Raw))
	}
	for _, h := range enc.headers {
		name, value, _ := strings.Cut(h, ":")
		name = strings.TrimRight(name, " \t")
		set(name, string(newHeaderField(name, value).Raw))
	}
	text := textEntity(enc.text)
	boundary := pickBoundary(inner, text)
	var b bytes.Buffer
	for _, f := range fields {
		b.WriteString(f.raw + "\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"" + boundary + "\"\r\n\r\n")
	b.WriteString("This is a message in MIME format: the original message is enclosed.\r\n")
	b.WriteString("\r\n--" + boundary + "\r\n")
	b.Write(text)
	b.WriteString("\r\n--" + boundary + "\r\n")
	b.WriteString("Content-Type: message/rfc822\r\n\r\n")
	b.Write(inner)
	if !bytes.HasSuffix(inner, []byte("\n")) {
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n--" + boundary + "--\r\n")
	return b.Bytes(), nil
}

// pickBoundary derives a boundary from the content, so that the same
// input always gives the same message, and makes sure no line of the
// content starts with it (RFC 2046 §5.1.1).
func pickBoundary(parts ...[]byte) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write(p)
	}
	sum := h.Sum(nil)
	for i := 0; ; i++ {
		b := fmt.Sprintf("=_sluice_%s_%d", hex.EncodeToString(sum[:12]), i)
		clash := false
		for _, p := range parts {
			if bytes.Contains(p, []byte("--"+b)) {
				clash = true
			}
		}
		if !clash {
			return b
		}
	}
}
