//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var curlSSLLine = regexp.MustCompile(`SSL connection using (TLSv1\.[23]) / (\S+)`)

// runCurl fetches urls from our HTTP server with curl -v, verifying the
// certificate for localhost, and returns its output once it has exited.
func runCurl(t testing.TB, ctx context.Context, srv *ourHTTPServer, args []string, paths ...string) string {
	t.Helper()
	all := append([]string{"-sS", "-v", "--max-time", "20", "--cacert", thePKI.CAFile,
		"--resolve", fmt.Sprintf("localhost:%d:127.0.0.1", srv.port)}, args...)
	for _, path := range paths {
		all = append(all, fmt.Sprintf("https://localhost:%d%s", srv.port, path))
	}
	p := startProc(t, ctx, "curl", all...)
	p.closeStdin()
	err := p.wait(25 * time.Second)
	out := p.output()
	require.NoError(t, err, "curl failed:\n%s", tail(out, 4000))
	return out
}

// curlArgs restricts curl (and the OpenSSL under it) to one combination.
func (c combo) curlArgs() []string {
	args := []string{c.V.Curl, "--tls-max", c.V.CurlMax, "--curves", c.opensslGroups(true)}
	if c.S.TLS13 {
		return append(args, "--tls13-ciphers", c.S.OpenSSL)
	}
	return append(args, "--ciphers", c.S.OpenSSL)
}

