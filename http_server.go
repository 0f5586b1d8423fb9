package schannel

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"golang.org/x/net/http2"
)

// HTTPServer serves an http.Handler over this package's TLS, the way
// http.Server.ServeTLS does over crypto/tls: HTTP/2 or HTTP/1.1 as ALPN
// chose, Request.TLS set to the state of the completed handshake, and a
// graceful Shutdown for both protocols.
//
// net/http treats only *tls.Conn specially (it runs the handshake itself and
// hands "h2" connections to HTTP/2), so HTTPServer runs the handshake on
// each accepted connection first, then gives HTTP/1.1 connections to Server
// and HTTP/2 connections to x/net/http2 with Server as their base
// configuration.
//
//	srv := &schannel.HTTPServer{Server: &http.Server{Handler: h}, Config: &tls.Config{Certificates: certs}}
//	err := srv.ListenAndServe(":8443")
type HTTPServer struct {
	// Server supplies the handler, the timeouts, ConnContext, BaseContext,
	// ConnState and ErrorLog. Its TLSConfig is ignored; Serve registers
	// HTTP/2's graceful shutdown on it (http2.ConfigureServer).
	Server *http.Server
	// Config is the TLS configuration. When its NextProtos is empty, "h2"
	// and "http/1.1" are offered, as ServeTLS does.
	Config *tls.Config
	// HTTP2 configures HTTP/2; nil means x/net/http2's defaults.
	HTTP2 *http2.Server
	// DisableHTTP2 serves HTTP/1.1 only.
	DisableHTTP2 bool
	// Trace, if set, receives every SSPI call of the connections served.
	Trace func(TraceEvent)

	mu       sync.Mutex
	inShut   bool
	listener net.Listener
	h1       *connListener
	h2conns  map[*Conn]struct{}
	// handshaking are the connections whose handshake is running: Shutdown
	// closes them, as net/http closes connections that sent no request.
	handshaking map[*Conn]struct{}
	wg          sync.WaitGroup // handshakes and HTTP/2 connections
	h2once      sync.Once
	h2          *http2.Server
	h2err       error
}

// ErrHTTPServerClosed is returned by Serve after Shutdown or Close, as
// http.ErrServerClosed is by http.Server.
var ErrHTTPServerClosed = http.ErrServerClosed

