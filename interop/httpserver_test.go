//go:build linux

package interop_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/require"
)

// pageMarker is in every page our HTTP server sends.
const pageMarker = "schannel-interop-page-7f3c"

// httpConnReport is what our HTTP server saw of one request's connection.
type httpConnReport struct {
	State tls.ConnectionState
	Info  schannel.ConnectionInfo
	Proto string // the request's protocol, "HTTP/1.1" or "HTTP/2.0"
	Path  string
	// RequestTLS is Request.TLS as the handler saw it.
	RequestTLS *tls.ConnectionState
}

// ourHTTPServer is schannel.HTTPServer on our NewListener: HTTP/2 or
// HTTP/1.1 as ALPN chose, Request.TLS from the completed handshake.
type ourHTTPServer struct {
	addr     string
	port     int
	trace    *hsTrace
	requests chan httpConnReport
	hsErrs   chan error // failed handshakes
}

type connCtxKey struct{}

// handshakeErrors passes the "TLS handshake error" lines of the server's
// ErrorLog on as errors.
type handshakeErrors chan error

func (h handshakeErrors) Write(p []byte) (int, error) {
	if line := string(p); strings.Contains(line, "TLS handshake error") {
		select {
		case h <- errors.New(strings.TrimSpace(line)):
		default:
		}
	}
	return len(p), nil
}

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
		rep := httpConnReport{Proto: r.Proto, Path: r.URL.Path, RequestTLS: r.TLS}
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
	srv := &schannel.HTTPServer{Config: cfg, Server: &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cellTimeout,
		ErrorLog:          log.New(handshakeErrors(s.hsErrs), "", 0),
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connCtxKey{}, c)
		},
	}}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(ctx) != nil {
			_ = srv.Close() // HTTP/2 connections a client kept open
		}
		<-served
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
