package delivery

import (
	"bytes"
	"io"
	"log/slog"
	"strings"

	"github.com/sluice-mail/sluice/sieve"
)

// What is stored and forwarded is the message as the scripts left it.
//
// editheader (RFC 5293) gives header edits, not a new message: they are
// applied to the header held in memory and the body is streamed from the
// spool unchanged, never copied. replace and enclose (RFC 5703 §5, §6)
// give a whole new message, which is stored instead of the received one.
//
// The per-recipient fields (Return-Path, Delivered-To, Received) stay on
// top of a stored copy of the received message: fields added by addheader
// go below them, though scripts see them above (RFC 5321 §4.4 puts
// Return-Path first). A script may still delete Return-Path or
// Delivered-To; Received cannot be deleted (RFC 5293 §7). A message made
// by replace or enclose carries those fields as part of the header the
// script rebuilt, so nothing is added on top of it.

// msgVersion is the message as the scripts run so far left it: its base,
// the spooled message or a message made by replace or enclose, and the
// header edits to apply to that base, one after the other (the edits of
// each script are relative to the message that script was given).
type msgVersion struct {
	replaced []byte // nil: the spooled message; else a whole message, LF line endings
	edits    []*sieve.HeaderEdits
}

// with returns v with h applied last; v is not changed.
func (v msgVersion) with(h *sieve.HeaderEdits) msgVersion {
	if h.Empty() {
		return v
	}
	edits := make([]*sieve.HeaderEdits, len(v.edits), len(v.edits)+1)
	copy(edits, v.edits)
	v.edits = append(edits, h)
	return v
}

// storedVersion is what a store made by action a of res writes: nil a
// stands for the implicit keep, nil res for a keep outside any script
// result (no script, or an error). A store sees the edits made before it
// (Result.EditsFor), the implicit keep all the edits of the run.
//
// When res made a new message (replace, enclose), every store of res
// writes that message with the edits of the whole run: the engine does
// not tell which of the other edits came before the new message was made.
func (r *sieveRun) storedVersion(res *sieve.Result, a sieve.Action) msgVersion {
	switch {
	case res == nil:
		return r.cur
	case res.Message != nil:
		return msgVersion{replaced: r.lfMessage(res)}.with(res.HeaderEdits)
	case a == nil:
		return r.cur.with(res.HeaderEdits)
	default:
		return r.cur.with(res.EditsFor(a))
	}
}

// lfMessage returns res.Message with LF line endings, as the spool and
// the Maildir files have them; converted once per result.
func (r *sieveRun) lfMessage(res *sieve.Result) []byte {
	if r.lfRes != res {
		r.lfRes, r.lfMsg = res, bytes.ReplaceAll(res.Message, []byte("\r\n"), []byte("\n"))
	}
	return r.lfMsg
}

// advance makes the message as res left it the input of the next script
// (Result.NextMessage), and the base of what later stores write.
//
// Forwarded copies follow the header edits but not replace or enclose
// (RFC 5703 §5, §6: redirect sends the message as received, unaffected
// by them); once a script made a new message, later edits are relative
// to it and no longer apply to the forwarded header.
func (r *sieveRun) advance(res *sieve.Result) error {
	next, err := res.NextMessage(r.next)
	if err != nil {
		return err
	}
	r.next = next
	if res.Message != nil {
		r.cur = msgVersion{replaced: r.lfMessage(res)}.with(res.HeaderEdits)
		r.fwdFrozen = true
		return nil
	}
	r.cur = r.cur.with(res.HeaderEdits)
	if !r.fwdFrozen && !res.HeaderEdits.Empty() {
		r.fwd = append(r.fwd, res.HeaderEdits)
	}
	return nil
}

// open returns a reader over the copy v describes. The body of the
// spooled message is streamed from the spool.
func (r *sieveRun) open(v msgVersion) (io.Reader, error) {
	if v.replaced != nil {
		hdr, rest := splitMessage(v.replaced)
		_, hdr = applyEdits(v.edits, nil, hdr)
		return io.MultiReader(bytes.NewReader(hdr), bytes.NewReader(rest)), nil
	}
	if len(v.edits) == 0 || !r.editable() {
		return r.d.Message.Open(), nil
	}
	prefix, hdr := applyEdits(v.edits, []byte(r.d.Message.prefix), r.sharedHeader())
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	return io.MultiReader(bytes.NewReader(prefix), bytes.NewReader(hdr), body), nil
}

// forwardCopy returns the message a redirect by action a of res sends:
// the received message, its header edited as the scripts had edited it
// when the redirect was taken, without the per-recipient fields.
func (r *sieveRun) forwardCopy(res *sieve.Result, a sieve.Action) (io.Reader, error) {
	edits := r.fwd
	if !r.fwdFrozen && res != nil {
		if h := res.EditsFor(a); !h.Empty() {
			edits = append(edits[:len(edits):len(edits)], h)
		}
	}
	if len(edits) == 0 || !r.editable() {
		return r.d.Message.spool.Reader(), nil
	}
	_, hdr := applyEdits(edits, []byte(r.d.Message.prefix), r.sharedHeader())
	body, err := r.body()
	if err != nil {
		return nil, err
	}
	return io.MultiReader(bytes.NewReader(hdr), body), nil
}

