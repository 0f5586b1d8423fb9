package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/pbkdf2"
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

func iterParams(n int) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(n))
	return b[:]
}

func TestRFC3961AppendixA1(t *testing.T) {
	for _, v := range rfc3961AppendixA1 {
		t.Run(fmt.Sprintf("%d-fold(%q)", v.bits, v.in), func(t *testing.T) {
			assert.Equal(t, v.out, hex.EncodeToString(nfold([]byte(v.in), v.bits/8)))
		})
	}
}

func TestRFC3962AppendixB(t *testing.T) {
	aes128, ok := Lookup(AES128CTSHMACSHA196)
	require.True(t, ok)
	aes256, ok := Lookup(AES256CTSHMACSHA196)
	require.True(t, ok)
	for _, v := range rfc3962AppendixBStringToKey {
		t.Run(fmt.Sprintf("%d iterations, salt %q", v.iter, v.salt), func(t *testing.T) {
			raw, err := pbkdf2.Key(sha1.New, v.password, []byte(v.salt), v.iter, 32)
			require.NoError(t, err)
			assert.Equal(t, v.pbkdf2, hex.EncodeToString(raw), "PBKDF2")
			k, err := aes128.StringToKey(v.password, v.salt, iterParams(v.iter))
			require.NoError(t, err)
			assert.Equal(t, v.aes128, hex.EncodeToString(k), "AES-128 key")
			k, err = aes256.StringToKey(v.password, v.salt, iterParams(v.iter))
			require.NoError(t, err)
			assert.Equal(t, v.aes256, hex.EncodeToString(k), "AES-256 key")
		})
	}
}

func TestRFC3962AppendixBCTS(t *testing.T) {
	b, err := aes.NewCipher([]byte(rfc3962CTSKey))
	require.NoError(t, err)
	for _, v := range rfc3962AppendixBCTS {
		t.Run(fmt.Sprint(v.length), func(t *testing.T) {
			in := []byte(rfc3962CTSInput[:v.length])
			out, err := ctsEncrypt(b, in)
			require.NoError(t, err)
			assert.Equal(t, v.out, hex.EncodeToString(out))
			back, err := ctsDecrypt(b, out)
			require.NoError(t, err)
			assert.Equal(t, in, back)
		})
	}
}

func TestRFC8009AppendixA(t *testing.T) {
	for _, v := range rfc8009AppendixA {
		e, ok := Lookup(v.enctype)
		require.True(t, ok)
		t.Run(e.Name, func(t *testing.T) {
			k, err := e.StringToKey(rfc8009Password, rfc8009Salt, nil) // default: 32768
			require.NoError(t, err)
			assert.Equal(t, v.s2kKey, hex.EncodeToString(k), "string-to-key")

			base := unhex(t, v.baseKey)
			ke, err := e.derive(e, base, 2, usageDerivationEncryption)
			require.NoError(t, err)
			assert.Equal(t, v.ke, hex.EncodeToString(ke), "Ke")
			ki, err := e.derive(e, base, 2, usageDerivationIntegrity)
			require.NoError(t, err)
			assert.Equal(t, v.ki, hex.EncodeToString(ki), "Ki")
			kc, err := e.derive(e, base, 2, usageDerivationChecksum)
			require.NoError(t, err)
			assert.Equal(t, v.kc, hex.EncodeToString(kc), "Kc")

			prf, err := e.PRF(base, []byte("test"))
			require.NoError(t, err)
			assert.Equal(t, v.prf, hex.EncodeToString(prf), "PRF")

			sum, err := e.Checksum(base, 2, unhex(t, rfc8009Checked))
			require.NoError(t, err)
			assert.Equal(t, v.checksum, hex.EncodeToString(sum), "checksum")

			for _, enc := range v.encryptions {
				pt := unhex(t, enc.plaintext)
				ct, err := e.EncryptWithConfounder(base, 2, unhex(t, enc.confounder), pt)
				require.NoError(t, err)
				assert.Equal(t, enc.ciphertext, hex.EncodeToString(ct), "encryption of %d bytes", len(pt))
				back, err := e.Decrypt(base, 2, unhex(t, enc.ciphertext))
				require.NoError(t, err)
				assert.Equal(t, pt, back)
			}
		})
	}
}

