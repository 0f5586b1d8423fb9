package main

import (
	"context"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/gosspi/schannel/sspi"
)

// connKey carries the *schannel.Conn of an HTTP request in its context.
type connKey struct{}

// serve runs a TLS echo server, or an HTTP server with -http, until ctx is
// done. ready, when not nil, receives the listening address (for tests).
func (c *cli) serve(ctx context.Context, args []string, ready func(addr string)) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	certFile := fs.String("cert", "", "PEM certificate chain (default: generate one from a throwaway CA)")
	keyFile := fs.String("key", "", "PEM private key of -cert")
	caOut := fs.String("ca-out", "", "with a generated certificate, also write its CA to this file")
	serveHTTP := fs.Bool("http", false, "serve HTTP (a page describing the connection) instead of echoing")
	alpn := fs.String("alpn", "", "ALPN protocols to accept, comma-separated (default: h2,http/1.1 with -http)")
	verbose := fs.Bool("v", false, "print the SSPI log of every connection")
	digestUsers := map[string]string{}
	fs.Func("digest-user", "with -http, require Digest authentication (WDigest) as `user:password`; repeat for more users", func(v string) error {
		user, password, ok := strings.Cut(v, ":")
		if !ok || user == "" {
			return errors.New("want user:password")
		}
		digestUsers[user] = password
		return nil
	})
	digestRealm := fs.String("digest-realm", "schannel serve", "with -digest-user, the Digest realm")
	keytab := fs.String("keytab", "", "with -http, require Negotiate (RFC 4559, Kerberos) with the HTTP/host keys of this keytab and show the client principal")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel serve [flags] addr\n\nServes TLS on addr (e.g. 127.0.0.1:8443): echoes what each client sends,\nor with -http answers HTTP requests (behind Digest authentication with\n-digest-user). Without -cert/-key a certificate for\nlocalhost, 127.0.0.1, ::1 and the host of addr is generated and its CA printed.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("serve needs an address")
	}
	addr := fs.Arg(0)
	if len(digestUsers) > 0 && !*serveHTTP {
		return errors.New("-digest-user needs -http")
	}
	cert, err := c.serverCertificate(addr, *certFile, *keyFile, *caOut)
	if err != nil {
		return err
	}
	config := &tls.Config{Certificates: []tls.Certificate{cert}}
	if *alpn != "" {
		config.NextProtos = strings.Split(*alpn, ",")
	} else if *serveHTTP {
		config.NextProtos = []string{"h2", "http/1.1"} // as ServeTLS offers
	}

	inner, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	var opts []schannel.ListenerOption
	if *verbose {
		log := &sspiLog{w: c.stderr, records: true}
		opts = append(opts, schannel.WithTrace(log.hook))
	}
	ln := schannel.NewListener(inner, config, opts...)
	mode := "echo"
	if *serveHTTP {
		mode = "HTTP"
	}
	fmt.Fprintf(c.stderr, "serving TLS (%s) on %s; stop with Ctrl-C\n", mode, inner.Addr())
	if ready != nil {
		ready(inner.Addr().String())
	}
	stop := context.AfterFunc(ctx, func() { _ = ln.Close() })
	defer stop()
	if *serveHTTP {
		var protect func(http.Handler) http.Handler
		switch {
		case len(digestUsers) > 0 && *keytab != "":
			return errors.New("-digest-user and -keytab choose different authentications; give one")
		case len(digestUsers) > 0:
			if protect, err = c.digestMiddleware(*digestRealm, digestUsers, *verbose); err != nil {
				return err
			}
			fmt.Fprintf(c.stderr, "Digest authentication required (realm %q, %d users)\n", *digestRealm, len(digestUsers))
		case *keytab != "":
			if protect, err = c.negotiateMiddleware(*keytab, *verbose); err != nil {
				return err
			}
		}
		err = c.serveHTTP(ctx, ln, config, protect)
	} else {
		err = c.serveEcho(ln)
	}
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// serverCertificate loads -cert/-key, or generates a certificate and prints
// the CA that a client must trust.
func (c *cli) serverCertificate(addr, certFile, keyFile, caOut string) (tls.Certificate, error) {
	if certFile != "" || keyFile != "" {
		return tls.LoadX509KeyPair(certFile, keyFile)
	}
	ca, err := certgen.NewCA("schannel serve CA")
	if err != nil {
		return tls.Certificate{}, err
	}
	names := []string{"localhost", "127.0.0.1", "::1"}
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" && host != "0.0.0.0" && host != "::" {
		names = append(names, host)
	}
	cert, err := ca.Issue(certgen.LeafOptions{Names: names})
	if err != nil {
		return tls.Certificate{}, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Cert.Raw})
	fmt.Fprintf(c.stderr, "generated a certificate for %s, valid for a day; its CA:\n%s", strings.Join(names, ", "), caPEM)
	if caOut != "" {
		if err := os.WriteFile(caOut, caPEM, 0o644); err != nil {
			return tls.Certificate{}, err
		}
		fmt.Fprintf(c.stderr, "(written to %s: schannel connect -cafile %s host:port)\n", caOut, caOut)
	}
	return cert, nil
}

