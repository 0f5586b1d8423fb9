package schannel_test

import (
	"bufio"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bannerEcho is a server in the SMTP style: it greets the client as soon as
// the handshake is done, then echoes lines until the client closes.
func bannerEcho(c net.Conn, banner string) error {
	if _, err := io.WriteString(c, banner); err != nil {
		return err
	}
	return connEcho(c)
}

// assertEchoed writes line and reads it back. The write runs in its own
// goroutine: over a synchronous pipe the echo of a long line comes back
// before the line is fully written.
func assertEchoed(t *testing.T, w io.Writer, r *bufio.Reader, line string) {
	t.Helper()
	written := connAsync(func() error { _, err := io.WriteString(w, line); return err })
	got, err := r.ReadString('\n')
	require.NoError(t, err)
	require.NoError(t, connWait(t, written))
	assert.True(t, line == got, "echoed line differs (%d bytes sent, %d received)", len(line), len(got))
}

// TestConnInteropOurClientCryptoTLSServer talks to a crypto/tls server that
// sends a session ticket after the handshake and its banner right after
// that: the client's first Read must get through the ticket
// (SEC_I_RENEGOTIATE) and return the banner.
func TestConnInteropOurClientCryptoTLSServer(t *testing.T) {
	p := pki(t)
	for _, tr := range connTransports {
		t.Run(tr.name, func(t *testing.T) {
			var log connTraceLog
			rc, rs := tr.pair(t)
			scfg := p.serverConfig()
			scfg.NextProtos = []string{"http/1.1", "smtp"}
			server := tls.Server(rs, scfg)
			done := connAsync(func() error { return bannerEcho(server, "220 crypto/tls ready\r\n") })

			ccfg := p.clientConfig()
			ccfg.NextProtos = []string{"smtp"}
			client := schannel.Client(rc, ccfg)
			client.SetTrace(log.hook)
			r := bufio.NewReader(client)
			banner, err := r.ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "220 crypto/tls ready\r\n", banner)
			assert.GreaterOrEqual(t, log.count("DecryptMessage", schannel.SEC_I_RENEGOTIATE), 1, "the NewSessionTicket:\n%s", log.String())
			assert.Equal(t, "smtp", client.ConnectionState().NegotiatedProtocol)

			for _, line := range []string{"EHLO client\r\n", strings.Repeat("x", 40000) + "\r\n", "QUIT\r\n"} {
				assertEchoed(t, client, r, line)
			}
			require.NoError(t, client.Close())
			require.NoError(t, connWait(t, done))
			cs := server.ConnectionState()
			assert.Equal(t, uint16(tls.VersionTLS13), cs.Version)
			assert.Equal(t, "example.com", cs.ServerName)
		})
	}
}

// TestConnInteropKeyUpdateWithCryptoTLSServer: crypto/tls has no way to start a
// KeyUpdate, but it answers one; requesting an update makes it send its own.
func TestConnInteropKeyUpdateWithCryptoTLSServer(t *testing.T) {
	p := pki(t)
	for _, requestPeer := range []bool{false, true} {
		for _, tr := range connTransports {
			if tr.name == "pipe" && requestPeer {
				continue // see TestConnKeyUpdate
			}
			name := tr.name + "/no request"
			if requestPeer {
				name = tr.name + "/request"
			}
			t.Run(name, func(t *testing.T) {
				var log connTraceLog
				rc, rs := tr.pair(t)
				server := tls.Server(rs, p.serverConfig())
				done := connAsync(func() error { return bannerEcho(server, "hello\n") })
				client := schannel.Client(rc, p.clientConfig())
				client.SetTrace(log.hook)
				r := bufio.NewReader(client)
				_, err := r.ReadString('\n')
				require.NoError(t, err)
				for i := range 3 {
					require.NoError(t, client.KeyUpdate(requestPeer))
					line := "after update " + itoa(i) + "\n"
					_, err := io.WriteString(client, line)
					require.NoError(t, err)
					got, err := r.ReadString('\n')
					require.NoError(t, err)
					assert.Equal(t, line, got)
				}
				require.NoError(t, client.Close())
				require.NoError(t, connWait(t, done))
				answers := 0
				if requestPeer {
					answers = 3
				}
				// One SEC_I_RENEGOTIATE for the ticket, one per answer.
				assert.Equal(t, 1+answers, log.count("DecryptMessage", schannel.SEC_I_RENEGOTIATE), log.String())
			})
		}
	}
}

