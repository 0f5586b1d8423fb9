package crypto

import (
	"crypto/md5"
	"encoding/hex"
	"unicode/utf8"
)

// SASL DIGEST-MD5 (RFC 2831) is MD5-sess with a binary inner hash and an
// A2 that names the SASL exchange rather than an HTTP method.

// Latin1 converts s to ISO 8859-1 when the peer announced charset=utf-8 and
// every character of s fits there, as RFC 2831 section 2.1.2.1 asks before
// hashing; otherwise s is hashed as it is.
func Latin1(s string, utf8Charset bool) string {
	if !utf8Charset || !utf8.ValidString(s) {
		return s
	}
	ascii := true
	for _, r := range s {
		if r > 0xff {
			return s
		}
		if r >= 0x80 {
			ascii = false
		}
	}
	if ascii {
		return s
	}
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

// SASLSecret is H({username ":" realm ":" passwd}) in binary, the value a
// DIGEST-MD5 server may store instead of the password (RFC 2831 section
// 2.1.2.1). The strings are already converted with Latin1.
func SASLSecret(username, realm, password string) [16]byte {
	return md5.Sum([]byte(username + ":" + realm + ":" + password))
}

// SASLHA1 is H(A1) in binary, with A1 = { secret, ":" nonce ":" cnonce
// [":" authzid] } (RFC 2831 section 2.1.2.1). It is the key every later
// value derives from.
func SASLHA1(secret [16]byte, nonce, cnonce, authzid string) [16]byte {
	a1 := make([]byte, 0, 16+len(nonce)+len(cnonce)+len(authzid)+3)
	a1 = append(a1, secret[:]...)
	a1 = append(a1, ":"+nonce+":"+cnonce...)
	if authzid != "" {
		a1 = append(a1, ":"+authzid...)
	}
	return md5.Sum(a1)
}

// SASLResponse computes response-value (RFC 2831 section 2.1.2.1), or with
// initiator false the rspauth of section 2.1.3, whose A2 omits
// "AUTHENTICATE". For auth-int and auth-conf A2 ends in 32 zeros.
func SASLResponse(ha1 [16]byte, nonce, nc, cnonce, qop, digestURI string, initiator bool) string {
	a2 := ":" + digestURI
	if initiator {
		a2 = "AUTHENTICATE" + a2
	}
	if qop == "auth-int" || qop == "auth-conf" {
		a2 += ":00000000000000000000000000000000"
	}
	ha2 := md5.Sum([]byte(a2))
	return MD5.KD(hex.EncodeToString(ha1[:]), nonce+":"+nc+":"+cnonce+":"+qop+":"+hex.EncodeToString(ha2[:]))
}

// The magic constants of RFC 2831 section 2.3 and 2.4.
const (
	magicKic = "Digest session key to client-to-server signing key magic constant"
	magicKis = "Digest session key to server-to-client signing key magic constant"
	magicKcc = "Digest H(A1) to client-to-server sealing key magic constant"
	magicKcs = "Digest H(A1) to server-to-client sealing key magic constant"
)

// SessionKeys are the four keys of one DIGEST-MD5 session.
type SessionKeys struct {
	// Kic and Kis sign client-to-server and server-to-client messages
	// (RFC 2831 section 2.3).
	Kic, Kis [16]byte
	// Kcc and Kcs seal them (RFC 2831 section 2.4); zero without a cipher.
	Kcc, Kcs [16]byte
}

// DeriveKeys derives the session keys from H(A1). cipher may be nil for the
// integrity layer alone; otherwise its KeyBytes picks how much of H(A1)
// feeds the sealing keys.
func DeriveKeys(ha1 [16]byte, cipher *Cipher) SessionKeys {
	var k SessionKeys
	k.Kic = md5.Sum(append(ha1[:], magicKic...))
	k.Kis = md5.Sum(append(ha1[:], magicKis...))
	if cipher != nil {
		n := cipher.hA1Bytes
		k.Kcc = md5.Sum(append(append([]byte(nil), ha1[:n]...), magicKcc...))
		k.Kcs = md5.Sum(append(append([]byte(nil), ha1[:n]...), magicKcs...))
	}
	return k
}
