package sspi_test

import (
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/sspi"
)

// TestEndpointBindings checks the RFC 5929 section 4.1 hash choice and the
// SEC_CHANNEL_BINDINGS layout: no addresses, the application data at
// offset 32.
func TestEndpointBindings(t *testing.T) {
	raw := []byte("a certificate's DER stands here")
	sum256, sum384 := sha256.Sum256(raw), sha512.Sum384(raw)
	cases := []struct {
		alg  x509.SignatureAlgorithm
		want []byte
	}{
		{x509.SHA1WithRSA, sum256[:]}, // SHA-1 is replaced by SHA-256
		{x509.ECDSAWithSHA256, sum256[:]},
		{x509.SHA256WithRSAPSS, sum256[:]},
		{x509.ECDSAWithSHA384, sum384[:]},
		{x509.PureEd25519, nil}, // no single hash: undefined
	}
	for _, tc := range cases {
		t.Run(tc.alg.String(), func(t *testing.T) {
			b, err := sspi.EndpointBindings(&x509.Certificate{Raw: raw, SignatureAlgorithm: tc.alg})
			if tc.want == nil {
				assert.ErrorIs(t, err, sspi.SEC_E_UNSUPPORTED_FUNCTION)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, make([]byte, 24), b[:24], "no addresses")
			assert.Equal(t, uint32(sspi.ChannelBindingsHeaderLen), binary.LittleEndian.Uint32(b[28:]))
			data, err := sspi.ChannelBindingsApplicationData(b)
			require.NoError(t, err)
			assert.Equal(t, append([]byte("tls-server-end-point:"), tc.want...), data)
		})
	}
}

// TestChannelBindingsApplicationDataBounds: offsets that leave the
// structure are refused, whatever the peer or caller put there.
func TestChannelBindingsApplicationDataBounds(t *testing.T) {
	good := sspi.NewChannelBindings([]byte("tls-unique:0123"))
	cases := map[string][]byte{
		"short header":      good[:31],
		"length past end":   withUint32(good, 24, uint32(len(good))),
		"offset past end":   withUint32(good, 28, uint32(len(good)+1)),
		"offset wraps":      withUint32(withUint32(good, 28, 0xffffffff), 24, 2),
		"data cut one byte": good[:len(good)-1],
	}
	for name, b := range cases {
		_, err := sspi.ChannelBindingsApplicationData(b)
		assert.Error(t, err, name)
	}
	data, err := sspi.ChannelBindingsApplicationData(good)
	require.NoError(t, err)
	assert.Equal(t, "tls-unique:0123", string(data))
}

func withUint32(b []byte, at int, v uint32) []byte {
	c := append([]byte(nil), b...)
	binary.LittleEndian.PutUint32(c[at:], v)
	return c
}