// TestConnInteropCryptoTLSClientOurServer: crypto/tls as the client, our Server
// sending its banner as soon as the handshake is done.
func TestConnInteropCryptoTLSClientOurServer(t *testing.T) {
	p := pki(t)
	for _, tr := range connTransports {
		t.Run(tr.name, func(t *testing.T) {
			rc, rs := tr.pair(t)
			scfg := p.serverConfig()
			scfg.NextProtos = []string{"h2", "http/1.1"}
			server := schannel.Server(rs, scfg)
			done := connAsync(func() error { return bannerEcho(server, "220 schannel ready\r\n") })

			ccfg := p.clientConfig()
			ccfg.NextProtos = []string{"http/1.1"}
			client := tls.Client(rc, ccfg)
			r := bufio.NewReader(client)
			banner, err := r.ReadString('\n')
			require.NoError(t, err)
			assert.Equal(t, "220 schannel ready\r\n", banner)
			for _, line := range []string{"one\n", strings.Repeat("y", 70000) + "\n"} {
				assertEchoed(t, client, r, line)
			}
			require.NoError(t, client.Close()) // close_notify: our server's Read returns io.EOF
			require.NoError(t, connWait(t, done))
			assert.Equal(t, "http/1.1", client.ConnectionState().NegotiatedProtocol)
			assert.Equal(t, "http/1.1", server.ConnectionState().NegotiatedProtocol)
		})
	}
}

// TestConnInteropOurCloseNotify: crypto/tls reads our close_notify as io.EOF.
func TestConnInteropOurCloseNotify(t *testing.T) {
	p := pki(t)
	rc, rs := connTCPPair(t)
	client := tls.Client(rc, p.clientConfig())
	server := schannel.Server(rs, p.serverConfig())
	done := connAsync(func() error {
		if _, err := io.WriteString(server, "bye"); err != nil {
			return err
		}
		return server.CloseWrite()
	})
	got, err := io.ReadAll(client)
	require.NoError(t, err, "io.EOF after close_notify")
	assert.Equal(t, "bye", string(got))
	require.NoError(t, connWait(t, done))
}

// TestConnInteropClientCertificates: crypto/tls servers that ask for a
// client certificate. Without one, InitializeSecurityContext returns
// SEC_I_INCOMPLETE_CREDENTIALS and the loop goes on without a certificate.
func TestConnInteropClientCertificates(t *testing.T) {
	p := pki(t)
	clientCert := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"client"}, Client: true})
	cases := []struct {
		name       string
		clientAuth tls.ClientAuthType
		withCert   bool
		refused    bool // the server refuses to go on without a certificate
	}{
		{"requested, none", tls.RequestClientCert, false, false},
		{"required, none", tls.RequireAnyClientCert, false, true},
		{"verified", tls.RequireAndVerifyClientCert, true, false},
	}
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		for _, tc := range cases {
			t.Run(tls.VersionName(version)+"/"+tc.name, func(t *testing.T) {
				var log connTraceLog
				rc, rs := connTCPPair(t)
				scfg := p.serverConfig()
				scfg.MaxVersion = version
				scfg.ClientAuth = tc.clientAuth
				scfg.ClientCAs = p.ca.Pool
				server := tls.Server(rs, scfg)
				done := connAsync(func() error { return bannerEcho(server, "ok\n") })
				ccfg := p.clientConfig()
				if tc.withCert {
					ccfg.Certificates = []tls.Certificate{clientCert}
				}
				client := schannel.Client(rc, ccfg)
				client.SetTrace(log.hook)

				// A TLS 1.2 server refuses before its Finished, so the
				// handshake fails; a TLS 1.3 client has finished by then and
				// learns of the refusal on its first Read.
				err := client.Handshake()
				var got string
				if err == nil {
					got, err = bufio.NewReader(client).ReadString('\n')
				}
				if tc.refused {
					var se *schannel.Error
					require.ErrorAs(t, err, &se)
					assert.True(t, se.Remote)
					if version == tls.VersionTLS13 {
						assert.Equal(t, 116, se.Alert, "certificate_required")
					}
					assert.Error(t, connWait(t, done))
					return
				}
				require.NoError(t, err)
				assert.Equal(t, "ok\n", got)
				require.NoError(t, client.Close())
				assert.NoError(t, connWait(t, done))
				if !tc.withCert {
					assert.Equal(t, 1, log.count("InitializeSecurityContext", schannel.SEC_I_INCOMPLETE_CREDENTIALS))
				}
				assert.Equal(t, version, client.ConnectionState().Version)
			})
		}
	}
}

