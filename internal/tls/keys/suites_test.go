package keys_test

import (
	"crypto"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSuiteTables(t *testing.T) {
	tests := []struct {
		id                   uint16
		name                 string
		hash                 crypto.Hash
		keyLen               int
		tls13, explicit, dsa bool
	}{
		{0x1301, "TLS_AES_128_GCM_SHA256", crypto.SHA256, 16, true, false, false},
		{0x1302, "TLS_AES_256_GCM_SHA384", crypto.SHA384, 32, true, false, false},
		{0x1303, "TLS_CHACHA20_POLY1305_SHA256", crypto.SHA256, 32, true, false, false},
		{0xC02B, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", crypto.SHA256, 16, false, true, true},
		{0xC02F, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", crypto.SHA256, 16, false, true, false},
		{0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", crypto.SHA384, 32, false, true, true},
		{0xC030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", crypto.SHA384, 32, false, true, false},
		{0xCCA9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", crypto.SHA256, 32, false, false, true},
		{0xCCA8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", crypto.SHA256, 32, false, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := keys.Suite12(tt.id)
			if tt.tls13 {
				assert.Nil(t, s, "a TLS 1.3 suite is not a TLS 1.2 suite")
				s = keys.Suite13(tt.id)
			} else {
				assert.Nil(t, keys.Suite13(tt.id), "a TLS 1.2 suite is not a TLS 1.3 suite")
			}
			require.NotNil(t, s)
			assert.Equal(t, tt.id, s.ID)
			assert.Equal(t, tt.name, s.Name)
			assert.Equal(t, tt.name, s.String())
			assert.Equal(t, tt.hash, s.Hash)
			assert.Equal(t, tt.keyLen, s.KeyLen)
			assert.Equal(t, tt.tls13, s.TLS13)
			assert.Equal(t, tt.explicit, s.ExplicitNonce)
			assert.Equal(t, tt.dsa, s.ECDSA)

			aead, err := s.NewAEAD(make([]byte, s.KeyLen))
			require.NoError(t, err)
			assert.Equal(t, 12, aead.NonceSize())
			assert.Equal(t, 16, aead.Overhead())
			_, err = s.NewAEAD(make([]byte, s.KeyLen+1))
			assert.Error(t, err)
		})
	}
	assert.Len(t, keys.Suites13, 3)
	assert.Len(t, keys.Suites12, 6)
}

func TestSuitePreferenceOrder(t *testing.T) {
	var ids13, ids12 []uint16
	for _, s := range keys.Suites13 {
		ids13 = append(ids13, s.ID)
	}
	for _, s := range keys.Suites12 {
		ids12 = append(ids12, s.ID)
	}
	assert.Equal(t, []uint16{0x1301, 0x1302, 0x1303}, ids13)
	assert.Equal(t, []uint16{0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8}, ids12)
}

func TestUnknownSuites(t *testing.T) {
	for _, id := range []uint16{0, 0x1304, 0x1305, 0xC013, 0x009C} {
		assert.Nil(t, keys.Suite13(id), "%#04x", id)
		assert.Nil(t, keys.Suite12(id), "%#04x", id)
	}
}
