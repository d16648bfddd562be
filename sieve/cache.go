package sieve

// runCache memoises per-run work on the message: decoded header values and
// parsed address lists. It is dropped when the message changes.
type runCache struct {
	msg     Message
	decoded map[string]string
	addrs   map[string][]Address
}

// cache returns the cache for the current message, or nil when the message
// type cannot be compared safely.
func (e *exec) cache() *runCache {
	if _, ok := e.msg.(*parsedMessage); !ok {
		return nil
	}
	if e.rc == nil || e.rc.msg != e.msg {
		e.rc = &runCache{msg: e.msg, decoded: map[string]string{}, addrs: map[string][]Address{}}
	}
	return e.rc
}

// decoded returns the RFC 2047 decoded form of a raw header value.
func (e *exec) decoded(raw string) string {
	c := e.cache()
	if c == nil {
		return decodeHeader(raw)
	}
	if v, ok := c.decoded[raw]; ok {
		return v
	}
	v := decodeHeader(raw)
	c.decoded[raw] = v
	return v
}

// addresses returns the parsed address list of a raw header value. The
// result is shared: do not modify it.
func (e *exec) addresses(raw string) []Address {
	c := e.cache()
	if c == nil {
		return headerAddresses(raw)
	}
	if v, ok := c.addrs[raw]; ok {
		return v
	}
	v := headerAddresses(raw)
	c.addrs[raw] = v
	return v
}
