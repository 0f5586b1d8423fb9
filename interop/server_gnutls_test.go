//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	// gnutlsKeyMaterial and gnutlsTLSExporter are how gnutls-cli and
	// gnutls-serv print --keymatexport and (gnutls-serv) the RFC 9266
	// channel binding.
	gnutlsKeyMaterial = regexp.MustCompile(`- Key material: ([0-9a-f]+)`)
	gnutlsTLSExporter = regexp.MustCompile(`'tls-exporter': ([0-9a-f]+)`)
)

// startGnuTLSCli runs gnutls-cli against our server, verifying its
// certificate for localhost.
func startGnuTLSCli(t testing.TB, ctx context.Context, srv *ourServer, priority string, args ...string) *proc {
	t.Helper()
	all := append([]string{"--x509cafile", thePKI.CAFile, "--sni-hostname", "localhost", "--verify-hostname", "localhost",
		"--priority", priority, "-p", strconv.Itoa(srv.port)}, args...)
	return startProc(t, ctx, "gnutls-cli", append(all, "127.0.0.1")...)
}

// gnutlsClientCells: our server against gnutls-cli.
func gnutlsClientCells(t *testing.T) {
	requirePeer(t, "gnutls-cli")
	probePeers()
	version := strings.TrimPrefix(gnutlsVer, "gnutls-cli ")
	peer := "gnutls-cli " + version
	const ours = "server"

	for _, cb := range combos() {
		unsupported := ""
		if cb.G.ID == tls.X25519MLKEM768 && !gnutlsMLKEM {
			unsupported = "GnuTLS " + version + " has no X25519MLKEM768"
		}
		runCell(t, cb.cell(peer, ours), unsupported, true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, cb.restrict(thePKI.serverConfig(cb.S.RSA), false), echoLines(nil))
			p := startGnuTLSCli(t, ctx, srv, cb.gnutlsPriority(true))
			pingPong(t, p, "ping-"+cb.S.Name())
			res := finish(t, p, srv)
			assert.ErrorIs(t, res.err, io.EOF, "gnutls-cli's close_notify")
			assertNegotiatedState(t, n, res.state, res.info, cb)
			cb.noteGroups(n)
			if m := gnutlsDescription(p.output()); assert.NotEmpty(t, m) {
				assert.Contains(t, m, "("+cb.S.GnuTLS+")")
				n.add("gnutls-cli: %s", m)
			}
		})
	}

	feature := func(name string, v tlsVersion) cell {
		return cell{Peer: peer, Ours: ours, Version: v.Name, Feature: name}
	}
	priority := func(v tlsVersion) string { return "NORMAL:-VERS-ALL:+" + v.GnuTLS }
	for _, v := range versions {
		runCell(t, feature("ALPN", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := thePKI.serverConfig(false)
			cfg.NextProtos = []string{"h2", "http/1.1"}
			srv := startOurServer(t, ctx, cfg, echoLines(nil))
			p := startGnuTLSCli(t, ctx, srv, priority(v), "--alpn", "http/1.1", "--alpn", "h2")
			pingPong(t, p, "ping-alpn")
			res := finish(t, p, srv)
			assert.Equal(t, "h2", res.state.NegotiatedProtocol)
			assert.Contains(t, p.outputWith("- Application protocol: h2"), "- Application protocol: h2")
			n.add("gnutls-cli --alpn http/1.1 --alpn h2, our NextProtos h2,http/1.1: %q", res.state.NegotiatedProtocol)
		})

		runCell(t, feature("client certificate", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := thePKI.serverConfig(false)
			cfg.ClientAuth = tls.RequireAndVerifyClientCert
			cfg.ClientCAs = thePKI.ca.Pool
			srv := startOurServer(t, ctx, cfg, echoLines(nil))
			p := startGnuTLSCli(t, ctx, srv, priority(v), "--x509certfile", thePKI.ClientFile, "--x509keyfile", thePKI.ClientKey)
			pingPong(t, p, "ping-mtls")
			res := finish(t, p, srv)
			require.NotEmpty(t, res.state.PeerCertificates, "the client certificate")
			assert.Equal(t, "client", res.state.PeerCertificates[0].Subject.CommonName)
			n.add("RequireAndVerifyClientCert: verified CN=%s", res.state.PeerCertificates[0].Subject.CommonName)
		})

		runCell(t, feature("ECDSA P-521 certificates", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			cfg := &tls.Config{Certificates: []tls.Certificate{thePKI.P521}, CurvePreferences: []tls.CurveID{tls.CurveP521},
				ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: thePKI.ca.Pool}
			srv := startOurServer(t, ctx, cfg, echoLines(nil))
			p := startGnuTLSCli(t, ctx, srv, priority(v)+":-GROUP-ALL:+GROUP-SECP521R1",
				"--x509certfile", thePKI.ClientP521File, "--x509keyfile", thePKI.ClientP521Key)
			pingPong(t, p, "ping-p521")
			res := finish(t, p, srv)
			assertP521(t, n, res.state, res.info, v)
			n.add("gnutls-cli SECP521R1 only, with a P-521 client certificate; our P-521 server certificate")
		})

		runCell(t, feature("exported keying material", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			got := make(chan []byte, 1)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), func(c *schannel.Conn) error {
				ekm, err := c.ExportKeyingMaterial(exporterLabel, nil, 40)
				if err != nil {
					return err
				}
				got <- ekm
				return echoLines(nil)(c)
			})
			p := startGnuTLSCli(t, ctx, srv, priority(v), "--keymatexport", exporterLabel, "--keymatexportsize", "40")
			pingPong(t, p, "ping-exporter")
			res := finish(t, p, srv)
			assert.ErrorIs(t, res.err, io.EOF)
			m := gnutlsKeyMaterial.FindStringSubmatch(p.output())
			if assert.NotNil(t, m, "gnutls-cli's key material line") {
				assert.Equal(t, m[1], hex.EncodeToString(<-got))
			}
			n.add("Conn.ExportKeyingMaterial(%q, no context, 40) equals gnutls-cli --keymatexport", exporterLabel)
		})

		runCell(t, feature("resumption", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
			// --resume: a first connection, then a second that resumes it;
			// --waitresumption waits for the TLS 1.3 ticket in between.
			p := startGnuTLSCli(t, ctx, srv, priority(v), "--resume", "--waitresumption")
			res1 := srv.next(t, 10*time.Second)
			assert.False(t, res1.state.DidResume)
			pingPong(t, p, "ping-resumed")
			res2 := finish(t, p, srv)
			assert.True(t, res2.state.DidResume, "our server did not resume")
			assert.Contains(t, p.outputWith("This is a resumed session"), "This is a resumed session")
			n.add("gnutls-cli --resume: \"This is a resumed session\", our DidResume=%v", res2.state.DidResume)
		})

		runCell(t, feature("close without close_notify", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
			p := startGnuTLSCli(t, ctx, srv, priority(v))
			pingPong(t, p, "ping-before-kill")
			p.kill()
			res := srv.next(t, 10*time.Second)
			assert.ErrorIs(t, res.err, io.ErrUnexpectedEOF)
			n.add("gnutls-cli killed (SIGKILL): our Read returns io.ErrUnexpectedEOF")
		})
	}

	runCell(t, feature("HelloRetryRequest", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
		// GnuTLS sends a key share for its first group and for the first of
		// each other kind; X25519 is of X448's kind, so its only share is for
		// X448, which we do not implement. (P-521 served here before we
		// implemented it.)
		p := startGnuTLSCli(t, ctx, srv, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-X448:+GROUP-X25519")
		pingPong(t, p, "ping-hrr")
		res := finish(t, p, srv)
		assert.Equal(t, tls.X25519, res.info.KeyExchangeGroup)
		assert.Equal(t, 2, srv.trace.snapshot().flights, "server flights: HelloRetryRequest, then ServerHello")
		n.add("gnutls-cli groups X448,X25519: HRR, then %s", res.info.KeyExchangeGroup)
	})

	for _, cmd := range []string{"^rekey1^", "^rekey^"} {
		name := "peer KeyUpdate (" + cmd + ")"
		runCell(t, feature(name, tls13), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
			p := startGnuTLSCli(t, ctx, srv, priority(tls13), "--inline-commands")
			pingPong(t, p, "ping-before")
			p.send(cmd + "\n")
			p.waitText("Rekey was completed", 10*time.Second)
			pingPong(t, p, "ping-after")
			pingPong(t, p, "ping-again")
			res := finish(t, p, srv)
			assert.ErrorIs(t, res.err, io.EOF)
			tr := srv.trace.snapshot()
			assert.GreaterOrEqual(t, tr.renegotiates, 1, "SEC_I_RENEGOTIATE for the KeyUpdate")
			n.add("gnutls-cli %s: data both ways after it", cmd)
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
		p := startGnuTLSCli(t, ctx, srv, priority(tls13))
		pingPong(t, p, "update-please")
		pingPong(t, p, "ping-after")
		pingPong(t, p, "ping-again")
		res := finish(t, p, srv)
		assert.ErrorIs(t, res.err, io.EOF)
		assert.GreaterOrEqual(t, srv.trace.snapshot().renegotiates, 1, "gnutls-cli's answering KeyUpdate")
		n.add("KeyUpdate(true): gnutls-cli answered with its own; data both ways after it")
	})
}

// gnutlsDescription is the session line GnuTLS prints:
// "(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-128-GCM)".
func gnutlsDescription(out string) string {
	_, rest, ok := strings.Cut(out, "- Description: ")
	if !ok {
		return ""
	}
	line, _, _ := strings.Cut(rest, "\n")
	return strings.TrimSpace(line)
}
