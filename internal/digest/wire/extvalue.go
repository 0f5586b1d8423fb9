package wire

import (
	"strings"
	"unicode/utf8"
)

// needsExtValue reports whether a user name cannot travel as a plain
// quoted-string and needs username* (RFC 7616 section 3.4.4): anything but
// printable ASCII.
func needsExtValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return true
		}
	}
	return false
}

// isAttrChar is attr-char of RFC 8187 section 3.2.1.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// encodeExtValue writes s as ext-value with charset UTF-8 and no language
// (RFC 8187 section 3.2.1): "UTF-8", an empty language between two
// apostrophes, then the percent-encoded bytes.
func encodeExtValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteString("UTF-8''")
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAttrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}

// decodeExtValue reads an RFC 8187 ext-value. RFC 7616 section 3.4.4 only
// uses UTF-8, so other charsets are refused, as is invalid UTF-8.
func decodeExtValue(v string) (string, error) {
	charset, rest, ok := strings.Cut(v, "'")
	if !ok || !strings.EqualFold(charset, "UTF-8") {
		return "", errorf("username* charset is not UTF-8")
	}
	_, value, ok := strings.Cut(rest, "'")
	if !ok {
		return "", errorf("username* without language delimiter")
	}
	var b []byte
	for i := 0; i < len(value); i++ {
		c := value[i]
		switch {
		case c == '%':
			if i+2 >= len(value) || !isHex(value[i+1:i+3]) {
				return "", errorf("username* has a bad percent-escape")
			}
			b = append(b, unhex(value[i+1])<<4|unhex(value[i+2]))
			i += 2
		case isAttrChar(c):
			b = append(b, c)
		default:
			return "", errorf("username* has a character outside attr-char")
		}
	}
	if !utf8.Valid(b) {
		return "", errorf("username* is not valid UTF-8")
	}
	return string(b), nil
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
