package message

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Errors of [Part.DecodedBody] and [Part.Text].
var (
	// ErrUnknownEncoding: the Content-Transfer-Encoding is not one of
	// RFC 2045 §6.1; the raw body is returned with it.
	ErrUnknownEncoding = errors.New("message: unknown content-transfer-encoding")
	// ErrNotText: Text was called on a part that is not text/*.
	ErrNotText = errors.New("message: not a text part")
)

// transferEncoding returns the lower-case Content-Transfer-Encoding token,
// "7bit" when absent (RFC 2045 §6.1).
func (p *Part) transferEncoding() string {
	v := p.Get("Content-Transfer-Encoding")
	if i := strings.IndexByte(v, '('); i >= 0 { // a trailing comment
		v = v[:i]
	}
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" {
		return "7bit"
	}
	return v
}

// DecodedBody returns the body with its Content-Transfer-Encoding undone
// (RFC 2045 §6). Decoding is lenient: base64 ignores characters outside
// its alphabet and missing padding, quoted-printable keeps malformed
// escapes literally. For an unknown encoding it returns the raw body and
// an error wrapping ErrUnknownEncoding. Identity encodings return Raw
// itself, which must not be modified.
func (p *Part) DecodedBody() ([]byte, error) {
	switch cte := p.transferEncoding(); cte {
	case "7bit", "8bit", "binary":
		return p.Raw, nil
	case "base64":
		return decodeBase64(p.Raw), nil
	case "quoted-printable":
		return decodeQP(p.Raw), nil
	default:
		return p.Raw, fmt.Errorf("%w: %q", ErrUnknownEncoding, cte)
	}
}

// Text returns the decoded body of a text/* part converted to UTF-8 from
// its charset parameter (US-ASCII when absent, RFC 2045 §5.2). With an
// unknown charset the decoded bytes are returned as they are; invalid
// bytes are read as windows-1252. Non-text parts give ErrNotText.
func (p *Part) Text() (string, error) {
	if !strings.HasPrefix(p.ContentType, "text/") {
		return "", fmt.Errorf("%w: %s", ErrNotText, p.ContentType)
	}
	b, err := p.DecodedBody()
	if err != nil && !errors.Is(err, ErrUnknownEncoding) {
		return "", err
	}
	out, ok := convert(p.Params["charset"], b)
	if !ok {
		return string(b), nil
	}
	return bestEffortUTF8(string(out)), nil
}

// b64 maps base64 alphabet bytes to their value, others to 0xff.
var b64 = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	return t
}()

// decodeBase64 decodes leniently: bytes outside the alphabet (line breaks,
// spaces, junk) are skipped; '=' ends a quantum, so concatenated encodings
// decode too; a trailing partial quantum gives what bits it has.
func decodeBase64(src []byte) []byte {
	out := make([]byte, 0, len(src)*3/4+3)
	var acc uint32
	n := 0
	flush := func() {
		switch n {
		case 2:
			out = append(out, byte(acc>>4))
		case 3:
			out = append(out, byte(acc>>10), byte(acc>>2))
		}
		acc, n = 0, 0
	}
	for _, c := range src {
		if c == '=' {
			flush()
			continue
		}
		v := b64[c]
		if v == 0xff {
			continue
		}
		acc = acc<<6 | uint32(v)
		n++
		if n == 4 {
			out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, n = 0, 0
		}
	}
	flush()
	return out
}

// decodeQP decodes quoted-printable (RFC 2045 §6.7): "=XX" (either case)
// is an octet, "=" at the end of a line (after optional whitespace) a soft
// line break, whitespace at the end of a line is dropped (rule 3), and
// anything malformed is kept literally. Line endings are kept as found.
func decodeQP(src []byte) []byte {
	out := make([]byte, 0, len(src))
	for len(src) > 0 {
		var line, eol []byte
		if i := bytes.IndexByte(src, '\n'); i >= 0 {
			line, eol, src = src[:i], src[i:i+1], src[i+1:]
			if len(line) > 0 && line[len(line)-1] == '\r' {
				line, eol = line[:len(line)-1], []byte("\r\n")
			}
		} else {
			line, src = src, nil
		}
		line = trimRightWSP(line)
		soft := false
		if len(line) > 0 && line[len(line)-1] == '=' {
			soft, line = true, line[:len(line)-1]
		}
		for i := 0; i < len(line); i++ {
			c := line[i]
			if c == '=' && i+2 < len(line) {
				h, ok1 := unhex(line[i+1])
				l, ok2 := unhex(line[i+2])
				if ok1 && ok2 {
					out = append(out, h<<4|l)
					i += 2
					continue
				}
			}
			out = append(out, c)
		}
		if !soft {
			out = append(out, eol...)
		}
	}
	return out
}

func trimRightWSP(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
