package schannel_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// versionCases are the two versions every drop-in test runs under.
var versionCases = []struct {
	name string
	max  uint16
}{{"TLS1.2", tls.VersionTLS12}, {"TLS1.3", tls.VersionTLS13}}

// TestConnGetConfigForClient serves two names with a configuration each, the
// usual crypto/tls pattern: a crypto/tls client sees the certificate and
// ALPN choice of the name it asked for, and GetConfigForClient runs once per
// handshake.
func TestConnGetConfigForClient(t *testing.T) {
	p := pki(t)
	perName := map[string]*tls.Config{
		"a.example": {Certificates: []tls.Certificate{p.ca.MustIssue(certgen.LeafOptions{Names: []string{"a.example"}})}, NextProtos: []string{"a-proto"}},
		"b.example": {Certificates: []tls.Certificate{p.ca.MustIssue(certgen.LeafOptions{Names: []string{"b.example"}, Key: certgen.RSA2048})}, NextProtos: []string{"b-proto"}},
	}
	for _, vc := range versionCases {
		for name, want := range perName {
			t.Run(vc.name+"/"+name, func(t *testing.T) {
				calls := 0
				scfg := &tls.Config{
					// The outer configuration has no certificate for these names:
					// a handshake that used it would fail verification.
					Certificates: []tls.Certificate{p.server},
					NextProtos:   []string{"outer"},
					GetConfigForClient: func(info *tls.ClientHelloInfo) (*tls.Config, error) {
						calls++
						return perName[info.ServerName], nil
					},
				}
				rc, rs := connTCPPair(t)
				server := schannel.Server(rs, scfg)
				serverErr := connAsync(server.Handshake)
				client := tls.Client(rc, &tls.Config{RootCAs: p.ca.Pool, ServerName: name, MaxVersion: vc.max,
					NextProtos: []string{"a-proto", "b-proto", "outer"}})
				require.NoError(t, client.Handshake())
				require.NoError(t, connWait(t, serverErr))
				st := client.ConnectionState()
				assert.Equal(t, vc.max, st.Version)
				assert.Equal(t, want.NextProtos[0], st.NegotiatedProtocol)
				assert.Equal(t, want.Certificates[0].Certificate[0], st.PeerCertificates[0].Raw)
				assert.Equal(t, 1, calls)
				assert.Equal(t, want.NextProtos[0], server.ConnectionState().NegotiatedProtocol)
			})
		}
	}
}

// TestConnGetConfigForClientError: an error from the callback fails the
// handshake with internal_error sent to the client, as in crypto/tls.
func TestConnGetConfigForClientError(t *testing.T) {
	p := pki(t)
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			scfg := p.serverConfig()
			scfg.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
				return nil, errors.New("no such tenant")
			}
			rc, rs := connTCPPair(t)
			server := schannel.Server(rs, scfg)
			serverErr := connAsync(server.Handshake)
			client := tls.Client(rc, &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", MaxVersion: vc.max})
			err := client.Handshake()
			require.Error(t, err)
			assert.Contains(t, err.Error(), "internal error")
			serr := connWait(t, serverErr)
			require.Error(t, serr)
			assert.Contains(t, serr.Error(), "no such tenant")
			assert.ErrorIs(t, serr, schannel.SEC_E_INTERNAL_ERROR)
		})
	}
}

// helloSummary is the part of a ClientHelloInfo that must not depend on
// which server parsed the hello.
func helloSummary(info *tls.ClientHelloInfo) string {
	return fmt.Sprintf("name=%q suites=%v curves=%v points=%v schemes=%v protos=%q versions=%v exts=%v hrr=%v conn=%v",
		info.ServerName, info.CipherSuites, info.SupportedCurves, info.SupportedPoints, info.SignatureSchemes,
		info.SupportedProtos, info.SupportedVersions, info.Extensions, info.HelloRetryRequest, info.Conn != nil)
}

// TestConnClientHelloInfoMatchesCryptoTLS: the same client hello, parsed by
// crypto/tls and by this engine, gives GetConfigForClient and
// GetCertificate the same ClientHelloInfo, Conn included (the socket under
// the server Conn).
func TestConnClientHelloInfoMatchesCryptoTLS(t *testing.T) {
	p := pki(t)
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			var got [2][2]string // [crypto/tls, ours][GetConfigForClient, GetCertificate]
			for i := range 2 {
				rc, rs := connTCPPair(t)
				scfg := &tls.Config{
					GetConfigForClient: func(info *tls.ClientHelloInfo) (*tls.Config, error) {
						got[i][0] = helloSummary(info)
						if info.Conn != rs {
							return nil, errors.New("ClientHelloInfo.Conn is not the server's socket")
						}
						return nil, nil
					},
					GetCertificate: func(info *tls.ClientHelloInfo) (*tls.Certificate, error) {
						got[i][1] = helloSummary(info)
						return &p.server, nil
					},
				}
				var serverHandshake func() error
				if i == 0 {
					serverHandshake = tls.Server(rs, scfg).Handshake
				} else {
					serverHandshake = schannel.Server(rs, scfg).Handshake
				}
				serverErr := connAsync(serverHandshake)
				client := tls.Client(rc, &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", MaxVersion: vc.max,
					NextProtos: []string{"h2", "http/1.1"}, CurvePreferences: []tls.CurveID{tls.CurveP384, tls.X25519}})
				require.NoError(t, client.Handshake())
				require.NoError(t, connWait(t, serverErr))
			}
			assert.NotEmpty(t, got[0][0])
			assert.Equal(t, got[0], got[1])
		})
	}
}