// TestConnInteropHandshakeFailureAlert: crypto/tls reports the alert our client
// sends when it does not trust the server.
func TestConnInteropHandshakeFailureAlert(t *testing.T) {
	p := pki(t)
	otherCA, err := certgen.NewCA("another CA")
	require.NoError(t, err)
	rc, rs := connTCPPair(t)
	server := tls.Server(rs, p.serverConfig())
	done := connAsync(server.Handshake)
	ccfg := p.clientConfig()
	ccfg.RootCAs = otherCA.Pool
	err = schannel.Client(rc, ccfg).Handshake()
	assert.ErrorIs(t, err, schannel.SEC_E_UNTRUSTED_ROOT)
	var x509Err interface{ Error() string }
	assert.True(t, errors.As(err, &x509Err))
	serr := connWait(t, done)
	require.Error(t, serr)
	assert.Contains(t, serr.Error(), "unknown certificate authority")
}

// TestConnInteropVersions runs each pairing with TLS 1.2 and TLS 1.3: the
// Conn takes its record framing from the stream sizes of whatever was
// negotiated.
func TestConnInteropVersions(t *testing.T) {
	p := pki(t)
	versions := []struct {
		name    string
		version uint16
		suite   uint16 // TLS 1.2 only; TLS 1.3 suites are not configurable
		sizes   schannel.StreamSizes
	}{
		{"TLS 1.3", tls.VersionTLS13, 0, schannel.StreamSizes{Header: 5, Trailer: 17, MaximumMessage: 16384, Buffers: 4, BlockSize: 1}},
		{"TLS 1.2 AES-GCM", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, schannel.StreamSizes{Header: 13, Trailer: 16, MaximumMessage: 16384, Buffers: 4, BlockSize: 1}},
		{"TLS 1.2 ChaCha20", tls.VersionTLS12, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, schannel.StreamSizes{Header: 5, Trailer: 16, MaximumMessage: 16384, Buffers: 4, BlockSize: 1}},
	}
	pairings := []struct {
		name              string
		ourClient, ourSrv bool
	}{
		{"ours-ours", true, true},
		{"ours-crypto/tls", true, false},
		{"crypto/tls-ours", false, true},
	}
	for _, v := range versions {
		for _, pr := range pairings {
			t.Run(v.name+"/"+pr.name, func(t *testing.T) {
				rc, rs := connTCPPair(t)
				ccfg, scfg := p.clientConfig(), p.serverConfig()
				ccfg.MaxVersion, scfg.MaxVersion = v.version, v.version
				if v.suite != 0 {
					ccfg.CipherSuites = []uint16{v.suite}
				}
				var client, server net.Conn = tls.Client(rc, ccfg), tls.Server(rs, scfg)
				if pr.ourClient {
					client = schannel.Client(rc, ccfg)
				}
				if pr.ourSrv {
					server = schannel.Server(rs, scfg)
				}
				done := connAsync(func() error { return bannerEcho(server, "hi\n") })
				r := bufio.NewReader(client)
				banner, err := r.ReadString('\n')
				require.NoError(t, err)
				assert.Equal(t, "hi\n", banner)
				assertEchoed(t, client, r, strings.Repeat("z", 100000)+"\n")
				for _, c := range []net.Conn{client, server} {
					if ours, ok := c.(*schannel.Conn); ok {
						cs := ours.ConnectionState()
						assert.Equal(t, v.version, cs.Version)
						if v.suite != 0 {
							assert.Equal(t, v.suite, cs.CipherSuite)
						}
						sizes, err := ours.StreamSizes()
						require.NoError(t, err)
						assert.Equal(t, v.sizes, sizes)
					}
				}
				require.NoError(t, client.Close())
				require.NoError(t, connWait(t, done))
			})
		}
	}
}
