package wire

import (
	"strconv"
	"strings"
)

// directives indexes a parameter list by name and refuses duplicates, which
// RFC 7616 section 3.3 and RFC 2831 section 2.1.1 both forbid (RFC 2831
// excepts realm, passed in repeat).
func directives(params []Param, repeat string) (map[string]string, []string, error) {
	m := make(map[string]string, len(params))
	var repeated []string
	for _, p := range params {
		if p.Name == repeat {
			repeated = append(repeated, p.Value)
			continue
		}
		if _, dup := m[p.Name]; dup {
			return nil, nil, errorf("duplicate directive " + p.Name)
		}
		m[p.Name] = p.Value
	}
	return m, repeated, nil
}

// parseBool reads the "true" / "false" of stale and userhash,
// case-insensitively (RFC 7616 section 3.3).
func parseBool(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, errorf(name + " is neither true nor false")
}

// parseNC reads nc-value, exactly 8 hex digits (RFC 7616 section 3.4). The
// count starts at 1, so 0 is refused and means "absent" in the structs.
func parseNC(v string) (uint32, error) {
	if len(v) != 8 {
		return 0, errorf("nc is not 8 hex digits")
	}
	n, err := strconv.ParseUint(v, 16, 32)
	if err != nil {
		return 0, errorf("nc is not 8 hex digits")
	}
	if n == 0 {
		return 0, errorf("nc is zero")
	}
	return uint32(n), nil
}

// FormatNC writes nc-value as RFC 7616 section 3.4 spells it.
func FormatNC(n uint32) string {
	const hex = "0123456789abcdef"
	var b [8]byte
	for i := 7; i >= 0; i-- {
		b[i] = hex[n&0xf]
		n >>= 4
	}
	return string(b[:])
}

// parseList splits a quoted list of tokens such as qop="auth, auth-int".
// Empty elements are skipped; an empty list or a non-token element is an
// error.
func parseList(name, v string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(v, ",") {
		e = strings.Trim(e, " \t")
		if e == "" {
			continue
		}
		if !isToken(e) {
			return nil, errorf(name + " holds a non-token")
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, errorf(name + " is empty")
	}
	return out, nil
}

func joinList(name string, list []string, sep string) (string, error) {
	for _, e := range list {
		if !isToken(e) {
			return "", errorf(name + " holds a non-token")
		}
	}
	return strings.Join(list, sep), nil
}

// isHex reports a non-empty string of hex digits.
func isHex(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// tokenValue checks a directive whose value must be a token, quoted or
// not (algorithm, qop, charset): peers disagree on quoting them.
func tokenValue(name, v string) (string, error) {
	if !isToken(v) {
		return "", errorf(name + " is not a token")
	}
	return v, nil
}
