package schannel_test

import (
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnSendsAlertWhenReadFails: a failure found while reading, in
// DecryptMessage or in the post-handshake ISC/ASC call, reaches the peer as
// a fatal alert before the connection ends (issue 10: record_overflow used
// to close with none).
func TestConnSendsAlertWhenReadFails(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name    string
		breakIt func(t *testing.T, server *schannel.Conn)
		alert   wire.Alert
	}{
		{"record over 2^14+256", func(t *testing.T, server *schannel.Conn) {
			_, err := server.NetConn().Write(wire.AppendRecordHeader(nil, wire.ContentApplicationData, wire.VersionTLS12, wire.MaxCiphertext13+1))
			require.NoError(t, err)
		}, wire.AlertRecordOverflow},
		{"forged record", func(t *testing.T, server *schannel.Conn) {
			rec := wire.AppendRecordHeader(nil, wire.ContentApplicationData, wire.VersionTLS12, 40)
			_, err := server.NetConn().Write(append(rec, make([]byte, 40)...))
			require.NoError(t, err)
		}, wire.AlertBadRecordMAC},
		{"33 KeyUpdates in a row", func(t *testing.T, server *schannel.Conn) {
			for range 33 {
				require.NoError(t, server.KeyUpdate(false))
			}
		}, wire.AlertUnexpectedMessage},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := connTransports[0] // TCP: the alert must not wait for a reader
			client, server := connPair(t, tr, p.clientConfig(), p.serverConfig())
			defer client.Close()
			defer server.Close()
			tc.breakIt(t, server)
			_, err := client.Read(make([]byte, 10))
			var se *schannel.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, int(tc.alert), se.Alert, "%v", err)

			_, err = server.Read(make([]byte, 10))
			require.ErrorAs(t, err, &se, "the server hears why")
			assert.True(t, se.Remote, "%v", err)
			assert.Equal(t, int(tc.alert), se.Alert, "%v", err)

			_, err = client.Write([]byte("after"))
			assert.Error(t, err, "nothing follows a fatal alert")
		})
	}
}