func TestMITChecksums(t *testing.T) {
	for _, v := range mitTCksums {
		c, ok := LookupChecksum(v.cksumtype)
		require.True(t, ok)
		t.Run(c.Name, func(t *testing.T) {
			sum, err := c.Checksum(unhex(t, v.key), v.usage, []byte(v.plaintext))
			require.NoError(t, err)
			assert.Equal(t, v.sum, hex.EncodeToString(sum))
			assert.NoError(t, c.Verify(unhex(t, v.key), v.usage, []byte(v.plaintext), unhex(t, v.sum)))
			assert.ErrorIs(t, c.Verify(unhex(t, v.key), v.usage+1, []byte(v.plaintext), unhex(t, v.sum)), ErrIntegrity)
		})
	}
}

func TestRC4StringToKey(t *testing.T) {
	e, ok := Lookup(RC4HMAC)
	require.True(t, ok)
	assert.True(t, e.Weak, "RC4 must be off unless configured")
	k, err := e.StringToKey(msNLMPPassword, "ignored salt", nil)
	require.NoError(t, err)
	assert.Equal(t, msNLMPNTOWFv1, hex.EncodeToString(k))
}

// TestEnctypeTable checks every row's contract: round trips at lengths
// around the block size, and ErrIntegrity for a flipped bit, the wrong
// usage and the wrong key.
func TestEnctypeTable(t *testing.T) {
	for i := range enctypes {
		e := &enctypes[i]
		t.Run(e.Name, func(t *testing.T) {
			got, ok := Lookup(e.ID)
			require.True(t, ok)
			assert.Same(t, e, got)
			byName, ok := LookupName(e.Name)
			require.True(t, ok)
			assert.Same(t, e, byName)
			for _, a := range e.Aliases {
				byAlias, ok := LookupName(a)
				require.True(t, ok, a)
				assert.Same(t, e, byAlias)
			}
			_, ok = LookupChecksum(e.ChecksumType)
			assert.True(t, ok, "mandatory checksum %d is in the table", e.ChecksumType)

			key, err := e.RandomKey()
			require.NoError(t, err)
			other, err := e.RandomKey()
			require.NoError(t, err)
			for _, n := range []int{0, 1, 15, 16, 17, 31, 32, 33, 100} {
				pt := bytes.Repeat([]byte{byte(n)}, n)
				ct, err := e.Encrypt(key, UsageAPReqAuthenticator, pt)
				require.NoError(t, err)
				assert.Len(t, ct, n+e.ConfounderSize+e.TrailerSize)
				back, err := e.Decrypt(key, UsageAPReqAuthenticator, ct)
				require.NoError(t, err)
				assert.Equal(t, pt, back)

				_, err = e.Decrypt(key, UsageAPRepEncPart, ct)
				assert.ErrorIs(t, err, ErrIntegrity, "wrong usage")
				_, err = e.Decrypt(other, UsageAPReqAuthenticator, ct)
				assert.ErrorIs(t, err, ErrIntegrity, "wrong key")
				for _, pos := range []int{0, len(ct) / 2, len(ct) - 1} {
					bad := bytes.Clone(ct)
					bad[pos] ^= 0x01
					_, err = e.Decrypt(key, UsageAPReqAuthenticator, bad)
					assert.ErrorIs(t, err, ErrIntegrity, "bit flipped at %d of %d", pos, len(ct))
				}
			}

			_, err = e.Decrypt(key, 1, make([]byte, e.ConfounderSize+e.TrailerSize-1))
			require.Error(t, err)
			assert.False(t, errors.Is(err, ErrIntegrity), "a short ciphertext is malformed, not forged")
			_, err = e.Encrypt(key[:len(key)-1], 1, nil)
			assert.Error(t, err, "short key")
			_, err = e.Decrypt(append(bytes.Clone(key), 0), 1, make([]byte, 64))
			assert.Error(t, err, "long key")

			sum, err := e.Checksum(key, UsageAPReqAuthCksum, []byte("data"))
			require.NoError(t, err)
			c, _ := LookupChecksum(e.ChecksumType)
			assert.Len(t, sum, c.Size)
			assert.NoError(t, c.Verify(key, UsageAPReqAuthCksum, []byte("data"), sum))
			assert.ErrorIs(t, c.Verify(key, UsageAPReqAuthCksum, []byte("datb"), sum), ErrIntegrity)
			assert.ErrorIs(t, c.Verify(key, UsageAPReqAuthCksum, []byte("data"), sum[:len(sum)-1]), ErrIntegrity)

			p1, err := e.PRF(key, []byte("a"))
			require.NoError(t, err)
			p2, err := e.PRF(key, []byte("b"))
			require.NoError(t, err)
			assert.NotEqual(t, p1, p2)
		})
	}
}

