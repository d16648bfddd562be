package message

import "strings"

// Address is one mailbox of an address list.
type Address struct {
	// Name is the display name (RFC 2047 decoded), or the text of a
	// trailing comment for the old "local@domain (Name)" form.
	Name string
	// Local is the local part, quotes removed ("a b"@x gives "a b").
	Local string
	// Domain is the domain as written ("" when missing).
	Domain string
	// Group is the name of the group the mailbox belongs to, if any.
	Group string
}

// String returns local@domain (just local when there is no domain).
func (a Address) String() string {
	if a.Domain == "" {
		return a.Local
	}
	return a.Local + "@" + a.Domain
}

// ParseAddressList parses an RFC 5322 §3.4 address-list leniently; it
// never fails and returns what it can recognise:
//   - display names, quoted or not, may hold commas and '@';
//   - (nested) comments are skipped, and one after a bare addr-spec
//     becomes the Name;
//   - groups "g: a@x, b@y;" give their members with Group set; an empty
//     group ("undisclosed-recipients:;") gives nothing;
//   - obsolete source routes ("<@r1,@r2:a@x>", RFC 5322 §4.4) are dropped;
//   - "<>" gives one Address with empty Local and Domain;
//   - a local part without '@' gives an empty Domain.
//
// RFC 2047 words are decoded in display names only, after the list is
// split, so a decoded comma cannot split an address.
func ParseAddressList(v string) []Address {
	toks := tokenizeAddr(v)
	var out []Address
	group, inGroup := "", false
	i := 0
	for i < len(toks) {
		var seg []addrTok // tokens outside <>
		var angle []addrTok
		hasAngle, endGroup, sawAt := false, false, false
	segment:
		for i < len(toks) {
			t := toks[i]
			i++
			switch t.kind {
			case tkSpecial:
				switch t.text {
				case ",":
					break segment
				case ";":
					endGroup = inGroup
					break segment
				case ":":
					if !inGroup && !hasAngle && !sawAt {
						group, inGroup = phrase(seg), true
						seg = nil
						continue
					}
				case "<":
					if hasAngle {
						continue
					}
					hasAngle = true
					for i < len(toks) && !(toks[i].kind == tkSpecial && toks[i].text == ">") {
						angle = append(angle, toks[i])
						i++
					}
					i++ // '>'
					continue
				case ">":
					continue
				case "@":
					sawAt = true
				}
			}
			if !hasAngle || t.kind == tkComment {
				seg = append(seg, t)
			}
		}
		if a, ok := makeAddress(seg, angle, hasAngle); ok {
			if inGroup {
				a.Group = group
			}
			out = append(out, a)
		}
		if endGroup {
			group, inGroup = "", false
		}
	}
	return out
}

// makeAddress builds a mailbox from the tokens outside and inside <>.
func makeAddress(seg, angle []addrTok, hasAngle bool) (Address, bool) {
	if hasAngle {
		a := addrSpec(stripRoute(angle))
		a.Name = phrase(seg)
		return a, true
	}
	var words []addrTok
	comment := ""
	for _, t := range seg {
		if t.kind == tkComment {
			comment = t.text
			continue
		}
		words = append(words, t)
		comment = "" // only a trailing comment names the mailbox
	}
	if len(words) == 0 {
		return Address{}, false
	}
	a := addrSpec(words)
	a.Name = DecodeHeaderValue(strings.TrimSpace(comment))
	return a, true
}

// stripRoute drops an obsolete route "@a,@b:" (RFC 5322 §4.4).
func stripRoute(toks []addrTok) []addrTok {
	if len(toks) == 0 || toks[0].kind != tkSpecial || toks[0].text != "@" {
		return toks
	}
	for i, t := range toks {
		if t.kind == tkSpecial && t.text == ":" {
			return toks[i+1:]
		}
	}
	return toks
}

// addrSpec splits tokens at the last '@' into local part and domain.
func addrSpec(toks []addrTok) Address {
	at := -1
	for i, t := range toks {
		if t.kind == tkSpecial && t.text == "@" {
			at = i
		}
	}
	if at < 0 {
		return Address{Local: joinAddr(toks)}
	}
	return Address{Local: joinAddr(toks[:at]), Domain: joinAddr(toks[at+1:])}
}

// joinAddr joins the words of a local part or domain. Whitespace between
// words is kept as one space, except around dots (obs-local-part allows
// CFWS there). Comments are dropped.
func joinAddr(toks []addrTok) string {
	var b strings.Builder
	prev := ""
	for _, t := range toks {
		if t.kind == tkComment {
			continue
		}
		if t.space && b.Len() > 0 && !strings.HasSuffix(prev, ".") && !strings.HasPrefix(t.text, ".") {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
		prev = t.text
	}
	return b.String()
}

// phrase joins display-name words with single spaces and decodes RFC 2047
// words in the result.
func phrase(toks []addrTok) string {
	var b strings.Builder
	for _, t := range toks {
		if t.kind == tkComment {
			continue
		}
		if b.Len() > 0 && (t.space || t.kind == tkQuoted) {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
	}
	return DecodeHeaderValue(strings.TrimSpace(b.String()))
}

type tokKind uint8

const (
	tkAtom    tokKind = iota // atext and '.' runs, domain literals
	tkQuoted                 // quoted-string, content unescaped
	tkComment                // comment, content unescaped
	tkSpecial                // one of , ; : < > @
)

type addrTok struct {
	kind  tokKind
	text  string
	space bool // whitespace or a comment came before it
}

// tokenizeAddr splits an address list into tokens. Unterminated quotes,
// comments and domain literals run to the end.
func tokenizeAddr(v string) []addrTok {
	var toks []addrTok
	space := false
	for i := 0; i < len(v); {
		c := v[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			space = true
			i++
			continue
		case c == '(':
			end := skipComment(v, i)
			inner := v[i+1 : end]
			inner = strings.TrimSuffix(inner, ")")
			toks = append(toks, addrTok{kind: tkComment, text: unescape(inner), space: space})
			space = true
			i = end
			continue
		case c == '"':
			j := i + 1
			for j < len(v) && v[j] != '"' {
				if v[j] == '\\' {
					j++
				}
				j++
			}
			end := min(j, len(v))
			toks = append(toks, addrTok{kind: tkQuoted, text: unescape(v[i+1 : end]), space: space})
			i = min(j+1, len(v))
		case c == '[':
			j := strings.IndexByte(v[i:], ']')
			end := len(v)
			if j >= 0 {
				end = i + j + 1
			}
			toks = append(toks, addrTok{kind: tkAtom, text: v[i:end], space: space})
			i = end
		case strings.IndexByte(",;:<>@", c) >= 0:
			toks = append(toks, addrTok{kind: tkSpecial, text: v[i : i+1], space: space})
			i++
		default:
			j := i
			for j < len(v) && strings.IndexByte(" \t\r\n()\",;:<>@[", v[j]) < 0 {
				j++
			}
			if j == i { // a lone ']' or similar
				j++
			}
			toks = append(toks, addrTok{kind: tkAtom, text: v[i:j], space: space})
			i = j
		}
		space = false
	}
	return toks
}

// unescape removes quoted-pair backslashes and line breaks (folding).
func unescape(s string) string {
	if !strings.ContainsAny(s, "\\\r\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '\r', '\n':
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
