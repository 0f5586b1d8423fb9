//go:build linux

package interop_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpenSSLRenegotiationIsRefused: openssl s_client -tls1_2 asks our
// server to renegotiate (R on its standard input sends a new ClientHello).
// Our server must answer with a no_renegotiation warning (RFC 5746 4.4)
// instead of leaving s_client waiting for a ServerHello that never comes;
// the server sends it from the reader, since nothing is being written.
func TestOpenSSLRenegotiationIsRefused(t *testing.T) {
	requirePeer(t, "openssl")
	ctx := cellContext(t)
	srv := startOurServer(t, ctx, thePKI.serverConfig(false), echoLines(nil))
	p := startSClient(t, ctx, srv.addr, "-tls1_2")
	pingPong(t, p, "ping-before")
	p.send("R\n")
	p.waitText("no_renegotiation", 10*time.Second)
	out := p.output()
	require.Contains(t, out, ">>> TLS 1.2, Handshake [length", "s_client sent its renegotiation ClientHello")
	assert.True(t, strings.Contains(out, "warning no_renegotiation") || strings.Contains(out, "Alert [length 0002], warning"),
		"a warning-level alert: %s", out[max(0, len(out)-800):])
	// s_client gives up on the renegotiation (OpenSSL ends the connection
	// with handshake_failure) or goes on; either way nobody waits.
	p.closeStdin()
	res := srv.next(t, 10*time.Second)
	_ = p.wait(10 * time.Second)
	t.Logf("our server's connection ended with %v", res.err)
}

// TestOpenSSLHelloRequestIsRefused: openssl s_server -tls1_2 asks our client
// to renegotiate (r on its standard input sends a HelloRequest). Our client,
// busy only reading, answers with a no_renegotiation warning (RFC 5746 4.2)
// from the reader. OpenSSL 3.0 then ends the connection with a fatal
// handshake_failure, which our Read reports: nobody is left waiting.
func TestOpenSSLHelloRequestIsRefused(t *testing.T) {
	requirePeer(t, "openssl")
	ctx := cellContext(t)
	p, addr := startSServer(t, ctx, false, "-tls1_2")
	c, _ := dialOurs(t, ctx, addr, thePKI.clientConfig())
	_, err := c.Write([]byte("hello\n"))
	require.NoError(t, err)
	p.waitText("hello", 10*time.Second)
	readErr := make(chan error, 1)
	go func() {
		buf := make([]byte, 100)
		for {
			if _, err := c.Read(buf); err != nil {
				readErr <- err
				return
			}
		}
	}()
	p.send("r\n")
	p.waitText("warning no_renegotiation", 10*time.Second)
	select {
	case err := <-readErr:
		t.Logf("our Read ended with %v", err)
		assert.ErrorContains(t, err, "handshake_failure", "OpenSSL's answer to the refusal")
	case <-time.After(10 * time.Second):
		t.Fatalf("our Read did not return; s_server said:\n%s", p.output())
	}
}
