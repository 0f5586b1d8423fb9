//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"encoding/hex"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exporterLabel is the label of the keying material cells (RFC 5705
// section 4: EXPERIMENTAL labels need no registration).
const exporterLabel = "EXPERIMENTAL-schannel-interop"

var (
	// keyingMaterialLine is how s_client and s_server print -keymatexport.
	keyingMaterialLine = regexp.MustCompile(`Keying material: ([0-9A-F]+)`)
	acceptLine         = regexp.MustCompile(`ACCEPT 127\.0\.0\.1:(\d+)`)
	// keyUpdateSent is the -msg line of a KeyUpdate that OpenSSL sent (its
	// own messages after "k" are buffered, -msg output is flushed).
	keyUpdateSent = regexp.MustCompile(`>>> [^\n]*KeyUpdate`)
	clientHelloIn = regexp.MustCompile(`<<< [^\n]*ClientHello`)
)

// startSServer runs openssl s_server on a port it picks itself and returns
// it with its address. Without -rev, what the client sends is printed and
// standard input goes to the client, with the command letters (k, K, Q...)
// of s_server.
func startSServer(t testing.TB, ctx context.Context, rsa bool, args ...string) (*proc, string) {
	t.Helper()
	cert, key := thePKI.serverFiles(rsa)
	return startSServerWith(t, ctx, cert, key, args...)
}

// startSServerWith is startSServer with the given certificate and key files.
func startSServerWith(t testing.TB, ctx context.Context, cert, key string, args ...string) (*proc, string) {
	t.Helper()
	all := append([]string{"s_server", "-accept", "127.0.0.1:0", "-cert", cert, "-key", key, "-msg"}, args...)
	p := startProc(t, ctx, "openssl", all...)
	m := p.waitFor(acceptLine, 10*time.Second)
	return p, "127.0.0.1:" + m[1]
}

// revRoundTrip sends a line to s_server -rev and checks it comes back reversed.
func revRoundTrip(t testing.TB, c *schannel.Conn, r *lineReader, msg string) {
	t.Helper()
	_, err := io.WriteString(c, msg+"\n")
	require.NoError(t, err)
	got := r.line(t)
	assert.Equal(t, reverse(msg), got, "s_server -rev answer")
}

// opensslServerCells: our client against openssl s_server.
func opensslServerCells(t *testing.T) {
	requirePeer(t, "openssl")
	probePeers()
	peer := "openssl s_server " + strings.TrimPrefix(shortVersion(opensslVer), "OpenSSL ")
	const ours = "client"

	for _, cb := range combos() {
		unsupported := ""
		if cb.G.ID == tls.X25519MLKEM768 && !opensslMLKEM {
			unsupported = shortVersion(opensslVer) + " has no X25519MLKEM768 (OpenSSL 3.5+)"
		}
		runCell(t, cb.cell(peer, ours), unsupported, true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			_, addr := startSServer(t, ctx, cb.S.RSA, append(cb.opensslArgs(false), "-rev")...)
			c, _ := dialOurs(t, ctx, addr, cb.restrict(thePKI.clientConfig(), true))
			assertNegotiated(t, n, c, cb)
			cb.noteGroups(n)
			r := newLineReader(c)
			revRoundTrip(t, c, r, "hello from schannel "+cb.S.Name())
			n.add("round trip through -rev")
		})
	}
	opensslServerFeatures(t, peer)
}

