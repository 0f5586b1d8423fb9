package crypto

import (
	"crypto/rand"
	"errors"
	"fmt"
	"hash"
	"io"
	"strings"
)

// Enctype numbers, RFC 3961 section 8, RFC 3962 section 7, RFC 8009
// section 8 and RFC 4757 section 4.
const (
	AES128CTSHMACSHA196    int32 = 17
	AES256CTSHMACSHA196    int32 = 18
	AES128CTSHMACSHA256128 int32 = 19
	AES256CTSHMACSHA384192 int32 = 20
	RC4HMAC                int32 = 23
	maxCiphertext                = 1 << 24 // no Kerberos message comes near 16 MiB
	aesBlockSize                 = 16
	rc4ConfounderSize            = 8
	md5Size                      = 16
)

// ErrIntegrity reports a ciphertext or checksum whose MAC does not verify:
// the wrong key, the wrong key usage, or tampering. RFC 4120 calls it
// KRB_AP_ERR_BAD_INTEGRITY, GSS-API GSS_S_BAD_SIG.
var ErrIntegrity = errors.New("kerberos: integrity check failed")

// Enctype is one row of the enctype table: the sizes and the functions of
// one RFC 3961 encryption type. Rows are read-only; get them with Lookup.
type Enctype struct {
	// ID is the IANA enctype number, Name MIT's canonical name.
	ID   int32
	Name string
	// Aliases are the other names MIT's profile parser accepts.
	Aliases []string
	// KeySize is the length in bytes of a protocol key.
	KeySize int
	// ConfounderSize is the random prefix of every plaintext, and
	// TrailerSize the integrity tag after the ciphertext; together they
	// are the ciphertext expansion (CTS adds no padding).
	ConfounderSize int
	TrailerSize    int
	// ChecksumType is the keyed checksum RFC 3961 section 4 makes
	// mandatory for this enctype, used for MIC tokens and authenticators.
	ChecksumType int32
	// DefaultS2KParams are the string-to-key parameters used when the KDC
	// sends none: the PBKDF2 iteration count, RFC 3962 section 4 and
	// RFC 8009 section 4.
	DefaultS2KParams []byte
	// Weak marks an enctype that callers must refuse unless configured
	// (MIT's allow_weak_crypto / allow_rc4): RC4-HMAC.
	Weak bool

	stringToKey func(e *Enctype, password, salt string, params []byte) ([]byte, error)
	encrypt     func(e *Enctype, key []byte, usage uint32, confounder, plaintext []byte) ([]byte, error)
	decrypt     func(e *Enctype, key []byte, usage uint32, ciphertext []byte) ([]byte, error)
	prf         func(e *Enctype, key, input []byte) ([]byte, error)

	// hash is the HMAC hash of the AES profiles; macSize the truncated
	// HMAC length, equal to TrailerSize.
	hash func() hash.Hash
	// derive makes Ke, Ki or Kc (kind 0xAA, 0x55, 0x99) of a usage, for
	// UsageKey; nil for RC4-HMAC. encryptThenMAC is RFC 8009's order
	// (the tag covers the ciphertext) against RFC 3961's.
	derive         func(e *Enctype, key []byte, usage uint32, kind byte) ([]byte, error)
	encryptThenMAC bool
}

// enctypes is the table, strongest first, as MIT's default list orders the
// AES enctypes. Tests range over it.
var enctypes = [...]Enctype{
	{
		ID: AES256CTSHMACSHA196, Name: "aes256-cts-hmac-sha1-96",
		Aliases: []string{"aes256-cts", "aes256-sha1"},
		KeySize: 32, ConfounderSize: aesBlockSize, TrailerSize: 12,
		ChecksumType: HMACSHA196AES256, DefaultS2KParams: []byte{0, 0, 0x10, 0}, // 4096
		stringToKey: stringToKeySHA1, encrypt: encryptAES, decrypt: decryptAES, prf: prfSHA1,
		hash: newSHA1, derive: deriveUsageSHA1,
	},
	{
		ID: AES128CTSHMACSHA196, Name: "aes128-cts-hmac-sha1-96",
		Aliases: []string{"aes128-cts", "aes128-sha1"},
		KeySize: 16, ConfounderSize: aesBlockSize, TrailerSize: 12,
		ChecksumType: HMACSHA196AES128, DefaultS2KParams: []byte{0, 0, 0x10, 0},
		stringToKey: stringToKeySHA1, encrypt: encryptAES, decrypt: decryptAES, prf: prfSHA1,
		hash: newSHA1, derive: deriveUsageSHA1,
	},
	{
		ID: AES256CTSHMACSHA384192, Name: "aes256-cts-hmac-sha384-192",
		Aliases: []string{"aes256-sha2"},
		KeySize: 32, ConfounderSize: aesBlockSize, TrailerSize: 24,
		ChecksumType: HMACSHA384192AES256, DefaultS2KParams: []byte{0, 0, 0x80, 0}, // 32768
		stringToKey: stringToKeySHA2, encrypt: encryptAES, decrypt: decryptAES, prf: prfSHA2,
		hash: newSHA384, derive: deriveUsageSHA2, encryptThenMAC: true,
	},
	{
		ID: AES128CTSHMACSHA256128, Name: "aes128-cts-hmac-sha256-128",
		Aliases: []string{"aes128-sha2"},
		KeySize: 16, ConfounderSize: aesBlockSize, TrailerSize: 16,
		ChecksumType: HMACSHA256128AES128, DefaultS2KParams: []byte{0, 0, 0x80, 0},
		stringToKey: stringToKeySHA2, encrypt: encryptAES, decrypt: decryptAES, prf: prfSHA2,
		hash: newSHA256, derive: deriveUsageSHA2, encryptThenMAC: true,
	},
	{
		ID: RC4HMAC, Name: "arcfour-hmac",
		Aliases: []string{"rc4-hmac", "arcfour-hmac-md5"},
		KeySize: 16, ConfounderSize: rc4ConfounderSize, TrailerSize: md5Size,
		ChecksumType: HMACMD5, Weak: true,
		stringToKey: stringToKeyRC4, encrypt: encryptRC4, decrypt: decryptRC4, prf: prfRC4,
	},
}

