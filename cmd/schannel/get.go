package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
)

// headerFlags collects repeated -H 'Name: value' flags.
type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

// get is an HTTP client in the manner of curl, on schannel.HTTPTransport:
// the body goes to stdout (or -o), and with -v the SSPI log, the chain, the
// negotiated parameters and the headers go to stderr.
func (c *cli) get(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("get", flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	verbose := fs.Bool("v", false, "print the SSPI log, the certificate chain, the negotiated parameters and the headers on stderr")
	output := fs.String("o", "", "write the body to this file instead of stdout")
	var headers headerFlags
	fs.Var(&headers, "H", "extra request header 'Name: value' (repeatable)")
	data := fs.String("d", "", "send this as the body of a POST (application/x-www-form-urlencoded, as curl -d)")
	caFile := fs.String("cafile", "", "PEM file of the CAs to trust (default: the system's roots)")
	insecure := fs.Bool("insecure", false, "do not verify the server's certificate")
	http1 := fs.Bool("http1.1", false, "offer and speak HTTP/1.1 only")
	timeout := fs.Duration("timeout", 30*time.Second, "time allowed for the whole request")
	digestUser := fs.String("digest", "", "answer Digest challenges (WDigest) as `user:password`, like curl --digest -u")
	useNegotiate := fs.Bool("negotiate", false, "answer WWW-Authenticate: Negotiate with the Kerberos ticket cache (KRB5CCNAME), as curl --negotiate -u :")
	fs.Usage = func() {
		fmt.Fprintln(c.stderr, "usage: schannel get [flags] URL\n\nFetches URL like curl, over this module's TLS: HTTP/2 when the server\nchooses h2 by ALPN, HTTP/1.1 otherwise; proxies from the environment.\nThe body goes to stdout; -v shows the SSPI calls and what was negotiated.\n\nflags:")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errors.New("get needs a URL")
	}
	config := &tls.Config{InsecureSkipVerify: *insecure}
	if *caFile != "" {
		pem, err := os.ReadFile(*caFile)
		if err != nil {
			return err
		}
		config.RootCAs = x509.NewCertPool()
		if !config.RootCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("%s holds no PEM certificate", *caFile)
		}
	}
	transport := schannel.NewHTTPTransport(config)
	transport.DisableHTTP2 = *http1
	if *verbose {
		transport.Trace = (&sspiLog{w: c.stderr, prefix: "* "}).hook
	}
	defer transport.CloseIdleConnections()
	var rt http.RoundTripper = transport
	if *digestUser != "" {
		user, password, ok := strings.Cut(*digestUser, ":")
		if !ok || user == "" {
			return fmt.Errorf("-digest %q: want user:password", *digestUser)
		}
		cred, err := digest.AcquireCredentialsHandle(sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: user, Password: password})
		if err != nil {
			return err
		}
		if *verbose {
			cred.SetTrace((&sspiLog{w: c.stderr, prefix: "* "}).hook)
		}
		rt = &digest.Transport{Base: transport, Credentials: cred, Flags: sspi.ISC_REQ_MUTUAL_AUTH}
	}
	if *useNegotiate {
		rt = c.negotiateTransport(rt, *verbose)
	}

	method, body := http.MethodGet, io.Reader(nil)
	if *data != "" {
		method, body = http.MethodPost, strings.NewReader(*data)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, fs.Arg(0), body)
	if err != nil {
		return err
	}
	if *data != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("User-Agent", "schannel-get")
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			return fmt.Errorf("-H %q: want 'Name: value'", h)
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}

	var (
		mu   sync.Mutex
		conn *schannel.Conn
	)
	if *verbose {
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			GotConn: func(info httptrace.GotConnInfo) {
				mu.Lock()
				defer mu.Unlock()
				conn, _ = info.Conn.(*schannel.Conn)
			},
		}))
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if *verbose {
		mu.Lock()
		sc := conn
		mu.Unlock()
		if sc != nil {
			fmt.Fprintln(c.stderr, "---")
			printChain(c.stderr, sc.ConnectionState().PeerCertificates)
			fmt.Fprintln(c.stderr, "---")
			printParameters(c.stderr, sc)
			fmt.Fprintln(c.stderr, "---")
		}
		printHeaders(c.stderr, "> ", fmt.Sprintf("%s %s %s", req.Method, req.URL.RequestURI(), resp.Proto), req.Header)
		printHeaders(c.stderr, "< ", fmt.Sprintf("%s %s", resp.Proto, resp.Status), resp.Header)
	}
	out := c.stdout
	if *output != "" {
		f, err := os.Create(*output)
		if err != nil {
			return err
		}
		defer f.Close()
		out = f
	}
	if _, err := io.Copy(out, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode >= 400 {
		return fmt.Errorf("the server answered %s", resp.Status)
	}
	return nil
}

// printHeaders prints a request or status line and headers as curl -v does.
func printHeaders(w io.Writer, prefix, first string, h http.Header) {
	fmt.Fprintf(w, "%s%s\n", prefix, first)
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		for _, v := range h[name] {
			fmt.Fprintf(w, "%s%s: %s\n", prefix, name, v)
		}
	}
	fmt.Fprintln(w, prefix)
}
