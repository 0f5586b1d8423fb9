package crypto

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"unicode/utf16"

	"golang.org/x/crypto/md4"
)

// rc4Usage translates an RFC 4120 key usage into the message type number
// RFC 4757 section 3 uses; only the AS-REP and GSS sign usages differ.
func rc4Usage(usage uint32) uint32 {
	switch usage {
	case UsageASRepEncPart:
		return UsageTGSRepEncPartSession // RFC 4757: the AS-REP uses 8, as the TGS-REP
	case UsageAcceptorSign:
		return 13 // RFC 4757 section 7.3 signs wrap tokens with 13
	}
	return usage
}

func le32(v uint32) []byte {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	return b[:]
}

// stringToKeyRC4 is RFC 4757 section 2: MD4 of the UTF-16LE password. The
// salt and parameters are ignored, which is why RC4 keys are weak.
func stringToKeyRC4(e *Enctype, password, salt string, params []byte) ([]byte, error) {
	u := utf16.Encode([]rune(password))
	b := make([]byte, 0, 2*len(u))
	for _, r := range u {
		b = append(b, byte(r), byte(r>>8))
	}
	h := md4.New()
	h.Write(b)
	return h.Sum(nil), nil
}

// RC4SignKey is the key of RFC 4757 section 4's hmac-md5 checksum kept
// ready: HMAC-MD5 keyed with Ksign = HMAC-MD5(key, "signaturekey\0").
// Ksign depends on the key alone, so a GSS context keys it once for all
// its tokens (RFC 4757 section 7). An RC4SignKey is not safe for
// concurrent use.
type RC4SignKey struct {
	ksign hash.Hash
}

// NewRC4SignKey keys the hmac-md5 checksum with key.
func NewRC4SignKey(key []byte) *RC4SignKey {
	return &RC4SignKey{ksign: hmac.New(md5.New, hmacMD5(key, []byte("signaturekey\x00")))}
}

// Checksum appends to dst the 16-byte hmac-md5 checksum of the
// concatenation of data for usage: HMAC-MD5(Ksign, MD5(T | data)), T the
// message type of usage (little-endian).
func (k *RC4SignKey) Checksum(dst []byte, usage uint32, data ...[]byte) []byte {
	var t [4]byte
	binary.LittleEndian.PutUint32(t[:], rc4Usage(usage))
	h := md5.New()
	h.Write(t[:])
	for _, d := range data {
		h.Write(d)
	}
	var inner [md5.Size]byte
	k.ksign.Reset()
	k.ksign.Write(h.Sum(inner[:0]))
	return k.ksign.Sum(dst)
}

func hmacMD5(key []byte, data ...[]byte) []byte {
	m := hmac.New(md5.New, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)
}

// encryptRC4 is RFC 4757 section 3 without the export variant:
// K1 = HMAC-MD5(key, usage), checksum = HMAC-MD5(K1, confounder|data),
// K3 = HMAC-MD5(K1, checksum), output checksum | RC4(K3, confounder|data).
func encryptRC4(e *Enctype, key []byte, usage uint32, confounder, plaintext []byte) ([]byte, error) {
	k1 := hmacMD5(key, le32(rc4Usage(usage)))
	data := make([]byte, 0, len(confounder)+len(plaintext))
	data = append(append(data, confounder...), plaintext...)
	sum := hmacMD5(k1, data)
	c, err := rc4.NewCipher(hmacMD5(k1, sum))
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	out := make([]byte, md5Size+len(data))
	copy(out, sum)
	c.XORKeyStream(out[md5Size:], data)
	return out, nil
}

func decryptRC4(e *Enctype, key []byte, usage uint32, ciphertext []byte) ([]byte, error) {
	k1 := hmacMD5(key, le32(rc4Usage(usage)))
	sum := ciphertext[:md5Size]
	c, err := rc4.NewCipher(hmacMD5(k1, sum))
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	data := make([]byte, len(ciphertext)-md5Size)
	c.XORKeyStream(data, ciphertext[md5Size:])
	if subtle.ConstantTimeCompare(hmacMD5(k1, data), sum) != 1 {
		return nil, ErrIntegrity
	}
	return data[e.ConfounderSize:], nil
}

// prfRC4 is HMAC-SHA1(key, input). RFC 4757 defines no PRF; this is MIT's
// choice (and Heimdal's), which RFC 4402 peers of RC4 contexts expect.
func prfRC4(e *Enctype, key, input []byte) ([]byte, error) {
	m := hmac.New(sha1.New, key)
	m.Write(input)
	return m.Sum(nil), nil
}
