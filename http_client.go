package schannel

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// HTTPTransport is an http.RoundTripper whose HTTPS connections are this
// package's Conn. It offers "h2" and "http/1.1" by ALPN and speaks HTTP/2 to
// servers that pick h2 (x/net/http2), HTTP/1.1 to the others (net/http's
// Transport), reusing connections in both cases. Proxies are reached with
// CONNECT, and the TLS inside the tunnel is ours too. Plain http:// requests
// go through the HTTP/1.1 transport unchanged.
//
// http.Transport cannot do this by itself: it switches to HTTP/2 only for a
// *tls.Conn, and for a proxied HTTPS request it runs crypto/tls rather than
// DialTLSContext.
//
//	client := &http.Client{Transport: schannel.NewHTTPTransport(&tls.Config{RootCAs: pool})}
type HTTPTransport struct {
	// Config is the TLS configuration. Its NextProtos is replaced by the
	// protocols the transport speaks; ServerName, when empty, is the
	// request's host.
	Config *tls.Config
	// Proxy picks the proxy of a request, as http.Transport.Proxy: nil
	// means none; NewHTTPTransport sets http.ProxyFromEnvironment. http://
	// and https:// proxies are supported for HTTPS requests (CONNECT).
	Proxy func(*http.Request) (*url.URL, error)
	// NetDialer dials TCP connections, to servers and proxies.
	NetDialer *net.Dialer
	// TLSHandshakeTimeout bounds each handshake (0: no limit beyond the
	// request's context).
	TLSHandshakeTimeout time.Duration
	// DisableHTTP2 offers only http/1.1.
	DisableHTTP2 bool
	// HTTP1 carries HTTP/1.1 and plain http:// requests. Its pool and
	// timeout fields (MaxIdleConnsPerHost, IdleConnTimeout,
	// ResponseHeaderTimeout...) may be set before the first request; Proxy,
	// DialContext, DialTLSContext and TLSNextProto are the transport's own.
	// NewHTTPTransport makes one like http.DefaultTransport.
	HTTP1 *http.Transport
	// HTTP2 carries HTTP/2 requests; its DialTLSContext is the transport's
	// own. Nil means x/net/http2's defaults.
	HTTP2 *http2.Transport //nolint:staticcheck // x/net's HTTP/2 is what speaks over a net.Conn that is not *tls.Conn
	// Trace, if set, receives every SSPI call of the connections dialed.
	Trace func(TraceEvent)

	once sync.Once
	mu   sync.Mutex
	// http1Hosts are the addresses whose server did not choose h2: their
	// requests go straight to HTTP1.
	http1Hosts map[string]bool
	// pending holds connections dialed for HTTP/2 on which the server chose
	// HTTP/1.1: the next HTTP/1.1 dial to that address takes one instead of
	// dialing again.
	pending map[string][]*Conn
}

// errChoseHTTP1 is what the HTTP/2 dial returns when ALPN chose HTTP/1.1.
var errChoseHTTP1 = errors.New("schannel: the server chose HTTP/1.1")

// NewHTTPTransport returns a transport with http.DefaultTransport's
// settings: proxies from the environment, 30 s to connect, 10 s for the
// handshake, idle connections kept for 90 s.
func NewHTTPTransport(config *tls.Config) *HTTPTransport {
	return &HTTPTransport{
		Config:              config,
		Proxy:               http.ProxyFromEnvironment,
		NetDialer:           &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		TLSHandshakeTimeout: 10 * time.Second,
		HTTP1: &http.Transport{
			MaxIdleConns:          100,
			IdleConnTimeout:       90 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
	}
}

func (t *HTTPTransport) init() {
	t.once.Do(func() {
		if t.HTTP1 == nil {
			t.HTTP1 = &http.Transport{}
		}
		if t.NetDialer == nil {
			t.NetDialer = &net.Dialer{}
		}
		userProxy := t.Proxy
		// HTTPS requests never reach HTTP1's own proxy code, which would
		// run crypto/tls in the tunnel: the dial below does CONNECT.
		t.HTTP1.Proxy = func(req *http.Request) (*url.URL, error) {
			if userProxy == nil || req.URL.Scheme == "https" {
				return nil, nil
			}
			return userProxy(req)
		}
		t.HTTP1.DialContext = t.NetDialer.DialContext
		t.HTTP1.DialTLSContext = t.dialHTTP1
		t.HTTP1.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // no crypto/tls HTTP/2
		t.HTTP1.ForceAttemptHTTP2 = false
		if t.HTTP2 == nil {
			t.HTTP2 = &http2.Transport{} //nolint:staticcheck // see the HTTP2 field
		}
		t.HTTP2.DialTLSContext = func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return t.dialHTTP2(ctx, network, addr)
		}
		t.http1Hosts = map[string]bool{}
		t.pending = map[string][]*Conn{}
	})
}

