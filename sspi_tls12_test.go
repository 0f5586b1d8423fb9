package schannel_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/gosspi/schannel/internal/tls/wire"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tls12Cases pairs every TLS 1.2 suite with a certificate key type it fits.
var tls12Cases = []struct {
	suite uint16
	key   certgen.KeyType
}{
	{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, certgen.ECDSAP256},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, certgen.ECDSAP384},
	{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, certgen.ECDSAP521},
	{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, certgen.Ed25519},
	{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, certgen.RSA2048},
	{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, certgen.RSA2048},
	{tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, certgen.RSA2048},
}

var groups12 = []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384, tls.CurveP521}

func TestTLS12InteropOurClientWithCryptoTLSServer(t *testing.T) {
	serverCert(t, certgen.ECDSAP256)
	for _, tc := range tls12Cases {
		for _, group := range groups12 {
			t.Run(fmt.Sprintf("%s/%v", tls.CipherSuiteName(tc.suite), group), func(t *testing.T) {
				t.Parallel()
				c1, c2 := tcpPair(t)
				defer c1.Close()
				srv := tls.Server(c2, &tls.Config{Certificates: []tls.Certificate{serverCert(t, tc.key)}, CurvePreferences: []tls.CurveID{group},
					MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tc.suite}, NextProtos: []string{"echo"}})
				defer srv.Close()
				go func() {
					buf := make([]byte, 5)
					if _, err := io.ReadFull(srv, buf); err == nil {
						_, _ = srv.Write(append([]byte("echo:"), buf...))
					}
				}()
				cfg := pki(t).clientConfig()
				cfg.NextProtos = []string{"echo"}
				s := newSSPIStream(t, c1, cfg, false)
				require.NoError(t, s.handshake())
				info, err := s.ctx.ConnectionInfo()
				require.NoError(t, err)
				assert.Equal(t, uint16(tls.VersionTLS12), info.Version)
				assert.Equal(t, uint32(schannel.SP_PROT_TLS1_2_CLIENT), info.Protocol)
				assert.Equal(t, tc.suite, info.CipherSuite)
				proto, _ := s.ctx.ApplicationProtocol()
				assert.Equal(t, "echo", proto)
				require.NoError(t, s.write([]byte("hello")))
				got, err := s.readFull(10)
				require.NoError(t, err)
				assert.Equal(t, "echo:hello", string(got))
			})
		}
	}
}

func TestTLS12InteropCryptoTLSClientWithOurServer(t *testing.T) {
	serverCert(t, certgen.ECDSAP256)
	for _, tc := range tls12Cases {
		for _, group := range groups12 {
			t.Run(fmt.Sprintf("%s/%v", tls.CipherSuiteName(tc.suite), group), func(t *testing.T) {
				t.Parallel()
				c1, c2 := tcpPair(t)
				defer c1.Close()
				defer c2.Close()
				clientDone := make(chan error, 1)
				go func() {
					cli := tls.Client(c1, &tls.Config{RootCAs: pki(t).ca.Pool, ServerName: "example.com", MaxVersion: tls.VersionTLS12,
						CipherSuites: []uint16{tc.suite}, CurvePreferences: []tls.CurveID{group}})
					defer cli.Close()
					if _, err := cli.Write([]byte("ping!")); err != nil {
						clientDone <- err
						return
					}
					buf := make([]byte, 10)
					_, err := io.ReadFull(cli, buf)
					if err == nil && string(buf) != "pong:ping!" {
						err = errors.New("unexpected reply " + string(buf))
					}
					clientDone <- err
				}()
				s := newSSPIStream(t, c2, &tls.Config{Certificates: []tls.Certificate{serverCert(t, tc.key)}}, true)
				require.NoError(t, s.handshake())
				got, err := s.readFull(5)
				require.NoError(t, err)
				require.NoError(t, s.write(append([]byte("pong:"), got...)))
				require.NoError(t, <-clientDone)
				info, err := s.ctx.ConnectionInfo()
				require.NoError(t, err)
				assert.Equal(t, uint16(tls.VersionTLS12), info.Version)
				assert.Equal(t, tc.suite, info.CipherSuite)
				assert.Equal(t, group, info.KeyExchangeGroup)
				_, err = s.readFull(1)
				assert.ErrorIs(t, err, io.EOF)
			})
		}
	}
}

func TestTLS12BetweenOurOwnEnds(t *testing.T) {
	p := pki(t)
	for name, split := range map[string]splitter{"whole": allAtOnce, "bytewise": oneByte, "random": randomSplits(7)} {
		t.Run(name, func(t *testing.T) {
			ccfg := p.clientConfig()
			ccfg.MaxVersion = tls.VersionTLS12
			client, server := newPeers(t, ccfg, p.serverConfig())
			require.NoError(t, handshakePair(t, client, server, split))
			sizes, err := client.ctx.StreamSizes()
			require.NoError(t, err)
			// What Windows reports for TLS 1.2 AES-GCM (SSPI.md).
			assert.Equal(t, schannel.StreamSizes{Header: 13, Trailer: 16, MaximumMessage: 16384, Buffers: 4, BlockSize: 1}, sizes)
			rec := encrypt(t, client.ctx, []byte("twelve"))
			plain, status := decryptAll(t, server.ctx, append(rec, encrypt(t, client.ctx, nil)...))
			assert.Equal(t, schannel.SEC_E_OK, status)
			assert.Equal(t, "twelve", string(plain))
			_, err = client.ctx.KeyUpdate(false)
			assert.ErrorIs(t, err, schannel.SEC_E_UNSUPPORTED_FUNCTION, "KeyUpdate is TLS 1.3 only")
		})
	}
}

