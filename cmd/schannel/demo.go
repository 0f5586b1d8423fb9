package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"strings"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
)

// demoTimeout bounds the whole demo: everything happens on loopback.
const demoTimeout = 15 * time.Second

// demo starts an HTTPS server and an SMTP-style server of this package on
// 127.0.0.1, talks to both with this package's client, and prints the
// client's SSPI log along the way.
func (c *cli) demo(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel demo\n\nRuns a server and a client on 127.0.0.1 and prints the client's SSPI log.")
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, demoTimeout)
	defer cancel()

	ca, err := certgen.NewCA("schannel demo CA")
	if err != nil {
		return err
	}
	cert, err := ca.Issue(certgen.LeafOptions{Names: []string{"localhost", "127.0.0.1"}})
	if err != nil {
		return err
	}
	// HTTP is negotiated with ALPN, as browsers do; the SMTP client offers
	// none, as mail clients do.
	serverConfig := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
	httpConfig := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost", NextProtos: []string{"http/1.1"}}
	smtpConfig := &tls.Config{RootCAs: ca.Pool, ServerName: "localhost"}
	w := c.stdout

	httpAddr, stopHTTP, err := demoHTTPServer(serverConfig)
	if err != nil {
		return err
	}
	defer stopHTTP()
	smtpAddr, stopSMTP, err := demoSMTPServer(serverConfig)
	if err != nil {
		return err
	}
	defer stopSMTP()
	fmt.Fprintf(w, "schannel demo: an HTTPS server on %s and an SMTP-style server on %s,\n", httpAddr, smtpAddr)
	fmt.Fprintf(w, "both with a certificate for localhost from a throwaway CA; the client trusts that CA.\n")
	fmt.Fprintf(w, "Every line of an SSPI log is one call: function -> status, then the buffers\n")
	fmt.Fprintf(w, "passed in and the buffers as the call left them (type and size).\n")

	fmt.Fprintf(w, "\n== 1. GET https://localhost/hello through net/http (client SSPI log) ==\n")
	log := &sspiLog{w: w, prefix: "  ", records: true}
	conn, err := demoHTTP(ctx, w, httpAddr, httpConfig, log)
	if err != nil {
		return fmt.Errorf("HTTP: %w", err)
	}

	fmt.Fprintf(w, "\n== 2. SMTP-style exchange: the banner comes right after the handshake ==\n")
	if err := demoSMTP(ctx, w, smtpAddr, smtpConfig, log); err != nil {
		return fmt.Errorf("SMTP: %w", err)
	}

	fmt.Fprintf(w, "\n== 3. negotiated on the HTTPS connection ==\n")
	printParameters(w, conn)
	return nil
}

// demoHTTPServer serves a short page with net/http on this package's
// listener.
func demoHTTPServer(config *tls.Config) (string, func(), error) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{
		ReadHeaderTimeout: demoTimeout,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			fmt.Fprintf(w, "hello from the schannel demo server: you asked for %s\n", r.URL.Path)
		}),
	}
	go func() { _ = srv.Serve(schannel.NewListener(inner, config)) }()
	return inner.Addr().String(), func() { _ = srv.Close() }, nil
}

// demoSMTPServer greets every client with an SMTP banner as soon as the
// handshake is done, answers EHLO and QUIT, and closes.
func demoSMTPServer(config *tls.Config) (string, func(), error) {
	ln, err := schannel.Listen("tcp", "127.0.0.1:0", config)
	if err != nil {
		return "", nil, err
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(demoTimeout))
				text := textproto.NewConn(c)
				if text.PrintfLine("220 demo.local ESMTP ready") != nil {
					return
				}
				for {
					line, err := text.ReadLine()
					if err != nil {
						return
					}
					switch verb, _, _ := strings.Cut(strings.ToUpper(line), " "); verb {
					case "EHLO":
						err = text.PrintfLine("250-demo.local greets you\r\n250-8BITMIME\r\n250 SIZE 10240000")
					case "QUIT":
						_ = text.PrintfLine("221 demo.local closing")
						return
					default:
						err = text.PrintfLine("502 not in this demo")
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), func() { _ = ln.Close() }, nil
}

// demoHTTP fetches a page through net/http with DialTLSContext set to this
// package's Dialer, prints the response, and returns the connection it used.
func demoHTTP(ctx context.Context, w io.Writer, addr string, config *tls.Config, log *sspiLog) (*schannel.Conn, error) {
	dialer := &schannel.Dialer{Config: config, Trace: log.hook}
	conns := make(chan *schannel.Conn, 1)
	transport := &http.Transport{DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := dialer.DialContext(ctx, network, addr)
		if err == nil {
			conns <- c.(*schannel.Conn)
		}
		return c, err
	}}
	defer transport.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "https://"+addr+"/hello", nil)
	if err != nil {
		return nil, err
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	dump, err := httputil.DumpResponse(resp, true)
	if err != nil {
		return nil, err
	}
	log.mu.Lock()
	fmt.Fprintf(w, "response:\n")
	for _, line := range strings.SplitAfter(strings.TrimRight(string(dump), "\r\n"), "\n") {
		fmt.Fprintf(w, "  | %s", strings.TrimRight(line, "\r\n")+"\n")
	}
	log.mu.Unlock()
	select {
	case c := <-conns:
		return c, nil
	default:
		return nil, errors.New("the transport did not dial")
	}
}

// demoSMTP reads the banner that arrives right after the handshake, says
// EHLO and QUIT, and prints the dialogue between the SSPI log lines.
func demoSMTP(ctx context.Context, w io.Writer, addr string, config *tls.Config, log *sspiLog) error {
	conn, err := (&schannel.Dialer{Config: config, Trace: log.hook}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}
	say := func(format string, args ...any) {
		log.mu.Lock()
		defer log.mu.Unlock()
		fmt.Fprintf(w, format, args...)
	}
	r := bufio.NewReader(conn)
	readReply := func() error {
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			say("  S: %s\n", strings.TrimRight(line, "\r\n"))
			if len(line) < 4 || line[3] != '-' {
				return nil
			}
		}
	}
	if err := readReply(); err != nil {
		return err
	}
	for _, cmd := range []string{"EHLO demo-client", "QUIT"} {
		say("  C: %s\n", cmd)
		if _, err := fmt.Fprintf(conn, "%s\r\n", cmd); err != nil {
			return err
		}
		if err := readReply(); err != nil {
			return err
		}
	}
	return nil
}