// curlCells: our server, under net/http, against curl.
func curlCells(t *testing.T) {
	requirePeer(t, "curl")
	probePeers()
	version := strings.Fields(curlVer)
	peer := "curl"
	if len(version) >= 5 {
		peer = "curl " + version[1] + " (" + version[4] + ")" // curl 7.88.1 (OpenSSL/3.0.22)
	}
	const ours = "server"

	for _, cb := range combos() {
		unsupported := ""
		if cb.G.ID == tls.X25519MLKEM768 && !curlMLKEM {
			unsupported = "curl's " + shortVersion(opensslVer) + " has no X25519MLKEM768"
		}
		runCell(t, cb.cell(peer, ours), unsupported, true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurHTTPServer(t, cb.restrict(thePKI.serverConfig(cb.S.RSA), false))
			out := runCurl(t, ctx, srv, cb.curlArgs(), "/")
			assert.Contains(t, out, pageMarker)
			rep := srv.nextRequest(t, 5*time.Second)
			assertNegotiatedState(t, n, rep.State, rep.Info, cb)
			if assert.NotNil(t, rep.RequestTLS, "Request.TLS") {
				assert.True(t, rep.RequestTLS.HandshakeComplete)
				assert.Equal(t, cb.S.ID, rep.RequestTLS.CipherSuite, "Request.TLS's suite")
			}
			cb.noteGroups(n)
			if m := curlSSLLine.FindStringSubmatch(out); assert.NotNil(t, m) {
				assert.Equal(t, cb.S.OpenSSL, m[2])
				n.add("curl: %s, %s", m[0], rep.Proto)
			}
		})
	}

	feature := func(name string, v tlsVersion) cell {
		return cell{Peer: peer, Ours: ours, Version: v.Name, Feature: name}
	}
	versionArgs := func(v tlsVersion) []string { return []string{v.Curl, "--tls-max", v.CurlMax} }
	for _, v := range versions {
		runCell(t, feature("ALPN h2 (HTTP/2)", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := thePKI.serverConfig(false)
			cfg.NextProtos = []string{"h2", "http/1.1"}
			srv := startOurHTTPServer(t, cfg)
			out := runCurl(t, ctx, srv, append(versionArgs(v), "--http2"), "/h2")
			assert.Contains(t, out, pageMarker)
			rep := srv.nextRequest(t, 5*time.Second)
			assert.Equal(t, "h2", rep.State.NegotiatedProtocol)
			assert.Equal(t, "HTTP/2.0", rep.Proto)
			assert.Contains(t, out, "ALPN: server accepted h2")
			require.NotNil(t, rep.RequestTLS)
			assert.True(t, rep.RequestTLS.HandshakeComplete)
			n.add("curl --http2: ALPN %q, served as %s by schannel.HTTPServer (x/net/http2); Request.TLS complete", rep.State.NegotiatedProtocol, rep.Proto)
		})

		runCell(t, feature("ALPN http/1.1", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := thePKI.serverConfig(false)
			cfg.NextProtos = []string{"h2", "http/1.1"}
			srv := startOurHTTPServer(t, cfg)
			out := runCurl(t, ctx, srv, append(versionArgs(v), "--http1.1"), "/h1")
			assert.Contains(t, out, pageMarker)
			rep := srv.nextRequest(t, 5*time.Second)
			assert.Equal(t, "http/1.1", rep.State.NegotiatedProtocol)
			assert.Equal(t, "HTTP/1.1", rep.Proto)
			n.add("curl --http1.1: ALPN %q, served as %s", rep.State.NegotiatedProtocol, rep.Proto)
		})

		runCell(t, feature("client certificate", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := thePKI.serverConfig(false)
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
			cfg.ClientCAs = thePKI.ca.Pool
			srv := startOurHTTPServer(t, cfg)
			out := runCurl(t, ctx, srv, append(versionArgs(v), "--cert", thePKI.ClientFile, "--key", thePKI.ClientKey), "/mtls")
			assert.Contains(t, out, pageMarker)
			rep := srv.nextRequest(t, 5*time.Second)
			require.NotEmpty(t, rep.State.PeerCertificates)
			assert.Equal(t, "client", rep.State.PeerCertificates[0].Subject.CommonName)
			n.add("RequireAndVerifyClientCert: verified CN=%s", rep.State.PeerCertificates[0].Subject.CommonName)
		})

		noResumption := ""
		if v.ID == tls.VersionTLS12 {
			// Seen on the wire: curl's TLS 1.2 ClientHello has no
			// session_ticket extension, and our server (like crypto/tls)
			// resumes TLS 1.2 by ticket only, keeping no session-ID cache.
			noResumption = "curl sends no session_ticket extension in TLS 1.2 (session-ID resumption only); our server, like crypto/tls, resumes TLS 1.2 by ticket only"
		}
		runCell(t, feature("resumption", v), noResumption, true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurHTTPServer(t, thePKI.serverConfig(false))
			// Two URLs in one run share curl's session cache; "Connection:
			// close" makes the second one a new connection.
			out := runCurl(t, ctx, srv, append(versionArgs(v), "--http1.1", "-H", "Connection: close"), "/first", "/second")
			assert.Equal(t, 2, strings.Count(out, pageMarker))
			first := srv.nextRequest(t, 5*time.Second)
			second := srv.nextRequest(t, 5*time.Second)
			assert.False(t, first.State.DidResume)
			assert.True(t, second.State.DidResume, "the second connection did not resume")
			assert.Contains(t, out, "SSL re-using session ID")
			n.add("two URLs, Connection: close: the second connection resumed=%v", second.State.DidResume)
		})
	}

	runCell(t, feature("HelloRetryRequest", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		srv := startOurHTTPServer(t, thePKI.serverConfig(false))
		out := runCurl(t, ctx, srv, []string{"--tlsv1.3", "--curves", "X448:P-384"}, "/hrr")
		assert.Contains(t, out, pageMarker)
		rep := srv.nextRequest(t, 5*time.Second)
		assert.Equal(t, tls.CurveP384, rep.Info.KeyExchangeGroup)
		assert.Equal(t, 2, srv.trace.snapshot().flights, "server flights: HelloRetryRequest, then ServerHello")
		n.add("curl --curves X448:P-384: HRR, then %s", rep.Info.KeyExchangeGroup)
	})
}