func TestTLS12MutualAndIncompleteCredentials(t *testing.T) {
	p := pki(t)
	clientCert := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"bob"}, Client: true, Key: certgen.RSA2048})
	scfg := p.serverConfig()
	scfg.ClientAuth = tls.VerifyClientCertIfGiven
	scfg.ClientCAs = p.ca.Pool

	t.Run("with certificate", func(t *testing.T) {
		ccfg := p.clientConfig()
		ccfg.MaxVersion = tls.VersionTLS12
		ccfg.Certificates = []tls.Certificate{clientCert}
		_, server := established(t, ccfg, scfg)
		chain, err := server.ctx.RemoteCertificate()
		require.NoError(t, err)
		require.Len(t, chain, 1)
		assert.Equal(t, "bob", chain[0].Subject.CommonName)
	})
	t.Run("without, after SEC_I_INCOMPLETE_CREDENTIALS", func(t *testing.T) {
		ccfg := p.clientConfig()
		ccfg.MaxVersion = tls.VersionTLS12
		client, server := newPeers(t, ccfg, scfg)
		flight := firstFlight(t, client, server)
		client.inbox = flight
		status, _, err := client.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_I_INCOMPLETE_CREDENTIALS, status)
		client.inbox = flight
		client.flags = schannel.ISC_REQ_USE_SUPPLIED_CREDS
		status, second, err := client.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status, "TLS 1.2: the server's Finished is still to come")
		server.inbox = second
		status, last, err := server.call(t)
		require.NoError(t, err)
		require.Equal(t, schannel.SEC_E_OK, status)
		client.inbox = last
		status, _, err = client.call(t)
		require.NoError(t, err)
		assert.Equal(t, schannel.SEC_E_OK, status)
	})
}

func TestVersionNegotiation(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name           string
		client, server func(*tls.Config)
		want           uint16
		err            schannel.Status
	}{
		{"both allow 1.3", nil, nil, tls.VersionTLS13, 0},
		{"client 1.2 only", func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }, nil, tls.VersionTLS12, 0},
		{"server 1.2 only", nil, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }, tls.VersionTLS12, 0},
		{"client 1.3 only, server 1.2 only", func(c *tls.Config) { c.MinVersion = tls.VersionTLS13 }, func(c *tls.Config) { c.MaxVersion = tls.VersionTLS12 }, 0, schannel.SEC_E_ALGORITHM_MISMATCH},
		{"client suites only CBC", func(c *tls.Config) {
			c.MaxVersion = tls.VersionTLS12
			c.CipherSuites = []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA}
		}, nil, 0, schannel.SEC_E_ALGORITHM_MISMATCH},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ccfg, scfg := p.clientConfig(), p.serverConfig()
			if tc.client != nil {
				tc.client(ccfg)
			}
			if tc.server != nil {
				tc.server(scfg)
			}
			client, server := newPeers(t, ccfg, scfg)
			err := handshakePair(t, client, server, allAtOnce)
			if tc.err != 0 {
				assert.ErrorIs(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			info, err := client.ctx.ConnectionInfo()
			require.NoError(t, err)
			assert.Equal(t, tc.want, info.Version)
		})
	}
}

// TestDowngradeSentinel strips TLS 1.3 from our ClientHello on its way to a
// server that supports 1.3: the server marks its random, and our client,
// which offered 1.3, refuses the downgrade.
func TestDowngradeSentinel(t *testing.T) {
	p := pki(t)
	client, server := newPeers(t, p.clientConfig(), p.serverConfig())
	_, helloRecord, err := client.call(t)
	require.NoError(t, err)
	var hello wire.ClientHello
	require.NoError(t, hello.Unmarshal(helloRecord[5:]))
	hello.SupportedVersions, hello.KeyShares, hello.PSKModes = nil, nil, nil
	stripped, err := hello.Marshal()
	require.NoError(t, err)
	server.inbox = wire.AppendRecordHeader(nil, wire.ContentHandshake, wire.VersionTLS12, len(stripped))
	server.inbox = append(server.inbox, stripped...)
	_, flight, err := server.call(t)
	require.NoError(t, err, "a 1.2 client is served with TLS 1.2")
	client.inbox = flight
	status, _, err := client.call(t)
	assert.Equal(t, schannel.SEC_E_ILLEGAL_MESSAGE, status)
	assert.ErrorContains(t, err, "downgrade")
}
