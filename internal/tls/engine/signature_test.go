package engine

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"testing"

	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPickSchemeFollowsPeerOrder: among the schemes our key can make, the
// peer's first choice wins (as in crypto/tls), whatever our own list says.
func TestPickSchemeFollowsPeerOrder(t *testing.T) {
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	p256, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tests := []struct {
		name  string
		peer  []uint16
		key   any
		tls12 bool
		want  uint16
		ok    bool
	}{
		{"PSS-SHA384 first", []uint16{wire.PSSWithSHA384, wire.PSSWithSHA256}, &rsaKey.PublicKey, false, wire.PSSWithSHA384, true},
		{"PSS-SHA512 first", []uint16{wire.PSSWithSHA512, wire.PSSWithSHA384, wire.PSSWithSHA256}, &rsaKey.PublicKey, false, wire.PSSWithSHA512, true},
		{"schemes of other keys skipped", []uint16{wire.ECDSAWithP256AndSHA256, wire.Ed25519, wire.PSSWithSHA384}, &rsaKey.PublicKey, false, wire.PSSWithSHA384, true},
		{"PKCS#1 first in TLS 1.3 skipped", []uint16{wire.PKCS1WithSHA512, wire.PSSWithSHA256}, &rsaKey.PublicKey, false, wire.PSSWithSHA256, true},
		{"PKCS#1 first in TLS 1.2", []uint16{wire.PKCS1WithSHA384, wire.PSSWithSHA256}, &rsaKey.PublicKey, true, wire.PKCS1WithSHA384, true},
		{"unknown scheme skipped", []uint16{0x0201, 0xfefe, wire.PSSWithSHA256}, &rsaKey.PublicKey, false, wire.PSSWithSHA256, true},
		{"P-256 in TLS 1.3 names its curve", []uint16{wire.ECDSAWithP384AndSHA384, wire.ECDSAWithP256AndSHA256}, &p256.PublicKey, false, wire.ECDSAWithP256AndSHA256, true},
		{"P-256 in TLS 1.2 takes the peer's hash", []uint16{wire.ECDSAWithP384AndSHA384, wire.ECDSAWithP256AndSHA256}, &p256.PublicKey, true, wire.ECDSAWithP384AndSHA384, true},
		{"nothing fits", []uint16{wire.Ed25519}, &p256.PublicKey, false, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := pickScheme(tc.peer, tc.key, tc.tls12)
			assert.Equal(t, tc.ok, ok)
			assert.Equal(t, tc.want, got)
		})
	}
}
