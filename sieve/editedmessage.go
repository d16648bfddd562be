package sieve

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strings"

	"github.com/sluice-mail/sluice/sieve/internal/message"
)

// HeaderField is one header field added by addheader (RFC 5293 §4).
type HeaderField struct {
	Name string
	// Value is the unfolded field body as it goes on the wire: RFC 2047
	// encoded when the script gave non-ASCII text.
	Value string
	// Raw is "Name: Value" folded at whitespace to lines of at most 78
	// octets where possible, lines joined by CRLF, without a final line
	// break.
	Raw []byte
}

// HeaderEdits is what editheader (RFC 5293) did to the header of the
// message. The delivery side, which holds the header as received, applies
// it with Apply and streams the body unchanged. The edits of a run are
// relative to the message it was given: for a chain of scripts (each run
// on the previous result's NextMessage), apply each result's edits in
// turn.
type HeaderEdits struct {
	// Prepend are the fields added at the top of the header, in order
	// (addheader without :last inserts before every existing field).
	Prepend []HeaderField
	// Append are the fields added at the end (addheader :last), in order.
	Append []HeaderField
	// Deleted lists, by lower-case field name, the received fields
	// removed: their positions, 0-based and ascending, among the fields
	// of that name in the header as received.
	Deleted map[string][]int
}

// Empty reports whether the edits change nothing.
func (h *HeaderEdits) Empty() bool {
	return h == nil || len(h.Prepend) == 0 && len(h.Append) == 0 && len(h.Deleted) == 0
}

// Apply returns header with the edits made. header is the header block as
// received: its lines with their line endings, without the empty line that
// ends it. Lines that are not fields are kept. Added fields use the line
// ending of the first line of header (LF or CRLF). The result ends with a
// line ending unless it is empty.
func (h *HeaderEdits) Apply(header []byte) []byte {
	if h.Empty() {
		return header
	}
	eol := "\r\n"
	if i := bytes.IndexByte(header, '\n'); i >= 0 && (i == 0 || header[i-1] != '\r') {
		eol = "\n"
	}
	out := make([]byte, 0, len(header)+256)
	add := func(fs []HeaderField) {
		for _, f := range fs {
			out = append(out, strings.ReplaceAll(string(f.Raw), "\r\n", eol)...)
			out = append(out, eol...)
		}
	}
	// Continuation lines before the first field belong to no field
	// (the parser skips them): they stay on top, so that they do not
	// join a prepended field.
	pos := 0
	for pos < len(header) && (header[pos] == ' ' || header[pos] == '\t') {
		if i := bytes.IndexByte(header[pos:], '\n'); i >= 0 {
			pos += i + 1
		} else {
			pos = len(header)
		}
	}
	out = append(out, header[:pos]...)
	if n := len(out); n > 0 && out[n-1] != '\n' {
		out = append(out, eol...)
	}
	add(h.Prepend)
	seen := map[string]int{}
	deleting := false
	for pos < len(header) {
		end := bytes.IndexByte(header[pos:], '\n')
		if end < 0 {
			end = len(header)
		} else {
			end += pos + 1
		}
		line := header[pos:end]
		pos = end
		if c := line[0]; c == ' ' || c == '\t' {
			if !deleting {
				out = append(out, line...)
			}
			continue
		}
		deleting = false
		if name, _, ok := bytes.Cut(line, []byte{':'}); ok && validHeaderName(strings.TrimRight(string(name), " \t")) {
			key := asciiLower(strings.TrimRight(string(name), " \t"))
			i := seen[key]
			seen[key] = i + 1
			if slices.Contains(h.Deleted[key], i) {
				deleting = true
				continue
			}
		}
		out = append(out, line...)
	}
	if n := len(out); n > 0 && out[n-1] != '\n' && len(h.Append) > 0 {
		out = append(out, eol...)
	}
	add(h.Append)
	return out
}

