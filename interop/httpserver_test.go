//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/require"
	"golang.org/x/net/http2"
)

// pageMarker is in every page our HTTP server sends.
const pageMarker = "schannel-interop-page-7f3c"

// httpConnReport is what our HTTP server saw of one request's connection.
type httpConnReport struct {
	State tls.ConnectionState
	Info  schannel.ConnectionInfo
	Proto string // the request's protocol, "HTTP/1.1" or "HTTP/2.0"
	Path  string
}

// ourHTTPServer is net/http on our NewListener: HTTP/1.1 through
// http.Server, and HTTP/2 through x/net/http2 when ALPN chose h2 (http.Server
// switches to HTTP/2 only on a *tls.Conn).
type ourHTTPServer struct {
	addr     string
	port     int
	trace    *hsTrace
	requests chan httpConnReport
	hsErrs   chan error // failed handshakes
}

type connCtxKey struct{}

// startOurHTTPServer serves a page with pageMarker (and what was negotiated)
// on 127.0.0.1 until cleanup.
func startOurHTTPServer(t testing.TB, cfg *tls.Config) *ourHTTPServer {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &ourHTTPServer{
		addr: inner.Addr().String(), port: inner.Addr().(*net.TCPAddr).Port, trace: &hsTrace{},
		requests: make(chan httpConnReport, 64), hsErrs: make(chan error, 64),
	}
	ln := schannel.NewListener(inner, cfg, schannel.WithTrace(s.trace.add))

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _ := r.Context().Value(connCtxKey{}).(*schannel.Conn)
		rep := httpConnReport{Proto: r.Proto, Path: r.URL.Path}
		if c != nil {
			rep.State, rep.Info = connInfo(c)
		}
		select {
		case s.requests <- rep:
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = fmt.Fprintf(w, "<!doctype html><html><head><title>schannel</title></head><body><p id=\"marker\">%s</p>"+
			"<p>%s %s %s resumed=%v alpn=%q</p></body></html>\n",
			pageMarker, r.Proto, tls.VersionName(rep.State.Version), tls.CipherSuiteName(rep.State.CipherSuite),
			rep.State.DidResume, rep.State.NegotiatedProtocol)
	})

	h1 := &chanListener{addr: inner.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	hs := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cellTimeout,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connCtxKey{}, c)
		},
	}
	h2 := &http2.Server{}
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		active = map[*schannel.Conn]struct{}{}
	)
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = hs.Serve(h1)
	}()
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c := nc.(*schannel.Conn)
			mu.Lock()
			active[c] = struct{}{}
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), cellTimeout)
				defer cancel()
				if err := c.HandshakeContext(ctx); err != nil {
					s.hsErrs <- err
					_ = c.Close()
					return
				}
				if c.ConnectionState().NegotiatedProtocol == "h2" {
					h2.ServeConn(c, &http2.ServeConnOpts{
						Context: context.WithValue(context.Background(), connCtxKey{}, c),
						Handler: handler, BaseConfig: hs,
					})
					_ = c.Close()
					return
				}
				select {
				case h1.conns <- c:
				case <-h1.done:
					_ = c.Close()
				}
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
		_ = hs.Close()
		mu.Lock()
		for c := range active {
			_ = c.Close() // HTTP/2 connections a client kept open
		}
		mu.Unlock()
		wg.Wait()
	})
	return s
}

// nextRequest waits for the report of the next request served.
func (s *ourHTTPServer) nextRequest(t testing.TB, timeout time.Duration) httpConnReport {
	t.Helper()
	select {
	case r := <-s.requests:
		return r
	case err := <-s.hsErrs:
		t.Fatalf("our server's handshake failed: %v", err)
	case <-time.After(timeout):
		t.Fatalf("our HTTP server served no request within %v", timeout)
	}
	return httpConnReport{}
}

// chanListener hands established connections to http.Server.
type chanListener struct {
	addr  net.Addr
	conns chan net.Conn
	once  sync.Once
	done  chan struct{}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
