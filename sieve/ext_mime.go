package sieve

import (
	"errors"
	"fmt"
	"mime"
	"strings"

	"github.com/sluice-mail/sluice/sieve/internal/message"
)

// extForeverypart is RFC 5703 §3: the foreverypart loop over the MIME
// parts of the message and break, which leaves it.
var extForeverypart = &extension{
	name: "foreverypart",
	commands: []*commandSpec{
		{
			name:  "foreverypart",
			tags:  []tagSpec{{name: "name", arg: argString}},
			block: true,
			check: checkForeverypart,
			run:   runForeverypart,
		},
		{
			name:  "break",
			tags:  []tagSpec{{name: "name", arg: argString}},
			check: checkBreak,
			run:   runBreak,
		},
	},
}

// extMime is RFC 5703 §4: the :mime tag of header, address and exists,
// which makes them look at the current MIME part (the whole message
// outside foreverypart), with :anychild at its descendants too and, for
// header, :type, :subtype, :contenttype and :param picking a part of a
// structured value.
var extMime = &extension{
	name: "mime",
	tags: []*extraTag{
		{tag: tagSpec{name: "mime"}, on: mimeTests, check: checkMimeTag},
		needsMime(tagSpec{name: "anychild"}),
		needsMime(tagSpec{name: "type", conflicts: []string{"subtype", "contenttype", "param"}}),
		needsMime(tagSpec{name: "subtype", conflicts: []string{"type", "contenttype", "param"}}),
		needsMime(tagSpec{name: "contenttype", conflicts: []string{"type", "subtype", "param"}}),
		needsMime(tagSpec{name: "param", arg: argStringList, conflicts: []string{"type", "subtype", "contenttype"}}),
	},
}

var mimeTests = []string{"header", "address", "exists"}

// maxLoopDepth bounds foreverypart nesting, as Pigeonhole does.
const maxLoopDepth = 4

// mimeOptions are the tags that pick a part of a structured value.
var mimeOptions = []string{"type", "subtype", "contenttype", "param"}

// checkMimeTag runs on tests carrying :mime. The other tags of the
// extension are only meaningful with it.
func checkMimeTag(c *checker, n *node) {
	if n.spec.name != "header" {
		for _, o := range mimeOptions {
			if n.has(o) {
				c.errorf(n.pos, "the :%s tag can only be used with the header test (RFC 5703 §4.2)", o)
			}
		}
	}
}

// needsMime makes a tag of the extension that is only meaningful with
// :mime.
func needsMime(t tagSpec) *extraTag {
	return &extraTag{tag: t, on: mimeTests, check: func(c *checker, n *node) {
		if !n.has("mime") {
			c.errorf(n.pos, "the :%s tag of the %s test requires :mime (RFC 5703 §4)", t.name, n.spec.name)
		}
	}}
}

// loopDepth counts the foreverypart commands enclosing the one checked.
func (c *checker) loopDepth() int {
	d := 0
	for _, p := range c.enclosing {
		if p.spec.name == "foreverypart" {
			d++
		}
	}
	return d
}

func checkForeverypart(c *checker, n *node) {
	if c.loopDepth() >= maxLoopDepth {
		c.errorf(n.pos, "the foreverypart loop is nested too deeply (max %d levels)", maxLoopDepth)
	}
}

func checkBreak(c *checker, n *node) {
	name, named := n.tags["name"]
	for i := len(c.enclosing) - 1; i >= 0; i-- {
		p := c.enclosing[i]
		if p.spec.name != "foreverypart" {
			continue
		}
		if !named {
			return
		}
		if v, ok := p.tags["name"]; ok && v.list[0].String() == name.list[0].String() {
			return
		}
	}
	if named {
		c.errorf(n.pos, "the break command is not inside a foreverypart loop named '%s' (RFC 5703 §3)", name.list[0].String())
		return
	}
	c.errorf(n.pos, "the break command is not inside a foreverypart loop (RFC 5703 §3)")
}

// loop is one running foreverypart: its name and current part.
type loop struct {
	name string
	part *message.Part
}

const loopsKey = "foreverypart"

func (e *exec) loops() []loop {
	l, _ := e.state[loopsKey].([]loop)
	return l
}

// currentPart is the part of the innermost running loop, nil outside any.
func (e *exec) currentPart() *message.Part {
	if l := e.loops(); len(l) > 0 {
		return l[len(l)-1].part
	}
	return nil
}

// breakLoop is the control-flow error of break: it unwinds to the loop
// it names (the innermost one when name is "").
type breakLoop struct{ name string }

func (b *breakLoop) Error() string { return "break outside foreverypart " + b.name }
func (*breakLoop) controlFlow()    {}

var _ controlError = (*breakLoop)(nil)

func runBreak(e *exec, n *node) error {
	name, _ := e.tagStr(n, "name")
	return &breakLoop{name: name}
}

