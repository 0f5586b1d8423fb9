package schannel_test

import (
	"crypto/ecdsa"
	"crypto/tls"
	"crypto/x509"
	"net"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConnP521WithCryptoTLS: secp521r1 key exchange and ECDSA P-521
// certificates on both ends (the server's, and a client certificate), both
// versions, both roles, against crypto/tls. In TLS 1.3 a P-521 key signs
// with ecdsa_secp521r1_sha512 (RFC 8446 4.2.3).
func TestConnP521WithCryptoTLS(t *testing.T) {
	p := pki(t)
	serverP521 := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}, Key: certgen.ECDSAP521})
	clientP521 := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"client"}, Key: certgen.ECDSAP521, Client: true})
	for _, vc := range versionCases {
		for _, rc := range roleCases {
			t.Run(vc.name+"/"+rc.name, func(t *testing.T) {
				p521 := []tls.CurveID{tls.CurveP521}
				ccfg := &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", MaxVersion: vc.max,
					CurvePreferences: p521, Certificates: []tls.Certificate{clientP521}}
				scfg := &tls.Config{Certificates: []tls.Certificate{serverP521}, MaxVersion: vc.max, CurvePreferences: p521,
					ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.ca.Pool}
				rawClient, rawServer := connTCPPair(t)
				var ours *schannel.Conn
				var theirs *tls.Conn
				if rc.oursIsClient {
					ours, theirs = schannel.Client(rawClient, ccfg), tls.Server(rawServer, scfg)
				} else {
					ours, theirs = schannel.Server(rawServer, scfg), tls.Client(rawClient, ccfg)
				}
				theirErr := connAsync(theirs.Handshake)
				require.NoError(t, ours.Handshake())
				require.NoError(t, connWait(t, theirErr))

				st := theirs.ConnectionState()
				assert.Equal(t, vc.max, st.Version)
				assert.Equal(t, tls.CurveP521, st.CurveID)
				require.NotEmpty(t, st.PeerCertificates)
				assert.Equal(t, x509.ECDSA, st.PeerCertificates[0].PublicKeyAlgorithm)

				info, err := ours.Context().ConnectionInfo()
				require.NoError(t, err)
				assert.Equal(t, tls.CurveP521, info.KeyExchangeGroup)
				if vc.max == tls.VersionTLS13 {
					assert.Equal(t, tls.ECDSAWithP521AndSHA512, info.SignatureScheme)
				} else {
					assert.Contains(t, []tls.SignatureScheme{tls.ECDSAWithP256AndSHA256, tls.ECDSAWithP384AndSHA384, tls.ECDSAWithP521AndSHA512}, info.SignatureScheme)
				}
				peer := ours.ConnectionState().PeerCertificates
				require.NotEmpty(t, peer)
				assert.Equal(t, "P-521", peerCurveName(peer[0]))

				// Data both ways under the negotiated keys.
				echoed := connAsync(func() error { return connEchoOnce(theirs) })
				_, err = ours.Write([]byte("p521"))
				require.NoError(t, err)
				buf := make([]byte, 4)
				_, err = ours.Read(buf)
				require.NoError(t, err)
				assert.Equal(t, "p521", string(buf))
				require.NoError(t, connWait(t, echoed))
			})
		}
	}
}

// connEchoOnce reads one chunk from c and writes it back.
func connEchoOnce(c net.Conn) error {
	buf := make([]byte, 64)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	_, err = c.Write(buf[:n])
	return err
}

// peerCurveName is the curve of an ECDSA certificate's key.
func peerCurveName(cert *x509.Certificate) string {
	if k, ok := cert.PublicKey.(*ecdsa.PublicKey); ok {
		return k.Curve.Params().Name
	}
	return ""
}