// ListenAndServe listens on the TCP address addr and calls Serve.
func (s *HTTPServer) ListenAndServe(addr string) error {
	if addr == "" {
		addr = ":https"
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return s.Serve(l)
}

// Serve accepts connections on l, a plain listener (or one of NewListener,
// whose connections are used as they are), and serves them until Shutdown
// or Close. It always returns a non-nil error; after Shutdown or Close,
// ErrHTTPServerClosed.
func (s *HTTPServer) Serve(l net.Listener) error {
	if s.Server == nil {
		return errors.New("schannel: HTTPServer.Server is nil")
	}
	config := s.Config
	if config == nil || (len(config.Certificates) == 0 && config.GetCertificate == nil && config.GetConfigForClient == nil) {
		return errors.New("schannel: HTTPServer.Config has neither Certificates nor GetCertificate")
	}
	if len(config.NextProtos) == 0 {
		config = config.Clone()
		if !s.DisableHTTP2 {
			config.NextProtos = []string{http2.NextProtoTLS}
		}
		config.NextProtos = append(config.NextProtos, "http/1.1")
	}
	if !s.DisableHTTP2 {
		if err := s.setupHTTP2(); err != nil {
			return err
		}
	}

	s.mu.Lock()
	if s.inShut {
		s.mu.Unlock()
		return ErrHTTPServerClosed
	}
	s.listener = l
	s.h1 = &connListener{addr: l.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	h1 := s.h1
	s.mu.Unlock()

	h1Done := make(chan error, 1)
	go func() { h1Done <- s.Server.Serve(h1) }()

	ctx := context.Background()
	if s.Server.BaseContext != nil {
		ctx = s.Server.BaseContext(l)
	}
	var acceptErr error
	for {
		raw, err := l.Accept()
		if err != nil {
			acceptErr = err
			break
		}
		c, ok := raw.(*Conn)
		if !ok {
			c = Server(raw, config)
		}
		if s.Trace != nil && c.trace == nil {
			c.trace = s.Trace
		}
		// Add under mu, and never after Shutdown began, so that its Wait
		// cannot miss a connection.
		s.mu.Lock()
		if s.inShut {
			s.mu.Unlock()
			_ = c.Close()
			continue
		}
		s.wg.Add(1)
		if s.handshaking == nil {
			s.handshaking = map[*Conn]struct{}{}
		}
		s.handshaking[c] = struct{}{}
		s.mu.Unlock()
		go s.serveConn(ctx, c, h1)
	}
	_ = h1.Close()
	s.mu.Lock()
	shut := s.inShut
	s.mu.Unlock()
	if shut {
		<-h1Done
		return ErrHTTPServerClosed
	}
	return acceptErr
}

// setupHTTP2 makes the HTTP/2 server once and registers its graceful
// shutdown (a GOAWAY on every connection) with Server.Shutdown.
func (s *HTTPServer) setupHTTP2() error {
	s.h2once.Do(func() {
		s.h2 = s.HTTP2
		if s.h2 == nil {
			s.h2 = new(http2.Server)
		}
		// ConfigureServer also puts an "h2" entry in Server.TLSNextProto and
		// fills Server.TLSConfig, neither of which is used here.
		s.h2err = http2.ConfigureServer(s.Server, s.h2)
	})
	return s.h2err
}

// handshakeTimeout is net/http's tlsHandshakeTimeout: the smallest of the
// server's positive read, read-header and write timeouts.
func (s *HTTPServer) handshakeTimeout() time.Duration {
	var d time.Duration
	for _, t := range []time.Duration{s.Server.ReadHeaderTimeout, s.Server.ReadTimeout, s.Server.WriteTimeout} {
		if t > 0 && (d == 0 || t < d) {
			d = t
		}
	}
	return d
}

// serveConn runs the handshake, then hands the connection to the protocol
// ALPN chose.
func (s *HTTPServer) serveConn(ctx context.Context, c *Conn, h1 *connListener) {
	defer s.wg.Done()
	hsCtx := ctx
	if d := s.handshakeTimeout(); d > 0 {
		var cancel context.CancelFunc
		hsCtx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	err := c.HandshakeContext(hsCtx)
	s.mu.Lock()
	delete(s.handshaking, c)
	shut := s.inShut
	s.mu.Unlock()
	if err != nil {
		if !shut {
			s.logf("http: TLS handshake error from %s: %v", c.RemoteAddr(), err)
		}
		_ = c.Close()
		return
	}
	if c.ConnectionState().NegotiatedProtocol == http2.NextProtoTLS && s.h2 != nil {
		if !s.trackH2(c, true) {
			_ = c.Close()
			return
		}
		defer s.trackH2(c, false)
		connCtx := ctx
		if s.Server.ConnContext != nil {
			connCtx = s.Server.ConnContext(connCtx, c)
		}
		s.h2.ServeConn(c, &http2.ServeConnOpts{Context: connCtx, BaseConfig: s.Server, Handler: s.Server.Handler})
		_ = c.Close()
		return
	}
	// HTTP/1.1: net/http reads ConnectionState before the first request,
	// which now reports the completed handshake (Request.TLS).
	select {
	case h1.conns <- c:
	case <-h1.done:
		_ = c.Close()
	}
}

// trackH2 adds or removes an HTTP/2 connection; adding fails once the
// server is shutting down.
func (s *HTTPServer) trackH2(c *Conn, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.h2conns, c)
		return true
	}
	if s.inShut {
		return false
	}
	if s.h2conns == nil {
		s.h2conns = map[*Conn]struct{}{}
	}
	s.h2conns[c] = struct{}{}
	return true
}

// Shutdown stops accepting, lets HTTP/1.1 connections finish their request
// (Server.Shutdown), sends GOAWAY on HTTP/2 connections and waits until
// they have completed their streams, or until ctx is done.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	l := s.beginClose()
	if l != nil {
		_ = l.Close()
	}
	err := s.Server.Shutdown(ctx) // also starts HTTP/2's graceful shutdown
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the listener and every connection at once.
func (s *HTTPServer) Close() error {
	l := s.beginClose()
	var err error
	if l != nil {
		err = l.Close()
	}
	err = errors.Join(err, s.Server.Close())
	s.mu.Lock()
	conns := make([]*Conn, 0, len(s.h2conns))
	for c := range s.h2conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return err
}

// beginClose stops new connections and closes those still in their
// handshake; it returns the listener to close.
func (s *HTTPServer) beginClose() net.Listener {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inShut = true
	for c := range s.handshaking {
		_ = c.Close()
	}
	return s.listener
}

func (s *HTTPServer) logf(format string, args ...any) {
	if s.Server.ErrorLog != nil {
		s.Server.ErrorLog.Printf(format, args...)
	}
}

// connListener hands connections whose handshake is done to http.Server.
type connListener struct {
	addr  net.Addr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *connListener) Addr() net.Addr { return l.addr }