// RawHeaderSource is an optional add-on to Message for the extensions that
// rebuild the message (replace, enclose): RawHeader returns the header
// block as received, lines with their line endings, without the empty line
// that ends it.
type RawHeaderSource interface {
	RawHeader() []byte
}

var _ RawHeaderSource = (*parsedMessage)(nil)

// RawHeader returns the header block as received.
func (p *parsedMessage) RawHeader() []byte { return p.m.RawHeader() }

// editedMessage is the message as editheader left it: the received
// message seen through HeaderEdits. Every header-reading test reads it
// through Message.Header, so later tests see the edits (RFC 5293 §6).
type editedMessage struct {
	base  Message
	edits HeaderEdits
	delta int64 // size change, octets
	// owner is the run that edits this layer. A run never changes a
	// layer it was given as input (NextMessage's, or another run's): it
	// puts its own on top, so its HeaderEdits are relative to its input.
	owner *exec
}

// editedParsed is an editedMessage whose base was parsed by this package:
// the body tests keep using the parsed MIME tree (the body is unchanged).
type editedParsed struct {
	*editedMessage
	p parsedBody
}

var (
	_ Message    = (*editedMessage)(nil)
	_ BodySource = (*editedMessage)(nil)
	_ parsedBody = editedParsed{}
)

func (p editedParsed) Parsed() *message.Message { return p.p.Parsed() }