// RoundTrip sends req over HTTP/2 when the server's ALPN choice is h2, over
// HTTP/1.1 otherwise.
func (t *HTTPTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.init()
	if req.URL == nil || req.URL.Scheme != "https" || t.DisableHTTP2 {
		return t.roundTripHTTP1(req)
	}
	addr := canonicalAddr(req.URL)
	t.mu.Lock()
	http1 := t.http1Hosts[addr]
	t.mu.Unlock()
	if http1 {
		return t.roundTripHTTP1(req)
	}
	resp, err := t.HTTP2.RoundTrip(req)
	if errors.Is(err, errChoseHTTP1) {
		// Nothing of the request was sent: the dial came first.
		return t.roundTripHTTP1(req)
	}
	return resp, err
}

// roundTripHTTP1 is HTTP1.RoundTrip, which leaves Response.TLS nil for a
// connection that is not *tls.Conn; it is filled in from our Conn.
func (t *HTTPTransport) roundTripHTTP1(req *http.Request) (*http.Response, error) {
	if req.URL == nil || req.URL.Scheme != "https" {
		return t.HTTP1.RoundTrip(req)
	}
	var (
		mu   sync.Mutex
		conn net.Conn
	)
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		mu.Lock()
		conn = info.Conn
		mu.Unlock()
	}}
	resp, err := t.HTTP1.RoundTrip(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
	if err != nil {
		return nil, err
	}
	mu.Lock()
	c, ok := conn.(*Conn)
	mu.Unlock()
	if resp.TLS == nil && ok {
		state := c.ConnectionState()
		resp.TLS = &state
	}
	return resp, nil
}

// CloseIdleConnections closes the idle connections of both protocols and
// any dialed connection not yet used.
func (t *HTTPTransport) CloseIdleConnections() {
	t.init()
	t.HTTP1.CloseIdleConnections()
	t.HTTP2.CloseIdleConnections()
	t.mu.Lock()
	pending := t.pending
	t.pending = map[string][]*Conn{}
	t.mu.Unlock()
	for _, conns := range pending {
		for _, c := range conns {
			_ = c.Close()
		}
	}
}

// dialHTTP2 dials for the HTTP/2 transport, offering h2 and http/1.1. When
// the server picks HTTP/1.1 the connection is kept for the HTTP/1.1
// transport and the address remembered.
func (t *HTTPTransport) dialHTTP2(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := t.dialTLS(ctx, network, addr, []string{http2.NextProtoTLS, "http/1.1"})
	if err != nil {
		return nil, err
	}
	if c.ConnectionState().NegotiatedProtocol == http2.NextProtoTLS {
		return c, nil
	}
	t.mu.Lock()
	t.http1Hosts[addr] = true
	t.pending[addr] = append(t.pending[addr], c)
	t.mu.Unlock()
	return nil, errChoseHTTP1
}

