package sieve

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/foxcpp/go-sieve/lexer"
	"github.com/foxcpp/go-sieve/parser"
)

// Syntax error recovery. The go-sieve parser stops at the first error;
// Pigeonhole's goes on at the end of the broken command, so a script with
// three missing semicolons gets three errors. parseAll does the same from
// outside the parser: after an error it blanks the broken statement (from
// the end of the previous one to the next ';' or the end of its block,
// keeping line breaks so that later positions stay right) and parses again.

// maxSyntaxErrors ends recovery in a hopeless script.
const maxSyntaxErrors = 32

// maxArguments is Pigeonhole's limit on the arguments of one command or
// test, a parse error there.
const maxArguments = 32

// parseAll parses src and returns its commands, or every syntax error found.
func parseAll(name string, src []byte, limits Limits) ([]parser.Cmd, []*CompileError) {
	text := string(src)
	var errs []*CompileError
	seen := map[string]bool{}
	add := func(e *CompileError) {
		if len(errs) >= maxSyntaxErrors {
			return
		}
		e.Script = name
		key := e.Pos.String() + e.Message
		if !seen[key] {
			seen[key] = true
			errs = append(errs, e)
		}
	}
	for round := 0; round < maxSyntaxErrors && len(errs) < maxSyntaxErrors; round++ {
		out, lexErrs, fatal := prelexAll(text)
		var stmt *lexError
		for _, le := range lexErrs {
			add(le.CompileError)
			if le.statement {
				// The parser could not read on: report what it would
				// have said, skip the statement and lex again.
				stmt = le
				if le.parserMsg != "" {
					add(&CompileError{Pos: le.Pos, Message: le.parserMsg})
				}
				break
			}
		}
		if fatal {
			add(lexErrs[len(lexErrs)-1].CompileError)
			return nil, errs
		}
		if stmt != nil {
			from, to := statementSpan(text, stmt.off, false)
			text = blank(text, from, to)
			continue
		}
		cmds, perr := parseOnce(name, out, limits)
		if perr == nil {
			for _, e := range checkArgCounts(name, cmds) {
				add(e)
			}
			if len(errs) > 0 {
				return nil, errs
			}
			return cmds, nil
		}
		add(perr.CompileError)
		off := perr.offset(text)
		if off < 0 {
			return nil, errs
		}
		from, to := statementSpan(text, off, perr.nesting)
		text = blank(text, from, to)
	}
	return nil, errs
}

// parseError is a syntax error of the go-sieve lexer or parser.
type parseError struct {
	*CompileError
	// known is false when the error carries no position to resume from
	// (lexer errors, an unexpected end of script).
	known bool
	// nesting marks a block or test nesting limit: the whole top-level
	// statement is skipped, as its inner parts would all fail again.
	nesting bool
}

// offset maps the error's position to a byte offset in text, -1 when
// unknown.
func (e *parseError) offset(text string) int {
	if !e.known {
		return -1
	}
	off := 0
	for l := 1; l < e.Line; l++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	end := strings.IndexByte(text[off:], '\n')
	if end < 0 {
		end = len(text) - off
	}
	col := min(max(e.Column-1, 0), end)
	return off + col
}

