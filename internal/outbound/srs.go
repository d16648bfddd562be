package outbound

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SRS rewrites envelope senders of forwarded mail; see the package doc for
// the address format. An SRS value must not be changed while in use.
type SRS struct {
	// Domain is the forwarding domain the rewritten addresses belong to;
	// bounces to it must reach Reverse.
	Domain string
	// Secrets are HMAC keys. The first signs new addresses; all are tried
	// when checking, so a new secret can be put first while the old one
	// still verifies addresses in flight.
	Secrets []string
	// MaxAge is how long a rewritten address stays valid (default 21 days,
	// counted in whole days).
	MaxAge time.Duration
	// HashLength is the number of hash characters written and required
	// (default 4).
	HashLength int
	// Now is the clock (default time.Now).
	Now func() time.Time
}

var (
	// ErrNotSRS means the address is not an SRS address at Domain.
	ErrNotSRS = errors.New("not an SRS address")
	// ErrSRSMalformed means an SRS address lacks one of its fields.
	ErrSRSMalformed = errors.New("malformed SRS address")
	// ErrSRSHash means the hash does not match: the address was not made
	// with one of our secrets, or was altered.
	ErrSRSHash = errors.New("SRS hash mismatch")
	// ErrSRSExpired means the address is older than MaxAge.
	ErrSRSExpired = errors.New("SRS address expired")
	// ErrSRSAddress means Forward was given an address it cannot encode.
	ErrSRSAddress = errors.New("address cannot be rewritten")
	// ErrSRSConfig means the SRS value lacks a Domain or a secret.
	ErrSRSConfig = errors.New("SRS not configured")
)

const (
	srsSep     = "="
	srsDay     = 24 * time.Hour
	srsSlots   = 1024 // two base32 characters of day number
	base32Abc  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	defaultAge = 21 * srsDay
)

// Forward returns sender rewritten to an SRS address at Domain. The null
// sender is returned unchanged, as is an address already at Domain.
// An SRS0 address of another domain becomes SRS1; an SRS1 address gets a
// new hash and Domain.
func (s *SRS) Forward(sender string) (string, error) {
	if sender == "" {
		return "", nil
	}
	if err := s.check(); err != nil {
		return "", err
	}
	local, host, ok := splitAddr(sender)
	if !ok || local == "" || !validHost(host) || checkAddr(sender) != nil {
		return "", fmt.Errorf("outbound: srs: %w: %q", ErrSRSAddress, sender)
	}
	if strings.EqualFold(host, s.Domain) {
		return sender, nil
	}
	secret := s.Secrets[0]
	if hasTag(local, "SRS1") {
		// SRS1<sep>hash=srs0host=srs0rest: keep srs0host and srs0rest.
		_, rest, ok1 := strings.Cut(local[5:], srsSep)
		srsHost, srsUser, ok2 := strings.Cut(rest, srsSep)
		if ok1 && ok2 && srsHost != "" && srsUser != "" {
			h := s.hash(secret, srsHost, srsUser)
			return "SRS1" + srsSep + h + srsSep + srsHost + srsSep + srsUser + "@" + s.Domain, nil
		}
		// Not well-formed SRS1: treat as an ordinary local part.
	} else if hasTag(local, "SRS0") {
		// The rest keeps its separator: "=HHHH=TT=domain=local".
		srsUser := local[4:]
		h := s.hash(secret, host, srsUser)
		return "SRS1" + srsSep + h + srsSep + host + srsSep + srsUser + "@" + s.Domain, nil
	}
	stamp := s.stamp()
	h := s.hash(secret, stamp, host, local)
	return "SRS0" + srsSep + h + srsSep + stamp + srsSep + host + srsSep + local + "@" + s.Domain, nil
}