// serveEcho echoes on every connection until the client closes.
func (c *cli) serveEcho(ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		wg.Go(func() {
			defer conn.Close()
			sc := conn.(*schannel.Conn)
			if err := sc.Handshake(); err != nil {
				fmt.Fprintf(c.stderr, "%s: handshake failed: %v\n", conn.RemoteAddr(), err)
				return
			}
			c.logConnection(sc)
			_, err := io.Copy(conn, conn)
			if err != nil {
				fmt.Fprintf(c.stderr, "%s: %v\n", conn.RemoteAddr(), err)
			}
		})
	}
}

// digestMiddleware returns the WDigest middleware for -digest-user; with
// -v the SSPI log shows its AcceptSecurityContext calls.
func (c *cli) digestMiddleware(realm string, users map[string]string, verbose bool) (func(http.Handler) http.Handler, error) {
	cred, err := digest.AcquireCredentialsHandle(sspi.SECPKG_CRED_INBOUND, &digest.ServerConfig{
		Realm: realm, Users: users, Algorithms: []string{"SHA-256", "MD5"}, Userhash: true,
	})
	if err != nil {
		return nil, err
	}
	if verbose {
		log := &sspiLog{w: c.stderr}
		cred.SetTrace(log.hook)
	}
	// The connection's tls-server-end-point: the challenge asks for
	// bound responses and refuses one bound to another channel.
	bindings := func(r *http.Request) ([]byte, error) {
		sc, ok := r.Context().Value(connKey{}).(*schannel.Conn)
		if !ok {
			return nil, nil
		}
		return sc.ChannelBinding(schannel.SECPKG_ATTR_ENDPOINT_BINDINGS)
	}
	return (&digest.Middleware{Credentials: cred, ChannelBindings: bindings}).Wrap, nil
}

// serveHTTP answers every request with a page that says how it arrived:
// HTTP/2 or HTTP/1.1 as ALPN chose, and what Request.TLS reports; protect,
// when not nil, wraps the handler (Digest authentication).
func (c *cli) serveHTTP(ctx context.Context, ln net.Listener, config *tls.Config, protect func(http.Handler) http.Handler) error {
	var handler http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "hello from schannel serve\n%s %s %s from %s\n", r.Method, r.URL, r.Proto, r.RemoteAddr)
		if user, ok := digest.UserFromContext(r.Context()); ok {
			fmt.Fprintf(w, "authenticated by Digest as %s\n", user)
		}
		if r.TLS != nil {
			fmt.Fprintf(w, "Request.TLS: %s, %s, ALPN %q, handshake complete %v\n\n",
				tls.VersionName(r.TLS.Version), tls.CipherSuiteName(r.TLS.CipherSuite), r.TLS.NegotiatedProtocol, r.TLS.HandshakeComplete)
		}
		printNegotiateUser(w, r)
		if sc, ok := r.Context().Value(connKey{}).(*schannel.Conn); ok {
			c.logConnection(sc)
			printParameters(w, sc)
		}
	})
	if protect != nil {
		handler = protect(handler)
	}
	srv := &schannel.HTTPServer{Config: config, Server: &http.Server{
		ReadHeaderTimeout: 30 * time.Second,
		ConnContext: func(ctx context.Context, conn net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, conn)
		},
		Handler: handler,
	}}
	stop := context.AfterFunc(ctx, func() {
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(shutdownCtx) != nil {
			_ = srv.Close()
		}
	})
	defer stop()
	err := srv.Serve(ln)
	if errors.Is(err, schannel.ErrHTTPServerClosed) || errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

var logMu sync.Mutex

// logConnection prints one line per connection (per request with -http).
func (c *cli) logConnection(conn *schannel.Conn) {
	cs := conn.ConnectionState()
	logMu.Lock()
	defer logMu.Unlock()
	fmt.Fprintf(c.stderr, "%s: %s %s ALPN=%q SNI=%q\n", conn.RemoteAddr(),
		tls.VersionName(cs.Version), tls.CipherSuiteName(cs.CipherSuite), cs.NegotiatedProtocol, cs.ServerName)
}