func (m *editedMessage) Header(name string) []string {
	var out []string
	for _, f := range m.edits.Prepend {
		if sameFieldName(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	del := m.edits.Deleted[asciiLower(name)]
	for i, v := range m.base.Header(name) {
		if !slices.Contains(del, i) {
			out = append(out, v)
		}
	}
	for _, f := range m.edits.Append {
		if sameFieldName(f.Name, name) {
			out = append(out, f.Value)
		}
	}
	return out
}

func (m *editedMessage) Size() int64 { return m.base.Size() + m.delta }

var errNoBody = errors.New("message gives no body")

func (m *editedMessage) Body() (io.Reader, error) {
	if bs, ok := m.base.(BodySource); ok {
		return bs.Body()
	}
	return nil, errNoBody
}

// edited returns the edit layer of the current message, putting one in
// place on first use.
func (e *exec) edited() *editedMessage {
	if em := e.ownLayer(); em != nil {
		return em
	}
	em := &editedMessage{base: e.msg, owner: e}
	if p, ok := e.msg.(parsedBody); ok {
		e.setMessage(editedParsed{em, p})
	} else {
		e.setMessage(em)
	}
	return em
}

// ownLayer returns the edit layer of this run, nil when it made none.
func (e *exec) ownLayer() *editedMessage {
	var em *editedMessage
	switch m := e.msg.(type) {
	case *editedMessage:
		em = m
	case editedParsed:
		em = m.editedMessage
	}
	if em == nil || em.owner != e {
		return nil
	}
	return em
}

// currentEdits returns the edits made to the current message, nil when
// none.
func (e *exec) currentEdits() *HeaderEdits {
	if _, ok := e.state[encloseKey]; ok {
		return nil // they are in the enclosed message
	}
	em := e.ownLayer()
	if em == nil || em.edits.Empty() {
		return nil
	}
	h := em.edits
	h.Prepend = slices.Clone(h.Prepend)
	h.Append = slices.Clone(h.Append)
	return &h
}

// fieldRef is one field of the current header: an added one (in Prepend
// or Append) or the i-th received field of its name.
type fieldRef struct {
	list  *[]HeaderField // nil for a received field
	index int
	value string // raw (undecoded) value
}

// fields lists the current fields named name, in header order.
func (m *editedMessage) fields(name string) []fieldRef {
	var out []fieldRef
	for i, f := range m.edits.Prepend {
		if sameFieldName(f.Name, name) {
			out = append(out, fieldRef{list: &m.edits.Prepend, index: i, value: f.Value})
		}
	}
	del := m.edits.Deleted[asciiLower(name)]
	for i, v := range m.base.Header(name) {
		if !slices.Contains(del, i) {
			out = append(out, fieldRef{index: i, value: v})
		}
	}
	for i, f := range m.edits.Append {
		if sameFieldName(f.Name, name) {
			out = append(out, fieldRef{list: &m.edits.Append, index: i, value: f.Value})
		}
	}
	return out
}

// add inserts a field at the top or, with last, at the end.
func (m *editedMessage) add(f HeaderField, last bool) {
	if last {
		m.edits.Append = append(m.edits.Append, f)
	} else {
		m.edits.Prepend = slices.Insert(m.edits.Prepend, 0, f)
	}
	m.delta += int64(len(f.Raw)) + 2
	m.changed()
}

// changed tells the run editing this layer that its header changed.
func (m *editedMessage) changed() {
	if m.owner != nil {
		m.owner.headerChanged()
	}
}

// remove deletes the given fields of name (as returned by fields).
func (m *editedMessage) remove(name string, refs []fieldRef) {
	defer m.changed()
	key := asciiLower(name)
	var sizes []int
	if fs, ok := m.base.(fieldSizer); ok {
		sizes = fs.fieldSizes(name)
	}
	// Added fields are removed from the end so indexes stay valid.
	for i := len(refs) - 1; i >= 0; i-- {
		r := refs[i]
		if r.list != nil {
			m.delta -= int64(len((*r.list)[r.index].Raw)) + 2
			*r.list = slices.Delete(*r.list, r.index, r.index+1)
			continue
		}
		if m.edits.Deleted == nil {
			m.edits.Deleted = map[string][]int{}
		}
		d := m.edits.Deleted[key]
		at, found := slices.BinarySearch(d, r.index)
		if found {
			continue
		}
		m.edits.Deleted[key] = slices.Insert(d, at, r.index)
		if r.index < len(sizes) {
			m.delta -= int64(sizes[r.index]) + 2
		} else {
			m.delta -= int64(len(name)+2+len(r.value)) + 2
		}
	}
}

// fieldSizer gives the octets each field of a name takes on the wire,
// folding included, line ending excluded, in message order.
type fieldSizer interface {
	fieldSizes(name string) []int
}

var (
	_ fieldSizer = (*parsedMessage)(nil)
	_ fieldSizer = (*editedMessage)(nil)
)

func (p *parsedMessage) fieldSizes(name string) []int {
	var out []int
	for _, f := range p.m.Header(name) {
		out = append(out, len(f.Raw))
	}
	return out
}

func (m *editedMessage) fieldSizes(name string) []int {
	var out []int
	for _, f := range m.edits.Prepend {
		if sameFieldName(f.Name, name) {
			out = append(out, len(f.Raw))
		}
	}
	var base []int
	if fs, ok := m.base.(fieldSizer); ok {
		base = fs.fieldSizes(name)
	} else {
		for _, v := range m.base.Header(name) {
			base = append(base, len(name)+2+len(v))
		}
	}
	del := m.edits.Deleted[asciiLower(name)]
	for i, n := range base {
		if !slices.Contains(del, i) {
			out = append(out, n)
		}
	}
	for _, f := range m.edits.Append {
		if sameFieldName(f.Name, name) {
			out = append(out, len(f.Raw))
		}
	}
	return out
}

// currentMessage returns the whole message as the script left it (edits
// applied), for enclose and replace. It needs the received header: the
// Message must implement RawHeaderSource (ParseMessage's does) and
// BodySource.
func (e *exec) currentMessage() ([]byte, error) {
	hdr, ok := rawHeaderOf(e.msg)
	if !ok {
		return nil, errors.New("the message does not give its raw header")
	}
	bs, ok := e.msg.(BodySource)
	if !ok {
		return nil, errNoBody
	}
	r, err := bs.Body()
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(io.LimitReader(r, maxBodyBytes))
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(hdr)+2+len(body))
	out = append(out, hdr...)
	if n := len(out); n > 0 && out[n-1] != '\n' {
		out = append(out, "\r\n"...)
	}
	out = append(out, "\r\n"...)
	return append(out, body...), nil
}

// NextMessage returns the message as this result leaves it: Message when
// replace or enclose made one, with HeaderEdits applied. Running the next
// script of a chain (sieve_before, personal, sieve_after) on it lets that
// script see the edits of the previous ones. m is the message the result
// was computed on.
func (r *Result) NextMessage(m Message) (Message, error) {
	if r.Message != nil {
		p, err := ParseMessage(bytes.NewReader(r.Message))
		if err != nil {
			return nil, err
		}
		m = p
	}
	if r.HeaderEdits.Empty() {
		return m, nil
	}
	em := &editedMessage{base: m}
	for _, f := range r.HeaderEdits.Prepend {
		em.add(f, true) // the order is kept below
	}
	em.edits.Prepend, em.edits.Append = em.edits.Append, nil
	for _, f := range r.HeaderEdits.Append {
		em.add(f, true)
	}
	for name, idx := range r.HeaderEdits.Deleted {
		var refs []fieldRef
		vals := m.Header(name)
		for _, i := range idx {
			r := fieldRef{index: i}
			if i < len(vals) {
				r.value = vals[i]
			}
			refs = append(refs, r)
		}
		em.remove(name, refs)
	}
	if p, ok := m.(parsedBody); ok {
		return editedParsed{em, p}, nil
	}
	return em, nil
}

// rawHeaderOf returns the header block of m with the edits of every edit
// layer applied, ok=false when the bottom message does not give its raw
// header.
func rawHeaderOf(m Message) ([]byte, bool) {
	var em *editedMessage
	switch x := m.(type) {
	case *editedMessage:
		em = x
	case editedParsed:
		em = x.editedMessage
	case RawHeaderSource:
		return x.RawHeader(), true
	default:
		return nil, false
	}
	hdr, ok := rawHeaderOf(em.base)
	if !ok {
		return nil, false
	}
	return em.edits.Apply(hdr), true
}

// sameFieldName compares header names ASCII case-insensitively
// (RFC 5322 §1.2.2), as the message parser does.
func sameFieldName(a, b string) bool { return len(a) == len(b) && asciiLower(a) == asciiLower(b) }

// editSnaps records the edits in force when each action was added.
type editSnaps struct {
	seen  int // actions already recorded
	edits map[Action]*HeaderEdits
}

// snapshotEdits records the current edits for the actions added since the
// last call. Nothing is kept while the run has made no edit.
func (e *exec) snapshotEdits() {
	snaps := e.snaps
	if snaps == nil {
		if e.ownLayer() == nil {
			return
		}
		// The actions taken so far saw no edit.
		snaps = &editSnaps{edits: map[Action]*HeaderEdits{}}
		for _, a := range e.actions {
			snaps.edits[a] = nil
		}
		snaps.seen = len(e.actions)
		e.snaps = snaps
	}
	if len(e.actions) < snaps.seen {
		snaps.seen = 0 // the actions were reset
	}
	if len(e.actions) == snaps.seen {
		return
	}
	cur := e.currentEdits()
	for _, a := range e.actions[snaps.seen:] {
		if _, ok := snaps.edits[a]; !ok {
			snaps.edits[a] = cur
		}
	}
	snaps.seen = len(e.actions)
}

func (e *exec) actionEdits() map[Action]*HeaderEdits {
	if e.snaps != nil {
		return e.snaps.edits
	}
	return nil
}

// EditsFor returns the header edits an action of the result applies to
// the message it stores or redirects: those made before the action was
// taken, as in Pigeonhole: a redirect followed by deleteheader forwards
// the field. nil means none.
func (r *Result) EditsFor(a Action) *HeaderEdits {
	if h, ok := r.actionEdits[a]; ok {
		return h
	}
	return r.HeaderEdits
}