// Reverse returns the address an SRS address at Domain was made from,
// after checking its hash and, for SRS0, its age. For SRS1 the result is
// the SRS0 address at the host that made it.
func (s *SRS) Reverse(addr string) (string, error) {
	if err := s.check(); err != nil {
		return "", err
	}
	local, host, ok := splitAddr(addr)
	if !ok || !strings.EqualFold(host, s.Domain) {
		return "", fmt.Errorf("outbound: srs: %w: %q", ErrNotSRS, addr)
	}
	switch {
	case hasTag(local, "SRS1"):
		hash, rest, ok1 := strings.Cut(local[5:], srsSep)
		srsHost, srsUser, ok2 := strings.Cut(rest, srsSep)
		if !ok1 || !ok2 || hash == "" || srsHost == "" || srsUser == "" {
			return "", fmt.Errorf("outbound: srs: %w: %q", ErrSRSMalformed, addr)
		}
		if err := s.verify(hash, srsHost, srsUser); err != nil {
			return "", fmt.Errorf("outbound: srs: %w: %q", err, addr)
		}
		return "SRS0" + srsUser + "@" + srsHost, nil
	case hasTag(local, "SRS0"):
		fields := strings.SplitN(local[5:], srsSep, 4)
		if len(fields) != 4 || fields[0] == "" || fields[2] == "" || fields[3] == "" {
			return "", fmt.Errorf("outbound: srs: %w: %q", ErrSRSMalformed, addr)
		}
		hash, stamp, origHost, origLocal := fields[0], fields[1], fields[2], fields[3]
		if err := s.verify(hash, stamp, origHost, origLocal); err != nil {
			return "", fmt.Errorf("outbound: srs: %w: %q", err, addr)
		}
		if err := s.checkStamp(stamp); err != nil {
			return "", fmt.Errorf("outbound: srs: %w: %q", err, addr)
		}
		return origLocal + "@" + origHost, nil
	}
	return "", fmt.Errorf("outbound: srs: %w: %q", ErrNotSRS, addr)
}

func (s *SRS) check() error {
	if s.Domain == "" || len(s.Secrets) == 0 || s.Secrets[0] == "" {
		return fmt.Errorf("outbound: srs: %w: need Domain and a secret", ErrSRSConfig)
	}
	return nil
}

func (s *SRS) hashLen() int {
	if s.HashLength > 0 {
		return min(s.HashLength, 27) // 27 = unpadded base64 of 20 bytes
	}
	return 4
}

func (s *SRS) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// hash is the first hashLen characters of base64(HMAC-SHA1(secret, data)),
// over the ASCII-lower-cased concatenation of data, as libsrs2 computes it.
func (s *SRS) hash(secret string, data ...string) string {
	return s.fullHash(secret, data...)[:s.hashLen()]
}

func (s *SRS) fullHash(secret string, data ...string) string {
	m := hmac.New(sha1.New, []byte(secret))
	for _, d := range data {
		m.Write([]byte(asciiLower(d)))
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// verify checks a received hash against every secret, ignoring case.
// Characters beyond hashLen are ignored.
func (s *SRS) verify(got string, data ...string) error {
	n := s.hashLen()
	if len(got) < n {
		return ErrSRSHash
	}
	got = asciiLower(got[:n])
	match := 0
	for _, secret := range s.Secrets {
		if secret == "" {
			continue
		}
		want := asciiLower(s.hash(secret, data...))
		match |= subtle.ConstantTimeCompare([]byte(got), []byte(want))
	}
	if match != 1 {
		return ErrSRSHash
	}
	return nil
}

// stamp is today's day number modulo 1024 as two base32 characters.
func (s *SRS) stamp() string {
	day := s.now().Unix() / int64(srsDay/time.Second)
	return string([]byte{base32Abc[(day>>5)&31], base32Abc[day&31]})
}

// checkStamp accepts a stamp at most MaxAge days old (modulo 1024 days).
func (s *SRS) checkStamp(stamp string) error {
	if len(stamp) != 2 {
		return ErrSRSMalformed
	}
	then := 0
	for i := 0; i < 2; i++ {
		c := stamp[i]
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		v := strings.IndexByte(base32Abc, c)
		if v < 0 {
			return ErrSRSMalformed
		}
		then = then<<5 | v
	}
	maxAge := s.MaxAge
	if maxAge <= 0 {
		maxAge = defaultAge
	}
	today := int(s.now().Unix()/int64(srsDay/time.Second)) % srsSlots
	age := (today - then + srsSlots) % srsSlots
	if age > int(maxAge/srsDay) {
		return ErrSRSExpired
	}
	return nil
}

// hasTag reports whether local starts with tag (any case) and a separator.
func hasTag(local, tag string) bool {
	if len(local) <= len(tag) || !strings.EqualFold(local[:len(tag)], tag) {
		return false
	}
	switch local[len(tag)] {
	case '=', '+', '-':
		return true
	}
	return false
}

// splitAddr splits at the last '@'.
func splitAddr(a string) (local, host string, ok bool) {
	i := strings.LastIndexByte(a, '@')
	if i < 0 {
		return "", "", false
	}
	return a[:i], a[i+1:], true
}

// validHost accepts domain names (including UTF-8 labels) and address
// literals. It refuses '=', which would make the SRS fields ambiguous.
func validHost(h string) bool {
	if h == "" {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c >= 0x80:
		case c == '-', c == '.', c == '_', c == '[', c == ']', c == ':':
		default:
			return false
		}
	}
	return true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
