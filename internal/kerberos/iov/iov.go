// Package iov reads and writes a byte string held in a few slices, the
// form of MIT's krb5_crypto_iov: a Wrap token's message stays in the
// caller's DATA buffer while the rest of the token sits in the TOKEN
// buffer (MS-KILE section 3.4.5.4.1), and a received token's rotation
// (RFC 4121 section 4.2.5) splits its body in two. The Kerberos crypto
// package encrypts over such slices in place, and the GSS message layer
// reads the fields that straddle them.
package iov

// Len is the length of the string segs hold.
func Len(segs [][]byte) int {
	n := 0
	for _, s := range segs {
		n += len(s)
	}
	return n
}

// Gather copies into dst the len(dst) bytes of the string from offset
// off, or as many as the string holds.
func Gather(dst []byte, segs [][]byte, off int) {
	for _, s := range segs {
		if len(dst) == 0 {
			return
		}
		if off >= len(s) {
			off -= len(s)
			continue
		}
		n := copy(dst, s[off:])
		dst, off = dst[n:], 0
	}
}

// Scatter copies src into the string from offset off, Gather's inverse;
// bytes past the string's end are dropped.
func Scatter(segs [][]byte, off int, src []byte) {
	for _, s := range segs {
		if len(src) == 0 {
			return
		}
		if off >= len(s) {
			off -= len(s)
			continue
		}
		n := copy(s[off:], src)
		src, off = src[n:], 0
	}
}
