package schannel_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// httpTestHandler answers GET with a fixed body and echoes POST bodies with
// their length.
func httpTestHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("X-Length", fmt.Sprint(len(body)))
			_, _ = w.Write(body)
			return
		}
		fmt.Fprintf(w, "hello from %s over %s", r.URL.Path, r.Proto)
	})
}

// httpClientFor is an http.Client whose TLS is this package's, with a
// deadline on the whole exchange.
func httpClientFor(cfg *tls.Config, trace func(schannel.TraceEvent)) *http.Client {
	d := &schannel.Dialer{Config: cfg, Trace: trace, NetDialer: &net.Dialer{Timeout: connTestTimeout}}
	return &http.Client{
		Timeout:   connTestTimeout,
		Transport: &http.Transport{DialTLSContext: d.DialContext},
	}
}

// TestHTTPOurClientWithHTTPTestServer: net/http's Transport dials through
// schannel.Dialer to an httptest TLS server (crypto/tls, which sends a
// session ticket after the handshake).
func TestHTTPOurClientWithHTTPTestServer(t *testing.T) {
	srv := httptest.NewUnstartedServer(httpTestHandler())
	srv.StartTLS()
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	var log connTraceLog
	client := httpClientFor(&tls.Config{RootCAs: roots}, log.hook)
	defer client.CloseIdleConnections()

	for i := range 3 { // the second and third requests reuse the connection
		resp, err := client.Get(srv.URL + "/page" + itoa(i))
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "hello from /page"+itoa(i)+" over HTTP/1.1", string(body))
	}
	big := randomBytes(1<<20+3, 11)
	resp, err := client.Post(srv.URL+"/upload", "application/octet-stream", bytes.NewReader(big))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, fmt.Sprint(len(big)), resp.Header.Get("X-Length"))
	assert.True(t, bytes.Equal(big, body))
	assert.Equal(t, 1, log.count("InitializeSecurityContext", schannel.SEC_I_CONTINUE_NEEDED), "one connection, kept alive")
	assert.GreaterOrEqual(t, log.count("DecryptMessage", schannel.SEC_I_RENEGOTIATE), 1, "the session ticket")
}

// serveListener runs srv on l until the test ends.
func serveListener(t *testing.T, srv interface{ Serve(net.Listener) error }, l net.Listener) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		if s, ok := srv.(interface{ Close() error }); ok {
			_ = s.Close()
		}
		_ = l.Close()
		if err := connWait(t, done); err != nil && !errors.Is(err, http.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
}

// TestHTTPServerOnOurListener: an http.Server serving on NewListener,
// fetched by a plain net/http client (crypto/tls), with keep-alive and
// concurrent requests.
func TestHTTPServerOnOurListener(t *testing.T) {
	p := pki(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var log connTraceLog
	ln := schannel.NewListener(inner, p.serverConfig(), schannel.WithTrace(log.hook))
	srv := &http.Server{Handler: httpTestHandler(), ReadHeaderTimeout: connTestTimeout}
	serveListener(t, srv, ln)

	client := &http.Client{Timeout: connTestTimeout, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: p.ca.Pool},
	}}
	defer client.CloseIdleConnections()
	url := "https://" + inner.Addr().String()

	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			resp, err := client.Get(url + "/r" + itoa(i))
			if !assert.NoError(t, err) {
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			assert.NoError(t, err)
			assert.Equal(t, "hello from /r"+itoa(i)+" over HTTP/1.1", string(body))
		})
	}
	wg.Wait()
	big := randomBytes(300000, 12)
	resp, err := client.Post(url, "application/octet-stream", bytes.NewReader(big))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.True(t, bytes.Equal(big, body))
	assert.Equal(t, "HTTP/1.1", resp.Proto)
	assert.Positive(t, log.count("AcceptSecurityContext", schannel.SEC_E_OK))
}

// h2Server serves HTTP/2 with x/net/http2 on every connection that
// negotiated "h2": net/http only hands *tls.Conn to TLSNextProto, so the
// connections of our listener go to http2.Server.ServeConn directly.
type h2Server struct {
	handler http.Handler
	h2      http2.Server
	wg      sync.WaitGroup
}

func (s *h2Server) Serve(l net.Listener) error {
	defer s.wg.Wait()
	for {
		c, err := l.Accept()
		if err != nil {
			return err
		}
		s.wg.Go(func() {
			defer c.Close()
			conn := c.(*schannel.Conn)
			ctx, cancel := context.WithTimeout(context.Background(), connTestTimeout)
			defer cancel()
			if err := conn.HandshakeContext(ctx); err != nil {
				return
			}
			if conn.ConnectionState().NegotiatedProtocol != http2.NextProtoTLS {
				return
			}
			s.h2.ServeConn(conn, &http2.ServeConnOpts{Handler: s.handler, Context: ctx})
		})
	}
}

// TestHTTP2OurServerOurClient: HTTP/2 on both sides over this package, with
// ALPN "h2" chosen in the handshake.
func TestHTTP2OurServerOurClient(t *testing.T) {
	p := pki(t)
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	scfg := p.serverConfig()
	scfg.NextProtos = []string{http2.NextProtoTLS, "http/1.1"}
	serveListener(t, &h2Server{handler: httpTestHandler()}, schannel.NewListener(inner, scfg))

	ccfg := p.clientConfig()
	ccfg.NextProtos = []string{http2.NextProtoTLS}
	var log connTraceLog
	d := &schannel.Dialer{Config: ccfg, Trace: log.hook}
	transport := &http2.Transport{DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: connTestTimeout}
	url := "https://" + inner.Addr().String()

	var wg sync.WaitGroup
	for i := range 10 { // multiplexed on one connection
		wg.Go(func() {
			resp, err := client.Get(url + "/s" + itoa(i))
			if !assert.NoError(t, err) {
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			assert.NoError(t, err)
			assert.Equal(t, "HTTP/2.0", resp.Proto)
			assert.Equal(t, "hello from /s"+itoa(i)+" over HTTP/2.0", string(body))
		})
	}
	wg.Wait()
	big := randomBytes(500000, 13)
	resp, err := client.Post(url, "application/octet-stream", bytes.NewReader(big))
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.True(t, bytes.Equal(big, body))
	assert.Equal(t, 1, log.count("InitializeSecurityContext", schannel.SEC_I_CONTINUE_NEEDED), "one connection for every request")
}

// TestHTTP2OurClientWithHTTPTestServer: our client speaks HTTP/2 to
// net/http's own server (crypto/tls, HTTP/2 enabled).
func TestHTTP2OurClientWithHTTPTestServer(t *testing.T) {
	srv := httptest.NewUnstartedServer(httpTestHandler())
	srv.EnableHTTP2 = true
	srv.StartTLS()
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	d := &schannel.Dialer{Config: &tls.Config{RootCAs: roots, NextProtos: []string{http2.NextProtoTLS}}}
	transport := &http2.Transport{DialTLSContext: func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: connTestTimeout}
	resp, err := client.Get(srv.URL + "/h2")
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, "HTTP/2.0", resp.Proto)
	assert.Equal(t, "hello from /h2 over HTTP/2.0", string(body))
}

// TestHTTPDialerTimeout: the dialer's timeout bounds a handshake with a
// server that never answers.
func TestHTTPDialerTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { _ = c.Close() }) // accept and stay silent
		}
	}()
	d := &schannel.Dialer{NetDialer: &net.Dialer{Timeout: 50 * time.Millisecond}, Config: &tls.Config{InsecureSkipVerify: true}}
	_, err = d.Dial("tcp", ln.Addr().String())
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.DeadlineExceeded), "got %v", err)
}