// parseOnce runs the go-sieve lexer and parser on prelexed text.
func parseOnce(name, text string, limits Limits) ([]parser.Cmd, *parseError) {
	if !strings.HasSuffix(text, "\n") {
		// The lexer peeks four bytes after a "t"; give it room.
		text += "\n"
	}
	toks, err := lexer.Lex(strings.NewReader(text), &lexer.Options{Filename: name})
	lexed := err == nil
	if err == nil {
		var cmds []parser.Cmd
		st := lexer.NewStream(toks)
		cmds, err = parser.Parse(st, &parser.Options{
			MaxBlockNesting: limits.Nesting,
			MaxTestNesting:  limits.Nesting,
		})
		if err == nil {
			// The parser ends the script at a '}' that closes no block
			// and ignores what follows it: "keep; } discard;" must not
			// quietly lose the discard.
			extra := st.Last()
			if extra == nil {
				return cmds, nil
			}
			err = lexer.ErrorAt(extra, "unexpected '}' that closes no block")
		}
	}
	msg := err.Error()
	pe := &parseError{CompileError: &CompileError{Pos: Pos{Script: name, Line: 1, Column: 1}}}
	if m := posPrefix.FindStringSubmatch(msg); m != nil {
		pe.Line, _ = strconv.Atoi(m[1])
		pe.Column, _ = strconv.Atoi(m[2])
		msg = msg[len(m[0]):]
		pe.known = lexed
	}
	msg = parserMessage(strings.TrimPrefix(msg, "go-sieve/lexer: "))
	switch {
	case errors.Is(err, errUnexpectedEOF):
		msg = "unexpected end of script"
		pe.known = false
	case strings.Contains(msg, "nesting limit exceeded"):
		pe.nesting = true
		what := "command blocks"
		if strings.HasPrefix(msg, "reading arguments") {
			what = "tests"
		}
		msg = fmt.Sprintf("cannot nest %s deeper than %d levels", what, limits.Nesting)
	}
	pe.Message = msg
	return nil, pe
}

// parserMessages rewords the go-sieve parser's errors ("reading
// arguments: expected semicolon or arguments or block. got BlockEnd()")
// for script authors ("missing ';' before '}'"). The key is the message
// up to "got"; a %s in the replacement receives what was found.
var parserMessages = map[string]string{
	"reading command: expected an identifier or closing brace":         "expected a command or '}'",
	"reading command: expected semicolon or block":                     "expected ';' or a block '{ ... }' after the command",
	"reading command: expected a closing brace":                        "missing '}' at the end of a block",
	"reading command: unexpected token":                                "unexpected token where a command should start",
	"reading arguments: expected semicolon or arguments or block":      "missing ';' before %s",
	"reading arguments: expected identifier":                           "expected a tag name after ':'",
	"reading test list: expected identifier":                           "expected a test, found %s",
	"reading test list: expected comma or closing brace":               "missing ',' between tests",
	"reading test list: expected identifier or list end":               "expected a test after ','",
	"reading test list: expected identifier or comma or closing brace": "unexpected %s in a test list",
	"reading string list: expected string or closing brace":            "expected a string or ']', found %s",
	"reading string list: expected comma or closing brace":             "missing ',' between strings in a list",
	"reading string list: expected string":                             "expected a string, found %s",
	"reading string list: expected string, comma or closing brace":     "only strings may appear in a string list",
}

// parserMessage rewords one go-sieve parser error; others pass unchanged.
func parserMessage(msg string) string {
	key, found, _ := strings.Cut(msg, ", got ")
	if key == msg {
		key, found, _ = strings.Cut(msg, ". got ")
	}
	repl, ok := parserMessages[key]
	if !ok {
		return msg
	}
	if !strings.Contains(repl, "%s") {
		return repl
	}
	return fmt.Sprintf(repl, tokenName(strings.TrimSpace(found)))
}

// tokenName names a go-sieve token as printed by its String method.
func tokenName(t string) string {
	switch {
	case t == "" || t == "EOF":
		return "the end of the script"
	case t == "BlockStart()":
		return "'{'"
	case t == "BlockEnd()":
		return "'}'"
	case t == "ListStart()":
		return "'['"
	case t == "ListEnd()":
		return "']'"
	case t == "TestListStart()":
		return "'('"
	case t == "TestListEnd()":
		return "')'"
	case t == "Comma()", t == "comma":
		return "','"
	case t == "Semicolon()":
		return "';'"
	case t == "Colon()":
		return "':'"
	case strings.HasPrefix(t, "Identifiner(") || strings.HasPrefix(t, "Identifier("):
		name := t[strings.IndexByte(t, '(')+1 : len(t)-1]
		return "'" + strings.Trim(name, `"`) + "'"
	case strings.HasPrefix(t, "String("), t == "string":
		return "a string"
	case strings.HasPrefix(t, "Number("):
		return "a number"
	case t == "identifier":
		return "a name"
	}
	return t
}

