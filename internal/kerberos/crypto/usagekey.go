package crypto

import (
	"crypto/aes"
	"crypto/hmac"
	"fmt"
	"hash"

	"github.com/gosspi/schannel/internal/kerberos/iov"
)

// UsageKey is what an AES enctype derives from one base key for one key
// usage, kept ready: the AES cipher and CBC modes of Ke, the HMAC of Ki,
// and the HMAC of Kc, each derived on first use and reset, never rekeyed,
// afterwards. A GSS context protects every message with the same four
// usages (RFC 4121 section 2), and deriving the keys again for every
// token (DK or KDF-HMAC-SHA2 work, and HMAC keying) was most of the cost
// of a small MIC.
//
// The operations work in place on a message spread over a few slices (see
// package iov), so that a Wrap token is encrypted and decrypted inside the
// caller's buffers. RC4-HMAC has no UsageKey: its message keys depend on
// each token (RFC 4757 section 7). A UsageKey is not safe for concurrent
// use.
type UsageKey struct {
	e     *Enctype
	base  []byte
	usage uint32

	cts *ctsState // Ke, nil until first used
	ki  hash.Hash // HMAC keyed with Ki
	kc  hash.Hash // HMAC keyed with Kc, nil until first used
	// sum receives HMAC outputs (at most SHA-384's 48 bytes), so that
	// making or checking a tag allocates nothing.
	sum [64]byte
}

// NewUsageKey makes the derived keys of key for usage. Nothing is derived
// until an operation needs it.
func (e *Enctype) NewUsageKey(key []byte, usage uint32) (*UsageKey, error) {
	if e.derive == nil {
		return nil, fmt.Errorf("kerberos: %s has no per-usage keys", e.Name)
	}
	if err := e.checkKey(key); err != nil {
		return nil, err
	}
	return &UsageKey{e: e, base: append([]byte(nil), key...), usage: usage}, nil
}

// ChecksumSize is the length of the checksums Checksum makes. Every AES
// enctype's mandatory checksum is its truncated HMAC, as long as the
// encryption tag (RFC 3961 section 5.4, RFC 8009 section 5;
// TestUsageKeyChecksumSize holds it to the checksum table, which cannot
// be read here: its rows call this).
func (k *UsageKey) ChecksumSize() int { return k.e.TrailerSize }

// prepare checks the sizes Seal and Open take (the confounder at least,
// the tag exactly) and derives Ke and Ki on first use.
func (k *UsageKey) prepare(segs [][]byte, mac []byte) error {
	if n := iov.Len(segs); n < k.e.ConfounderSize || n > maxCiphertext {
		return fmt.Errorf("kerberos: %s: %d bytes of confounder and message are out of range", k.e.Name, n)
	}
	if len(mac) != k.e.TrailerSize {
		return fmt.Errorf("kerberos: %s tag is %d bytes, want %d", k.e.Name, len(mac), k.e.TrailerSize)
	}
	return k.cipherKeys()
}

func (k *UsageKey) cipherKeys() error {
	if k.cts != nil {
		return nil
	}
	ke, err := k.e.derive(k.e, k.base, k.usage, usageDerivationEncryption)
	if err != nil {
		return err
	}
	ki, err := k.e.derive(k.e, k.base, k.usage, usageDerivationIntegrity)
	if err != nil {
		return err
	}
	b, err := aes.NewCipher(ke)
	if err != nil {
		return fmt.Errorf("kerberos: %w", err)
	}
	s, err := newCTSState(b)
	if err != nil {
		return err
	}
	k.cts, k.ki = s, hmac.New(k.e.hash, ki)
	return nil
}

// Seal encrypts in place the plaintext that segs hold, laid out as
// confounder (ConfounderSize bytes the caller has filled) then data, and
// writes the integrity tag (TrailerSize bytes) into mac: the cipher field
// of an EncryptedData is segs followed by mac.
func (k *UsageKey) Seal(segs [][]byte, mac []byte) error {
	if err := k.prepare(segs, mac); err != nil {
		return err
	}
	if !k.e.encryptThenMAC {
		// RFC 3961 section 5.3: the HMAC covers the plaintext.
		copy(mac, k.hmacSegments(segs))
	}
	if err := k.cts.encryptSegments(segs); err != nil {
		return err
	}
	if k.e.encryptThenMAC {
		// RFC 8009 section 5: HMAC(Ki, IV | C), the IV zero.
		copy(mac, k.hmacSegments(segs))
	}
	return nil
}

// Open checks the tag mac of the ciphertext segs hold and decrypts it in
// place, confounder included. A tag that does not verify is ErrIntegrity,
// and segs then hold the ciphertext as given (an RFC 3962 enctype, whose
// tag covers the plaintext, encrypts it again), so that a caller may try
// another reading of the same bytes.
func (k *UsageKey) Open(segs [][]byte, mac []byte) error {
	if err := k.prepare(segs, mac); err != nil {
		return err
	}
	if k.e.encryptThenMAC {
		if !hmac.Equal(k.hmacSegments(segs), mac) {
			return ErrIntegrity
		}
		return k.cts.decryptSegments(segs)
	}
	if err := k.cts.decryptSegments(segs); err != nil {
		return err
	}
	if !hmac.Equal(k.hmacSegments(segs), mac) {
		if err := k.cts.encryptSegments(segs); err != nil {
			return err
		}
		return ErrIntegrity
	}
	return nil
}

// hmacSegments is the truncated Ki tag over segs; for RFC 8009 the zero
// IV comes first.
func (k *UsageKey) hmacSegments(segs [][]byte) []byte {
	k.ki.Reset()
	if k.e.encryptThenMAC {
		k.ki.Write(k.cts.zeroIV[:])
	}
	for _, s := range segs {
		k.ki.Write(s)
	}
	return k.ki.Sum(k.sum[:0])[:k.e.TrailerSize]
}

// Checksum appends to dst the enctype's keyed checksum, RFC 3961 section
// 5.4 or RFC 8009 section 5, of the concatenation of data.
func (k *UsageKey) Checksum(dst []byte, data ...[]byte) ([]byte, error) {
	sum, err := k.checksum(data)
	if err != nil {
		return nil, err
	}
	return append(dst, sum...), nil
}

// checksum is the keyed checksum of data in k.sum, valid until the next
// operation.
func (k *UsageKey) checksum(data [][]byte) ([]byte, error) {
	if k.kc == nil {
		kc, err := k.e.derive(k.e, k.base, k.usage, usageDerivationChecksum)
		if err != nil {
			return nil, err
		}
		k.kc = hmac.New(k.e.hash, kc)
	}
	k.kc.Reset()
	for _, d := range data {
		k.kc.Write(d)
	}
	return k.kc.Sum(k.sum[:0])[:k.ChecksumSize()], nil
}

// VerifyChecksum recomputes the checksum of data and compares it with sum
// in constant time; a mismatch is ErrIntegrity.
func (k *UsageKey) VerifyChecksum(sum []byte, data ...[]byte) error {
	want, err := k.checksum(data)
	if err != nil {
		return err
	}
	if !hmac.Equal(want, sum) {
		return ErrIntegrity
	}
	return nil
}
