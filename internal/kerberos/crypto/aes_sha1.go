package crypto

import (
	"crypto/aes"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"
)

// maxIterations caps the PBKDF2 iteration count a KDC can ask for in
// PA-ETYPE-INFO2 s2kparams, so a hostile KDC cannot make the client spin.
// MIT refuses counts of 2^24 and more the same way.
const maxIterations = 1<<24 - 1

func newSHA1() hash.Hash   { return sha1.New() }
func newSHA256() hash.Hash { return sha256.New() }
func newSHA384() hash.Hash { return sha512.New384() }

// iterations reads the RFC 3962 section 4 parameter: four octets, the
// big-endian PBKDF2 iteration count.
func iterations(e *Enctype, params []byte) (int, error) {
	if params == nil {
		params = e.DefaultS2KParams
	}
	if len(params) != 4 {
		return 0, fmt.Errorf("kerberos: %s string-to-key parameters are %d bytes, want 4", e.Name, len(params))
	}
	n := binary.BigEndian.Uint32(params)
	if n == 0 || n > maxIterations {
		// RFC 3962 reads 0 as 2^32 iterations; nobody can wait for that.
		return 0, fmt.Errorf("kerberos: %s iteration count %d is out of range", e.Name, n)
	}
	return int(n), nil
}

// deriveRandom is DR of RFC 3961 section 5.1 for AES: the constant,
// n-folded to a block, encrypted and re-encrypted until n bytes exist.
// For a single block CBC with a zero IV is plain AES.
func deriveRandom(key, constant []byte, n int) ([]byte, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	in := constant
	if len(in) != aesBlockSize {
		in = foldConstant(constant)
	}
	out := make([]byte, 0, n+aesBlockSize)
	block := make([]byte, aesBlockSize)
	for len(out) < n {
		b.Encrypt(block, in)
		out = append(out, block...)
		in = block
		block = make([]byte, aesBlockSize)
	}
	return out[:n], nil
}

// foldedConstants remembers nfold(constant, 16) of the derivation
// constants: a key is derived for every Wrap and MIC token, and the bitwise
// n-fold was a third of a 1 KiB MIC's time. Constants come from this
// package's callers (usage numbers and "kerberos", "prf"), not from peers;
// the cap only keeps a misuse from growing the map.
var foldedConstants = struct {
	sync.Mutex
	m map[string][]byte
}{m: make(map[string][]byte)}

const maxFoldedConstants = 1024

func foldConstant(constant []byte) []byte {
	foldedConstants.Lock()
	defer foldedConstants.Unlock()
	if v, ok := foldedConstants.m[string(constant)]; ok {
		return v
	}
	v := nfold(constant, aesBlockSize)
	if len(foldedConstants.m) < maxFoldedConstants {
		foldedConstants.m[string(constant)] = v
	}
	return v
}

// deriveKeySHA1 is DK of RFC 3961 section 5.1; AES random-to-key is the
// identity (RFC 3962 section 6).
func deriveKeySHA1(key, constant []byte) ([]byte, error) {
	return deriveRandom(key, constant, len(key))
}

// stringToKeySHA1 is RFC 3962 section 4: PBKDF2-HMAC-SHA1 of the password
// and salt, then DK(tkey, "kerberos").
func stringToKeySHA1(e *Enctype, password, salt string, params []byte) ([]byte, error) {
	iter, err := iterations(e, params)
	if err != nil {
		return nil, err
	}
	tkey, err := pbkdf2.Key(sha1.New, password, []byte(salt), iter, e.KeySize)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	return deriveKeySHA1(tkey, []byte("kerberos"))
}

// encryptSHA1 is the RFC 3961 section 5.3 simplified profile with RFC 3962
// parameters: C = AES-CTS(Ke, confounder|plaintext), then
// HMAC-SHA1(Ki, confounder|plaintext) truncated to 96 bits.
func encryptSHA1(e *Enctype, key []byte, usage uint32, confounder, plaintext []byte) ([]byte, error) {
	ke, err := deriveKeySHA1(key, usageConstant(usage, usageDerivationEncryption))
	if err != nil {
		return nil, err
	}
	ki, err := deriveKeySHA1(key, usageConstant(usage, usageDerivationIntegrity))
	if err != nil {
		return nil, err
	}
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
	return append(c, truncatedHMAC(e.hash, ki, e.TrailerSize, data)...), nil
}

func decryptSHA1(e *Enctype, key []byte, usage uint32, ciphertext []byte) ([]byte, error) {
	ke, err := deriveKeySHA1(key, usageConstant(usage, usageDerivationEncryption))
	if err != nil {
		return nil, err
	}
	ki, err := deriveKeySHA1(key, usageConstant(usage, usageDerivationIntegrity))
	if err != nil {
		return nil, err
	}
	split := len(ciphertext) - e.TrailerSize
	b, err := aes.NewCipher(ke)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	data, err := ctsDecrypt(b, ciphertext[:split])
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare(truncatedHMAC(e.hash, ki, e.TrailerSize, data), ciphertext[split:]) != 1 {
		return nil, ErrIntegrity
	}
	return data[e.ConfounderSize:], nil
}

// prfSHA1 is RFC 3962 section 6: SHA-1 of the input cut to one block,
// encrypted under DK(key, "prf").
func prfSHA1(e *Enctype, key, input []byte) ([]byte, error) {
	sum := sha1.Sum(input)
	kp, err := deriveKeySHA1(key, []byte("prf"))
	if err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(kp)
	if err != nil {
		return nil, fmt.Errorf("kerberos: %w", err)
	}
	out := make([]byte, aesBlockSize)
	b.Encrypt(out, sum[:aesBlockSize])
	return out, nil
}

func truncatedHMAC(h func() hash.Hash, key []byte, size int, data ...[]byte) []byte {
	m := hmac.New(h, key)
	for _, d := range data {
		m.Write(d)
	}
	return m.Sum(nil)[:size]
}