// checkArgCounts reports commands and tests with more arguments than
// Pigeonhole's parser accepts.
func checkArgCounts(name string, cmds []parser.Cmd) []*CompileError {
	var errs []*CompileError
	var tests func(ts []parser.Test)
	tests = func(ts []parser.Test) {
		for _, t := range ts {
			if len(t.Args) > maxArguments {
				errs = append(errs, &CompileError{Pos: Pos{Script: name, Line: t.Position.Line, Column: t.Position.Col},
					Message: fmt.Sprintf("too many arguments for test '%s'", t.Id)})
			}
			tests(t.Tests)
		}
	}
	var walk func(cs []parser.Cmd)
	walk = func(cs []parser.Cmd) {
		for _, c := range cs {
			if len(c.Args) > maxArguments {
				errs = append(errs, &CompileError{Pos: Pos{Script: name, Line: c.Position.Line, Column: c.Position.Col},
					Message: fmt.Sprintf("too many arguments for command '%s'", c.Id)})
			}
			tests(c.Tests)
			walk(c.Block)
		}
	}
	walk(cmds)
	return errs
}

// structural is a ';', '{' or '}' outside strings and comments, with the
// block depth before it.
type structural struct {
	off   int
	c     byte
	depth int
}

// structure lists the structural characters of text.
func structure(text string) []structural {
	var out []structural
	depth := 0
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '"':
			j := i + 1
			for j < len(text) && text[j] != '"' {
				if text[j] == '\\' {
					j++
				}
				j++
			}
			i = j + 1
		case c == '#':
			j := strings.IndexByte(text[i:], '\n')
			if j < 0 {
				return out
			}
			i += j
		case c == '/' && i+1 < len(text) && text[i+1] == '*':
			j := strings.Index(text[i+2:], "*/")
			if j < 0 {
				return out
			}
			i += j + 4
		case isAlpha(c) || c == '_':
			j := i
			for j < len(text) && (isAlpha(text[j]) || text[j] == '_' || (text[j] >= '0' && text[j] <= '9')) {
				j++
			}
			if strings.EqualFold(text[i:j], "text") && j < len(text) && text[j] == ':' {
				_, n, ok := multiline(text[j+1:])
				if !ok {
					return out
				}
				j += 1 + n
			}
			i = j
		case c == ';' || c == '{' || c == '}':
			out = append(out, structural{off: i, c: c, depth: depth})
			switch c {
			case '{':
				depth++
			case '}':
				depth--
			}
			i++
		default:
			i++
		}
	}
	return out
}

// statementSpan returns the byte range of the statement holding offset off:
// from the end of the previous statement (or the opening of the block) to
// its ';', the end of its block, or the end of the enclosing block. With
// top, the whole top-level statement is taken.
func statementSpan(text string, off int, top bool) (int, int) {
	st := structure(text)
	// The depth at off, and where the statement starts.
	start, depth := 0, 0
	k := 0
	for ; k < len(st) && st[k].off < off; k++ {
		s := st[k]
		d := s.depth
		switch s.c {
		case '{':
			d++
		case '}':
			d--
		}
		if !top || d == 0 {
			start = s.off + 1
		}
		depth = d
	}
	if top {
		depth = 0
	}
	level := depth
	if top {
		level = 0
	}
	// Walk forward to the end of the statement.
	for ; k < len(st); k++ {
		s := st[k]
		switch {
		case s.c == ';' && s.depth == level:
			return start, s.off + 1
		case s.c == '}' && s.depth == level:
			return start, s.off // closes the enclosing block: keep it
		case s.c == '}' && s.depth == level+1:
			return start, s.off + 1 // ends the statement's own block
		}
	}
	return start, len(text)
}

// blank replaces text[span) with spaces, keeping line breaks.
func blank(text string, start, end int) string {
	b := []byte(text)
	for i := start; i < end && i < len(b); i++ {
		if b[i] != '\n' && b[i] != '\r' {
			b[i] = ' '
		}
	}
	return string(b)
}
