package crypto

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"encoding/binary"
	"fmt"
	"hash"
)

// kdfHMACSHA2 is KDF-HMAC-SHA2 of RFC 8009 section 3, the SP 800-108
// counter-mode KDF with one iteration: HMAC(key, 00000001 | label | 00 |
// context | k), cut to k bits. Every k used here fits in one HMAC output.
func kdfHMACSHA2(h func() hash.Hash, key, label, context []byte, kBits int) []byte {
	m := hmac.New(h, key)
	m.Write([]byte{0, 0, 0, 1})
	m.Write(label)
	m.Write([]byte{0})
	m.Write(context)
	var k [4]byte
	binary.BigEndian.PutUint32(k[:], uint32(kBits))
	m.Write(k[:])
	return m.Sum(nil)[:kBits/8]
}

// deriveUsageSHA2 is Ke, Ki or Kc of RFC 8009 section 5: KDF-HMAC-SHA2
// of the usage constant, Ke as long as the AES key, Ki and Kc as long as
// the truncated HMAC (128 or 192 bits).
func deriveUsageSHA2(e *Enctype, key []byte, usage uint32, kind byte) ([]byte, error) {
	bits := e.TrailerSize * 8
	if kind == usageDerivationEncryption {
		bits = e.KeySize * 8
	}
	return kdfHMACSHA2(e.hash, key, usageConstant(usage, kind), nil, bits), nil
}

// stringToKeySHA2 is RFC 8009 section 4: PBKDF2 with the enctype's hash
// over the salt prefixed by the enctype name and a zero octet, then
// KDF-HMAC-SHA2(tkey, "kerberos").
func stringToKeySHA2(e *Enctype, password, salt string, params []byte) ([]byte, error) {
	iter, err := iterations(e, params)
	if err != nil {
		return nil, err
	}
	saltp := make([]byte, 0, len(e.Name)+1+len(salt))
	saltp = append(append(append(saltp, e.Name...), 0), salt...)
	tkey, err := pbkdf2.Key(e.hash, password, saltp, iter, e.KeySize)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	return kdfHMACSHA2(e.hash, tkey, []byte("kerberos"), nil, e.KeySize*8), nil
}

// prfSHA2 is RFC 8009 section 5: KDF-HMAC-SHA2(key, "prf", input) with
// the hash's full output length (256 or 384 bits).
func prfSHA2(e *Enctype, key, input []byte) ([]byte, error) {
	return kdfHMACSHA2(e.hash, key, []byte("prf"), input, e.hash().Size()*8), nil
}
