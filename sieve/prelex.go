package sieve

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// prelex rewrites every multi-line string (RFC 5228 §2.4.2, "text:") into an
// equivalent quoted string before the go-sieve lexer sees the source: that
// lexer does not undo dot-stuffing on the first line of a multi-line string
// and cannot read an empty one. Line breaks are preserved, so positions of
// the following tokens stay right. It also reports unterminated strings and
// comments with their position, which the lexer does not. It returns the
// first lexical error; prelexAll returns them all.
func prelex(src string) (string, *CompileError) {
	out, errs, _ := prelexAll(src)
	if len(errs) > 0 {
		return "", errs[0].CompileError
	}
	return out, nil
}

// lexError is a lexical error found by prelexAll.
type lexError struct {
	*CompileError
	// off is the byte offset of the error in the source.
	off int
	// statement is set when the parser cannot read the statement holding
	// the error: it is reported, with then a second error as Pigeonhole's
	// parser gives one, and the statement is skipped. Otherwise the bad
	// token was replaced by a harmless one and parsing goes on.
	statement bool
	parserMsg string
}

// Lexical limits of Pigeonhole (identifiers, numbers), kept so that
// scripts are refused alike.
const (
	maxIdentifier = 32
	maxNumber     = ^uint64(0)
)

// prelexAll is prelex reporting every lexical error: unexpected
// characters, spurious commas in lists, identifiers longer than 32
// characters and numbers beyond 2^64-1 (with their K/M/G quantifier).
// fatal is set after an unterminated string or comment, which ends the
// scan. Numbers between 2^63 and 2^64-1, valid but beyond the parser's
// int, are written as the largest int64, which no size or period reaches.
func prelexAll(src string) (out string, errs []*lexError, fatal bool) {
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
	report := func(off int, stmt bool, parserMsg, format string, args ...any) {
		errs = append(errs, &lexError{
			CompileError: &CompileError{Pos: Pos{Line: line, Column: col}, Message: fmt.Sprintf(format, args...)},
			off:          off, statement: stmt, parserMsg: parserMsg,
		})
	}
	i := 0
	// last is the last significant character outside strings and
	// comments, to catch "(a, b,)" and ["a",] which the parser accepts.
	var last byte
	for i < len(src) {
		c := src[i]
		if (c == ')' || c == ']') && last == ',' {
			report(i, true, "", "spurious comma before '%c'", c)
		}
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' && c != '#' && !(c == '/' && i+1 < len(src) && src[i+1] == '*') {
			last = c
		}
		switch {
		case c == '"':
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
				report(i, false, "", "unterminated quoted string")
				return "", errs, true
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
				report(i, false, "", "unterminated multi-line comment")
				return "", errs, true
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
				ml, n, ok := multiline(src[j+1:])
				if !ok {
					report(i, false, "", "unterminated multi-line string")
					return "", errs, true
				}
				b.WriteString(ml)
				adv(src[i : j+1+n])
				i = j + 1 + n
				continue
			}
			if j-i > maxIdentifier {
				kind := "identifier"
				if i > 0 && src[i-1] == ':' {
					kind = "tag identifier"
				}
				report(i, false, "", "encountered impossibly long %s '%s...'", kind, src[i:i+maxIdentifier-3])
			}
			b.WriteString(src[i:j])
			adv(src[i:j])
			i = j
		case c >= '0' && c <= '9':
			j, v, ok := scanNumber(src, i)
			tok := src[i:j]
			switch {
			case !ok:
				report(i, false, "", "number exceeds integer limits (max %d)", maxNumber)
				tok = "0"
			case v > math.MaxInt64:
				tok = strconv.FormatInt(math.MaxInt64, 10)
			}
			b.WriteString(tok)
			adv(src[i:j])
			i = j
		case strings.IndexByte(" \t\r\n[](){},:;", c) >= 0:
			b.WriteByte(c)
			adv(src[i : i+1])
			i++
		default:
			// RFC 5228 §8.1: nothing else may stand outside strings and
			// comments.
			j := i + 1
			for j < len(src) && strings.IndexByte(" \t\r\n[](){},:;\"#", src[j]) < 0 && !isAlpha(src[j]) && (src[j] < '0' || src[j] > '9') {
				j++
			}
			r, _ := utf8.DecodeRuneInString(src[i:])
			report(i, true, "expected end of command ';' or the beginning of a compound block '{', but found unknown characters",
				"unexpected character(s) starting with %q", r)
			b.WriteString(strings.Repeat(" ", j-i))
			adv(src[i:j])
			i = j
		}
	}
	return b.String(), errs, false
}

// scanNumber reads a number with its optional quantifier at src[i:]
// (RFC 5228 §2.4.1) and returns its end, its value and whether it fits in
// 64 bits.
func scanNumber(src string, i int) (end int, v uint64, ok bool) {
	ok = true
	j := i
	for ; j < len(src) && src[j] >= '0' && src[j] <= '9'; j++ {
		d := uint64(src[j] - '0')
		if v > (maxNumber-d)/10 {
			ok = false
		}
		v = v*10 + d
	}
	if j < len(src) {
		shift := 0
		switch src[j] {
		case 'K', 'k':
			shift = 10
		case 'M', 'm':
			shift = 20
		case 'G', 'g':
			shift = 30
		}
		if shift > 0 {
			j++
			if v > maxNumber>>shift {
				ok = false
			}
			v <<= shift
		}
	}
	return j, v, ok
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
