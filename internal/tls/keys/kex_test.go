package keys_test

import (
	"bytes"
	"crypto/ecdh"
	"crypto/mlkem"
	"crypto/rand"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var groups = []struct {
	name                             string
	id                               uint16
	clientShare, serverShare, secret int
}{
	{"X25519", keys.GroupX25519, 32, 32, 32},
	{"P-256", keys.GroupP256, 65, 65, 32},
	{"P-384", keys.GroupP384, 97, 97, 48},
	{"P-521", keys.GroupP521, 133, 133, 66},
	{"X25519MLKEM768", keys.GroupX25519MLKEM768, 1184 + 32, 1088 + 32, 64},
}

func TestSupportedGroup(t *testing.T) {
	for _, g := range groups {
		assert.True(t, keys.SupportedGroup(g.id), g.name)
	}
	for _, id := range []uint16{0, 26, 30, 0x0100, 0x11EB, 0x11ED} {
		assert.False(t, keys.SupportedGroup(id), "group %#x", id)
	}
}

func TestKeyExchangeAgreement(t *testing.T) {
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			client, err := keys.NewPrivateShare(g.id, rand.Reader)
			require.NoError(t, err)
			assert.Equal(t, g.id, client.Group())
			assert.Len(t, client.Public(), g.clientShare)

			serverShare, serverSecret, err := keys.RespondToShare(g.id, client.Public(), rand.Reader)
			require.NoError(t, err)
			assert.Len(t, serverShare, g.serverShare)
			assert.Len(t, serverSecret, g.secret)

			clientSecret, err := client.SharedSecret(serverShare)
			require.NoError(t, err)
			assert.Equal(t, serverSecret, clientSecret)

			another, err := keys.NewPrivateShare(g.id, rand.Reader)
			require.NoError(t, err)
			assert.NotEqual(t, client.Public(), another.Public(), "shares must be fresh")
		})
	}
}

// TestHybridConcatenationOrder checks the X25519MLKEM768 layout against
// crypto/mlkem and crypto/ecdh used directly: ML-KEM first in both key
// shares and in the secret (draft-ietf-tls-ecdhe-mlkem, section 4.1).
func TestHybridConcatenationOrder(t *testing.T) {
	t.Run("server side", func(t *testing.T) {
		dk, err := mlkem.GenerateKey768()
		require.NoError(t, err)
		x, err := ecdh.X25519().GenerateKey(rand.Reader)
		require.NoError(t, err)
		clientShare := append(dk.EncapsulationKey().Bytes(), x.PublicKey().Bytes()...)

		serverShare, secret, err := keys.RespondToShare(keys.GroupX25519MLKEM768, clientShare, rand.Reader)
		require.NoError(t, err)
		kemSecret, err := dk.Decapsulate(serverShare[:mlkem.CiphertextSize768])
		require.NoError(t, err)
		serverX, err := ecdh.X25519().NewPublicKey(serverShare[mlkem.CiphertextSize768:])
		require.NoError(t, err)
		dhSecret, err := x.ECDH(serverX)
		require.NoError(t, err)
		assert.Equal(t, append(kemSecret, dhSecret...), secret)
	})
	t.Run("client side", func(t *testing.T) {
		scalar := counting(9, 32)
		client, err := keys.NewPrivateShare(keys.GroupX25519MLKEM768, bytes.NewReader(scalar))
		require.NoError(t, err)
		x, err := ecdh.X25519().NewPrivateKey(scalar)
		require.NoError(t, err)
		assert.Equal(t, x.PublicKey().Bytes(), client.Public()[mlkem.EncapsulationKeySize768:], "X25519 key follows the ML-KEM key")

		ek, err := mlkem.NewEncapsulationKey768(client.Public()[:mlkem.EncapsulationKeySize768])
		require.NoError(t, err)
		kemSecret, ciphertext := ek.Encapsulate()
		server, err := ecdh.X25519().GenerateKey(rand.Reader)
		require.NoError(t, err)
		dhSecret, err := server.ECDH(x.PublicKey())
		require.NoError(t, err)

		secret, err := client.SharedSecret(append(ciphertext, server.PublicKey().Bytes()...))
		require.NoError(t, err)
		assert.Equal(t, append(kemSecret, dhSecret...), secret)
	})
}

