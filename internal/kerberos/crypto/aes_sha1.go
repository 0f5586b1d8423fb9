package crypto

import (
	"crypto/aes"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
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

// deriveUsageSHA1 is Ke, Ki or Kc of RFC 3961 section 5.3 with RFC 3962
// parameters: DK(key, usage | kind), each as long as the key.
func deriveUsageSHA1(e *Enctype, key []byte, usage uint32, kind byte) ([]byte, error) {
	return deriveKeySHA1(key, usageConstant(usage, kind))
}

// encryptAES is the RFC 3961 section 5.3 simplified profile with RFC 3962
// parameters (C = AES-CTS(Ke, confounder|plaintext), then HMAC(Ki,
// confounder|plaintext) truncated) or RFC 8009 section 5 (the HMAC over
// the zero IV and C instead), through a UsageKey used once.
func encryptAES(e *Enctype, key []byte, usage uint32, confounder, plaintext []byte) ([]byte, error) {
	k, err := e.NewUsageKey(key, usage)
	if err != nil {
		return nil, err
	}
	n := len(confounder) + len(plaintext)
	out := make([]byte, n+e.TrailerSize)
	copy(out[copy(out, confounder):], plaintext)
	if err := k.Seal([][]byte{out[:n]}, out[n:]); err != nil {
		return nil, err
	}
	return out, nil
}

// decryptAES reverses encryptAES into a new slice; the caller's
// ciphertext is left as it was.
func decryptAES(e *Enctype, key []byte, usage uint32, ciphertext []byte) ([]byte, error) {
	k, err := e.NewUsageKey(key, usage)
	if err != nil {
		return nil, err
	}
	split := len(ciphertext) - e.TrailerSize
	data := append([]byte(nil), ciphertext[:split]...)
	if err := k.Open([][]byte{data}, ciphertext[split:]); err != nil {
		return nil, err
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
