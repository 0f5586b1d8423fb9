package schannel_test

import (
	"crypto/tls"
	"io"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// absorbPostHandshake runs the records a peer sent after the handshake (a
// TLS 1.3 server's NewSessionTicket) through DecryptMessage and, for
// SEC_I_RENEGOTIATE, InitializeSecurityContext, as a read loop would.
func absorbPostHandshake(t *testing.T, p *sspiPeer, in []byte) {
	t.Helper()
	for len(in) > 0 {
		bufs := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, in), {}, {}, {}}
		status, err := p.ctx.DecryptMessage(bufs)
		require.NoError(t, err)
		in = nil
		if bufs[3].BufferType == schannel.SECBUFFER_EXTRA {
			in = bufs[3].Buffer
		}
		if status == schannel.SEC_I_RENEGOTIATE {
			p.inbox = in
			status, _, err = p.call(t)
			require.NoError(t, err)
			require.Equal(t, schannel.SEC_E_OK, status)
			in = p.inbox
		}
	}
}

func TestResumptionBetweenOurOwnEnds(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name   string
		client func(*tls.Config)
		server func(*tls.Config)
	}{
		{"TLS 1.3", nil, nil},
		{"TLS 1.3 after HelloRetryRequest", nil, func(c *tls.Config) { c.CurvePreferences = []tls.CurveID{tls.CurveP256} }},
		{"TLS 1.2 tickets", func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ccfg, scfg := p.clientConfig(), p.serverConfig()
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			if tc.client != nil {
				tc.client(ccfg)
			}
			if tc.server != nil {
				tc.server(scfg)
			}
			for i, wantResumed := range []bool{false, true, true} {
				client, server := newPeers(t, ccfg, scfg)
				require.NoError(t, handshakePair(t, client, server, oneByte), "connection %d", i)
				absorbPostHandshake(t, client, append(client.inbox, client.wire...))
				info, err := client.ctx.ConnectionInfo()
				require.NoError(t, err)
				assert.Equal(t, wantResumed, info.Resumed, "client, connection %d", i)
				assert.Equal(t, wantResumed, server.ctx.ConnectionState().DidResume, "server, connection %d", i)
				chain, err := client.ctx.RemoteCertificate()
				require.NoError(t, err)
				assert.Len(t, chain, 1, "a resumed session still reports the server's certificate")
				msg := encrypt(t, client.ctx, []byte("resumed?"))
				plain, status := decryptAll(t, server.ctx, msg)
				require.Equal(t, schannel.SEC_E_OK, status)
				assert.Equal(t, "resumed?", string(plain))
			}
		})
	}
}

func TestResumptionRefusedByAnotherServerConfig(t *testing.T) {
	p := pki(t)
	ccfg := p.clientConfig()
	ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
	client, server := newPeers(t, ccfg, p.serverConfig())
	require.NoError(t, handshakePair(t, client, server, allAtOnce))
	absorbPostHandshake(t, client, client.wire)
	// Another configuration has other ticket keys: a full handshake follows.
	client, server = newPeers(t, ccfg, p.serverConfig())
	require.NoError(t, handshakePair(t, client, server, allAtOnce))
	assert.False(t, client.ctx.ConnectionState().DidResume)
}

func TestResumptionWithCryptoTLS(t *testing.T) {
	p := pki(t)
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(version)+"/our client", func(t *testing.T) {
			scfg := &tls.Config{Certificates: []tls.Certificate{p.server}, MaxVersion: version}
			ccfg := p.clientConfig()
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			for i, wantResumed := range []bool{false, true, true} {
				c1, c2 := tcpPair(t)
				srv := tls.Server(c2, scfg)
				go func() {
					buf := make([]byte, 4)
					if _, err := io.ReadFull(srv, buf); err == nil {
						_, _ = srv.Write(buf)
					}
				}()
				s := newSSPIStream(t, c1, ccfg, false)
				require.NoError(t, s.handshake())
				require.NoError(t, s.write([]byte("ping")))
				got, err := s.readFull(4)
				require.NoError(t, err)
				assert.Equal(t, "ping", string(got))
				assert.Equal(t, wantResumed, s.ctx.ConnectionState().DidResume, "connection %d", i)
				c1.Close()
				srv.Close()
			}
		})
		t.Run(tls.VersionName(version)+"/our server", func(t *testing.T) {
			scfg := p.serverConfig()
			cache := tls.NewLRUClientSessionCache(4)
			for i, wantResumed := range []bool{false, true, true} {
				c1, c2 := tcpPair(t)
				resumed := make(chan bool, 1)
				go func() {
					cli := tls.Client(c1, &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", ClientSessionCache: cache, MaxVersion: version})
					buf := make([]byte, 4)
					_, _ = cli.Write([]byte("ping"))
					_, _ = io.ReadFull(cli, buf) // the ticket arrives with the reply
					resumed <- cli.ConnectionState().DidResume
					cli.Close()
				}()
				s := newSSPIStream(t, c2, scfg, true)
				require.NoError(t, s.handshake())
				got, err := s.readFull(4)
				require.NoError(t, err)
				require.NoError(t, s.write(got))
				assert.Equal(t, wantResumed, <-resumed, "crypto/tls client, connection %d", i)
				assert.Equal(t, wantResumed, s.ctx.ConnectionState().DidResume, "our server, connection %d", i)
				c2.Close()
			}
		})
	}
}
