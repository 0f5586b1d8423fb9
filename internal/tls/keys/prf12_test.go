package keys_test

import (
	"crypto"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPRF12KnownAnswers uses the TLS 1.2 PRF vectors posted to the IETF TLS
// working group list (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html),
// which BearSSL, GnuTLS and others also test against.
func TestPRF12KnownAnswers(t *testing.T) {
	tests := []struct {
		name   string
		hash   crypto.Hash
		secret string
		seed   string
		want   string
	}{
		{
			name:   "P_SHA256",
			hash:   crypto.SHA256,
			secret: "9bbe436ba940f017b17652849a71db35",
			seed:   "a0ba9f936cda311827a6f796ffd5198c",
			want: "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af" +
				"0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66",
		},
		{
			name:   "P_SHA384",
			hash:   crypto.SHA384,
			secret: "b80b733d6ceefcdc71566ea48e5567df",
			seed:   "cd665cf6a8447dd6ff8b27555edb7465",
			want: "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1233c9146a0" +
				"e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d9184259b5bf8cd4d" +
				"90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691c8f3a26854308d5eaa3be85e0990703d73e56f",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := mustHex(tt.want)
			got := keys.PRF12(tt.hash, mustHex(tt.secret), "test label", mustHex(tt.seed), len(want))
			assert.Equal(t, want, got)
			// P_hash is a stream: a shorter request is a prefix, which catches
			// off-by-one errors in the A(i) chain at block boundaries.
			for _, n := range []int{0, 1, tt.hash.Size() - 1, tt.hash.Size(), tt.hash.Size() + 1} {
				assert.Equal(t, want[:n], keys.PRF12(tt.hash, mustHex(tt.secret), "test label", mustHex(tt.seed), n), "n=%d", n)
			}
		})
	}
}

func TestMasterSecrets12(t *testing.T) {
	preMaster := counting(1, 32)
	clientRandom, serverRandom := counting(0x40, 32), counting(0x60, 32)

	master := keys.MasterSecret12(crypto.SHA256, preMaster, clientRandom, serverRandom)
	assert.Len(t, master, 48)
	assert.Equal(t, keys.PRF12(crypto.SHA256, preMaster, "master secret", append(clientRandom, serverRandom...), 48), master)

	sessionHash := hashOf(crypto.SHA256, []byte("handshake messages"))
	extended := keys.ExtendedMasterSecret(crypto.SHA256, preMaster, sessionHash)
	assert.Len(t, extended, 48)
	assert.Equal(t, keys.PRF12(crypto.SHA256, preMaster, "extended master secret", sessionHash, 48), extended)
	assert.NotEqual(t, master, extended)
}

func TestKeyBlock12(t *testing.T) {
	master := counting(7, 48)
	clientRandom, serverRandom := counting(0x40, 32), counting(0x60, 32)
	for _, s := range keys.Suites12 {
		t.Run(s.Name, func(t *testing.T) {
			ivLen := 12
			if s.ExplicitNonce {
				ivLen = 4
			}
			clientKey, serverKey, clientIV, serverIV := keys.KeyBlock12(s, master, clientRandom, serverRandom)
			// RFC 5246 6.3: the key block is seeded server random first and
			// laid out client key, server key, client IV, server IV.
			block := keys.PRF12(s.Hash, master, "key expansion", append(serverRandom, clientRandom...), 2*s.KeyLen+2*ivLen)
			assert.Equal(t, block[:s.KeyLen], clientKey)
			assert.Equal(t, block[s.KeyLen:2*s.KeyLen], serverKey)
			assert.Equal(t, block[2*s.KeyLen:2*s.KeyLen+ivLen], clientIV)
			assert.Equal(t, block[2*s.KeyLen+ivLen:], serverIV)

			// The pieces must be usable as they come.
			_, err := keys.NewRecordProtection12(s, clientKey, clientIV)
			assert.NoError(t, err)
		})
	}
}

func TestVerifyData12(t *testing.T) {
	master := counting(7, 48)
	handshakeHash := hashOf(crypto.SHA256, []byte("transcript"))
	client := keys.VerifyData12(crypto.SHA256, master, "client finished", handshakeHash)
	server := keys.VerifyData12(crypto.SHA256, master, "server finished", handshakeHash)
	assert.Len(t, client, 12)
	assert.Len(t, server, 12)
	assert.NotEqual(t, client, server)
}

func TestExportKeyingMaterial12(t *testing.T) {
	master := counting(7, 48)
	clientRandom, serverRandom := counting(0x40, 32), counting(0x60, 32)

	noContext, err := keys.ExportKeyingMaterial12(crypto.SHA256, master, clientRandom, serverRandom, "EXPORTER-test", nil, 40)
	require.NoError(t, err)
	assert.Equal(t, keys.PRF12(crypto.SHA256, master, "EXPORTER-test", append(clientRandom, serverRandom...), 40), noContext)

	emptyContext, err := keys.ExportKeyingMaterial12(crypto.SHA256, master, clientRandom, serverRandom, "EXPORTER-test", []byte{}, 40)
	require.NoError(t, err)
	assert.NotEqual(t, noContext, emptyContext, "RFC 5705 distinguishes an absent context from an empty one")

	for _, label := range []string{"client finished", "server finished", "master secret", "key expansion", "extended master secret"} {
		_, err := keys.ExportKeyingMaterial12(crypto.SHA256, master, clientRandom, serverRandom, label, nil, 16)
		assert.Error(t, err, label)
	}
	_, err = keys.ExportKeyingMaterial12(crypto.SHA256, master, clientRandom, serverRandom, "EXPORTER-test", nil, -1)
	assert.Error(t, err)
}
