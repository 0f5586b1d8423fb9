package crypto

import (
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/subtle"
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

// keysSHA2 derives Ke (the AES key) and Ki (the HMAC key) for one usage,
// RFC 8009 section 5.
func keysSHA2(e *Enctype, key []byte, usage uint32) (ke, ki []byte) {
	ke = kdfHMACSHA2(e.hash, key, usageConstant(usage, usageDerivationEncryption), nil, e.KeySize*8)
	ki = kdfHMACSHA2(e.hash, key, usageConstant(usage, usageDerivationIntegrity), nil, e.TrailerSize*8)
	return ke, ki
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

// encryptSHA2 is RFC 8009 section 5: C = AES-CTS(Ke, N|plaintext) with a
// zero IV, then HMAC(Ki, IV|C) truncated. Unlike RFC 3962 the MAC covers
// the ciphertext, so a forgery is refused before decryption.
func encryptSHA2(e *Enctype, key []byte, usage uint32, confounder, plaintext []byte) ([]byte, error) {
	ke, ki := keysSHA2(e, key, usage)
	data := make([]byte, 0, len(confounder)+len(plaintext))
	data = append(append(data, confounder...), plaintext...)
	b, err := aes.NewCipher(ke)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	c, err := ctsEncrypt(b, data)
	if err != nil {
		return nil, err
	}
	return append(c, truncatedHMAC(e.hash, ki, e.TrailerSize, make([]byte, aesBlockSize), c)...), nil
}

func decryptSHA2(e *Enctype, key []byte, usage uint32, ciphertext []byte) ([]byte, error) {
	ke, ki := keysSHA2(e, key, usage)
	split := len(ciphertext) - e.TrailerSize
	c := ciphertext[:split]
	mac := truncatedHMAC(e.hash, ki, e.TrailerSize, make([]byte, aesBlockSize), c)
	if subtle.ConstantTimeCompare(mac, ciphertext[split:]) != 1 {
		return nil, ErrIntegrity
	}
	b, err := aes.NewCipher(ke)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	data, err := ctsDecrypt(b, c)
	if err != nil {
		return nil, err
	}
	return data[e.ConfounderSize:], nil
}

// prfSHA2 is RFC 8009 section 5: KDF-HMAC-SHA2(key, "prf", input) with
// the hash's full output length (256 or 384 bits).
func prfSHA2(e *Enctype, key, input []byte) ([]byte, error) {
	return kdfHMACSHA2(e.hash, key, []byte("prf"), input, e.hash().Size()*8), nil
}
