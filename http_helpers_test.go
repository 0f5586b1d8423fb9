package schannel_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tlsReportHandler answers with what the request saw of TLS: the protocol,
// and Request.TLS as net/http (or x/net/http2) filled it in.
func tlsReportHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			fmt.Fprintf(w, "%s no-tls", r.Proto)
			return
		}
		fmt.Fprintf(w, "%s complete=%v %s %s alpn=%s", r.Proto, r.TLS.HandshakeComplete,
			tls.VersionName(r.TLS.Version), tls.CipherSuiteName(r.TLS.CipherSuite), r.TLS.NegotiatedProtocol)
	})
}

// startHTTPServer serves h with schannel.HTTPServer on loopback; the server
// is shut down when the test ends.
func startHTTPServer(t *testing.T, h http.Handler, cfg *tls.Config, trace func(schannel.TraceEvent)) (*schannel.HTTPServer, string, <-chan error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &schannel.HTTPServer{Server: &http.Server{Handler: h, ReadHeaderTimeout: connTestTimeout}, Config: cfg, Trace: trace}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return srv, "https://" + l.Addr().String(), served
}

func getBody(t *testing.T, c *http.Client, url string) (string, *http.Response) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return string(body), resp
}

// TestHTTPServerProtocolsAndRequestTLS: HTTPServer gives HTTP/2 to clients
// that offer h2 and HTTP/1.1 to the others, and in both Request.TLS is the
// completed handshake (net/http on our plain listener reports
// HandshakeComplete false). Clients: net/http over crypto/tls with and
// without HTTP/2, and this package's HTTPTransport.
func TestHTTPServerProtocolsAndRequestTLS(t *testing.T) {
	p := pki(t)
	_, base, _ := startHTTPServer(t, tlsReportHandler(), p.serverConfig(), nil)
	ours := schannel.NewHTTPTransport(p.clientConfig())
	ours.Proxy = nil
	oursH1 := schannel.NewHTTPTransport(p.clientConfig())
	oursH1.Proxy, oursH1.DisableHTTP2 = nil, true
	cryptoH2 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com"}, ForceAttemptHTTP2: true}
	cryptoH1 := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", NextProtos: []string{"http/1.1"}},
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{}}
	for _, tc := range []struct {
		name  string
		rt    http.RoundTripper
		proto string
	}{
		{"crypto/tls h2", cryptoH2, "HTTP/2.0"},
		{"crypto/tls http/1.1", cryptoH1, "HTTP/1.1"},
		{"HTTPTransport", ours, "HTTP/2.0"},
		{"HTTPTransport DisableHTTP2", oursH1, "HTTP/1.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Transport: tc.rt, Timeout: connTestTimeout}
			defer c.CloseIdleConnections()
			body, resp := getBody(t, c, base+"/")
			assert.Equal(t, tc.proto, resp.Proto)
			alpn := map[string]string{"HTTP/2.0": "h2", "HTTP/1.1": "http/1.1"}[tc.proto]
			assert.Equal(t, tc.proto+" complete=true TLS 1.3 TLS_AES_128_GCM_SHA256 alpn="+alpn, body)
			require.NotNil(t, resp.TLS, "Response.TLS")
			assert.True(t, resp.TLS.HandshakeComplete)
			assert.Equal(t, alpn, resp.TLS.NegotiatedProtocol)
		})
	}
}

