package main

import (
	"fmt"
	"io"
	"log"
	"net/http"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/negotiate"
)

// negotiateTransport is get -negotiate: rt answers WWW-Authenticate:
// Negotiate from the ticket cache, like curl --negotiate -u :; with -v the
// SSPI log shows the Negotiate calls.
func (c *cli) negotiateTransport(rt http.RoundTripper, verbose bool) http.RoundTripper {
	nt := &negotiate.Transport{Base: rt}
	if verbose {
		nt.Trace = (&sspiLog{w: c.stderr, prefix: "* "}).hook
	}
	return nt
}

// negotiateMiddleware is serve -http -keytab: Negotiate is required, with
// the keys of keytab and the tls-server-end-point of the connection
// (Extended Protection); with -v the SSPI log shows the Negotiate calls.
func (c *cli) negotiateMiddleware(keytab string, verbose bool) (func(http.Handler) http.Handler, error) {
	h, err := negotiate.NewHandler(nil, keytab)
	if err != nil {
		return nil, err
	}
	if verbose {
		h.Credentials.SetTrace((&sspiLog{w: c.stderr, prefix: "negotiate: "}).hook)
	}
	h.ErrorLog = log.New(c.stderr, "", 0)
	h.ChannelBindings = func(r *http.Request) ([]byte, error) {
		sc, ok := r.Context().Value(connKey{}).(*schannel.Conn)
		if !ok {
			return nil, nil
		}
		return sc.ChannelBinding(schannel.SECPKG_ATTR_ENDPOINT_BINDINGS)
	}
	return func(next http.Handler) http.Handler {
		wrapped := *h
		wrapped.Next = next
		return &wrapped
	}, nil
}

// printNegotiateUser shows the client principal of a request that
// Negotiate authenticated.
func printNegotiateUser(w io.Writer, r *http.Request) {
	if id, ok := negotiate.User(r.Context()); ok {
		fmt.Fprintf(w, "Negotiate: client principal %s\n\n", id.Name)
	}
}