func TestStringToKeyParams(t *testing.T) {
	e, ok := Lookup(AES128CTSHMACSHA196)
	require.True(t, ok)
	for _, params := range [][]byte{{0, 0, 0, 0}, {1, 0, 0, 0}, {0, 0, 1}, {0, 0, 0, 1, 0}} {
		_, err := e.StringToKey("pw", "salt", params)
		assert.Error(t, err, "params %x", params)
	}
}

func TestParseEnctypeList(t *testing.T) {
	tests := []struct {
		in   string
		want []int32
	}{
		{"aes256-cts-hmac-sha1-96 aes128-cts", []int32{AES256CTSHMACSHA196, AES128CTSHMACSHA196}},
		{"aes", []int32{AES256CTSHMACSHA196, AES128CTSHMACSHA196, AES256CTSHMACSHA384192, AES128CTSHMACSHA256128}},
		{"DEFAULT -aes128-sha2 -aes256-sha2", []int32{AES256CTSHMACSHA196, AES128CTSHMACSHA196, RC4HMAC}},
		{"rc4-hmac, aes256-sha2 des-cbc-crc camellia", []int32{RC4HMAC, AES256CTSHMACSHA384192}},
		{"aes256-cts aes256-cts-hmac-sha1-96", []int32{AES256CTSHMACSHA196}},
		{"", nil},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ParseEnctypeList(tt.in), "%q", tt.in)
	}
}

func BenchmarkEncrypt(b *testing.B) {
	for i := range enctypes {
		e := &enctypes[i]
		b.Run(e.Name, func(b *testing.B) {
			b.ReportAllocs()
			key, _ := e.RandomKey()
			msg := make([]byte, 1024)
			b.SetBytes(int64(len(msg)))
			for b.Loop() {
				if _, err := e.Encrypt(key, UsageInitiatorSeal, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ctsEncrypt is encryptSegments on one contiguous plaintext, into a new
// slice: the form RFC 3962's appendix B vectors are given in.
func ctsEncrypt(b cipher.Block, plaintext []byte) ([]byte, error) {
	return ctsOneSlice(b, plaintext, (*ctsState).encryptSegments)
}

// ctsDecrypt is decryptSegments on one contiguous ciphertext, into a new
// slice.
func ctsDecrypt(b cipher.Block, ciphertext []byte) ([]byte, error) {
	return ctsOneSlice(b, ciphertext, (*ctsState).decryptSegments)
}

func ctsOneSlice(b cipher.Block, in []byte, op func(*ctsState, [][]byte) error) ([]byte, error) {
	s, err := newCTSState(b)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), in...)
	if err := op(s, [][]byte{out}); err != nil {
		return nil, err
	}
	return out, nil
}