// subtree returns p and its descendants, depth-first in document order.
func subtree(p *message.Part) []*message.Part {
	var out []*message.Part
	stack := []*message.Part{p}
	for len(stack) > 0 {
		q := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		out = append(out, q)
		for i := len(q.Children) - 1; i >= 0; i-- {
			stack = append(stack, q.Children[i])
		}
	}
	return out
}

// runForeverypart runs the block once for every part: outside any loop
// the whole message and all its parts, inside one the descendants of the
// current part (RFC 5703 §3), depth-first. Each iteration is a step of the
// budget; the part list is built once, so a loop costs linear time.
func runForeverypart(e *exec, n *node) error {
	outer := e.loops()
	if len(outer) >= maxLoopDepth {
		return fmt.Errorf("%w: foreverypart loops nested too deeply (max %d levels)", ErrLimit, maxLoopDepth)
	}
	m, err := e.bodyMessage()
	if err != nil || m == nil {
		return err
	}
	var parts []*message.Part
	if len(outer) == 0 {
		parts = subtree(m.Root())
	} else {
		parts = subtree(outer[len(outer)-1].part)[1:]
	}
	name, _ := e.tagStr(n, "name")
	defer func() { e.state[loopsKey] = outer }()
	for _, p := range parts {
		e.step()
		e.state[loopsKey] = append(outer[:len(outer):len(outer)], loop{name: name, part: p})
		err := e.runBlock(n.block)
		var b *breakLoop
		switch {
		case err == nil:
		case errors.As(err, &b) && (b.name == "" || b.name == name):
			return nil
		default:
			return err
		}
	}
	return nil
}

// evalMime evaluates a header, address or exists test carrying :mime on
// the current part and, with :anychild, on its descendants: it succeeds
// when it succeeds on any of them.
func evalMime(e *exec, n *node) (bool, error) {
	var parts []*message.Part
	root := (*message.Part)(nil)
	if m, err := e.bodyMessage(); err == nil && m != nil {
		root = m.Root()
	}
	cur := e.currentPart()
	if cur == nil {
		cur = root
	}
	if cur == nil || !n.has("anychild") {
		parts = []*message.Part{cur}
	} else {
		parts = subtree(cur)
	}
	// The parts are looked at with a cache of their own; the message's
	// stays as it was, since a test changes no header.
	saved, savedFields := e.msg, e.rc.fields
	e.rc.fields = nil
	defer func() { e.msg, e.rc.fields = saved, savedFields }()
	headers := make([]*partHeader, len(parts))
	for i, p := range parts {
		headers[i] = &partHeader{n: n, e: e, size: saved.Size()}
		if p == nil || p == root {
			// The message header, as editheader left it.
			headers[i].top = saved
		} else {
			headers[i].fields = p.Header
		}
	}
	if n.spec.name == "exists" && len(parts) > 1 {
		// Each field must exist in some part, not all in the same one.
	names:
		for _, name := range e.strs(n.args[0]) {
			for _, h := range headers {
				if e.step() && len(h.Header(name)) > 0 {
					continue names
				}
			}
			return false, nil
		}
		return true, nil
	}
	for _, h := range headers {
		e.step()
		e.setMessage(h)
		ok, err := n.spec.eval(e, n)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// partHeader is the Message a :mime test sees: one part's header, its
// values reduced as :type, :subtype, :contenttype or :param ask.
type partHeader struct {
	n      *node
	e      *exec
	top    Message // the message header for the top part
	fields []message.Field
	size   int64
}

var _ Message = (*partHeader)(nil)

func (p *partHeader) Size() int64 { return p.size }

func (p *partHeader) Header(name string) []string {
	var raw []string
	if p.top != nil {
		raw = p.top.Header(name)
	} else {
		for _, f := range p.fields {
			if strings.EqualFold(f.Name, name) {
				raw = append(raw, f.Value)
			}
		}
	}
	n := p.n
	if !n.has("type") && !n.has("subtype") && !n.has("contenttype") && !n.has("param") {
		return raw
	}
	var out []string
	for _, v := range raw {
		out = append(out, structuredValues(v, n, p.e)...)
	}
	return out
}

// structuredValues picks from a Content-Type-like value (RFC 2045 §5.1,
// also Content-Disposition, RFC 2183) what the option asks: the type, the
// subtype ("" when none), both, or the values of the named parameters
// (RFC 2231 continuations and charsets undone).
func structuredValues(v string, n *node, e *exec) []string {
	mt, params, err := mime.ParseMediaType(message.DecodeHeaderValue(v))
	if mt == "" {
		if err != nil {
			return nil
		}
	}
	typ, sub, _ := strings.Cut(mt, "/")
	switch {
	case n.has("type"):
		return []string{typ}
	case n.has("subtype"):
		return []string{sub}
	case n.has("contenttype"):
		return []string{mt}
	}
	var out []string
	for _, name := range e.strs(n.tags["param"]) {
		if pv, ok := params[strings.ToLower(name)]; ok {
			out = append(out, pv)
		}
	}
	return out
}