func TestKeyExchangeRejectsBadShares(t *testing.T) {
	validPoint := func(g uint16) []byte {
		share, err := keys.NewPrivateShare(g, rand.Reader)
		require.NoError(t, err)
		return share.Public()
	}
	// A valid point with the low bit of y flipped is off the curve.
	offCurve := func(g uint16) []byte {
		share, err := keys.NewPrivateShare(g, rand.Reader)
		require.NoError(t, err)
		p := bytes.Clone(share.Public())
		p[len(p)-1] ^= 1
		return p
	}
	compressed := func(g uint16) []byte {
		share, err := keys.NewPrivateShare(g, rand.Reader)
		require.NoError(t, err)
		p := share.Public()
		size := (len(p) - 1) / 2
		return append([]byte{2 | p[len(p)-1]&1}, p[1:1+size]...)
	}
	// An X25519 point of small order: every scalar maps it to zero.
	lowOrderX25519 := make([]byte, 32)
	validX25519 := counting(9, 32)
	validMLKEM := func() []byte {
		dk, err := mlkem.GenerateKey768()
		require.NoError(t, err)
		return dk.EncapsulationKey().Bytes()
	}()
	// Encoded coefficients of 0xfff exceed q = 3329, which FIPS 203's
	// modulus check rejects.
	badMLKEM := bytes.Repeat([]byte{0xff}, mlkem.EncapsulationKeySize768)

	tests := []struct {
		name  string
		group uint16
		// toServer is sent to RespondToShare, toClient to SharedSecret; nil
		// skips that side.
		toServer, toClient []byte
	}{
		{"X25519 empty", keys.GroupX25519, []byte{}, []byte{}},
		{"X25519 short", keys.GroupX25519, validX25519[:31], validX25519[:31]},
		{"X25519 long", keys.GroupX25519, append(validX25519, 0), append(validX25519, 0)},
		{"X25519 all-zero result", keys.GroupX25519, lowOrderX25519, lowOrderX25519},
		{"P-256 off curve", keys.GroupP256, offCurve(keys.GroupP256), offCurve(keys.GroupP256)},
		{"P-256 compressed", keys.GroupP256, compressed(keys.GroupP256), compressed(keys.GroupP256)},
		{"P-256 infinity", keys.GroupP256, []byte{0}, []byte{0}},
		{"P-256 X25519-sized", keys.GroupP256, validX25519, validX25519},
		{"P-384 off curve", keys.GroupP384, offCurve(keys.GroupP384), offCurve(keys.GroupP384)},
		{"P-384 given a P-256 point", keys.GroupP384, validPoint(keys.GroupP256), validPoint(keys.GroupP256)},
		{"P-521 off curve", keys.GroupP521, offCurve(keys.GroupP521), offCurve(keys.GroupP521)},
		{"P-521 given a P-384 point", keys.GroupP521, validPoint(keys.GroupP384), validPoint(keys.GroupP384)},
		{"hybrid X25519 only", keys.GroupX25519MLKEM768, validX25519, validX25519},
		{"hybrid short", keys.GroupX25519MLKEM768, append(validMLKEM, validX25519[:31]...), make([]byte, 1088+31)},
		{"hybrid long", keys.GroupX25519MLKEM768, append(append(validMLKEM, validX25519...), 0), make([]byte, 1088+33)},
		{"hybrid invalid ML-KEM key", keys.GroupX25519MLKEM768, append(badMLKEM, validX25519...), nil},
		{"hybrid all-zero X25519 result", keys.GroupX25519MLKEM768, append(validMLKEM, lowOrderX25519...), append(make([]byte, 1088), lowOrderX25519...)},
		{"hybrid client share sent as a server share", keys.GroupX25519MLKEM768, nil, append(validMLKEM, validX25519...)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.toServer != nil {
				_, _, err := keys.RespondToShare(tt.group, tt.toServer, rand.Reader)
				assert.Equal(t, keys.AlertIllegalParameter, alertOf(t, err), "server side")
			}
			if tt.toClient != nil {
				ours, err := keys.NewPrivateShare(tt.group, rand.Reader)
				require.NoError(t, err)
				_, err = ours.SharedSecret(tt.toClient)
				assert.Equal(t, keys.AlertIllegalParameter, alertOf(t, err), "client side")
			}
		})
	}
}

func TestKeyExchangeUnsupportedGroup(t *testing.T) {
	// x448 (30): registered, not implemented.
	_, err := keys.NewPrivateShare(30, rand.Reader)
	assert.Equal(t, keys.AlertInternalError, alertOf(t, err))
	_, _, err = keys.RespondToShare(30, make([]byte, 56), rand.Reader)
	assert.Equal(t, keys.AlertInternalError, alertOf(t, err))
}

func TestNewPrivateShareShortRandom(t *testing.T) {
	for _, g := range []uint16{keys.GroupX25519, keys.GroupX25519MLKEM768} {
		_, err := keys.NewPrivateShare(g, bytes.NewReader(make([]byte, 31)))
		assert.Error(t, err, "group %#x", g)
	}
}

// TestX25519Fallback: the standalone X25519 share taken from a hybrid one
// agrees with a peer that answers either group, and is the hybrid's key.
func TestX25519Fallback(t *testing.T) {
	hybrid, err := keys.NewPrivateShare(keys.GroupX25519MLKEM768, rand.Reader)
	require.NoError(t, err)
	fallback := hybrid.X25519Fallback()
	require.NotNil(t, fallback)
	assert.Equal(t, keys.GroupX25519, fallback.Group())
	assert.Equal(t, hybrid.Public()[mlkem.EncapsulationKeySize768:], fallback.Public())

	peerShare, peerSecret, err := keys.RespondToShare(keys.GroupX25519, fallback.Public(), rand.Reader)
	require.NoError(t, err)
	secret, err := fallback.SharedSecret(peerShare)
	require.NoError(t, err)
	assert.Equal(t, peerSecret, secret)

	plain, err := keys.NewPrivateShare(keys.GroupX25519, rand.Reader)
	require.NoError(t, err)
	assert.Nil(t, plain.X25519Fallback(), "only a hybrid share has one")
}
