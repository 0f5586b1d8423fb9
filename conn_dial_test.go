package schannel_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bannerListener serves "hello\n" then echoes, on our Listen, until the test
// ends. It returns the address.
func bannerListener(t *testing.T, cfg *tls.Config, opts ...schannel.ListenerOption) string {
	t.Helper()
	ln, err := schannel.Listen("tcp", "127.0.0.1:0", cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.SetDeadline(time.Now().Add(connTestTimeout))
			go func() { _ = bannerEcho(c, "hello\n") }()
		}
	}()
	return ln.Addr().String()
}

func readBanner(t *testing.T, c net.Conn) {
	t.Helper()
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "hello\n", line)
}

func TestConnDial(t *testing.T) {
	p := pki(t)
	var serverLog connTraceLog
	addr := bannerListener(t, p.serverConfig(), schannel.WithTrace(serverLog.hook))
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)

	t.Run("server name from the address", func(t *testing.T) {
		cfg := &tls.Config{RootCAs: p.ca.Pool} // the certificate names 127.0.0.1
		c, err := schannel.Dial("tcp", addr, cfg)
		require.NoError(t, err)
		defer c.Close()
		assert.Empty(t, cfg.ServerName, "the caller's config is not modified")
		assert.True(t, c.ConnectionState().HandshakeComplete, "Dial completes the handshake")
		readBanner(t, c)
	})
	t.Run("server name from the config", func(t *testing.T) {
		c, err := schannel.DialWithDialer(&net.Dialer{Timeout: connTestTimeout}, "tcp", "localhost:"+port, p.clientConfig())
		if err != nil {
			t.Skip("localhost does not resolve here:", err)
		}
		defer c.Close()
		assert.Equal(t, "example.com", c.ConnectionState().ServerName)
	})
	t.Run("wrong name", func(t *testing.T) {
		cfg := p.clientConfig()
		cfg.ServerName = "elsewhere.example"
		c, err := schannel.Dial("tcp", addr, cfg)
		assert.Nil(t, c)
		assert.ErrorIs(t, err, schannel.SEC_E_WRONG_PRINCIPAL)
	})
	t.Run("Dialer", func(t *testing.T) {
		var log connTraceLog
		d := &schannel.Dialer{Config: &tls.Config{RootCAs: p.ca.Pool}, Trace: log.hook}
		c, err := d.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		require.IsType(t, &schannel.Conn{}, c)
		readBanner(t, c)
		assert.Equal(t, 1, log.count("InitializeSecurityContext", schannel.SEC_I_CONTINUE_NEEDED))
	})
	t.Run("cancelled context", func(t *testing.T) {
		d := &schannel.Dialer{Config: p.clientConfig()}
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		c, err := d.DialContext(ctx, "tcp", addr)
		assert.ErrorIs(t, err, context.Canceled)
		assert.True(t, c == nil, "a nil interface, not a nil *Conn inside one")
	})
	assert.Positive(t, serverLog.count("AcceptSecurityContext", schannel.SEC_E_OK), "WithTrace reaches accepted connections")
}

func TestConnListenNeedsCertificate(t *testing.T) {
	_, err := schannel.Listen("tcp", "127.0.0.1:0", nil)
	assert.Error(t, err)
	_, err = schannel.Listen("tcp", "127.0.0.1:0", &tls.Config{})
	assert.Error(t, err)
}

// TestConnResumption: a client with a ClientSessionCache resumes. A TLS 1.3
// ticket arrives after the handshake, through Read (SEC_I_RENEGOTIATE); a
// TLS 1.2 one within the handshake.
func TestConnResumption(t *testing.T) {
	p := pki(t)
	addr := bannerListener(t, p.serverConfig())
	for _, version := range []uint16{tls.VersionTLS13, tls.VersionTLS12} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			cfg := p.clientConfig()
			cfg.MaxVersion = version
			cfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			d := &schannel.Dialer{Config: cfg}
			for i, want := range []bool{false, true, true} {
				c, err := d.Dial("tcp", addr)
				require.NoError(t, err)
				conn := c.(*schannel.Conn)
				assert.Equal(t, want, conn.ConnectionState().DidResume, "connection %d", i)
				assert.Equal(t, version, conn.ConnectionState().Version)
				readBanner(t, conn) // a TLS 1.3 ticket comes before the banner
				require.NoError(t, conn.Close())
			}
		})
	}
}

// TestConnSlogTrace: the slog adapter logs routine calls at Debug and
// failures at Warn.
func TestConnSlogTrace(t *testing.T) {
	p := pki(t)
	var out peertest.Buffer
	logger := newTextLogger(&out)
	rc, rs := connTCPPair(t)
	client := schannel.Client(rc, p.clientConfig())
	client.SetTrace(schannel.SlogTrace(logger))
	server := schannel.Server(rs, p.serverConfig())
	connHandshake(t, client, server)
	require.NoError(t, client.Close())
	_, _ = io.ReadAll(server)
	logged := out.String()
	assert.Contains(t, logged, `level=DEBUG msg=sspi func=InitializeSecurityContext status=SEC_I_CONTINUE_NEEDED in=[] out="[TOKEN(`)
	assert.Contains(t, logged, "func=ApplyControlToken status=SEC_E_OK")

	out.Reset()
	ccfg := p.clientConfig()
	ccfg.ServerName = "elsewhere.example"
	rc, rs = connTCPPair(t)
	client = schannel.Client(rc, ccfg)
	client.SetTrace(schannel.SlogTrace(logger))
	go func() { _ = schannel.Server(rs, p.serverConfig()).Handshake() }()
	require.Error(t, client.Handshake())
	assert.Contains(t, out.String(), "level=WARN msg=sspi func=InitializeSecurityContext status=SEC_E_WRONG_PRINCIPAL")
}

func TestConnWithCredentials(t *testing.T) {
	p := pki(t)
	ccred, err := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_OUTBOUND, &tls.Config{RootCAs: p.ca.Pool})
	require.NoError(t, err)
	scred, err := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_INBOUND, p.serverConfig())
	require.NoError(t, err)
	c1, c2 := tcpPair(t)
	client := schannel.ClientWithCredentials(c1, ccred, "example.com")
	server := schannel.ServerWithCredentials(c2, scred)
	defer client.Close()
	defer server.Close()
	go func() {
		buf := make([]byte, 5)
		if _, err := io.ReadFull(server, buf); err == nil {
			_, _ = server.Write(buf)
		}
	}()
	_, err = client.Write([]byte("hello"))
	require.NoError(t, err)
	got := make([]byte, 5)
	_, err = io.ReadFull(client, got)
	require.NoError(t, err)
	assert.Equal(t, "hello", string(got))
	assert.Equal(t, "example.com", client.ConnectionState().ServerName, "the target name given with the credentials")
}