// Lookup finds the table row of an enctype number.
func Lookup(id int32) (*Enctype, bool) {
	for i := range enctypes {
		if enctypes[i].ID == id {
			return &enctypes[i], true
		}
	}
	return nil, false
}

// LookupName finds a row by MIT's canonical name or one of its aliases,
// ignoring case as MIT's krb5_string_to_enctype does.
func LookupName(name string) (*Enctype, bool) {
	for i := range enctypes {
		e := &enctypes[i]
		if strings.EqualFold(e.Name, name) {
			return e, true
		}
		for _, a := range e.Aliases {
			if strings.EqualFold(a, name) {
				return e, true
			}
		}
	}
	return nil, false
}

// All returns the IDs of every enctype in the table, strongest first.
func All() []int32 {
	ids := make([]int32, 0, len(enctypes))
	for i := range enctypes {
		ids = append(ids, enctypes[i].ID)
	}
	return ids
}

// String returns the enctype's MIT name.
func (e *Enctype) String() string { return e.Name }

// StringToKey turns a password and salt into a protocol key. params are
// the string-to-key parameters of PA-ETYPE-INFO2 (nil for the default).
func (e *Enctype) StringToKey(password, salt string, params []byte) ([]byte, error) {
	return e.stringToKey(e, password, salt, params)
}

// Encrypt encrypts plaintext under key for one key usage with a fresh
// random confounder, giving the cipher field of an EncryptedData.
func (e *Enctype) Encrypt(key []byte, usage uint32, plaintext []byte) ([]byte, error) {
	confounder := make([]byte, e.ConfounderSize)
	if _, err := io.ReadFull(rand.Reader, confounder); err != nil {
		return nil, fmt.Errorf("kerberos: reading a confounder: %w", err)
	}
	return e.EncryptWithConfounder(key, usage, confounder, plaintext)
}

// EncryptWithConfounder is Encrypt with the confounder given, for
// known-answer tests and for callers that must control every byte.
func (e *Enctype) EncryptWithConfounder(key []byte, usage uint32, confounder, plaintext []byte) ([]byte, error) {
	if err := e.checkKey(key); err != nil {
		return nil, err
	}
	if len(confounder) != e.ConfounderSize {
		return nil, fmt.Errorf("kerberos: %s confounder is %d bytes, want %d", e.Name, len(confounder), e.ConfounderSize)
	}
	if len(plaintext) > maxCiphertext {
		return nil, fmt.Errorf("kerberos: %d-byte plaintext is too long", len(plaintext))
	}
	return e.encrypt(e, key, usage, confounder, plaintext)
}

// Decrypt checks and decrypts the cipher field of an EncryptedData and
// returns the plaintext without the confounder. A MAC that does not verify
// is ErrIntegrity; a ciphertext too short to hold confounder and MAC is a
// different error.
func (e *Enctype) Decrypt(key []byte, usage uint32, ciphertext []byte) ([]byte, error) {
	if err := e.checkKey(key); err != nil {
		return nil, err
	}
	if len(ciphertext) < e.ConfounderSize+e.TrailerSize {
		return nil, fmt.Errorf("kerberos: %s ciphertext of %d bytes is shorter than its %d-byte overhead",
			e.Name, len(ciphertext), e.ConfounderSize+e.TrailerSize)
	}
	if len(ciphertext) > maxCiphertext {
		return nil, fmt.Errorf("kerberos: %d-byte ciphertext is too long", len(ciphertext))
	}
	return e.decrypt(e, key, usage, ciphertext)
}

// PRF is the enctype's pseudo-random function (RFC 3961 section 3), used by
// RFC 4402 GSS_Pseudo_random and FAST.
func (e *Enctype) PRF(key, input []byte) ([]byte, error) {
	if err := e.checkKey(key); err != nil {
		return nil, err
	}
	return e.prf(e, key, input)
}

// Checksum computes the enctype's mandatory keyed checksum.
func (e *Enctype) Checksum(key []byte, usage uint32, data []byte) ([]byte, error) {
	c, ok := LookupChecksum(e.ChecksumType)
	if !ok {
		return nil, fmt.Errorf("kerberos: %s has no checksum type %d", e.Name, e.ChecksumType)
	}
	return c.Checksum(key, usage, data)
}

// RandomKey returns a fresh random protocol key, for session keys and
// subkeys. For every enctype here random-to-key is the identity.
func (e *Enctype) RandomKey() ([]byte, error) {
	k := make([]byte, e.KeySize)
	if _, err := io.ReadFull(rand.Reader, k); err != nil {
		return nil, fmt.Errorf("kerberos: reading a random key: %w", err)
	}
	return k, nil
}

func (e *Enctype) checkKey(key []byte) error {
	if len(key) != e.KeySize {
		return fmt.Errorf("kerberos: %s key is %d bytes, want %d", e.Name, len(key), e.KeySize)
	}
	return nil
}
