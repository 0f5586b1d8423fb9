package engine

import (
	"crypto/tls"
	"testing"

	"github.com/gosspi/schannel/internal/certgen"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pair runs a handshake between two engine contexts, whole flights at a time.
func pair(t *testing.T, clientOpts Options) (*Context, *Context) {
	t.Helper()
	ca, err := certgen.NewCA("engine test")
	require.NoError(t, err)
	cert := ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}})
	client, serr := NewClient(&tls.Config{RootCAs: ca.Pool, ServerName: "example.com"}, clientOpts)
	require.Nil(t, serr)
	server, serr := NewServer(&tls.Config{Certificates: []tls.Certificate{cert}}, Options{})
	require.Nil(t, serr)
	toServer := client.Handshake(nil).Output
	for range 10 {
		res := server.Handshake(toServer)
		require.Nil(t, res.Err)
		toClient := res.Output
		if client.Established() && server.Established() {
			return client, server
		}
		res = client.Handshake(toClient)
		require.Nil(t, res.Err)
		toServer = res.Output
	}
	t.Fatal("handshake did not complete")
	return nil, nil
}

func seal(t *testing.T, c *Context, data string) []byte {
	header, trailer, _ := c.StreamSizes()
	buf := make([]byte, header+len(data)+trailer)
	copy(buf[header:], data)
	n, err := c.Encrypt(buf, wire.ContentApplicationData, len(data))
	require.Nil(t, err)
	return buf[:n]
}

func TestKeyUpdateDue(t *testing.T) {
	client, server := pair(t, Options{KeyUpdateRecords: 3})
	for i := range 3 {
		assert.False(t, client.KeyUpdateDue(), "after %d records", i)
		res := server.Decrypt(seal(t, client, "x"))
		require.Equal(t, sspi.SEC_E_OK, res.Status)
	}
	assert.True(t, client.KeyUpdateDue(), "three records sealed under one key")
	update := client.KeyUpdate(false)
	require.Nil(t, update.Err)
	assert.False(t, client.KeyUpdateDue(), "new keys start a new count")

	res := server.Decrypt(update.Output)
	require.Equal(t, sspi.SEC_I_RENEGOTIATE, res.Status)
	absorbed := server.Handshake(update.Output[res.ExtraStart:])
	require.Equal(t, sspi.SEC_E_OK, absorbed.Status)
	rec := seal(t, client, "under new keys")
	res = server.Decrypt(rec)
	require.Equal(t, sspi.SEC_E_OK, res.Status)
	assert.Equal(t, "under new keys", string(rec[res.HeaderLen:res.HeaderLen+res.DataLen]))
}

func TestKeyUpdateDueDefaultsToHalfTheAEADLimit(t *testing.T) {
	client, _ := pair(t, Options{})
	assert.Equal(t, client.writeProt.Limit()/2, uint64(1<<23), "AES-128-GCM: 2^24 records, updated at half")
	assert.False(t, client.KeyUpdateDue())
}

// TestEncryptedAlertClosesOnlyWhenItShould: whether an alert sent through
// Encrypt closes the write side depends on the alert, not on the bytes it
// became once sealed.
func TestEncryptedAlertClosesOnlyWhenItShould(t *testing.T) {
	cases := []struct {
		level, description byte
		closes             bool
	}{
		{wire.AlertLevelWarning, byte(wire.AlertUserCanceled), false},
		{wire.AlertLevelWarning, byte(wire.AlertCloseNotify), true},
		{wire.AlertLevelFatal, byte(wire.AlertInternalError), true},
	}
	for _, tc := range cases {
		for range 20 { // the old check read ciphertext and failed at random
			client, _ := pair(t, Options{})
			header, trailer, _ := client.StreamSizes()
			buf := make([]byte, header+2+trailer)
			buf[header], buf[header+1] = tc.level, tc.description
			_, err := client.Encrypt(buf, wire.ContentAlert, 2)
			require.Nil(t, err)
			assert.Equal(t, tc.closes, client.writeClosed.Load(), "alert %d/%d", tc.level, tc.description)
		}
	}
}
