package keys_test

import (
	"bytes"
	"crypto"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/require"
)

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func hashOf(h crypto.Hash, data ...[]byte) []byte {
	d := h.New()
	for _, b := range data {
		d.Write(b)
	}
	return d.Sum(nil)
}

// counting returns n bytes 0, 1, 2, ... starting at first: recognisable,
// fixed key material for tests that need keys but no particular ones.
func counting(first byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = first + byte(i)
	}
	return b
}

// fixedSecret13 is the traffic secret the record tests and fuzz targets key
// TLS 1.3 protection with; 48 bytes serves SHA-384 suites as well.
var fixedSecret13 = counting(0x00, 48)

func fixedProtection13(tb testing.TB, s *keys.Suite) *keys.RecordProtection {
	tb.Helper()
	p, err := keys.NewRecordProtection13(s, fixedSecret13[:s.Hash.Size()])
	require.NoError(tb, err)
	return p
}

func fixedKeys12(s *keys.Suite) (key, iv []byte) {
	ivLen := 4
	if !s.ExplicitNonce {
		ivLen = 12
	}
	return counting(0x20, s.KeyLen), counting(0x80, ivLen)
}

func fixedProtection12(tb testing.TB, s *keys.Suite) *keys.RecordProtection {
	tb.Helper()
	key, iv := fixedKeys12(s)
	p, err := keys.NewRecordProtection12(s, key, iv)
	require.NoError(tb, err)
	return p
}

// seal protects plaintext with p in a freshly sized buffer and returns the
// record.
func seal(tb testing.TB, p *keys.RecordProtection, contentType uint8, plaintext []byte) []byte {
	tb.Helper()
	header, trailer := p.Overhead()
	buf := make([]byte, header+len(plaintext)+trailer)
	copy(buf[header:], plaintext)
	n, err := p.Seal(buf, contentType, len(plaintext))
	require.NoError(tb, err)
	return buf[:n]
}

// sealRaw13 builds a TLS 1.3 record around an arbitrary inner plaintext
// (content, type and padding already laid out), bypassing Seal's checks so
// tests can produce records Seal would refuse to.
func sealRaw13(tb testing.TB, s *keys.Suite, secret []byte, seq uint64, inner []byte) []byte {
	tb.Helper()
	key, iv := keys.TrafficKeys(s, secret)
	aead, err := s.NewAEAD(key)
	require.NoError(tb, err)
	header := []byte{23, 3, 3, 0, 0}
	binary.BigEndian.PutUint16(header[3:], uint16(len(inner)+aead.Overhead()))
	return aead.Seal(header, xorNonce(iv, seq), inner, header)
}

// sealRaw12 does the same for TLS 1.2.
func sealRaw12(tb testing.TB, s *keys.Suite, key, fixedIV []byte, seq uint64, contentType uint8, plaintext []byte) []byte {
	tb.Helper()
	aead, err := s.NewAEAD(key)
	require.NoError(tb, err)
	var seqBytes [8]byte
	binary.BigEndian.PutUint64(seqBytes[:], seq)
	aad := append(seqBytes[:], contentType, 3, 3, byte(len(plaintext)>>8), byte(len(plaintext)))
	record := []byte{contentType, 3, 3, 0, 0}
	var nonce []byte
	if s.ExplicitNonce {
		nonce = append(bytes.Clone(fixedIV), seqBytes[:]...)
		record = append(record, seqBytes[:]...)
	} else {
		nonce = xorNonce(fixedIV, seq)
	}
	record = aead.Seal(record, nonce, plaintext, aad)
	binary.BigEndian.PutUint16(record[3:], uint16(len(record)-5))
	return record
}

func xorNonce(iv []byte, seq uint64) []byte {
	nonce := bytes.Clone(iv)
	for i := range 8 {
		nonce[len(nonce)-1-i] ^= byte(seq >> (8 * i))
	}
	return nonce
}

// alertOf returns the alert an error asks for, failing the test if it asks
// for none.
func alertOf(tb testing.TB, err error) uint8 {
	tb.Helper()
	require.Error(tb, err)
	var alerter interface{ Alert() uint8 }
	require.True(tb, errors.As(err, &alerter), "error %q carries no alert", err)
	return alerter.Alert()
}
