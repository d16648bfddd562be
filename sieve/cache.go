package sieve

// runCache memoises per-run work on the header of the message.
//
// addrs holds the parsed address list of a raw header value. It is a pure
// function of the raw value, so it is keyed by that value alone and stays
// right when editheader or replace change the message during the run. A
// 1000-rule script testing From 1000 times parses it once.
//
// fields holds, by field name as the script wrote it, what
// Message.Header returned and its RFC 2047 decoded form, so that each
// name is read and decoded once. It depends on the current
// message, so headerChanged empties it whenever the run changes or
// replaces the message (editheader, replace, enclose, the :mime tests
// switching to a part's header).
//
// The slices handed out are shared by every test of the run: callers read
// them and never modify or keep them. The maps are made on first use.
type runCache struct {
	addrs  map[string]*addrList
	fields map[string]fieldValues
}

// fieldValues are the values of the fields of one name.
type fieldValues struct {
	raw []string
	// decoded is raw RFC 2047 decoded, valid when hasDecoded.
	decoded    []string
	hasDecoded bool
}

// addrList is the parsed form of one address header value.
type addrList struct {
	addrs []Address
	// all is the :all form of each address (RFC 5228 §2.7.4), the raw
	// value for an invalid one; nil until first asked for.
	all []string
}

// headerChanged forgets what was read from the header of the current
// message; it must be called whenever e.msg is replaced or edited.
func (e *exec) headerChanged() { clear(e.rc.fields) }

// fieldValues returns the cache entry of the fields named name, reading
// them from the current message on first use.
func (e *exec) fieldValues(name string) fieldValues {
	c := &e.rc
	if f, ok := c.fields[name]; ok {
		return f
	}
	if c.fields == nil {
		c.fields = map[string]fieldValues{}
	}
	f := fieldValues{raw: e.msg.Header(name)}
	c.fields[name] = f
	return f
}

// header returns the raw values of the current message's fields named
// name, as Message.Header does. The result is shared: do not modify it.
func (e *exec) header(name string) []string { return e.fieldValues(name).raw }

// decodedHeader returns the decoded values of the current message's
// fields named name, nil when there is none. The result is shared: do not
// modify it.
func (e *exec) decodedHeader(name string) []string {
	f := e.fieldValues(name)
	if f.hasDecoded {
		return f.decoded
	}
	f.decoded, f.hasDecoded = decodedList(f.raw), true
	e.rc.fields[name] = f
	return f.decoded
}

// decodedList decodes a list of raw values (RFC 2047); when decoding
// changes none of them (plain ASCII), the result is raw itself.
func decodedList(raw []string) []string {
	if len(raw) == 0 {
		return nil
	}
	var out []string
	for i, r := range raw {
		d := decodeHeader(r)
		if out == nil && d != r {
			out = make([]string, len(raw))
			copy(out, raw[:i])
		}
		if out != nil {
			out[i] = d
		}
	}
	if out == nil {
		return raw
	}
	return out
}

// addresses returns the parsed address list of a raw header value. The
// result is shared: do not modify it.
func (e *exec) addresses(raw string) *addrList {
	c := &e.rc
	if v, ok := c.addrs[raw]; ok {
		return v
	}
	if c.addrs == nil {
		c.addrs = map[string]*addrList{}
	}
	v := &addrList{addrs: headerAddresses(raw)}
	c.addrs[raw] = v
	return v
}

// allForms returns the :all form of each address of the list, shared.
func (l *addrList) allForms() []string {
	if l.all == nil {
		l.all = make([]string, len(l.addrs))
		for i, a := range l.addrs {
			if a.invalid {
				l.all[i] = a.raw
			} else {
				l.all[i], _ = apAll.part(nil, a)
			}
		}
	}
	return l.all
}
