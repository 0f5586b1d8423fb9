package digest_test

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// secChannelBindings lays out a SEC_CHANNEL_BINDINGS with an initiator
// address and application data, the acceptor address empty.
func secChannelBindings(initiator, app []byte) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint32(b[0:], 2) // dwInitiatorAddrType (AF_INET)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(initiator)))
	binary.LittleEndian.PutUint32(b[8:], 32)
	binary.LittleEndian.PutUint32(b[24:], uint32(len(app)))
	binary.LittleEndian.PutUint32(b[28:], uint32(32+len(initiator)))
	b = append(b, initiator...)
	return append(b, app...)
}

// boundClientIn is Windows' client input with the SPN and the channel
// bindings: [TOKEN, method, H(entity), TARGET_HOST, CHANNEL_BINDINGS].
func boundClientIn(token, spn string, bindings []byte) []sspi.SecBuffer {
	in := httpClientIn(token, "GET", "")
	return append(in,
		sspi.SecBuffer{BufferType: sspi.SECBUFFER_TARGET_HOST | sspi.SECBUFFER_READONLY, Buffer: []byte(spn)},
		sspi.SecBuffer{BufferType: sspi.SECBUFFER_CHANNEL_BINDINGS | sspi.SECBUFFER_READONLY, Buffer: bindings})
}

// TestHTTPChannelBindings: SECBUFFER_CHANNEL_BINDINGS works as in the
// Windows Digest SSP (draft-santesson-digestbind-01): a server given its
// bindings asks for them with a "+Upgraded+v1" nonce; the client carries
// them in hashed-dirs, service-name and channel-binding; the server takes
// the same channel and refuses another with SEC_E_BAD_BINDINGS.
func TestHTTPChannelBindings(t *testing.T) {
	ours := secChannelBindings([]byte{127, 0, 0, 1}, []byte("tls-server-end-point:0123"))
	relayed := secChannelBindings([]byte{127, 0, 0, 1}, []byte("tls-server-end-point:4567"))
	// Known answer, computed here field by field: MD5 over the
	// initiator type, length and bytes, the acceptor's, then the
	// application data length and bytes, all little-endian.
	var flat []byte
	flat = binary.LittleEndian.AppendUint32(flat, 2)
	flat = binary.LittleEndian.AppendUint32(flat, 4)
	flat = append(flat, 127, 0, 0, 1)
	flat = binary.LittleEndian.AppendUint32(flat, 0)
	flat = binary.LittleEndian.AppendUint32(flat, 0)
	flat = binary.LittleEndian.AppendUint32(flat, uint32(len("tls-server-end-point:0123")))
	flat = append(flat, "tls-server-end-point:0123"...)
	sum := md5.Sum(flat)
	wantCB := hex.EncodeToString(sum[:])

	for _, tc := range []struct {
		name    string
		client  []byte
		wantErr sspi.Status
	}{
		{"same channel", ours, sspi.SEC_E_OK},
		{"relayed from another channel", relayed, sspi.SEC_E_BAD_BINDINGS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scred := serverCred(t, nil)
			serverIn := func(token string) []sspi.SecBuffer {
				return append(httpServerIn(token, "GET", "/dir/index.html", ""),
					sspi.SecBuffer{BufferType: sspi.SECBUFFER_CHANNEL_BINDINGS | sspi.SECBUFFER_READONLY, Buffer: ours})
			}
			out := tokenOut()
			sctx, st, err := sspi.AcceptSecurityContext(scred, nil, serverIn(""), httpASC, out)
			require.NoError(t, err)
			require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
			ch := string(out[0].Buffer)
			assert.True(t, strings.HasPrefix(param(ch, "nonce"), "+Upgraded+v1"), ch)

			out = tokenOut()
			_, _, err = sspi.InitializeSecurityContext(clientCred(t, nil), nil, "/dir/index.html", sspi.ISC_REQ_USE_HTTP_STYLE, boundClientIn(ch, "HTTP/www.example.org", tc.client), out)
			require.NoError(t, err)
			auth := string(out[0].Buffer)
			assert.Contains(t, auth, `hashed-dirs="service-name,channel-binding"`)
			assert.Equal(t, "HTTP/www.example.org", param(auth, "service-name"))
			if tc.wantErr == sspi.SEC_E_OK {
				assert.Equal(t, wantCB, param(auth, "channel-binding"))
			}

			_, st, err = sspi.AcceptSecurityContext(scred, sctx, serverIn(auth), httpASC, tokenOut())
			if tc.wantErr == sspi.SEC_E_OK {
				require.NoError(t, err)
				assert.Equal(t, sspi.SEC_E_OK, st)
				return
			}
			assert.ErrorIs(t, err, tc.wantErr)
		})
	}
}

// TestHTTPChannelBindingsNotAsked: a server that does not ask (no
// "+Upgraded+" nonce) gets an ordinary response, bindings or not, as
// Windows sends it; malformed bindings are SEC_E_INVALID_TOKEN.
func TestHTTPChannelBindingsNotAsked(t *testing.T) {
	scred := serverCred(t, nil)
	_, ch := challenge(t, scred)
	out := tokenOut()
	_, _, err := sspi.InitializeSecurityContext(clientCred(t, nil), nil, "/dir/index.html", sspi.ISC_REQ_USE_HTTP_STYLE,
		boundClientIn(ch, "HTTP/h", secChannelBindings(nil, []byte("tls-server-end-point:0123"))), out)
	require.NoError(t, err)
	assert.NotContains(t, string(out[0].Buffer), "hashed-dirs")

	for _, bad := range [][]byte{
		{1, 2, 3},        // shorter than the structure
		make([]byte, 31), // still shorter
		func() []byte {
			b := secChannelBindings(nil, []byte("x"))
			binary.LittleEndian.PutUint32(b[28:], 1<<31)
			return b
		}(),
	} {
		_, _, err = sspi.InitializeSecurityContext(clientCred(t, nil), nil, "/dir/index.html", sspi.ISC_REQ_USE_HTTP_STYLE, boundClientIn(ch, "HTTP/h", bad), tokenOut())
		assert.ErrorIs(t, err, sspi.SEC_E_INVALID_TOKEN)
	}
}
