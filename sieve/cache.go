package sieve

// runCache memoises per-run work on header values: their RFC 2047 decoded
// form and their parsed address lists. Both are pure functions of the raw
// value, so the cache is keyed by that value alone and stays right when
// editheader or replace change the message during the run; it lives as
// long as the run. A 1000-rule script testing From 1000 times parses it
// once.
type runCache struct {
	decoded map[string]string
	addrs   map[string][]Address
}

// cache returns the run's cache, creating it on first use.
func (e *exec) cache() *runCache {
	if e.rc == nil {
		e.rc = &runCache{decoded: map[string]string{}, addrs: map[string][]Address{}}
	}
	return e.rc
}

// decoded returns the RFC 2047 decoded form of a raw header value.
func (e *exec) decoded(raw string) string {
	c := e.cache()
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
	if v, ok := c.addrs[raw]; ok {
		return v
	}
	v := headerAddresses(raw)
	c.addrs[raw] = v
	return v
}
