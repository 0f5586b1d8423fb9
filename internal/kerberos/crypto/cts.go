package crypto

import (
	"crypto/cipher"
	"errors"
)

// ctsEncrypt is AES in CBC mode with ciphertext stealing, RFC 3962 section
// 5: CBC over the zero-padded input, then the last two cipher blocks are
// swapped and the output cut to the input length. A single block is plain
// CBC. The IV is always zero in Kerberos (the cipher state is not chained).
func ctsEncrypt(b cipher.Block, plaintext []byte) ([]byte, error) {
	n := len(plaintext)
	if n < aesBlockSize {
		return nil, errors.New("kerberos: CTS input shorter than one block")
	}
	iv := make([]byte, aesBlockSize)
	if n == aesBlockSize {
		out := make([]byte, n)
		b.Encrypt(out, plaintext)
		return out, nil
	}
	padded := make([]byte, (n+aesBlockSize-1)/aesBlockSize*aesBlockSize)
	copy(padded, plaintext)
	cipher.NewCBCEncrypter(b, iv).CryptBlocks(padded, padded)
	last := len(padded) - aesBlockSize
	prev := last - aesBlockSize
	tail := n - last // bytes of the final, possibly partial, block
	out := make([]byte, n)
	copy(out, padded[:prev])
	copy(out[prev:], padded[last:])
	copy(out[prev+aesBlockSize:], padded[prev:prev+tail])
	return out, nil
}

// ctsDecrypt reverses ctsEncrypt.
func ctsDecrypt(b cipher.Block, ciphertext []byte) ([]byte, error) {
	n := len(ciphertext)
	if n < aesBlockSize {
		return nil, errors.New("kerberos: CTS input shorter than one block")
	}
	out := make([]byte, n)
	if n == aesBlockSize {
		b.Decrypt(out, ciphertext)
		return out, nil
	}
	tail := n % aesBlockSize
	if tail == 0 {
		tail = aesBlockSize
	}
	prefix := n - aesBlockSize - tail // whole blocks before the stolen pair
	iv := make([]byte, aesBlockSize)
	if prefix > 0 {
		cipher.NewCBCDecrypter(b, make([]byte, aesBlockSize)).CryptBlocks(out[:prefix], ciphertext[:prefix])
		copy(iv, ciphertext[prefix-aesBlockSize:prefix])
	}
	// ciphertext[prefix:prefix+16] is the last CBC block Cn; the tail is
	// the first bytes of C(n-1). Decrypting Cn gives Pn xor C(n-1), whose
	// bytes past the tail are C(n-1)'s, because Pn was zero-padded.
	cn := ciphertext[prefix : prefix+aesBlockSize]
	d := make([]byte, aesBlockSize)
	b.Decrypt(d, cn)
	cn1 := make([]byte, aesBlockSize)
	copy(cn1, ciphertext[prefix+aesBlockSize:])
	copy(cn1[tail:], d[tail:])
	for i := 0; i < tail; i++ {
		out[prefix+aesBlockSize+i] = d[i] ^ cn1[i]
	}
	b.Decrypt(out[prefix:prefix+aesBlockSize], cn1)
	for i := 0; i < aesBlockSize; i++ {
		out[prefix+i] ^= iv[i]
	}
	return out, nil
}