// dialHTTP1 dials for the HTTP/1.1 transport, or takes a connection the
// HTTP/2 dial left behind.
func (t *HTTPTransport) dialHTTP1(ctx context.Context, network, addr string) (net.Conn, error) {
	t.mu.Lock()
	if conns := t.pending[addr]; len(conns) > 0 {
		c := conns[len(conns)-1]
		t.pending[addr] = conns[:len(conns)-1]
		t.mu.Unlock()
		return c, nil
	}
	t.mu.Unlock()
	c, err := t.dialTLS(ctx, network, addr, []string{"http/1.1"})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// dialTLS connects to addr, through the proxy if there is one, and runs our
// handshake offering protos.
func (t *HTTPTransport) dialTLS(ctx context.Context, network, addr string, protos []string) (*Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	raw, err := t.dialThroughProxy(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	config := t.Config.Clone()
	if config == nil {
		config = &tls.Config{}
	}
	if config.ServerName == "" {
		config.ServerName = host
	}
	config.NextProtos = protos
	c := Client(raw, config)
	c.trace = t.Trace
	hsCtx := ctx
	if t.TLSHandshakeTimeout > 0 {
		var cancel context.CancelFunc
		hsCtx, cancel = context.WithTimeout(ctx, t.TLSHandshakeTimeout)
		defer cancel()
	}
	if err := c.HandshakeContext(hsCtx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return c, nil
}

// dialThroughProxy returns a connection to addr: direct, or a CONNECT
// tunnel through the proxy Proxy names for https://addr.
func (t *HTTPTransport) dialThroughProxy(ctx context.Context, network, addr string) (net.Conn, error) {
	var proxyURL *url.URL
	if t.Proxy != nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodConnect, "https://"+addr, nil)
		if err != nil {
			return nil, err
		}
		if proxyURL, err = t.Proxy(req); err != nil {
			return nil, err
		}
	}
	if proxyURL == nil {
		return t.NetDialer.DialContext(ctx, network, addr)
	}
	proxyAddr := canonicalAddr(proxyURL)
	var conn net.Conn
	var err error
	switch proxyURL.Scheme {
	case "http":
		conn, err = t.NetDialer.DialContext(ctx, network, proxyAddr)
	case "https":
		// TLS to the proxy is ours as well, HTTP/1.1 only.
		var c *Conn
		c, err = t.dialDirectTLS(ctx, network, proxyAddr, proxyURL.Hostname())
		conn = c
	default:
		return nil, fmt.Errorf("schannel: proxy scheme %q is not supported (http and https are)", proxyURL.Scheme)
	}
	if err != nil {
		return nil, err
	}
	tunnel, err := connectTunnel(ctx, conn, addr, proxyURL)
	if err != nil {
		_ = conn.Close()
		return nil, err
	}
	return tunnel, nil
}

// dialDirectTLS is our TLS to a proxy.
func (t *HTTPTransport) dialDirectTLS(ctx context.Context, network, addr, serverName string) (*Conn, error) {
	raw, err := t.NetDialer.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	config := t.Config.Clone()
	if config == nil {
		config = &tls.Config{}
	}
	config.ServerName = serverName
	config.NextProtos = []string{"http/1.1"}
	c := Client(raw, config)
	c.trace = t.Trace
	if err := c.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return c, nil
}

// maxConnectResponse bounds the proxy's answer to CONNECT.
const maxConnectResponse = 64 << 10

// connectTunnel asks the proxy on conn for a tunnel to addr (RFC 9110
// section 9.3.6) and returns the connection once the proxy answered 2xx.
func connectTunnel(ctx context.Context, conn net.Conn, addr string, proxyURL *url.URL) (net.Conn, error) {
	if d, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(d)
		defer conn.SetDeadline(time.Time{})
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(aLongTimeAgo) })
	defer stop()
	req := &http.Request{
		Method: http.MethodConnect,
		URL:    &url.URL{Opaque: addr},
		Host:   addr,
		Header: http.Header{},
	}
	if u := proxyURL.User; u != nil {
		password, _ := u.Password()
		req.Header.Set("Proxy-Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u.Username()+":"+password)))
	}
	if err := req.Write(conn); err != nil {
		return nil, err
	}
	br := bufio.NewReader(&limitedConnReader{conn: conn, left: maxConnectResponse})
	resp, err := http.ReadResponse(br, req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("schannel: reading the proxy's answer to CONNECT: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("schannel: proxy refused CONNECT %s: %s", addr, resp.Status)
	}
	// The client speaks first in TLS: nothing may follow the answer yet.
	if br.Buffered() > 0 {
		return nil, errors.New("schannel: the proxy sent data after its answer to CONNECT, before the TLS handshake")
	}
	return conn, nil
}

// limitedConnReader reads from the connection at most left bytes, so a
// proxy cannot make us buffer an endless answer.
type limitedConnReader struct {
	conn net.Conn
	left int
}

func (r *limitedConnReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, errors.New("schannel: the proxy's answer to CONNECT is too long")
	}
	p = p[:min(len(p), r.left)]
	n, err := r.conn.Read(p)
	r.left -= n
	return n, err
}

// canonicalAddr is host:port of a URL, with the scheme's default port.
func canonicalAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "443"
		if u.Scheme == "http" {
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}
