package schannel_test

import (
	"crypto/tls"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServerRefusesBadClientCertificates: a server that verifies client
// certificates refuses one from an untrusted CA, an expired one, and one
// made only for server authentication, on a full handshake and on a
// resumption whose ticket carries a certificate that has become unacceptable
// since (the server does a full handshake, where the client presents it
// again and is refused).
func TestServerRefusesBadClientCertificates(t *testing.T) {
	p := pki(t)
	otherCA, err := certgen.NewCA("untrusted client CA")
	require.NoError(t, err)
	now := time.Now()
	tests := []struct {
		name string
		cert tls.Certificate
		want schannel.Status
		// acceptFirst sets the server up to accept cert for the first,
		// full handshake; unacceptNow then makes the same certificate
		// unacceptable before the resumption.
		acceptFirst func(scfg *tls.Config)
		unacceptNow func(scfg *tls.Config, clock *testClock)
	}{
		{
			name:        "untrusted CA",
			cert:        otherCA.MustIssue(certgen.LeafOptions{Names: []string{"mallory"}, Client: true}),
			want:        schannel.SEC_E_UNTRUSTED_ROOT,
			acceptFirst: func(scfg *tls.Config) { scfg.ClientCAs = otherCA.Pool },
			unacceptNow: func(scfg *tls.Config, _ *testClock) { scfg.ClientCAs = p.ca.Pool },
		},
		{
			name: "expired",
			cert: p.ca.MustIssue(certgen.LeafOptions{Names: []string{"alice"}, Client: true,
				NotBefore: now.Add(-time.Hour), NotAfter: now.Add(time.Hour)}),
			want:        schannel.SEC_E_CERT_EXPIRED,
			acceptFirst: func(*tls.Config) {},
			unacceptNow: func(_ *tls.Config, clock *testClock) { clock.Advance(2 * time.Hour) },
		},
		{
			name:        "server-auth EKU only",
			cert:        p.ca.MustIssue(certgen.LeafOptions{Names: []string{"alice"}}),
			want:        schannel.SEC_E_CERT_UNKNOWN,
			acceptFirst: func(scfg *tls.Config) { scfg.ClientAuth = tls.RequireAnyClientCert },
			unacceptNow: func(scfg *tls.Config, _ *testClock) { scfg.ClientAuth = tls.RequireAndVerifyClientCert },
		},
	}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tc := range tests {
			setup := func() (*tls.Config, *tls.Config, *testClock) {
				clock := newTestClock()
				scfg := p.serverConfig()
				scfg.ClientAuth = tls.RequireAndVerifyClientCert
				scfg.ClientCAs = p.ca.Pool
				scfg.Time = clock.Now
				ccfg := p.clientConfig()
				ccfg.MaxVersion = version
				ccfg.Certificates = []tls.Certificate{tc.cert}
				ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
				return ccfg, scfg, clock
			}
			t.Run(tls.VersionName(version)+"/full/"+tc.name, func(t *testing.T) {
				ccfg, scfg, clock := setup()
				if tc.name == "expired" {
					clock.Advance(2 * time.Hour)
				}
				_, server, err := connectOnce(t, ccfg, scfg)
				require.Error(t, err)
				assert.ErrorIs(t, err, tc.want)
				assert.False(t, server.ctx != nil && server.done, "the server must not complete")
			})
			t.Run(tls.VersionName(version)+"/resumed/"+tc.name, func(t *testing.T) {
				ccfg, scfg, clock := setup()
				tc.acceptFirst(scfg)
				_, _, err := connectOnce(t, ccfg, scfg)
				require.NoError(t, err, "first connection, certificate acceptable")
				client, _, err := connectOnce(t, ccfg, scfg)
				require.NoError(t, err)
				require.True(t, client.ctx.ConnectionState().DidResume, "the session resumes while the certificate is acceptable")

				tc.unacceptNow(scfg, clock)
				_, server, err := connectOnce(t, ccfg, scfg)
				require.Error(t, err, "resumption with a certificate that is no longer acceptable")
				assert.ErrorIs(t, err, tc.want)
				assert.False(t, server.ctx != nil && server.done, "the server must not complete")
			})
		}
	}
}
