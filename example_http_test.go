package schannel_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"

	"github.com/gosspi/schannel"
)

// HTTPServer and HTTPTransport: HTTP/2 chosen by ALPN on both sides, with
// Request.TLS and Response.TLS reporting the completed handshake.
func ExampleHTTPServer() {
	serverConfig, clientConfig := exampleServerConfig()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &schannel.HTTPServer{Config: serverConfig, Server: &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "%s, handshake complete: %v", r.Proto, r.TLS.HandshakeComplete)
		}),
	}}
	go func() { _ = srv.Serve(l) }()
	defer srv.Shutdown(context.Background())

	transport := schannel.NewHTTPTransport(clientConfig)
	transport.Proxy = nil // not the environment's, for this example
	defer transport.CloseIdleConnections()
	resp, err := (&http.Client{Transport: transport}).Get("https://" + l.Addr().String() + "/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Proto, resp.TLS.NegotiatedProtocol, "|", string(body))
	// Output: HTTP/2.0 h2 | HTTP/2.0, handshake complete: true
}
