//go:build linux

package interop_test

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var chromiumVersion = regexp.MustCompile(`Chromium ((\d+)\.[\d.]+)`)

// TestChromium: headless Chromium fetches a page from schannel.HTTPServer
// (HTTP/2 or HTTP/1.1 by ALPN). The browser's real ClientHello (GREASE values, the
// X25519MLKEM768 hybrid, extensions we do not know) must be accepted, and
// the page must reach the DOM.
func TestChromium(t *testing.T) {
	requirePeer(t, "chromium")
	// Debian's wrapper script may print a warning before the version line.
	peer := "Chromium"
	major := 0
	if m := chromiumVersion.FindStringSubmatch(runQuiet("chromium", "--version")); m != nil {
		major, _ = strconv.Atoi(m[2])
		peer = "Chromium " + m[1]
	}
	// Chrome 131 replaced the draft Kyber hybrid with X25519MLKEM768.
	wantMLKEM := major >= 131

	for _, h2 := range []bool{true, false} {
		feature := "headless --dump-dom, HTTP/1.1"
		if h2 {
			feature = "headless --dump-dom, h2"
		}
		c := cell{Peer: peer, Ours: "server", Version: "TLS 1.3", Feature: feature}
		// Chromium takes a few seconds to start and uses both cores: one at a time.
		runCell(t, c, "", false, func(t *testing.T, n *notes) {
			cfg := thePKI.serverConfig(false)
			if h2 {
				cfg.NextProtos = []string{"h2", "http/1.1"}
			} else {
				cfg.NextProtos = []string{"http/1.1"}
			}
			srv := startOurHTTPServer(t, cfg)
			spki := sha256.Sum256(thePKI.ECDSA.Leaf.RawSubjectPublicKeyInfo)
			userData := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			url := fmt.Sprintf("https://127.0.0.1:%d/chromium", srv.port)
			p := startProcEnv(t, ctx, []string{"HOME=" + userData}, "", "chromium",
				"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--user-data-dir="+userData,
				"--ignore-certificate-errors-spki-list="+base64.StdEncoding.EncodeToString(spki[:]),
				"--dump-dom", url)
			p.closeStdin()
			_ = p.wait(85 * time.Second)
			out := p.output()
			require.Contains(t, out, pageMarker, "the page did not reach Chromium's DOM")

			rep := srv.nextRequest(t, 5*time.Second)
			assert.Equal(t, uint16(tls.VersionTLS13), rep.State.Version)
			wantALPN, wantProto := "http/1.1", "HTTP/1.1"
			if h2 {
				wantALPN, wantProto = "h2", "HTTP/2.0"
			}
			assert.Equal(t, wantALPN, rep.State.NegotiatedProtocol)
			assert.Equal(t, wantProto, rep.Proto)
			if assert.NotNil(t, rep.RequestTLS, "Request.TLS") {
				assert.True(t, rep.RequestTLS.HandshakeComplete, "Request.TLS is the completed handshake")
			}
			if wantMLKEM {
				assert.Equal(t, tls.X25519MLKEM768, rep.Info.KeyExchangeGroup, "Chromium %d offers X25519MLKEM768 first", major)
			}
			n.add("%s, %s, %s, ALPN %q, %s, Request.TLS complete; page marker in the dumped DOM",
				tls.VersionName(rep.State.Version), rep.Info.CipherSuiteName, rep.Info.KeyExchangeGroup, rep.State.NegotiatedProtocol, rep.Proto)
		})
	}
}
