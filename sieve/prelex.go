package sieve

import (
	"strings"
)

// prelex rewrites every multi-line string (RFC 5228 §2.4.2, "text:") into an
// equivalent quoted string before the go-sieve lexer sees the source: that
// lexer does not undo dot-stuffing on the first line of a multi-line string
// and cannot read an empty one. Line breaks are preserved, so positions of
// the following tokens stay right. It also reports unterminated strings and
// comments with their position, which the lexer does not.
func prelex(src string) (string, *CompileError) {
	var b strings.Builder
	b.Grow(len(src) + 16)
	line, col := 1, 1
	adv := func(s string) {
		for _, c := range s {
			if c == '\n' {
				line++
				col = 1
			} else {
				col++
			}
		}
	}
	i := 0
	// last is the last significant character outside strings and
	// comments, to catch "(a, b,)" and ["a",] which the parser accepts.
	var last byte
	for i < len(src) {
		c := src[i]
		if c == ')' || c == ']' {
			if last == ',' {
				return "", &CompileError{Pos: Pos{Line: line, Column: col}, Message: "spurious comma before '" + string(c) + "'"}
			}
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '#' && !(c == '/' && i+1 < len(src) && src[i+1] == '*') {
			last = c
		}
		switch {
		case c == '"':
			sl, sc := line, col
			j := i + 1
			for ; j < len(src); j++ {
				if src[j] == '\\' {
					j++
					continue
				}
				if src[j] == '"' {
					break
				}
			}
			if j >= len(src) {
				return "", &CompileError{Pos: Pos{Line: sl, Column: sc}, Message: "unterminated quoted string"}
			}
			b.WriteString(src[i : j+1])
			adv(src[i : j+1])
			i = j + 1
		case c == '#':
			j := strings.IndexByte(src[i:], '\n')
			if j < 0 {
				j = len(src) - i
			}
			b.WriteString(src[i : i+j])
			adv(src[i : i+j])
			i += j
		case c == '/' && i+1 < len(src) && src[i+1] == '*':
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return "", &CompileError{Pos: Pos{Line: line, Column: col}, Message: "unterminated multi-line comment"}
			}
			seg := src[i : i+2+j+2]
			b.WriteString(seg)
			adv(seg)
			i += len(seg)
		case isAlpha(c) || c == '_':
			j := i
			for j < len(src) && (isAlpha(src[j]) || src[j] == '_' || (src[j] >= '0' && src[j] <= '9')) {
				j++
			}
			if strings.EqualFold(src[i:j], "text") && j < len(src) && src[j] == ':' {
				sl, sc := line, col
				out, n, ok := multiline(src[j+1:])
				if !ok {
					return "", &CompileError{Pos: Pos{Line: sl, Column: sc}, Message: "unterminated multi-line string"}
				}
				b.WriteString(out)
				adv(src[i : j+1+n])
				i = j + 1 + n
				continue
			}
			b.WriteString(src[i:j])
			adv(src[i:j])
			i = j
		default:
			b.WriteByte(c)
			adv(src[i : i+1])
			i++
		}
	}
	return b.String(), nil
}

func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// multiline reads the rest of a multi-line string after "text:". It returns
// a quoted string holding the same text and line breaks, and the number of
// source bytes consumed.
func multiline(s string) (string, int, bool) {
	// Skip white space and an optional hash comment up to the line break.
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i < len(s) && s[i] == '#' {
		for i < len(s) && s[i] != '\n' {
			i++
		}
	}
	if i < len(s) && s[i] == '\r' {
		i++
	}
	if i >= len(s) || s[i] != '\n' {
		return "", 0, false
	}
	i++
	var b strings.Builder
	b.WriteByte('\n')
	b.WriteByte('"')
	for {
		j := strings.IndexByte(s[i:], '\n')
		if j < 0 {
			return "", 0, false
		}
		ln := strings.TrimSuffix(s[i:i+j], "\r")
		i += j + 1
		if ln == "." {
			break
		}
		// RFC 5228 §2.4.2: a leading dot is stuffed; like Pigeonhole, a
		// single leading dot not doubled is kept as written.
		if strings.HasPrefix(ln, "..") {
			ln = ln[1:]
		}
		ln = strings.ReplaceAll(ln, `\`, `\\`)
		ln = strings.ReplaceAll(ln, `"`, `\"`)
		b.WriteString(ln)
		b.WriteByte('\n')
	}
	// The text ends with the last line break before the dot; the line with
	// the dot becomes the closing quote.
	b.WriteString("\"\n")
	return b.String(), i, true
}
