//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	sClientSession = regexp.MustCompile(`(New|Reused), (TLSv1\.[23]), Cipher is (\S+)`)
	keyUpdateRecv  = regexp.MustCompile(`<<< [^\n]*KeyUpdate`)
	clientHelloOut = regexp.MustCompile(`>>> [^\n]*ClientHello`)
)

// startSClient runs openssl s_client against our server on port, verifying
// its certificate for localhost.
func startSClient(t testing.TB, ctx context.Context, addr string, args ...string) *proc {
	t.Helper()
	all := append([]string{"s_client", "-connect", addr, "-servername", "localhost",
		"-CAfile", thePKI.CAFile, "-verify_return_error", "-verify_hostname", "localhost", "-msg"}, args...)
	return startProc(t, ctx, "openssl", all...)
}

// pingPong sends a line through the peer client's standard input and waits
// for our server's answer in its output.
func pingPong(t testing.TB, p *proc, msg string) {
	t.Helper()
	p.send(msg + "\n")
	p.waitText("pong:"+msg, 10*time.Second)
}

// finish closes the peer client's standard input, which makes s_client and
// gnutls-cli send close_notify and exit, and returns what our server saw.
func finish(t testing.TB, p *proc, srv *ourServer) serverResult {
	t.Helper()
	p.closeStdin()
	res := srv.next(t, 10*time.Second)
	_ = p.wait(10 * time.Second)
	return res
}

// opensslClientCells: our server against openssl s_client.
func opensslClientCells(t *testing.T) {
	requirePeer(t, "openssl")
	probePeers()
	peer := "openssl s_client " + strings.TrimPrefix(shortVersion(opensslVer), "OpenSSL ")
	const ours = "server"

	for _, cb := range combos() {
		unsupported := ""
		if cb.G.ID == tls.X25519MLKEM768 && !opensslMLKEM {
			unsupported = shortVersion(opensslVer) + " has no X25519MLKEM768 (OpenSSL 3.5+)"
		}
		runCell(t, cb.cell(peer, ours), unsupported, true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, cb.restrict(thePKI.serverConfig(cb.S.RSA), false), echoLines(nil))
			p := startSClient(t, ctx, srv.addr, cb.opensslArgs(true)...)
			pingPong(t, p, "ping-"+cb.S.Name())
			res := finish(t, p, srv)
			assert.ErrorIs(t, res.err, io.EOF, "s_client's close_notify")
			assertNegotiatedState(t, n, res.state, res.info, cb)
			cb.noteGroups(n)
			if m := sClientSession.FindStringSubmatch(p.output()); assert.NotNil(t, m, "s_client's session line") {
				assert.Equal(t, cb.S.OpenSSL, m[3], "the suite s_client reports")
				n.add("s_client: %s", m[0])
			}
		})
	}
	opensslClientFeatures(t, peer)
}