// TestHTTPServerGracefulShutdown: Shutdown waits for the requests in flight
// on HTTP/1.1 and HTTP/2, which complete normally, and then Serve returns
// ErrHTTPServerClosed.
func TestHTTPServerGracefulShutdown(t *testing.T) {
	p := pki(t)
	release := make(chan struct{})
	var started sync.WaitGroup
	started.Add(2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started.Done()
		<-release
		fmt.Fprintf(w, "done over %s", r.Proto)
	})
	srv, base, served := startHTTPServer(t, h, p.serverConfig(), nil)
	h2 := schannel.NewHTTPTransport(p.clientConfig())
	h2.Proxy = nil
	h1 := schannel.NewHTTPTransport(p.clientConfig())
	h1.Proxy, h1.DisableHTTP2 = nil, true
	results := make(chan string, 2)
	for _, rt := range []http.RoundTripper{h2, h1} {
		go func() {
			c := &http.Client{Transport: rt, Timeout: connTestTimeout}
			resp, err := c.Get(base + "/slow")
			if err != nil {
				results <- "error: " + err.Error()
				return
			}
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			results <- string(body)
		}()
	}
	started.Wait()
	shutdown := connAsync(func() error {
		ctx, cancel := context.WithTimeout(context.Background(), connTestTimeout)
		defer cancel()
		return srv.Shutdown(ctx)
	})
	select {
	case err := <-shutdown:
		require.FailNow(t, "Shutdown returned with requests in flight", "%v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	got := []string{connWait(t, results), connWait(t, results)}
	assert.ElementsMatch(t, []string{"done over HTTP/2.0", "done over HTTP/1.1"}, got)
	require.NoError(t, connWait(t, shutdown))
	assert.ErrorIs(t, connWait(t, served), schannel.ErrHTTPServerClosed)

	_, err := (&http.Client{Transport: schannel.NewHTTPTransport(p.clientConfig()), Timeout: time.Second}).Get(base + "/after")
	assert.Error(t, err, "no connection after Shutdown")
}

// TestHTTPTransportWithCryptoTLSServers: the transport speaks HTTP/2 to a
// net/http server that offers it and HTTP/1.1 to one that does not,
// reusing one connection for sequential requests in both cases (one
// handshake), and sets Response.TLS.
func TestHTTPTransportWithCryptoTLSServers(t *testing.T) {
	for _, h2 := range []bool{true, false} {
		t.Run(fmt.Sprintf("server h2=%v", h2), func(t *testing.T) {
			srv := httptest.NewUnstartedServer(tlsReportHandler())
			srv.EnableHTTP2 = h2
			srv.StartTLS()
			defer srv.Close()
			roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
			var log connTraceLog
			tr := schannel.NewHTTPTransport(&tls.Config{RootCAs: roots})
			tr.Proxy, tr.Trace = nil, log.hook
			c := &http.Client{Transport: tr, Timeout: connTestTimeout}
			defer c.CloseIdleConnections()
			want := map[bool]string{true: "HTTP/2.0", false: "HTTP/1.1"}[h2]
			for i := range 3 {
				body, resp := getBody(t, c, srv.URL+"/"+itoa(i))
				assert.Equal(t, want, resp.Proto)
				assert.Contains(t, body, want+" complete=true TLS 1.3")
				require.NotNil(t, resp.TLS)
				assert.True(t, resp.TLS.HandshakeComplete)
			}
			assert.Equal(t, 1, log.count("InitializeSecurityContext", schannel.SEC_I_CONTINUE_NEEDED), "one handshake for three requests")
		})
	}
}

// connectProxy is an HTTP proxy that only does CONNECT (RFC 9110 9.3.6),
// requiring Basic credentials when user is set, and records the targets.
type connectProxy struct {
	user, password string
	mu             sync.Mutex
	targets        []string
	refused        atomic.Int32
}

func (p *connectProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	if p.user != "" && r.Header.Get("Proxy-Authorization") != "Basic "+base64.StdEncoding.EncodeToString([]byte(p.user+":"+p.password)) {
		p.refused.Add(1)
		w.Header().Set("Proxy-Authenticate", `Basic realm="test"`)
		http.Error(w, "credentials needed", http.StatusProxyAuthRequired)
		return
	}
	p.mu.Lock()
	p.targets = append(p.targets, r.Host)
	p.mu.Unlock()
	upstream, err := net.Dial("tcp", r.Host)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		_ = upstream.Close()
		return
	}
	if _, err := io.WriteString(conn, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = upstream.Close()
		_ = conn.Close()
		return
	}
	go func() {
		_, _ = io.Copy(upstream, brw)
		_ = upstream.Close()
	}()
	_, _ = io.Copy(conn, upstream)
	_ = conn.Close()
}

// TestHTTPTransportThroughProxy: HTTPS through a CONNECT proxy, with our TLS
// inside the tunnel and HTTP/2 chosen end to end; wrong credentials are a
// clear error.
func TestHTTPTransportThroughProxy(t *testing.T) {
	p := pki(t)
	_, base, _ := startHTTPServer(t, tlsReportHandler(), p.serverConfig(), nil)
	proxy := &connectProxy{user: "alice", password: "s3cret"}
	proxySrv := httptest.NewServer(proxy)
	defer proxySrv.Close()
	proxyURL, err := url.Parse(proxySrv.URL)
	require.NoError(t, err)

	proxyURL.User = url.UserPassword("alice", "s3cret")
	tr := schannel.NewHTTPTransport(p.clientConfig())
	tr.Proxy = http.ProxyURL(proxyURL)
	c := &http.Client{Transport: tr, Timeout: connTestTimeout}
	defer c.CloseIdleConnections()
	body, resp := getBody(t, c, base+"/via-proxy")
	assert.Equal(t, "HTTP/2.0", resp.Proto)
	assert.Contains(t, body, "complete=true")
	proxy.mu.Lock()
	assert.Equal(t, []string{base[len("https://"):]}, proxy.targets)
	proxy.mu.Unlock()

	proxyURL.User = url.UserPassword("alice", "wrong")
	bad := schannel.NewHTTPTransport(p.clientConfig())
	bad.Proxy = http.ProxyURL(proxyURL)
	_, err = (&http.Client{Transport: bad, Timeout: connTestTimeout}).Get(base + "/refused")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "407")
	assert.Equal(t, int32(1), proxy.refused.Load())
}

