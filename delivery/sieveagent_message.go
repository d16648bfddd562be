package delivery

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"

	"github.com/sluice-mail/sluice/sieve"
)

// sharedMessage is what the Sieve engine sees of a spooled message, built
// once per transaction and shared by its recipients: the parsed header,
// and where the body starts. The body itself stays in the spool and is
// read only when a script asks for it.
type sharedMessage struct {
	raw     []byte        // the header block, up to and including the empty line
	hdr     sieve.Message // raw, parsed by the engine's own parser
	bodyOff int64         // offset of the body in the spool; -1: no body
	// hdrLen is the length of the header block without the empty line
	// that ends it: raw[:hdrLen] is what RawHeader gives.
	hdrLen int
	// whole is false when the header was cut at maxHeaderBytes: its
	// edits cannot be applied to what is stored (see editableHeader).
	whole bool
}

// sharedOf returns the sharedMessage of sp, parsing it at the first call:
// the recipients of a transaction, delivered concurrently, share the
// spool, and the first to ask parses the header while the others wait.
func sharedOf(sp *Spool) *sharedMessage {
	sp.sieve.once.Do(func() {
		m := parseShared(sp.Reader())
		m.whole = m.bodyOff >= 0 || int64(len(m.raw)) == sp.Size()
		sp.sieve.m = m
	})
	return sp.sieve.m
}

// parseShared reads the header block of a spooled message (at most
// maxHeaderBytes of it).
func parseShared(r io.Reader) *sharedMessage {
	br := bufio.NewReader(io.LimitReader(r, maxHeaderBytes))
	var raw bytes.Buffer
	m := &sharedMessage{bodyOff: -1}
	mid := false // the last read ended inside a line longer than the buffer
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			raw.Write(line)
			mid = true
			continue
		}
		raw.Write(line)
		// The end of a long line is no empty line: it must not end the
		// header and hide the fields after it.
		blank := !mid && len(line) > 0 && len(bytes.TrimRight(line, "\r\n")) == 0
		mid = false
		if blank && err == nil {
			m.bodyOff = int64(raw.Len())
			m.hdrLen = raw.Len() - len(line)
			break
		}
		if err != nil {
			break
		}
	}
	m.raw = raw.Bytes()
	if m.bodyOff < 0 {
		m.hdrLen = len(m.raw)
	}
	hdr := m.raw
	if m.bodyOff < 0 {
		hdr = append(append([]byte(nil), hdr...), '\n', '\n')
	}
	if p, err := sieve.ParseMessage(bytes.NewReader(hdr)); err == nil {
		m.hdr = p
	} else {
		m.hdr = emptySieveMessage{}
	}
	return m
}

type emptySieveMessage struct{}

func (emptySieveMessage) Header(string) []string { return nil }
func (emptySieveMessage) Size() int64            { return 0 }

// sieveMessage is one recipient's copy as the engine sees it: the header
// fields added for this recipient (Return-Path, Delivered-To, Received),
// then the shared header; the size of the copy; and the body, streamed
// from the spool on demand (BodySource).
//
// Scripts see the per-recipient fields, as they do under Dovecot's LMTP,
// which puts them in front of the message before Sieve runs: a rule on
// Delivered-To works, and editheader indexes count them. RawHeader gives
// the same view, so that replace and enclose (RFC 5703 §5, §6) rebuild
// exactly the header the script tested.
type sieveMessage struct {
	d      *Delivery
	own    sieve.Message // the per-recipient header fields
	shared *sharedMessage

	rawOnce sync.Once
	rawHdr  []byte
}

var (
	_ sieve.Message         = (*sieveMessage)(nil)
	_ sieve.BodySource      = (*sieveMessage)(nil)
	_ sieve.RawHeaderSource = (*sieveMessage)(nil)
)

// RawHeader returns the header block as the engine sees it: the
// per-recipient fields, then the spooled header, without the empty line
// that ends it. Line endings are LF, as in the spool.
func (m *sieveMessage) RawHeader() []byte {
	m.rawOnce.Do(func() {
		hdr := m.shared.raw[:m.shared.hdrLen]
		b := make([]byte, 0, len(m.d.Message.prefix)+len(hdr))
		b = append(b, m.d.Message.prefix...)
		m.rawHdr = append(b, hdr...)
	})
	return m.rawHdr
}

func newSieveMessage(d *Delivery) *sieveMessage {
	m := &sieveMessage{d: d, shared: sharedOf(d.Message.spool), own: emptySieveMessage{}}
	if d.Message.prefix != "" {
		if p, err := sieve.ParseMessage(strings.NewReader(d.Message.prefix + "\n")); err == nil {
			m.own = p
		}
	}
	return m
}

func (m *sieveMessage) Header(name string) []string {
	own := m.own.Header(name)
	rest := m.shared.hdr.Header(name)
	if len(own) == 0 {
		return rest
	}
	return append(own[:len(own):len(own)], rest...)
}

func (m *sieveMessage) Size() int64 { return m.d.Message.Size() }

// Body returns the body of the spooled message, after the header.
func (m *sieveMessage) Body() (io.Reader, error) {
	if m.shared.bodyOff < 0 {
		return strings.NewReader(""), nil
	}
	r := m.d.Message.spool.Reader()
	if _, err := io.CopyN(io.Discard, r, m.shared.bodyOff); err != nil {
		return nil, err
	}
	return r, nil
}

// deliveryID names a delivery across retries: the MTA sends the same
// message again, with the same Message-ID, sender and size. Without a
// Message-ID, a digest of the header stands in.
func deliveryID(d *Delivery, rawHeader []byte) string {
	h := sha256.New()
	if id := d.Message.MessageID(); id != "" {
		h.Write([]byte("id\x00" + id))
	} else {
		h.Write([]byte("hdr\x00"))
		h.Write(rawHeader)
	}
	h.Write([]byte("\x00" + d.Sender + "\x00" + strconv.FormatInt(d.Message.spool.Size(), 10)))
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// environment returns the RFC 5183 items.
func (r *sieveRun) environment() map[string]string {
	env := map[string]string{
		"host":     r.a.opts.Hostname,
		"location": "MDA",
		"name":     "sluice",
		"phase":    "during",
		"version":  r.a.opts.Version,
	}
	if _, dom, ok := strings.Cut(r.a.opts.Hostname, "."); ok {
		env["domain"] = dom
	}
	if r.d.LHLO != "" {
		env["remote-host"] = r.d.LHLO
	}
	if host, _, err := net.SplitHostPort(r.d.RemoteAddr); err == nil {
		env["remote-ip"] = host
	}
	return env
}
