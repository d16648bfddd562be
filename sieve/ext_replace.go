package sieve

import (
	"bytes"
	"errors"
	"fmt"
	"mime/quotedprintable"
	"net/mail"
	"strings"

	"github.com/sluice-mail/sluice/sieve/internal/message"
)

// extReplace is RFC 5703 §5: replace makes the delivered message a new one
// whose body is the given text (or, with :mime, the given MIME entity),
// keeping the header fields of the message but those describing its MIME
// structure. Later tests of the run see the new message; Result.Message
// carries it to the delivery side.
var extReplace = &extension{
	name: "replace",
	commands: []*commandSpec{{
		name:       "replace",
		positional: []argKind{argString},
		tags: []tagSpec{
			{name: "mime"},
			{name: "subject", arg: argString},
			{name: "from", arg: argString},
		},
		check: checkReplace,
		run:   runReplace,
	}},
}

const replacedKey = "replace"

// replacement returns the message made by replace or enclose, nil when
// neither ran.
func (e *exec) replacement() []byte {
	if enc, ok := e.state[encloseKey].(*enclosure); ok {
		b, err := e.buildEnclosure(enc)
		if err == nil {
			return b
		}
		// The run is over: an enclosure that cannot be built leaves the
		// message as it was, like a failed action.
	}
	if b, ok := e.state[replacedKey].([]byte); ok {
		return b
	}
	return nil
}

func checkReplace(c *checker, n *node) {
	if v := n.tags["from"]; v != nil {
		if s, ok := v.constStrings(); ok {
			if _, err := mail.ParseAddressList(s[0]); err != nil {
				c.errorf(v.pos, "replace command: the :from address '%s' is invalid", s[0])
			}
		}
	}
	if n.has("mime") {
		if s, ok := n.args[0].constStrings(); ok {
			if err := checkEntity(s[0]); err != nil {
				c.errorf(n.args[0].pos, "replace command: %v", err)
			}
		}
	}
}

// checkEntity checks that s is a MIME entity: a header, an empty line and
// a body (RFC 2045 §2.4).
func checkEntity(s string) error {
	m, err := message.ParseBytes([]byte(crlf(s)), message.Limits{})
	if err != nil {
		return fmt.Errorf("the :mime replacement is not a MIME entity: %w", err)
	}
	if len(m.Fields()) == 0 {
		return errors.New("the :mime replacement is not a MIME entity: it has no header")
	}
	return nil
}

func runReplace(e *exec, n *node) error {
	if p := e.currentPart(); p != nil && p.Depth > 0 {
		// RFC 5703 §5 replaces the current part inside foreverypart;
		// sluice only replaces the whole message.
		return errors.New("replace action: replacing a MIME part inside foreverypart is not supported")
	}
	text := e.str(n.args[0])
	subject, hasSubject := e.tagStr(n, "subject")
	from, hasFrom := e.tagStr(n, "from")
	if hasFrom {
		if _, err := mail.ParseAddressList(from); err != nil {
			return fmt.Errorf("replace action: the :from address '%s' is invalid", from)
		}
	}
	var entity []byte
	if n.has("mime") {
		if err := checkEntity(text); err != nil {
			return fmt.Errorf("replace action: %w", err)
		}
		entity = []byte(crlf(text))
	} else {
		entity = textEntity(text)
	}
	cur, err := e.currentMessage()
	if err != nil {
		return fmt.Errorf("replace action: %w", err)
	}
	var hdr []byte
	for _, f := range keptFields(cur) {
		switch {
		case hasSubject && strings.EqualFold(f.Name, "Subject"):
			hdr = appendField(hdr, "Original-Subject:"+fieldBody(f))
		case hasFrom && strings.EqualFold(f.Name, "From"):
			hdr = appendField(hdr, "Original-From:"+fieldBody(f))
		default:
			hdr = appendField(hdr, string(f.Raw))
		}
	}
	if hasSubject {
		hdr = appendField(hdr, string(newHeaderField("Subject", subject).Raw))
	}
	if hasFrom {
		hdr = appendField(hdr, string(newHeaderField("From", from).Raw))
	}
	hdr = appendField(hdr, "MIME-Version: 1.0")
	out := append(hdr, entity...)
	return e.replaceMessage(out)
}

// replaceMessage makes b the message for the rest of the run.
func (e *exec) replaceMessage(b []byte) error {
	m, err := ParseMessage(bytes.NewReader(b))
	if err != nil {
		return err
	}
	e.state[replacedKey] = b
	delete(e.state, "body") // the MIME view of the old message
	e.setMessage(m)
	return nil
}

// keptFields returns the header fields of msg that do not describe its MIME
// structure (RFC 5703 §5: Content-* and MIME-Version go with the body).
func keptFields(msg []byte) []message.Field {
	m, err := message.ParseBytes(msg, message.Limits{MaxHeaderBytes: -1, MaxFields: -1})
	if err != nil {
		return nil
	}
	var out []message.Field
	for _, f := range m.Fields() {
		name := strings.ToLower(f.Name)
		if strings.HasPrefix(name, "content-") || name == "mime-version" {
			continue
		}
		out = append(out, f)
	}
	return out
}

// fieldBody returns the field as written after its colon, folding kept.
func fieldBody(f message.Field) string {
	_, body, _ := bytes.Cut(f.Raw, []byte{':'})
	return string(body)
}

func appendField(hdr []byte, raw string) []byte {
	return append(append(hdr, raw...), '\r', '\n')
}

// textEntity makes a text/plain UTF-8 entity of s: its Content-* header,
// the empty line and the body, quoted-printable when s is not plain
// short-lined ASCII (RFC 2045 §6.7).
func textEntity(s string) []byte {
	s = crlf(s)
	var b bytes.Buffer
	b.WriteString("Content-Type: text/plain; charset=utf-8\r\n")
	if isASCII(s) && !hasLongLine(s) {
		b.WriteString("Content-Transfer-Encoding: 7bit\r\n\r\n")
		b.WriteString(s)
	} else {
		b.WriteString("Content-Transfer-Encoding: quoted-printable\r\n\r\n")
		w := quotedprintable.NewWriter(&b)
		_, _ = w.Write([]byte(s))
		_ = w.Close()
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func hasLongLine(s string) bool {
	for _, l := range strings.Split(s, "\r\n") {
		if len(l) > 998 {
			return true
		}
	}
	return false
}

// crlf turns every line ending of s into CRLF.
func crlf(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	return strings.ReplaceAll(s, "\n", "\r\n")
}
