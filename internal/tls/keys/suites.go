package keys

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"fmt"

	"golang.org/x/crypto/chacha20poly1305"
)

// Suite describes one AEAD cipher suite: the hash that drives its key
// derivation, the AEAD key length, and the record layout it implies.
type Suite struct {
	// ID is the IANA cipher suite number.
	ID uint16
	// Name is the IANA name, spelled as crypto/tls spells it.
	Name string
	// Hash drives HKDF (TLS 1.3) or the PRF (TLS 1.2) and the transcript.
	Hash crypto.Hash
	// KeyLen is the AEAD key length in bytes.
	KeyLen int
	// TLS13 is set for the TLS 1.3 suites, which carry no key exchange or
	// authentication algorithm.
	TLS13 bool
	// ExplicitNonce is set for TLS 1.2 AES-GCM, whose records carry 8 bytes
	// of nonce in the clear (RFC 5288); ChaCha20-Poly1305 derives its nonce
	// from the sequence number instead (RFC 7905).
	ExplicitNonce bool
	// ECDSA is set for TLS 1.2 suites that require an ECDSA certificate;
	// the rest require RSA. Meaningless for TLS 1.3.
	ECDSA bool

	newAEAD func(key []byte) (cipher.AEAD, error)
	// recordLimit is how many records one key may protect; see
	// RecordProtection.Limit.
	recordLimit uint64
}

// NewAEAD returns the suite's AEAD keyed with key, which must be KeyLen bytes.
func (s *Suite) NewAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != s.KeyLen {
		return nil, fmt.Errorf("keys: %s needs a %d-byte key, got %d", s.Name, s.KeyLen, len(key))
	}
	return s.newAEAD(key)
}

// String returns the suite's IANA name.
func (s *Suite) String() string { return s.Name }

// fixedIVLen12 is the length of the per-direction IV taken from the TLS 1.2
// key block: GCM keeps 4 implicit bytes and sends the other 8, ChaCha20-Poly1305
// keeps a whole nonce to XOR with the sequence number.
func (s *Suite) fixedIVLen12() int {
	if s.ExplicitNonce {
		return 4
	}
	return chacha20poly1305.NonceSize
}

func newAESGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Record limits from RFC 8446, section 5.5. AES-GCM may protect 2^24.5
// full-size records per key before the confidentiality margin drops below
// 2^-57; we round down to a power of two. ChaCha20-Poly1305's bound is so
// large (2^62 in practice) that the sequence number runs out first.
const (
	recordLimitAESGCM   = 1 << 24
	recordLimitChaCha20 = 1 << 62
)

// The TLS 1.3 cipher suites, RFC 8446 appendix B.4.
var (
	suiteAES128GCMSHA256 = &Suite{ID: 0x1301, Name: "TLS_AES_128_GCM_SHA256", Hash: crypto.SHA256, KeyLen: 16, TLS13: true,
		newAEAD: newAESGCM, recordLimit: recordLimitAESGCM}
	suiteAES256GCMSHA384 = &Suite{ID: 0x1302, Name: "TLS_AES_256_GCM_SHA384", Hash: crypto.SHA384, KeyLen: 32, TLS13: true,
		newAEAD: newAESGCM, recordLimit: recordLimitAESGCM}
	suiteChaCha20Poly1305SHA256 = &Suite{ID: 0x1303, Name: "TLS_CHACHA20_POLY1305_SHA256", Hash: crypto.SHA256, KeyLen: 32, TLS13: true,
		newAEAD: chacha20poly1305.New, recordLimit: recordLimitChaCha20}
)

// Suites13 lists the supported TLS 1.3 suites in our order of preference.
var Suites13 = []*Suite{suiteAES128GCMSHA256, suiteAES256GCMSHA384, suiteChaCha20Poly1305SHA256}

// Suites12 lists the supported TLS 1.2 suites (ECDHE with an AEAD only) in our
// order of preference.
var Suites12 = []*Suite{
	{ID: 0xC02B, Name: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", Hash: crypto.SHA256, KeyLen: 16, ExplicitNonce: true, ECDSA: true,
		newAEAD: newAESGCM, recordLimit: recordLimitAESGCM},
	{ID: 0xC02F, Name: "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", Hash: crypto.SHA256, KeyLen: 16, ExplicitNonce: true,
		newAEAD: newAESGCM, recordLimit: recordLimitAESGCM},
	{ID: 0xC02C, Name: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", Hash: crypto.SHA384, KeyLen: 32, ExplicitNonce: true, ECDSA: true,
		newAEAD: newAESGCM, recordLimit: recordLimitAESGCM},
	{ID: 0xC030, Name: "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", Hash: crypto.SHA384, KeyLen: 32, ExplicitNonce: true,
		newAEAD: newAESGCM, recordLimit: recordLimitAESGCM},
	{ID: 0xCCA9, Name: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", Hash: crypto.SHA256, KeyLen: 32, ECDSA: true,
		newAEAD: chacha20poly1305.New, recordLimit: recordLimitChaCha20},
	{ID: 0xCCA8, Name: "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", Hash: crypto.SHA256, KeyLen: 32,
		newAEAD: chacha20poly1305.New, recordLimit: recordLimitChaCha20},
}

// Suite13 returns the TLS 1.3 suite with the given ID, or nil if it is not
// supported.
func Suite13(id uint16) *Suite { return findSuite(Suites13, id) }

// Suite12 returns the TLS 1.2 suite with the given ID, or nil if it is not
// supported.
func Suite12(id uint16) *Suite { return findSuite(Suites12, id) }

func findSuite(list []*Suite, id uint16) *Suite {
	for _, s := range list {
		if s.ID == id {
			return s
		}
	}
	return nil
}
