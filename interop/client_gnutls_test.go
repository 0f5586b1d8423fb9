//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startGnuTLSServ runs gnutls-serv --echo with the given priority string.
// gnutls-serv cannot be told which address to bind: it listens on every
// address of the port, and the tests only ever reach it on 127.0.0.1.
func startGnuTLSServ(t testing.TB, ctx context.Context, rsa bool, priority string, args ...string) (*proc, string) {
	t.Helper()
	cert, key := thePKI.serverFiles(rsa)
	return startGnuTLSServWith(t, ctx, cert, key, priority, args...)
}

// startGnuTLSServWith is startGnuTLSServ with the given certificate and key files.
func startGnuTLSServWith(t testing.TB, ctx context.Context, cert, key, priority string, args ...string) (*proc, string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		port := peertest.FreePort(t)
		all := append([]string{"--echo", "-p", strconv.Itoa(port), "--x509certfile", cert, "--x509keyfile", key, "--priority", priority}, args...)
		p := startProc(t, ctx, "gnutls-serv", all...)
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(p.output(), "IPv4 0.0.0.0 port "+strconv.Itoa(port)+"...done") && !p.exited() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if p.exited() && strings.Contains(p.output(), "in use") && attempt < 3 {
			continue // another test took the port in between
		}
		waitListening(t, p, hostPort(port), 10*time.Second)
		return p, hostPort(port)
	}
}

// echoRoundTrip sends a line to an echo server and checks it comes back.
func echoRoundTrip(t testing.TB, c *schannel.Conn, r *lineReader, msg string) {
	t.Helper()
	_, err := io.WriteString(c, msg+"\n")
	require.NoError(t, err)
	assert.Equal(t, msg, r.line(t), "echo")
}