// opensslServerFeatures: our client against s_server in the scenarios
// beyond the plain handshake.
func opensslServerFeatures(t *testing.T, peer string) {
	const ours = "client"
	feature := func(name string, v tlsVersion) cell {
		return cell{Peer: peer, Ours: ours, Version: v.Name, Feature: name}
	}
	for _, v := range versions {
		runCell(t, feature("ALPN", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startSServer(t, ctx, false, v.OpenSSL, "-rev", "-alpn", "h2,http/1.1")
			cfg := thePKI.clientConfig()
			cfg.NextProtos = []string{"h2", "http/1.1"}
			c, _ := dialOurs(t, ctx, addr, cfg)
			assert.Equal(t, "h2", c.ConnectionState().NegotiatedProtocol)
			revRoundTrip(t, c, newLineReader(c), "alpn")
			assert.Contains(t, p.outputWith("ALPN protocols advertised by the client: h2, http/1.1"), "ALPN protocols advertised by the client: h2, http/1.1")
			n.add("offered h2,http/1.1; s_server -alpn h2,http/1.1 chose %q", c.ConnectionState().NegotiatedProtocol)
		})

		runCell(t, feature("client certificate", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startSServer(t, ctx, false, v.OpenSSL, "-rev", "-Verify", "1", "-verify_return_error", "-CAfile", thePKI.CAFile)
			cfg := thePKI.clientConfig()
			cfg.Certificates = []tls.Certificate{thePKI.Client}
			c, _ := dialOurs(t, ctx, addr, cfg)
			revRoundTrip(t, c, newLineReader(c), "mutual")
			p.waitText("CN = client", 5*time.Second)
			assert.Contains(t, p.outputWith("verify return:1"), "verify return:1")
			n.add("s_server -Verify 1 verified our certificate (CN=client)")
		})

		runCell(t, feature("ECDSA P-521 certificates", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startSServerWith(t, ctx, thePKI.P521File, thePKI.P521Key, v.OpenSSL, "-rev", "-groups", "P-521",
				"-Verify", "1", "-verify_return_error", "-CAfile", thePKI.CAFile)
			cfg := thePKI.clientConfig()
			cfg.Certificates = []tls.Certificate{thePKI.ClientP521}
			cfg.CurvePreferences = []tls.CurveID{tls.CurveP521}
			c, _ := dialOurs(t, ctx, addr, cfg)
			st, info := connInfo(c)
			assertP521(t, n, st, info, v)
			revRoundTrip(t, c, newLineReader(c), "p521")
			p.waitText("CN = client", 5*time.Second)
			n.add("s_server with a P-521 certificate and -groups P-521 verified our P-521 client certificate")
		})

		runCell(t, feature("exported keying material", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			// Not -rev: only the default mode prints the connection's details.
			p, addr := startSServer(t, ctx, false, v.OpenSSL, "-keymatexport", exporterLabel, "-keymatexportlen", "40")
			c, _ := dialOurs(t, ctx, addr, thePKI.clientConfig())
			ours, err := c.ExportKeyingMaterial(exporterLabel, nil, 40)
			require.NoError(t, err)
			m := p.waitFor(keyingMaterialLine, 5*time.Second)
			assert.Equal(t, m[1], strings.ToUpper(hex.EncodeToString(ours)))
			n.add("Conn.ExportKeyingMaterial(%q, no context, 40) equals s_server -keymatexport", exporterLabel)
		})

		runCell(t, feature("resumption", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			_, addr := startSServer(t, ctx, false, v.OpenSSL, "-rev")
			cfg := thePKI.clientConfig()
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
			c1, _ := dialOurs(t, ctx, addr, cfg)
			assert.False(t, c1.ConnectionState().DidResume)
			revRoundTrip(t, c1, newLineReader(c1), "first")
			require.NoError(t, c1.Close())
			c2, _ := dialOurs(t, ctx, addr, cfg)
			assert.True(t, c2.ConnectionState().DidResume, "the second connection did not resume")
			revRoundTrip(t, c2, newLineReader(c2), "second")
			n.add("second connection with the same ClientSessionCache: DidResume=%v", c2.ConnectionState().DidResume)
		})

		runCell(t, feature("close without close_notify", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startSServer(t, ctx, false, v.OpenSSL, "-rev")
			c, _ := dialOurs(t, ctx, addr, thePKI.clientConfig())
			r := newLineReader(c)
			revRoundTrip(t, c, r, "before the kill")
			p.kill()
			r.expectEnd(t, io.ErrUnexpectedEOF)
			n.add("s_server killed (SIGKILL): our Read returns io.ErrUnexpectedEOF")
		})

		runCell(t, feature("close_notify", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			_, addr := startSServer(t, ctx, false, v.OpenSSL, "-rev")
			c, _ := dialOurs(t, ctx, addr, thePKI.clientConfig())
			r := newLineReader(c)
			revRoundTrip(t, c, r, "before close")
			_, err := io.WriteString(c, "CLOSE\n")
			require.NoError(t, err)
			r.expectEnd(t, io.EOF) // only a decrypted close_notify gives io.EOF
			n.add("\"CLOSE\" to s_server -rev: it sends close_notify, our Read returns io.EOF")
		})
	}

	runCell(t, feature("HelloRetryRequest", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		p, addr := startSServer(t, ctx, false, "-tls1_3", "-rev", "-groups", "P-384")
		c, tr := dialOurs(t, ctx, addr, thePKI.clientConfig()) // our default groups: no P-384 key share
		_, info := connInfo(c)
		assert.Equal(t, tls.CurveP384, info.KeyExchangeGroup)
		assert.Equal(t, 2, tr.snapshot().flights, "ClientHello flights: 2 after a HelloRetryRequest")
		revRoundTrip(t, c, newLineReader(c), "after HRR")
		assert.Len(t, clientHelloIn.FindAllString(p.output(), -1), 2, "ClientHellos s_server received")
		n.add("s_server -groups P-384 against our default key shares: HRR, then %s", info.KeyExchangeGroup)
	})

	for _, v := range versions {
		runCell(t, feature("tiny records (-max_send_frag 512)", v), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			_, addr := startSServer(t, ctx, false, v.OpenSSL, "-rev", "-max_send_frag", "512")
			c, tr := dialOurs(t, ctx, addr, thePKI.clientConfig())
			msg := strings.Repeat("0123456789abcdef", 400) // 6400 bytes
			revRoundTrip(t, c, newLineReader(c), msg)
			records := tr.snapshot().records
			assert.GreaterOrEqual(t, records, 12, "DecryptMessage calls for a 6400-byte answer in 512-byte records")
			n.add("6400-byte line back in %d records", records)
		})
	}

	for _, cmd := range []string{"k", "K"} {
		name := "peer KeyUpdate (\"k\")"
		if cmd == "K" {
			name = "peer KeyUpdate requesting ours (\"K\")"
		}
		runCell(t, feature(name, tls13), "", true, func(t *testing.T, n *notes) {
			ctx := cellContext(t)
			p, addr := startSServer(t, ctx, false, "-tls1_3")
			c, tr := dialOurs(t, ctx, addr, thePKI.clientConfig())
			r := newLineReader(c)
			_, err := io.WriteString(c, "ping-from-schannel\n")
			require.NoError(t, err)
			p.waitText("ping-from-schannel", 10*time.Second)
			p.send(cmd + "\n")
			p.waitFor(keyUpdateSent, 10*time.Second)
			p.send("pong-after-keyupdate\n")
			assert.Equal(t, "pong-after-keyupdate", r.line(t))
			_, err = io.WriteString(c, "ping-after-keyupdate\n")
			require.NoError(t, err)
			p.waitText("ping-after-keyupdate", 10*time.Second)
			assert.GreaterOrEqual(t, tr.snapshot().renegotiates, 1, "SEC_I_RENEGOTIATE for the KeyUpdate")
			if cmd == "K" {
				assert.Regexp(t, `<<< [^\n]*KeyUpdate`, p.outputMatching(`<<< [^\n]*KeyUpdate`), "our KeyUpdate answer")
				n.add("s_server \"K\": we answered with our own KeyUpdate; data both ways after it")
			} else {
				assert.NotRegexp(t, `<<< [^\n]*KeyUpdate`, p.output(), "a KeyUpdate that was not requested")
				n.add("s_server \"k\": data both ways after it")
			}
		})
	}

	runCell(t, feature("our KeyUpdate requesting the peer's", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		p, addr := startSServer(t, ctx, false, "-tls1_3", "-rev")
		c, _ := dialOurs(t, ctx, addr, thePKI.clientConfig())
		r := newLineReader(c)
		revRoundTrip(t, c, r, "before")
		require.NoError(t, c.KeyUpdate(true))
		revRoundTrip(t, c, r, "after our KeyUpdate")
		revRoundTrip(t, c, r, "and again")
		assert.Regexp(t, `<<< [^\n]*KeyUpdate`, p.outputMatching(`<<< [^\n]*KeyUpdate`))
		assert.Regexp(t, `>>> [^\n]*KeyUpdate`, p.outputMatching(`>>> [^\n]*KeyUpdate`), "s_server's answering KeyUpdate")
		n.add("KeyUpdate(true): s_server answered with its own; data both ways after it")
		if strings.Contains(p.output(), "read R BLOCK") {
			n.add("(s_server -rev sleeps 1 s when a read yields no data, as after a KeyUpdate)")
		}
	})

	runCell(t, feature("two tickets (-num_tickets 2)", tls13), "", true, func(t *testing.T, n *notes) {
		ctx := cellContext(t)
		_, addr := startSServer(t, ctx, false, "-tls1_3", "-rev", "-num_tickets", "2")
		cfg := thePKI.clientConfig()
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(8)
		c1, tr := dialOurs(t, ctx, addr, cfg)
		r := newLineReader(c1)
		revRoundTrip(t, c1, r, "first")
		revRoundTrip(t, c1, r, "second")
		assert.Equal(t, 2, tr.snapshot().renegotiates, "SEC_I_RENEGOTIATE once per ticket")
		require.NoError(t, c1.Close())
		c2, _ := dialOurs(t, ctx, addr, cfg)
		assert.True(t, c2.ConnectionState().DidResume)
		revRoundTrip(t, c2, newLineReader(c2), "resumed")
		n.add("%d tickets read between records; the next connection resumed=%v", tr.snapshot().renegotiates, c2.ConnectionState().DidResume)
	})
}
