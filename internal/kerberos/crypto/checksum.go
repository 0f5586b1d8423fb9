package crypto

import (
	"crypto/subtle"
	"fmt"
)

// Checksum type numbers, RFC 3961 section 8, RFC 3962 section 7, RFC 8009
// section 8 and RFC 4757 section 4.
const (
	HMACSHA196AES128    int32 = 15
	HMACSHA196AES256    int32 = 16
	HMACSHA256128AES128 int32 = 19
	HMACSHA384192AES256 int32 = 20
	HMACMD5             int32 = -138
)

// ChecksumType is one row of the checksum table: a keyed checksum and the
// enctype whose keys it takes.
type ChecksumType struct {
	ID   int32
	Name string
	// Size is the length of the checksum in bytes.
	Size int
	// Enctype is the enctype whose key the checksum is computed with.
	Enctype int32
	sum     func(c *ChecksumType, e *Enctype, key []byte, usage uint32, data []byte) ([]byte, error)
}

var checksums = [...]ChecksumType{
	{ID: HMACSHA196AES256, Name: "hmac-sha1-96-aes256", Size: 12, Enctype: AES256CTSHMACSHA196, sum: checksumAES},
	{ID: HMACSHA196AES128, Name: "hmac-sha1-96-aes128", Size: 12, Enctype: AES128CTSHMACSHA196, sum: checksumAES},
	{ID: HMACSHA384192AES256, Name: "hmac-sha384-192-aes256", Size: 24, Enctype: AES256CTSHMACSHA384192, sum: checksumAES},
	{ID: HMACSHA256128AES128, Name: "hmac-sha256-128-aes128", Size: 16, Enctype: AES128CTSHMACSHA256128, sum: checksumAES},
	{ID: HMACMD5, Name: "hmac-md5-arcfour", Size: 16, Enctype: RC4HMAC, sum: checksumHMACMD5},
}

// LookupChecksum finds the table row of a checksum type number.
func LookupChecksum(id int32) (*ChecksumType, bool) {
	for i := range checksums {
		if checksums[i].ID == id {
			return &checksums[i], true
		}
	}
	return nil, false
}

// Checksum computes the checksum of data for one key usage.
func (c *ChecksumType) Checksum(key []byte, usage uint32, data []byte) ([]byte, error) {
	e, ok := Lookup(c.Enctype)
	if !ok {
		return nil, fmt.Errorf("kerberos: checksum %s has no enctype %d", c.Name, c.Enctype)
	}
	if err := e.checkKey(key); err != nil {
		return nil, err
	}
	return c.sum(c, e, key, usage, data)
}

// Verify recomputes the checksum and compares it in constant time; a
// mismatch is ErrIntegrity.
func (c *ChecksumType) Verify(key []byte, usage uint32, data, sum []byte) error {
	want, err := c.Checksum(key, usage, data)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare(want, sum) != 1 {
		return ErrIntegrity
	}
	return nil
}

// checksumAES is the RFC 3961 section 5.4 keyed checksum with RFC 3962
// parameters (HMAC-SHA1(DK(key, usage|0x99), data) cut to 96 bits) or
// RFC 8009 section 5's (HMAC(Kc, data) truncated, Kc as long as the
// checksum), through a UsageKey used once.
func checksumAES(c *ChecksumType, e *Enctype, key []byte, usage uint32, data []byte) ([]byte, error) {
	k, err := e.NewUsageKey(key, usage)
	if err != nil {
		return nil, err
	}
	return k.Checksum(nil, data)
}

// checksumHMACMD5 is RFC 4757 section 4 (RC4SignKey), through a key used
// once.
func checksumHMACMD5(c *ChecksumType, e *Enctype, key []byte, usage uint32, data []byte) ([]byte, error) {
	return NewRC4SignKey(key).Checksum(nil, usage, data), nil
}