// TestHTTPTransportHandshakeTimeout: TLSHandshakeTimeout bounds a server
// that accepts and never answers.
func TestHTTPTransportHandshakeTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, bufio.NewReader(c)) }() // read, never answer
		}
	}()
	tr := schannel.NewHTTPTransport(&tls.Config{InsecureSkipVerify: true})
	tr.Proxy, tr.TLSHandshakeTimeout = nil, 100*time.Millisecond
	start := time.Now()
	_, err = (&http.Client{Transport: tr}).Get("https://" + ln.Addr().String() + "/")
	require.Error(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
}

// TestHTTPServerShutdownClosesHandshakes: a client that connects and never
// sends a ClientHello does not hold up Shutdown.
func TestHTTPServerShutdownClosesHandshakes(t *testing.T) {
	p := pki(t)
	srv, base, served := startHTTPServer(t, tlsReportHandler(), p.serverConfig(), nil)
	silent, err := net.Dial("tcp", base[len("https://"):])
	require.NoError(t, err)
	defer silent.Close()
	time.Sleep(50 * time.Millisecond) // accepted, handshake waiting
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, srv.Shutdown(ctx))
	assert.Less(t, time.Since(start), 2*time.Second)
	assert.ErrorIs(t, connWait(t, served), schannel.ErrHTTPServerClosed)
}

// TestHTTPTransportThroughHTTPSProxy: an https:// proxy is reached with our
// TLS too (HTTP/1.1), and the server's TLS runs inside that TLS tunnel.
func TestHTTPTransportThroughHTTPSProxy(t *testing.T) {
	p := pki(t)
	_, base, _ := startHTTPServer(t, tlsReportHandler(), p.serverConfig(), nil)
	proxy := &connectProxy{}
	proxyCfg := p.serverConfig()
	proxyCfg.NextProtos = []string{"http/1.1"}
	var proxyLog connTraceLog
	_, proxyBase, _ := startHTTPServer(t, proxy, proxyCfg, proxyLog.hook)
	proxyURL, err := url.Parse(proxyBase)
	require.NoError(t, err)

	tr := schannel.NewHTTPTransport(p.clientConfig())
	tr.Proxy = http.ProxyURL(proxyURL)
	c := &http.Client{Transport: tr, Timeout: connTestTimeout}
	defer c.CloseIdleConnections()
	body, resp := getBody(t, c, base+"/via-https-proxy")
	assert.Equal(t, "HTTP/2.0", resp.Proto)
	assert.Contains(t, body, "complete=true")
	proxy.mu.Lock()
	assert.Equal(t, []string{base[len("https://"):]}, proxy.targets)
	proxy.mu.Unlock()
	assert.Equal(t, 1, proxyLog.count("AcceptSecurityContext", schannel.SEC_E_OK), "the proxy's own TLS is ours")
}

// TestHTTPTransportConcurrentFirstRequests: requests that race to a new
// HTTP/1.1-only server all fall back from the HTTP/2 attempt and succeed.
func TestHTTPTransportConcurrentFirstRequests(t *testing.T) {
	srv := httptest.NewUnstartedServer(tlsReportHandler())
	srv.StartTLS() // HTTP/1.1 only
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs
	tr := schannel.NewHTTPTransport(&tls.Config{RootCAs: roots})
	tr.Proxy = nil
	c := &http.Client{Transport: tr, Timeout: connTestTimeout}
	defer c.CloseIdleConnections()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			resp, err := c.Get(srv.URL + "/c" + itoa(i))
			if !assert.NoError(t, err) {
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			assert.NoError(t, err)
			assert.Equal(t, "HTTP/1.1", resp.Proto)
			assert.Contains(t, string(body), "HTTP/1.1 complete=true")
		})
	}
	wg.Wait()
}