// editable reports whether the spooled header was read whole, so that
// edits can be applied to it. A header longer than maxHeaderBytes is
// stored as received.
func (r *sieveRun) editable() bool {
	if r.msg.shared.whole {
		return true
	}
	if !r.warnedCut {
		r.warnedCut = true
		r.log.Warn("sieve: header too long to edit, storing it as received", slog.Int("limit", maxHeaderBytes))
	}
	return false
}

// sharedHeader is the spooled header block without its empty line.
func (r *sieveRun) sharedHeader() []byte {
	sh := r.msg.shared
	return sh.raw[:sh.hdrLen:sh.hdrLen]
}

// body streams what follows the spooled header: the empty line and the
// body, or nothing for a message without a body.
func (r *sieveRun) body() (io.Reader, error) {
	sh := r.msg.shared
	if sh.bodyOff < 0 {
		return strings.NewReader(""), nil
	}
	b, err := r.msg.Body()
	if err != nil {
		return nil, err
	}
	return io.MultiReader(bytes.NewReader(sh.raw[sh.hdrLen:]), b), nil
}

// splitMessage splits msg (LF line endings) into its header block,
// without the empty line, and the rest, the empty line included.
func splitMessage(msg []byte) (hdr, rest []byte) {
	if len(msg) > 0 && msg[0] == '\n' {
		return nil, msg
	}
	if i := bytes.Index(msg, []byte("\n\n")); i >= 0 {
		return msg[: i+1 : i+1], msg[i+1:]
	}
	return msg, nil
}

// applyEdits applies edits in turn to a header made of prefix (the
// per-recipient fields) followed by hdr, as HeaderEdits.Apply would to
// the two joined, except that added fields go below the prefix.
//
// The indexes of deletions count the fields as the script saw them: the
// fields earlier scripts added on top, then the prefix, then hdr. top
// counts, by name, the fields added on top of hdr that are still there.
func applyEdits(edits []*sieve.HeaderEdits, prefix, hdr []byte) ([]byte, []byte) {
	top := map[string]int{}
	for _, e := range edits {
		if e.Empty() {
			continue
		}
		pe, he := splitEdits(e, prefix, top)
		if !pe.Empty() {
			prefix = pe.Apply(prefix)
		}
		if !he.Empty() {
			empty := len(hdr) == 0
			hdr = he.Apply(hdr)
			if empty {
				// Apply takes its line ending from the header; an empty
				// one has none, and the spool's is LF.
				hdr = bytes.ReplaceAll(hdr, []byte("\r\n"), []byte("\n"))
			}
		}
		for _, f := range e.Prepend {
			top[strings.ToLower(f.Name)]++
		}
	}
	return prefix, hdr
}

// splitEdits divides e between prefix and the header below it. For a
// name with k fields added on top of the header (top) and n fields in
// prefix, the script's index i is the header's i when i < k, the
// prefix's i-k when i < k+n, else the header's i-n. Additions go to the
// header. top is updated for the deletions of added fields.
func splitEdits(e *sieve.HeaderEdits, prefix []byte, top map[string]int) (pe, he *sieve.HeaderEdits) {
	pe = &sieve.HeaderEdits{}
	he = &sieve.HeaderEdits{Prepend: e.Prepend, Append: e.Append}
	if len(e.Deleted) == 0 {
		return pe, he
	}
	counts := fieldCounts(prefix)
	del := func(h *sieve.HeaderEdits, name string, i int) {
		if h.Deleted == nil {
			h.Deleted = map[string][]int{}
		}
		h.Deleted[name] = append(h.Deleted[name], i)
	}
	for name, idx := range e.Deleted {
		k, n := top[name], counts[name]
		for _, i := range idx {
			switch {
			case i < k:
				del(he, name, i)
				top[name]--
			case i < k+n:
				del(pe, name, i-k)
			default:
				del(he, name, i-n)
			}
		}
	}
	return pe, he
}

// fieldCounts counts the fields of a header block by lower-case name.
func fieldCounts(hdr []byte) map[string]int {
	counts := map[string]int{}
	for len(hdr) > 0 {
		line := hdr
		if i := bytes.IndexByte(hdr, '\n'); i >= 0 {
			line, hdr = hdr[:i], hdr[i+1:]
		} else {
			hdr = nil
		}
		if len(line) == 0 || line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if name, _, ok := bytes.Cut(line, []byte{':'}); ok {
			if n := strings.TrimRight(string(name), " \t"); sieve.ValidHeaderName(n) {
				counts[strings.ToLower(n)]++
			}
		}
	}
	return counts
}
