package schannel_test

import (
	"crypto/tls"
	"strings"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func mustEncodeALPN(t testing.TB, protocols ...string) []byte {
	t.Helper()
	b, err := schannel.EncodeApplicationProtocols(protocols)
	require.NoError(t, err)
	return b
}

// TestALPNNamesMustFit: a protocol name is 1 to 255 bytes (RFC 7301 3.1).
// One that is not is SEC_E_INVALID_TOKEN wherever it enters, never a length
// byte that wraps (256 bytes used to be written as a 0-byte name followed
// by garbage); 255 bytes is fine end to end.
func TestALPNNamesMustFit(t *testing.T) {
	p := pki(t)
	longest := strings.Repeat("a", 255)
	bad := []struct {
		name   string
		protos []string
	}{
		{"empty name", []string{""}},
		{"empty name after a good one", []string{"h2", ""}},
		{"256-byte name", []string{strings.Repeat("b", 256)}},
		{"list longer than an extension", func() []string {
			var l []string
			for range 300 {
				l = append(l, longest)
			}
			return l
		}()},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := schannel.EncodeApplicationProtocols(tc.protos)
			assert.ErrorIs(t, err, schannel.SEC_E_INVALID_TOKEN)

			for _, server := range []bool{false, true} {
				cfg := p.clientConfig()
				if server {
					cfg = p.serverConfig()
				}
				cfg.NextProtos = tc.protos
				client, srv := newPeers(t, cfg, cfg)
				peer := client
				if server {
					peer = srv
					peer.inbox = mustClientHello(t, p.clientConfig())
				}
				status, _, err := peer.call(t)
				assert.Equal(t, schannel.SEC_E_INVALID_TOKEN, status, "server %v: %v", server, err)
				assert.ErrorContains(t, err, "NextProtos")
			}

			c1, c2 := tcpPair(t)
			defer c1.Close()
			defer c2.Close()
			cfg := p.clientConfig()
			cfg.NextProtos = tc.protos
			assert.ErrorIs(t, schannel.Client(c1, cfg).Handshake(), schannel.SEC_E_INVALID_TOKEN)
		})
	}
	t.Run("255-byte name", func(t *testing.T) {
		in := mustEncodeALPN(t, "h2", longest)
		ccfg, scfg := p.clientConfig(), p.serverConfig()
		scfg.NextProtos = []string{longest}
		client, server := newPeers(t, ccfg, scfg)
		out := []schannel.SecBuffer{{BufferType: schannel.SECBUFFER_TOKEN}, {BufferType: schannel.SECBUFFER_ALERT}}
		ctx, status, err := schannel.InitializeSecurityContext(client.cred, nil, client.target,
			schannel.ISC_REQ_ALLOCATE_MEMORY, []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_APPLICATION_PROTOCOLS, in)}, out)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
		client.ctx, client.started = ctx, true
		server.inbox = out[0].Buffer
		status, flight, err := server.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
		client.inbox = flight
		status, fin, err := client.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_E_OK, status)
		server.inbox = fin
		status, _, err = server.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_E_OK, status)
		proto, err := client.ctx.ApplicationProtocol()
		require.NoError(t, err)
		assert.Equal(t, longest, proto)
	})
}

func mustClientHello(t testing.TB, cfg *tls.Config) []byte {
	t.Helper()
	client, _ := newPeers(t, cfg, pki(t).serverConfig())
	_, hello, err := client.call(t)
	require.NoError(t, err)
	return hello
}
