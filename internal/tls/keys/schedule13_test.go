package keys_test

import (
	"bytes"
	"crypto"
	"crypto/hkdf"
	"encoding/binary"
	"testing"

	"github.com/gosspi/schannel/internal/tls/keys"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTranscriptBuffersUntilHashIsKnown(t *testing.T) {
	messages := [][]byte{[]byte("client hello"), []byte("server hello"), []byte("encrypted extensions")}
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		direct := keys.NewTranscript(h)
		buffered := keys.NewTranscript(0)
		assert.Equal(t, crypto.Hash(0), buffered.Hash())
		for i, m := range messages {
			direct.Write(m)
			buffered.Write(m)
			if i == 1 {
				buffered.SetHash(h)
			}
		}
		assert.Equal(t, h, buffered.Hash())
		assert.Equal(t, hashOf(h, messages...), direct.Sum())
		assert.Equal(t, direct.Sum(), buffered.Sum())
	}
}

func TestTranscriptSumIsNonDestructive(t *testing.T) {
	tr := keys.NewTranscript(crypto.SHA256)
	tr.Write([]byte("a"))
	first := tr.Sum()
	assert.Equal(t, first, tr.Sum())
	tr.Write([]byte("b"))
	assert.Equal(t, hashOf(crypto.SHA256, []byte("ab")), tr.Sum())
}

func TestTranscriptMisuse(t *testing.T) {
	assert.Panics(t, func() { keys.NewTranscript(0).Sum() }, "sum before the hash is known")
	tr := keys.NewTranscript(crypto.SHA256)
	assert.NotPanics(t, func() { tr.SetHash(crypto.SHA256) }, "setting the same hash again")
	assert.Panics(t, func() { tr.SetHash(crypto.SHA384) }, "changing the hash")
}

func TestTranscriptReplaceWithMessageHash(t *testing.T) {
	clientHello1 := []byte("first client hello")
	retry := []byte("hello retry request")
	tr := keys.NewTranscript(0)
	tr.Write(clientHello1)
	tr.SetHash(crypto.SHA256)
	tr.ReplaceWithMessageHash()
	tr.Write(retry)

	// RFC 8446 4.4.1: message_hash (254), a 24-bit length, Hash(ClientHello1).
	messageHash := append([]byte{254, 0, 0, 32}, hashOf(crypto.SHA256, clientHello1)...)
	assert.Equal(t, hashOf(crypto.SHA256, messageHash, retry), tr.Sum())
}

func TestSchedule13UsedOutOfOrder(t *testing.T) {
	th := make([]byte, 32)
	s := keys.NewSchedule13(crypto.SHA256, nil)
	assert.Panics(t, func() { s.HandshakeSecret() })
	assert.Panics(t, func() { s.ClientHandshakeTrafficSecret(th) })
	assert.Panics(t, func() { s.SetMaster() })
	s.SetSharedSecret(make([]byte, 32))
	assert.NotPanics(t, func() { s.ServerHandshakeTrafficSecret(th) })
	assert.Panics(t, func() { s.MasterSecret() })
	assert.Panics(t, func() { s.ClientApplicationTrafficSecret(th) })
	assert.Panics(t, func() { s.ResumptionMasterSecret(th) })
}

func TestSchedule13SHA384(t *testing.T) {
	suite := keys.Suite13(0x1302)
	require.NotNil(t, suite)
	s := keys.NewSchedule13(suite.Hash, nil)
	th := hashOf(suite.Hash, []byte("hello"))
	assert.Len(t, s.EarlySecret(), 48)
	assert.Len(t, s.ClientEarlyTrafficSecret(th), 48)
	assert.Len(t, s.EarlyExporterMasterSecret(th), 48)
	s.SetSharedSecret(counting(1, 48))
	s.SetMaster()
	secret := s.ServerApplicationTrafficSecret(th)
	assert.Len(t, secret, 48)

	key, iv := keys.TrafficKeys(suite, secret)
	assert.Len(t, key, 32)
	assert.Len(t, iv, 12)
	next := keys.NextTrafficSecret(suite.Hash, secret)
	assert.Len(t, next, 48)
	assert.NotEqual(t, secret, next)
}

