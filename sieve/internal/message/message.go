package message

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// Message is a parsed message. The header is parsed eagerly, the MIME tree
// on first use of [Message.Root], [Message.Walk] or [Message.Truncated].
type Message struct {
	data      []byte
	hdrLen    int
	bodyStart int
	fields    []Field
	lim       Limits

	mimeOnce  sync.Once
	root      *Part
	truncated bool
}

// Parse reads the whole message from r and parses its header. It fails only
// on a read error or when a header limit of lim is exceeded.
func Parse(r io.Reader, lim Limits) (*Message, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("message: read: %w", err)
	}
	return ParseBytes(b, lim)
}

// ParseBytes parses the message held in b, which is not copied: b must not
// be modified while the Message is in use. It fails only when a header
// limit of lim is exceeded.
func ParseBytes(b []byte, lim Limits) (*Message, error) {
	lim = lim.withDefaults()
	hdrLen, bodyStart, err := headerEnd(b, lim.MaxHeaderBytes)
	if err != nil {
		return nil, err
	}
	hdr := b[:hdrLen:hdrLen]
	fields, err := parseFields(hdr, string(hdr), lim.MaxFields)
	if err != nil {
		return nil, err
	}
	return &Message{data: b, hdrLen: hdrLen, bodyStart: bodyStart, fields: fields, lim: lim}, nil
}

// Fields returns the header fields in order. The slice is shared: do not
// modify it.
func (m *Message) Fields() []Field { return m.fields }

// Header returns the fields named name (ASCII case-insensitive), in order,
// or nil. The result may share memory with the message: do not modify it.
func (m *Message) Header(name string) []Field {
	return lookup(m.fields, name)
}

// lookup returns the fields of fs named name. A single match, the usual
// case, is returned without allocating.
func lookup(fs []Field, name string) []Field {
	first, n := -1, 0
	for i := range fs {
		if equalFoldASCII(fs[i].Name, name) {
			if n == 0 {
				first = i
			}
			n++
		}
	}
	switch n {
	case 0:
		return nil
	case 1:
		return fs[first : first+1 : first+1]
	}
	out := make([]Field, 0, n)
	for _, f := range fs[first:] {
		if equalFoldASCII(f.Name, name) {
			out = append(out, f)
		}
	}
	return out
}

// Size returns the size of the message in octets, as received.
func (m *Message) Size() int64 { return int64(len(m.data)) }

// Body returns a reader over the raw body, after the header block and the
// empty line that ends it.
func (m *Message) Body() io.Reader { return bytes.NewReader(m.BodyBytes()) }

// BodyBytes returns the raw body. The slice aliases the message: do not
// modify it.
func (m *Message) BodyBytes() []byte {
	return m.data[m.bodyStart:len(m.data):len(m.data)]
}

// RawHeader returns the header block as received, without the empty line
// that ends it.
func (m *Message) RawHeader() []byte { return m.data[:m.hdrLen:m.hdrLen] }

// Root returns the MIME tree; the top part's Header is the message header.
func (m *Message) Root() *Part {
	m.mimeOnce.Do(m.parseMIME)
	return m.root
}

// Truncated reports whether MIME parsing stopped at MaxParts or MaxDepth,
// leaving some parts unparsed (kept as opaque leaves).
func (m *Message) Truncated() bool {
	m.mimeOnce.Do(m.parseMIME)
	return m.truncated
}

// Walk calls fn for every part of the MIME tree, depth-first in document
// order, and stops at the first error, which it returns.
func (m *Message) Walk(fn func(p *Part) error) error {
	return walk(m.Root(), fn)
}

func walk(root *Part, fn func(p *Part) error) error {
	stack := []*Part{root}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if err := fn(p); err != nil {
			return err
		}
		for i := len(p.Children) - 1; i >= 0; i-- {
			stack = append(stack, p.Children[i])
		}
	}
	return nil
}