// gnutlsServerCells: our client against gnutls-serv.
func gnutlsServerCells(t *testing.T) {
	requirePeer(t, "gnutls-serv")
	probePeers()
	peer := "gnutls-serv " + strings.TrimPrefix(gnutlsVer, "gnutls-cli ")
	const ours = "client"

	for _, cb := range combos() {
		unsupported := ""
		if cb.G.ID == tls.X25519MLKEM768 && !gnutlsMLKEM {
			unsupported = "GnuTLS " + strings.TrimPrefix(gnutlsVer, "gnutls-cli ") + " has no X25519MLKEM768"
		}
		runCell(t, cb.cell(peer, ours), unsupported, true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startGnuTLSServ(t, ctx, cb.S.RSA, cb.gnutlsPriority(false), "-a")
			c, _ := dialOurs(t, ctx, addr, cb.restrict(thePKI.clientConfig(), true))
			assertNegotiated(t, n, c, cb)
			cb.noteGroups(n)
			echoRoundTrip(t, c, newLineReader(c), "hello from schannel "+cb.S.Name())
			p.waitText("- Description:", 5*time.Second)
			n.add("echo round trip")
		})
	}

	feature := func(name string, v tlsVersion) cell {
		return cell{Peer: peer, Ours: ours, Version: v.Name, Feature: name}
	}
	priority := func(v tlsVersion) string { return "NORMAL:-VERS-ALL:+" + v.GnuTLS }
	for _, v := range versions {
		runCell(t, feature("ALPN", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			_, addr := startGnuTLSServ(t, ctx, false, priority(v), "-a", "--alpn", "h2", "--alpn", "http/1.1")
			cfg := thePKI.clientConfig()
			cfg.NextProtos = []string{"h2", "http/1.1"}
			c, _ := dialOurs(t, ctx, addr, cfg)
			assert.Equal(t, "h2", c.ConnectionState().NegotiatedProtocol)
			echoRoundTrip(t, c, newLineReader(c), "alpn")
			n.add("offered h2,http/1.1; gnutls-serv --alpn h2 --alpn http/1.1 chose %q", c.ConnectionState().NegotiatedProtocol)
		})

		runCell(t, feature("client certificate", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startGnuTLSServ(t, ctx, false, priority(v), "--require-client-cert", "--verify-client-cert", "--x509cafile", thePKI.CAFile)
			cfg := thePKI.clientConfig()
			cfg.Certificates = []tls.Certificate{thePKI.Client}
			c, _ := dialOurs(t, ctx, addr, cfg)
			echoRoundTrip(t, c, newLineReader(c), "mutual")
			p.waitText("CN=client", 5*time.Second)
			n.add("gnutls-serv --require-client-cert --verify-client-cert accepted CN=client")
		})

		runCell(t, feature("ECDSA P-521 certificates", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startGnuTLSServWith(t, ctx, thePKI.P521File, thePKI.P521Key, priority(v)+":-GROUP-ALL:+GROUP-SECP521R1",
				"--require-client-cert", "--verify-client-cert", "--x509cafile", thePKI.CAFile)
			cfg := thePKI.clientConfig()
			cfg.Certificates = []tls.Certificate{thePKI.ClientP521}
			cfg.CurvePreferences = []tls.CurveID{tls.CurveP521}
			c, _ := dialOurs(t, ctx, addr, cfg)
			st, info := connInfo(c)
			assertP521(t, n, st, info, v)
			echoRoundTrip(t, c, newLineReader(c), "p521")
			p.waitText("CN=client", 5*time.Second)
			n.add("gnutls-serv with a P-521 certificate, SECP521R1 only, verified our P-521 client certificate")
		})

		runCell(t, feature("exported keying material, tls-exporter", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startGnuTLSServ(t, ctx, false, priority(v), "--keymatexport", exporterLabel, "--keymatexportsize", "40")
			c, _ := dialOurs(t, ctx, addr, thePKI.clientConfig())
			echoRoundTrip(t, c, newLineReader(c), "exporter")
			ekm, err := c.ExportKeyingMaterial(exporterLabel, nil, 40)
			require.NoError(t, err)
			binding, err := c.TLSExporterBinding()
			require.NoError(t, err)
			data, err := schannel.ChannelBindingsApplicationData(binding)
			require.NoError(t, err)
			p.waitText("'tls-exporter'", 5*time.Second)
			out := p.output()
			if m := gnutlsKeyMaterial.FindStringSubmatch(out); assert.NotNil(t, m, "gnutls-serv's key material line") {
				assert.Equal(t, m[1], hex.EncodeToString(ekm))
			}
			if m := gnutlsTLSExporter.FindStringSubmatch(out); assert.NotNil(t, m, "gnutls-serv's tls-exporter line") {
				assert.Equal(t, "tls-exporter:"+m[1], "tls-exporter:"+hex.EncodeToString(data[len("tls-exporter:"):]))
			}
			n.add("ExportKeyingMaterial equals gnutls-serv --keymatexport; TLSExporterBinding equals its 'tls-exporter' (RFC 9266)")
		})

		runCell(t, feature("resumption", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			_, addr := startGnuTLSServ(t, ctx, false, priority(v), "-a")
			cfg := thePKI.clientConfig()
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
			c1, _ := dialOurs(t, ctx, addr, cfg)
			echoRoundTrip(t, c1, newLineReader(c1), "first")
			require.NoError(t, c1.Close())
			c2, _ := dialOurs(t, ctx, addr, cfg)
			assert.True(t, c2.ConnectionState().DidResume, "the second connection did not resume")
			echoRoundTrip(t, c2, newLineReader(c2), "second")
			n.add("second connection with the same ClientSessionCache: DidResume=%v", c2.ConnectionState().DidResume)
		})

		runCell(t, feature("close without close_notify", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startGnuTLSServ(t, ctx, false, priority(v), "-a")
			c, _ := dialOurs(t, ctx, addr, thePKI.clientConfig())
			r := newLineReader(c)
			echoRoundTrip(t, c, r, "before the kill")
			p.kill()
			r.expectEnd(t, io.ErrUnexpectedEOF)
			n.add("gnutls-serv killed (SIGKILL): our Read returns io.ErrUnexpectedEOF")
		})
	}

	runCell(t, feature("HelloRetryRequest", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		_, addr := startGnuTLSServ(t, ctx, false, "NORMAL:-VERS-ALL:+VERS-TLS1.3:-GROUP-ALL:+GROUP-SECP384R1", "-a")
		c, tr := dialOurs(t, ctx, addr, thePKI.clientConfig())
		_, info := connInfo(c)
		assert.Equal(t, tls.CurveP384, info.KeyExchangeGroup)
		assert.Equal(t, 2, tr.snapshot().flights, "ClientHello flights: 2 after a HelloRetryRequest")
		echoRoundTrip(t, c, newLineReader(c), "after HRR")
		n.add("gnutls-serv with only SECP384R1 against our default key shares: HRR, then %s", info.KeyExchangeGroup)
	})

	runCell(t, feature("our KeyUpdate requesting the peer's", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		_, addr := startGnuTLSServ(t, ctx, false, priority(tls13), "-a")
		c, tr := dialOurs(t, ctx, addr, thePKI.clientConfig())
		r := newLineReader(c)
		echoRoundTrip(t, c, r, "before")
		require.NoError(t, c.KeyUpdate(true))
		echoRoundTrip(t, c, r, "after our KeyUpdate")
		echoRoundTrip(t, c, r, "and again")
		assert.GreaterOrEqual(t, tr.snapshot().renegotiates, 1, "gnutls-serv's answering KeyUpdate")
		n.add("KeyUpdate(true): gnutls-serv answered with its own; data both ways after it")
	})
}