// TestSchedule13PSKOnly checks that psk_ke (no DHE) is the zero-input case
// and differs from a DHE handshake over the same PSK.
func TestSchedule13PSKOnly(t *testing.T) {
	psk := counting(3, 32)
	pskOnly := keys.NewSchedule13(crypto.SHA256, psk)
	pskOnly.SetSharedSecret(nil)
	zeros := keys.NewSchedule13(crypto.SHA256, psk)
	zeros.SetSharedSecret(make([]byte, 32))
	withDHE := keys.NewSchedule13(crypto.SHA256, psk)
	withDHE.SetSharedSecret(counting(9, 32))

	assert.Equal(t, zeros.HandshakeSecret(), pskOnly.HandshakeSecret())
	assert.NotEqual(t, withDHE.HandshakeSecret(), pskOnly.HandshakeSecret())
}

func TestSchedule13SecretsAreCopies(t *testing.T) {
	s := keys.NewSchedule13(crypto.SHA256, nil)
	early := s.EarlySecret()
	early[0] ^= 0xff
	assert.NotEqual(t, early, s.EarlySecret())
}

func TestExpandLabelRejectsOversizedInputs(t *testing.T) {
	secret := make([]byte, 32)
	assert.Panics(t, func() { keys.ExpandLabel(crypto.SHA256, secret, string(make([]byte, 250)), nil, 32) })
	assert.Panics(t, func() { keys.ExpandLabel(crypto.SHA256, secret, "key", make([]byte, 256), 32) })
	assert.NotPanics(t, func() { keys.ExpandLabel(crypto.SHA256, secret, string(make([]byte, 249)), make([]byte, 255), 32) })
}

func TestExportKeyingMaterial13(t *testing.T) {
	exporter := mustHex(rfc8448ExporterMaster)
	a, err := keys.ExportKeyingMaterial(crypto.SHA256, exporter, "EXPORTER-test", []byte("context"), 42)
	require.NoError(t, err)
	// RFC 8446 7.5: HKDF-Expand-Label(Derive-Secret(Secret, label, ""),
	// "exporter", Hash(context_value), key_length).
	labelSecret := keys.DeriveSecret(crypto.SHA256, exporter, "EXPORTER-test", hashOf(crypto.SHA256))
	assert.Equal(t, keys.ExpandLabel(crypto.SHA256, labelSecret, "exporter", hashOf(crypto.SHA256, []byte("context")), 42), a)
	b, err := keys.ExportKeyingMaterial(crypto.SHA256, exporter, "EXPORTER-test", []byte("other"), 42)
	require.NoError(t, err)
	assert.NotEqual(t, a, b)

	// TLS 1.3 hashes the context, so absent and empty are the same.
	absent, err := keys.ExportKeyingMaterial(crypto.SHA256, exporter, "EXPORTER-test", nil, 16)
	require.NoError(t, err)
	empty, err := keys.ExportKeyingMaterial(crypto.SHA256, exporter, "EXPORTER-test", []byte{}, 16)
	require.NoError(t, err)
	assert.Equal(t, absent, empty)

	_, err = keys.ExportKeyingMaterial(crypto.SHA256, exporter, string(make([]byte, 250)), nil, 16)
	assert.Error(t, err)
	_, err = keys.ExportKeyingMaterial(crypto.SHA256, exporter, "EXPORTER-test", nil, 255*32+1)
	assert.Error(t, err)
	_, err = keys.ExportKeyingMaterial(crypto.SHA256, exporter, "EXPORTER-test", nil, -1)
	assert.Error(t, err)
}

// TestExpandLabelMatchesHKDF holds ExpandLabel's single-block shortcut to
// crypto/hkdf over every output length up to two hash blocks, for both
// hashes TLS 1.3 uses: the shortcut must be invisible.
func TestExpandLabelMatchesHKDF(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384} {
		secret := bytes.Repeat([]byte{0x5a}, h.Size())
		context := []byte("transcript hash stand-in")
		for length := 0; length <= 2*h.Size(); length++ {
			info := binary.BigEndian.AppendUint16(nil, uint16(length))
			info = append(info, byte(len("tls13 c hs traffic")))
			info = append(info, "tls13 c hs traffic"...)
			info = append(info, byte(len(context)))
			info = append(info, context...)
			want, err := hkdf.Expand(h.New, secret, string(info), length)
			require.NoError(t, err)
			got := keys.ExpandLabel(h, secret, "c hs traffic", context, length)
			assert.Equal(t, want, got, "%v, %d bytes", h, length)
			assert.Equal(t, length, cap(got), "the result must not share spare capacity")
		}
	}
}
