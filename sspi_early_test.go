package schannel_test

import (
	"crypto/tls"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRecordCallsBeforeTheHandshakeCompletes calls EncryptMessage and
// DecryptMessage on contexts at every handshake stage the SSPI calls can
// reach, in both roles and both versions: each gets SEC_E_INVALID_HANDLE,
// never a panic (EncryptMessage used to index the zero-length trailer that
// the stream sizes of an unfinished context imply), and the handshake is
// not disturbed by the attempt.
func TestRecordCallsBeforeTheHandshakeCompletes(t *testing.T) {
	p := pki(t)
	// Buffer layouts a caller might guess without stream sizes.
	layouts := map[string]func() []schannel.SecBuffer{
		"contiguous, empty trailer": func() []schannel.SecBuffer {
			buf := make([]byte, 5+4)
			return []schannel.SecBuffer{
				schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, buf[:5]),
				schannel.NewSecBuffer(schannel.SECBUFFER_DATA, buf[5:9]),
				schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, buf[9:]),
				{},
			}
		},
		"separate, 16-byte trailer": func() []schannel.SecBuffer {
			return []schannel.SecBuffer{
				schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, make([]byte, 13)),
				schannel.NewSecBuffer(schannel.SECBUFFER_DATA, []byte("data")),
				schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, make([]byte, 17)),
				{},
			}
		},
		"empty everything": func() []schannel.SecBuffer {
			return []schannel.SecBuffer{
				{BufferType: schannel.SECBUFFER_STREAM_HEADER}, {BufferType: schannel.SECBUFFER_DATA},
				{BufferType: schannel.SECBUFFER_STREAM_TRAILER}, {},
			}
		},
	}
	check := func(t *testing.T, ctx *schannel.Context) {
		t.Helper()
		require.NotNil(t, ctx)
		for name, layout := range layouts {
			for _, qop := range []uint32{0, schannel.SECQOP_WRAP_OOB_DATA} {
				status, err := ctx.EncryptMessage(qop, layout())
				assert.Equal(t, schannel.SEC_E_INVALID_HANDLE, status, "EncryptMessage, %s, qop %#x: %v", name, qop, err)
				var se *schannel.Error
				assert.ErrorAs(t, err, &se)
			}
		}
		for _, in := range [][]byte{nil, {23, 3, 3, 0, 1, 0}, {22, 3, 3, 0, 4, 0, 0, 0, 0}, {23, 3}} {
			bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, in), {}, {}, {}}
			status, err := ctx.DecryptMessage(bufs)
			assert.Equal(t, schannel.SEC_E_INVALID_HANDLE, status, "DecryptMessage of %x: %v", in, err)
		}
	}
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			ccfg := p.clientConfig()
			ccfg.MaxVersion = version
			client, server := newPeers(t, ccfg, p.serverConfig())

			// Client: ClientHello sent, waiting for the server.
			_, hello, err := client.call(t)
			require.NoError(t, err)
			check(t, client.ctx)
			// Server: half a ClientHello in, SEC_E_INCOMPLETE_MESSAGE.
			server.inbox = hello[:10]
			status, _, _ := server.call(t)
			require.Equal(t, schannel.SEC_E_INCOMPLETE_MESSAGE, status)
			check(t, server.ctx)
			// Server: its flight sent, waiting for the client's.
			server.inbox = hello
			status, flight, err := server.call(t)
			require.NoError(t, err)
			require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
			check(t, server.ctx)
			// Client: part of the server's flight in.
			client.inbox = flight[:len(flight)-1]
			status, _, err = client.call(t)
			require.NoError(t, err)
			require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
			check(t, client.ctx)
			client.inbox = append(client.inbox, flight[len(flight)-1])
			status, second, err := client.call(t)
			require.NoError(t, err)
			if version == tls.VersionTLS12 {
				// TLS 1.2 client: its Finished sent, the server's still to come.
				require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
				check(t, client.ctx)
			}
			// The attempts changed nothing: the handshake completes.
			server.inbox = second
			status, last, err := server.call(t)
			require.NoError(t, err)
			require.Equal(t, schannel.SEC_E_OK, status)
			if version == tls.VersionTLS12 {
				client.inbox = last
				status, _, err = client.call(t)
				require.NoError(t, err)
				require.Equal(t, schannel.SEC_E_OK, status)
			}
			assert.Equal(t, "ping", string(decryptOne(t, server.ctx, encrypt(t, client.ctx, []byte("ping")))))
		})
	}
	t.Run("failed handshake", func(t *testing.T) {
		client, _ := newPeers(t, p.clientConfig(), p.serverConfig())
		_, _, err := client.call(t)
		require.NoError(t, err)
		client.inbox = []byte("HTTP/1.1 400 Bad Request\r\n\r\n")
		status, _, _ := client.call(t)
		require.True(t, status.Failed())
		check(t, client.ctx)
	})
}

func decryptOne(t *testing.T, ctx *schannel.Context, rec []byte) []byte {
	t.Helper()
	plain, status := decryptAll(t, ctx, rec)
	require.Equal(t, schannel.SEC_E_OK, status)
	return plain
}
