package maildir

import (
	"encoding/base64"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Modified UTF-7, RFC 3501 §5.1.3: printable US-ASCII other than '&'
// represents itself, '&' is written "&-", and every other run of characters
// is written as '&' + modified BASE64 of its UTF-16BE form + '-', where
// modified BASE64 uses ',' instead of '/' and has no padding.

const mutf7Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,"

var mutf7B64 = base64.NewEncoding(mutf7Alphabet).WithPadding(base64.NoPadding).Strict()

// errMUTF7 is wrapped in every decoding error.
var errMUTF7 = errors.New("invalid modified UTF-7")

func isDirect(c rune) bool { return c >= 0x20 && c <= 0x7e }

// EncodeMUTF7 encodes UTF-8 text as modified UTF-7 (RFC 3501 §5.1.3). It
// fails with an error wrapping [ErrInvalidName] when s is not valid UTF-8.
// Printable ASCII other than '&' is copied as is; the shifted parts use only
// letters, digits, '+' and ',', so they never contain '/' or '.'.
func EncodeMUTF7(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", ErrInvalidName
	}
	var b strings.Builder
	b.Grow(len(s))
	var units []uint16
	for i := 0; i < len(s); {
		if c := s[i]; isDirect(rune(c)) {
			if c == '&' {
				b.WriteString("&-")
			} else {
				b.WriteByte(c)
			}
			i++
			continue
		}
		units = units[:0]
		for i < len(s) && !isDirect(rune(s[i])) {
			r, n := utf8.DecodeRuneInString(s[i:])
			units = utf16.AppendRune(units, r)
			i += n
		}
		raw := make([]byte, 0, 2*len(units))
		for _, u := range units {
			raw = append(raw, byte(u>>8), byte(u))
		}
		b.WriteByte('&')
		b.WriteString(mutf7B64.EncodeToString(raw))
		b.WriteByte('-')
	}
	return b.String(), nil
}

// DecodeMUTF7 decodes modified UTF-7 into UTF-8. It is strict: it accepts
// only the canonical form EncodeMUTF7 produces, so that
// EncodeMUTF7(DecodeMUTF7(x)) == x whenever decoding succeeds. Rejected are
// bytes outside printable ASCII, an unterminated or empty shift, characters
// outside the modified BASE64 alphabet, non-zero padding bits, an odd number
// of bytes, unpaired surrogates, printable ASCII encoded in a shift, and two
// adjacent shifts (RFC 3501 §5.1.3 requires them to be merged).
func DecodeMUTF7(s string) (string, error) {
	var b strings.Builder
	b.Grow(len(s))
	prevShift := false
	for i := 0; i < len(s); {
		c := s[i]
		if !isDirect(rune(c)) {
			return "", errMUTF7
		}
		if c != '&' {
			b.WriteByte(c)
			i++
			prevShift = false
			continue
		}
		end := strings.IndexByte(s[i+1:], '-')
		if end < 0 {
			return "", errMUTF7
		}
		enc := s[i+1 : i+1+end]
		i += end + 2
		if enc == "" {
			b.WriteByte('&')
			prevShift = false
			continue
		}
		if prevShift {
			return "", errMUTF7
		}
		for j := 0; j < len(enc); j++ {
			if strings.IndexByte(mutf7Alphabet, enc[j]) < 0 {
				return "", errMUTF7
			}
		}
		raw, err := mutf7B64.DecodeString(enc)
		if err != nil || len(raw)%2 != 0 {
			return "", errMUTF7
		}
		for k := 0; k < len(raw); k += 2 {
			u := rune(raw[k])<<8 | rune(raw[k+1])
			var r rune
			switch {
			case u >= 0xd800 && u <= 0xdbff:
				if k+3 >= len(raw) {
					return "", errMUTF7
				}
				lo := rune(raw[k+2])<<8 | rune(raw[k+3])
				if lo < 0xdc00 || lo > 0xdfff {
					return "", errMUTF7
				}
				r = utf16.DecodeRune(u, lo)
				k += 2
			case u >= 0xdc00 && u <= 0xdfff:
				return "", errMUTF7
			default:
				r = u
			}
			if isDirect(r) {
				return "", errMUTF7
			}
			b.WriteRune(r)
		}
		prevShift = true
	}
	return b.String(), nil
}
