package message

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// ExtractText returns the text a reader sees in a text/* part, for the
// Sieve body test's :text transform (RFC 5173 §5.2): text/html is reduced
// to its visible text (tags, comments, scripts and styles dropped,
// character references decoded, block elements turned into line breaks,
// runs of spaces collapsed); other text/* parts are returned as decoded by
// [Part.Text]. Non-text parts give "".
func ExtractText(p *Part) string {
	if p == nil || !strings.HasPrefix(p.ContentType, "text/") {
		return ""
	}
	s, err := p.Text()
	if err != nil {
		return ""
	}
	if p.ContentType == "text/html" {
		return htmlToText(s)
	}
	return s
}

// blockTags start a new line in the visible text.
var blockTags = map[string]bool{
	"address": true, "article": true, "aside": true, "blockquote": true,
	"br": true, "dd": true, "div": true, "dl": true, "dt": true,
	"fieldset": true, "figcaption": true, "figure": true, "footer": true,
	"form": true, "h1": true, "h2": true, "h3": true, "h4": true, "h5": true,
	"h6": true, "header": true, "hr": true, "li": true, "main": true,
	"nav": true, "ol": true, "p": true, "pre": true, "section": true,
	"table": true, "td": true, "th": true, "tr": true, "ul": true,
}

// skipTags have content that is not shown.
var skipTags = map[string]bool{"script": true, "style": true, "template": true, "title": true}

// htmlToText is a small, forgiving tag stripper. It never fails and runs
// in linear time.
func htmlToText(s string) string {
	var w textWriter
	w.b.Grow(len(s) / 2)
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '<' && strings.HasPrefix(s[i:], "<!--"):
			if e := strings.Index(s[i+4:], "-->"); e >= 0 {
				i += 4 + e + 3
			} else {
				i = len(s)
			}
		case c == '<' && i+1 < len(s) && (s[i+1] == '!' || s[i+1] == '?'):
			i = skipTagEnd(s, i+1)
		case c == '<' && i+1 < len(s) && (isASCIILetter(s[i+1]) || s[i+1] == '/'):
			closing := s[i+1] == '/'
			j := i + 1
			if closing {
				j++
			}
			k := j
			for k < len(s) && (isASCIILetter(s[k]) || ('0' <= s[k] && s[k] <= '9')) {
				k++
			}
			name := strings.ToLower(s[j:k])
			i = skipTagEnd(s, k)
			switch {
			case name == "br":
				w.newline()
			case blockTags[name]:
				w.block()
			}
			if !closing && skipTags[name] {
				i = skipRawText(s, i, name)
			}
		case c == '&':
			r, n := decodeEntity(s[i:])
			w.text(r)
			i += n
		default:
			j := strings.IndexAny(s[i+1:], "<&")
			if j < 0 {
				j = len(s)
			} else {
				j += i + 1
			}
			w.text(s[i:j])
			i = j
		}
	}
	return strings.TrimSpace(w.b.String())
}

// skipTagEnd returns the offset after the '>' that ends a tag, honouring
// quoted attribute values; an unterminated tag runs to the end.
func skipTagEnd(s string, i int) int {
	var quote byte
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i + 1
		}
	}
	return len(s)
}

// skipRawText skips the content of a script or style element, up to and
// including its end tag.
func skipRawText(s string, i int, name string) int {
	end := "</" + name
	for i < len(s) {
		k := strings.Index(s[i:], "</")
		if k < 0 {
			return len(s)
		}
		i += k
		if len(s)-i >= len(end) && strings.EqualFold(s[i:i+len(end)], end) {
			return skipTagEnd(s, i+len(end))
		}
		i += 2
	}
	return len(s)
}

func isASCIILetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }

// entities are the named character references common in mail.
var entities = map[string]string{
	"amp": "&", "lt": "<", "gt": ">", "quot": `"`, "apos": "'",
	"nbsp": " ", "copy": "©", "reg": "®", "trade": "™", "hellip": "…",
	"mdash": "—", "ndash": "–", "lsquo": "‘", "rsquo": "’", "ldquo": "“",
	"rdquo": "”", "laquo": "«", "raquo": "»", "bull": "•", "middot": "·",
	"euro": "€", "pound": "£", "yen": "¥", "cent": "¢", "sect": "§",
	"deg": "°", "times": "×", "divide": "÷", "shy": "", "zwnj": "",
	"zwj": "", "auml": "ä", "ouml": "ö", "uuml": "ü", "Auml": "Ä",
	"Ouml": "Ö", "Uuml": "Ü", "szlig": "ß", "eacute": "é", "egrave": "è",
	"ecirc": "ê", "aacute": "á", "agrave": "à", "acirc": "â", "ccedil": "ç",
	"iacute": "í", "oacute": "ó", "uacute": "ú", "ntilde": "ñ",
	"Eacute": "É", "aring": "å", "Aring": "Å", "oslash": "ø", "aelig": "æ",
}

// decodeEntity decodes the character reference at the start of s ('&'),
// returning its text and length. An unknown or malformed one is literal.
func decodeEntity(s string) (string, int) {
	end := strings.IndexByte(s[:min(len(s), 34)], ';')
	if end < 2 {
		return "&", 1
	}
	ref := s[1:end]
	if ref[0] == '#' {
		var n uint64
		var err error
		if len(ref) > 1 && (ref[1] == 'x' || ref[1] == 'X') {
			n, err = strconv.ParseUint(ref[2:], 16, 32)
		} else {
			n, err = strconv.ParseUint(ref[1:], 10, 32)
		}
		if err != nil {
			return "&", 1
		}
		r := rune(n)
		if n == 0 || n > utf8.MaxRune || !utf8.ValidRune(r) {
			r = utf8.RuneError
		}
		if r == 0xa0 {
			r = ' '
		}
		return string(r), end + 1
	}
	if t, ok := entities[ref]; ok {
		return t, end + 1
	}
	if t, ok := entities[strings.ToLower(ref)]; ok {
		return t, end + 1
	}
	return "&", 1
}

// textWriter collapses whitespace: runs of spaces become one space, line
// breaks from block elements at most one empty line.
type textWriter struct {
	b        strings.Builder
	space    bool // a space is pending
	newlines int  // line breaks written at the end of b
}

func (w *textWriter) text(t string) {
	for _, r := range t {
		switch r {
		case ' ', '\t', '\r', '\n', '\f':
			w.space = true
			continue
		}
		if w.space && w.b.Len() > 0 && w.newlines == 0 {
			w.b.WriteByte(' ')
		}
		w.space = false
		w.newlines = 0
		w.b.WriteRune(r)
	}
}

// block ends the current line, if any text is on it.
func (w *textWriter) block() {
	if w.newlines == 0 {
		w.newline()
	}
}

// newline adds a line break; at most two follow each other.
func (w *textWriter) newline() {
	w.space = false
	if w.b.Len() == 0 || w.newlines >= 2 {
		return
	}
	w.b.WriteByte('\n')
	w.newlines++
}