func opensslClientFeatures(t *testing.T, peer string) {
	const ours = "server"
	feature := func(name string, v tlsVersion) cell {
		return cell{Peer: peer, Ours: ours, Version: v.Name, Feature: name}
	}
	for _, v := range versions {
		runCell(t, feature("ALPN", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := thePKI.serverConfig(false)
			cfg.NextProtos = []string{"h2", "http/1.1"}
			srv := startOurServer(t, ctx, cfg, echoLines(nil))
			p := startSClient(t, ctx, srv.addr, v.OpenSSL, "-alpn", "http/1.1,h2")
			pingPong(t, p, "ping-alpn")
			res := finish(t, p, srv)
			assert.Equal(t, "h2", res.state.NegotiatedProtocol, "our server's preference wins")
			assert.Contains(t, p.outputWith("ALPN protocol: h2"), "ALPN protocol: h2")
			n.add("s_client -alpn http/1.1,h2, our NextProtos h2,http/1.1: %q", res.state.NegotiatedProtocol)
		})

		runCell(t, feature("ECDSA P-521 certificates", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := &tls.Config{Certificates: []tls.Certificate{thePKI.P521}, CurvePreferences: []tls.CurveID{tls.CurveP521},
				ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: thePKI.ca.Pool}
			srv := startOurServer(t, ctx, cfg, echoLines(nil))
			p := startSClient(t, ctx, srv.addr, v.OpenSSL, "-groups", "P-521", "-cert", thePKI.ClientP521File, "-key", thePKI.ClientP521Key)
			pingPong(t, p, "ping-p521")
			res := finish(t, p, srv)
			assertP521(t, n, res.state, res.info, v)
			n.add("s_client -groups P-521 with a P-521 client certificate, our P-521 server certificate")
		})

		runCell(t, feature("SNI: GetConfigForClient", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			alt := thePKI.ca.MustIssue(certgen.LeafOptions{Names: []string{"alt.interop"}})
			seen := make(chan string, 1)
			cfg := thePKI.serverConfig(false)
			cfg.GetConfigForClient = func(info *tls.ClientHelloInfo) (*tls.Config, error) {
				seen <- info.ServerName
				if info.ServerName == "alt.interop" {
					return &tls.Config{Certificates: []tls.Certificate{alt}}, nil
				}
				return nil, nil
			}
			srv := startOurServer(t, ctx, cfg, echoLines(nil))
			// The later -servername and -verify_hostname replace startSClient's.
			p := startSClient(t, ctx, srv.addr, v.OpenSSL, "-servername", "alt.interop", "-verify_hostname", "alt.interop")
			pingPong(t, p, "ping-sni")
			res := finish(t, p, srv)
			assert.ErrorIs(t, res.err, io.EOF)
			assert.Equal(t, "alt.interop", <-seen)
			assert.Contains(t, p.output(), "CN = alt.interop")
			assert.Contains(t, p.output(), "Verify return code: 0 (ok)")
			n.add("s_client -servername alt.interop: GetConfigForClient saw the name and its certificate was verified")
		})

		runCell(t, feature("exported keying material", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			exported := make(chan []byte, 1)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), func(c *schannel.Conn) error {
				ekm, err := c.ExportKeyingMaterial(exporterLabel, nil, 40)
				if err != nil {
					return err
				}
				exported <- ekm
				return echoLines(nil)(c)
			})
			p := startSClient(t, ctx, srv.addr, v.OpenSSL, "-keymatexport", exporterLabel, "-keymatexportlen", "40")
			pingPong(t, p, "ping-exporter")
			m := p.waitFor(keyingMaterialLine, 5*time.Second)
			res := finish(t, p, srv)
			assert.ErrorIs(t, res.err, io.EOF)
			assert.Equal(t, m[1], strings.ToUpper(hex.EncodeToString(<-exported)))
			n.add("Conn.ExportKeyingMaterial(%q, no context, 40) equals s_client -keymatexport", exporterLabel)
		})

		runCell(t, feature("client certificate", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := thePKI.serverConfig(false)
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
			cfg.ClientCAs = thePKI.ca.Pool
			srv := startOurServer(t, ctx, cfg, echoLines(nil))
			p := startSClient(t, ctx, srv.addr, v.OpenSSL, "-cert", thePKI.ClientFile, "-key", thePKI.ClientKey)
			pingPong(t, p, "ping-mtls")
			res := finish(t, p, srv)
			require.NotEmpty(t, res.state.PeerCertificates, "the client certificate")
			assert.Equal(t, "client", res.state.PeerCertificates[0].Subject.CommonName)
			assert.NotEmpty(t, res.state.VerifiedChains)
			n.add("RequireAndVerifyClientCert: verified CN=%s", res.state.PeerCertificates[0].Subject.CommonName)
		})

		runCell(t, feature("signature scheme: the client's order", v), "", true, func(t *testing.T, n *notes) {
			// Issue 10: among the schemes our RSA key can make, the one the
			// client lists first wins, as in crypto/tls (SHA-256 before).
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, thePKI.serverConfig(true), echoLines(nil))
			p := startSClient(t, ctx, srv.addr, v.OpenSSL, "-sigalgs", "rsa_pss_rsae_sha384:rsa_pss_rsae_sha256")
			pingPong(t, p, "ping-sigalgs")
			_ = finish(t, p, srv)
			assert.Contains(t, p.outputWith("Peer signing digest: SHA384"), "Peer signing digest: SHA384")
			assert.Contains(t, p.outputWith("Peer signature type: RSA-PSS"), "Peer signature type: RSA-PSS")
			n.add("s_client -sigalgs rsa_pss_rsae_sha384:rsa_pss_rsae_sha256: our server signed with RSA-PSS SHA-384")
		})

		runCell(t, feature("resumption", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
			sess := filepath.Join(t.TempDir(), "session.pem")
			p1 := startSClient(t, ctx, srv.addr, v.OpenSSL, "-sess_out", sess)
			pingPong(t, p1, "ping-first")
			res1 := finish(t, p1, srv)
			assert.False(t, res1.state.DidResume)
			p2 := startSClient(t, ctx, srv.addr, v.OpenSSL, "-sess_in", sess)
			pingPong(t, p2, "ping-second")
			res2 := finish(t, p2, srv)
			assert.True(t, res2.state.DidResume, "our server did not resume")
			m := sClientSession.FindStringSubmatch(p2.output())
			if assert.NotNil(t, m) {
				assert.Equal(t, "Reused", m[1])
				n.add("-sess_out then -sess_in: s_client %q, our DidResume=%v", m[0], res2.state.DidResume)
			}
		})

		runCell(t, feature("close without close_notify", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
			p := startSClient(t, ctx, srv.addr, v.OpenSSL)
			pingPong(t, p, "ping-before-kill")
			p.kill()
			res := srv.next(t, 10*time.Second)
			assert.ErrorIs(t, res.err, io.ErrUnexpectedEOF)
			n.add("s_client killed (SIGKILL): our Read returns io.ErrUnexpectedEOF")
		})

		runCell(t, feature("tiny records (-max_send_frag 512)", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
			p := startSClient(t, ctx, srv.addr, v.OpenSSL, "-max_send_frag", "512")
			msg := strings.Repeat("0123456789abcdef", 400)
			p.send(msg + "\n")
			p.waitText("pong:len=6400", 10*time.Second)
			res := finish(t, p, srv)
			assert.ErrorIs(t, res.err, io.EOF)
			records := srv.trace.snapshot().records
			assert.GreaterOrEqual(t, records, 13, "DecryptMessage calls for a 6401-byte line in 512-byte records")
			n.add("6401 bytes from s_client in %d records", records)
		})
	}

	runCell(t, feature("HelloRetryRequest", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
		// s_client sends a key share for its first group only: X448, which
		// we do not implement.
		p := startSClient(t, ctx, srv.addr, "-tls1_3", "-groups", "X448:P-384")
		pingPong(t, p, "ping-hrr")
		res := finish(t, p, srv)
		assert.Equal(t, tls.CurveP384, res.info.KeyExchangeGroup)
		assert.Equal(t, 2, srv.trace.snapshot().flights, "server flights: HelloRetryRequest, then ServerHello")
		assert.Len(t, clientHelloOut.FindAllString(p.output(), -1), 2, "s_client's ClientHellos")
		n.add("s_client -groups X448:P-384: HRR, second ClientHello, %s", res.info.KeyExchangeGroup)
	})

	for _, cmd := range []string{"k", "K"} {
		name := "peer KeyUpdate (\"k\")"
		if cmd == "K" {
			name = "peer KeyUpdate requesting ours (\"K\")"
		}
		runCell(t, feature(name, tls13), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
			p := startSClient(t, ctx, srv.addr, "-tls1_3")
			pingPong(t, p, "ping-before")
			p.send(cmd + "\n")
			p.waitFor(keyUpdateSent, 10*time.Second)
			pingPong(t, p, "ping-after")
			pingPong(t, p, "ping-again")
			res := finish(t, p, srv)
			assert.ErrorIs(t, res.err, io.EOF)
			assert.GreaterOrEqual(t, srv.trace.snapshot().renegotiates, 1, "SEC_I_RENEGOTIATE for the KeyUpdate")
			if cmd == "K" {
				assert.Regexp(t, keyUpdateRecv, p.outputMatching(keyUpdateRecv.String()), "our answering KeyUpdate")
				n.add("s_client \"K\": we answered with our own KeyUpdate; data both ways after it")
			} else {
				assert.NotRegexp(t, keyUpdateRecv, p.output(), "a KeyUpdate that was not requested")
				n.add("s_client \"k\": data both ways after it")
			}
		})
	}

	runCell(t, feature("our KeyUpdate requesting the peer's", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(func(c *schannel.Conn, line string) error {
			if line == "update-please" {
				return c.KeyUpdate(true)
			}
			return nil
		}))
		p := startSClient(t, ctx, srv.addr, "-tls1_3")
		pingPong(t, p, "update-please")
		pingPong(t, p, "ping-after")
		pingPong(t, p, "ping-again")
		res := finish(t, p, srv)
		assert.ErrorIs(t, res.err, io.EOF)
		assert.Regexp(t, keyUpdateRecv, p.outputMatching(keyUpdateRecv.String()), "our KeyUpdate")
		assert.Regexp(t, keyUpdateSent, p.outputMatching(keyUpdateSent.String()), "s_client's answering KeyUpdate")
		n.add("KeyUpdate(true): s_client answered with its own; data both ways after it")
	})
}