// TestConnGetCertificateSupportsCertificate: GetCertificate picks with
// ClientHelloInfo.SupportsCertificate, as crypto/tls programs with several
// certificates do.
func TestConnGetCertificateSupportsCertificate(t *testing.T) {
	p := pki(t)
	other := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"other.example"}})
	rsa := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}, Key: certgen.RSA2048})
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			var otherErr, rsaErr error
			scfg := &tls.Config{GetCertificate: func(info *tls.ClientHelloInfo) (*tls.Certificate, error) {
				otherErr = info.SupportsCertificate(&other)
				rsaErr = info.SupportsCertificate(&rsa)
				return &rsa, nil
			}}
			rc, rs := connTCPPair(t)
			server := schannel.Server(rs, scfg)
			serverErr := connAsync(server.Handshake)
			client := tls.Client(rc, &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", MaxVersion: vc.max})
			require.NoError(t, client.Handshake())
			require.NoError(t, connWait(t, serverErr))
			assert.Error(t, otherErr, "a certificate for another name")
			assert.NoError(t, rsaErr)
			assert.Equal(t, rsa.Certificate[0], client.ConnectionState().PeerCertificates[0].Raw)
		})
	}
}

// TestConnGetConfigForClientTicketKeys: as in crypto/tls, a configuration
// returned by GetConfigForClient without ticket keys of its own seals
// tickets with the outer configuration's, so that a fresh Clone per
// handshake still resumes; SessionTicketsDisabled in it turns tickets off.
func TestConnGetConfigForClientTicketKeys(t *testing.T) {
	p := pki(t)
	for _, vc := range versionCases {
		for _, disabled := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/disabled=%v", vc.name, disabled), func(t *testing.T) {
				outer := &tls.Config{Certificates: []tls.Certificate{p.server}}
				outer.GetConfigForClient = func(*tls.ClientHelloInfo) (*tls.Config, error) {
					cfg := &tls.Config{Certificates: []tls.Certificate{p.server}, SessionTicketsDisabled: disabled}
					return cfg, nil
				}
				cache := tls.NewLRUClientSessionCache(4)
				var resumed []bool
				for range 2 {
					rc, rs := connTCPPair(t)
					server := schannel.Server(rs, outer)
					serverErr := connAsync(func() error {
						if err := server.Handshake(); err != nil {
							return err
						}
						_, err := server.Write([]byte("x")) // the client reads past the ticket
						return err
					})
					client := tls.Client(rc, &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", MaxVersion: vc.max, ClientSessionCache: cache})
					buf := make([]byte, 1)
					_, err := client.Read(buf)
					require.NoError(t, err)
					require.NoError(t, connWait(t, serverErr))
					resumed = append(resumed, client.ConnectionState().DidResume)
				}
				assert.Equal(t, []bool{false, !disabled}, resumed)
			})
		}
	}
}

// TestGetConfigForClientThroughSSPI: driven by AcceptSecurityContext alone,
// with bytes split at random, GetConfigForClient still runs once and its
// configuration wins; ClientHelloInfo.Conn is nil, since the SSPI calls
// carry no socket.
func TestGetConfigForClientThroughSSPI(t *testing.T) {
	p := pki(t)
	alt := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"alt.example"}})
	for _, vc := range versionCases {
		t.Run(vc.name, func(t *testing.T) {
			var infos []*tls.ClientHelloInfo
			scfg := p.serverConfig()
			scfg.GetConfigForClient = func(info *tls.ClientHelloInfo) (*tls.Config, error) {
				infos = append(infos, info)
				return &tls.Config{Certificates: []tls.Certificate{alt}}, nil
			}
			ccfg := &tls.Config{RootCAs: p.ca.Pool, ServerName: "alt.example", MaxVersion: vc.max}
			client, server := newPeers(t, ccfg, scfg)
			require.NoError(t, handshakePair(t, client, server, randomSplits(7)))
			require.Len(t, infos, 1)
			assert.Equal(t, "alt.example", infos[0].ServerName)
			assert.Nil(t, infos[0].Conn)
			peer, err := client.ctx.RemoteCertificate()
			require.NoError(t, err)
			assert.Equal(t, alt.Certificate[0], peer[0].Raw)
		})
	}
}
