package delivery

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/sluice-mail/sluice/maildir"
)

// ErrQuotaRule is wrapped by every error of ParseQuotaRule.
var ErrQuotaRule = errors.New("invalid quota rule")

// ParseQuotaRule reads a Dovecot quota_rule for the whole mailbox:
//
//	*:storage=1G            storage limit; a bare number is in kilobytes
//	*:bytes=1048576         storage limit in bytes
//	*:messages=1000         message count limit
//	*:storage=1G messages=1000
//	*:ignore, *:noenforcing no limit
//
// Units are b, k, M, G and T (powers of 1024, case-insensitive); 0 means
// no limit. Limits may be separated by spaces or colons. Rules for single
// mailboxes and relative ("+100M") or percentage limits are refused.
func ParseQuotaRule(rule string) (maildir.Quota, error) {
	var q maildir.Quota
	mask, limits, ok := strings.Cut(strings.TrimSpace(rule), ":")
	if !ok {
		return q, fmt.Errorf("%w %q: want \"*:storage=<size>\" or \"*:messages=<n>\"", ErrQuotaRule, rule)
	}
	if mask != "*" {
		return q, fmt.Errorf("%w %q: only rules for \"*\" (the whole mailbox) are supported", ErrQuotaRule, rule)
	}
	fields := strings.FieldsFunc(limits, func(r rune) bool { return r == ' ' || r == '\t' || r == ':' })
	if len(fields) == 0 {
		return q, fmt.Errorf("%w %q: no limit given", ErrQuotaRule, rule)
	}
	for _, f := range fields {
		name, val, _ := strings.Cut(f, "=")
		var err error
		switch strings.ToLower(name) {
		case "ignore", "noenforcing":
			return maildir.Quota{}, nil
		case "storage":
			q.Bytes, err = quotaSize(val, 1024)
		case "bytes":
			q.Bytes, err = quotaSize(val, 1)
		case "messages":
			q.Messages, err = quotaSize(val, 1)
		default:
			err = fmt.Errorf("unknown limit %q", name)
		}
		if err != nil {
			return maildir.Quota{}, fmt.Errorf("%w %q: %v", ErrQuotaRule, rule, err)
		}
	}
	return q, nil
}

// quotaSize parses "<n>[bkMGT]"; unit is the multiplier of a bare number.
func quotaSize(s string, unit int64) (int64, error) {
	if s == "" {
		return 0, errors.New("empty value")
	}
	if s[0] == '+' || s[0] == '-' || strings.HasSuffix(s, "%") {
		return 0, fmt.Errorf("relative limit %q is not supported", s)
	}
	num := strings.TrimRight(s, "bBkKmMgGtT")
	suffix := s[len(num):]
	if len(suffix) > 1 {
		return 0, fmt.Errorf("bad unit in %q", s)
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad number %q", s)
	}
	mult := unit
	switch strings.ToLower(suffix) {
	case "b":
		mult = 1
	case "k":
		mult = 1 << 10
	case "m":
		mult = 1 << 20
	case "g":
		mult = 1 << 30
	case "t":
		mult = 1 << 40
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return n * mult, nil
}
