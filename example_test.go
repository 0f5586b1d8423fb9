package schannel_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
)

// exampleServerConfig is a server certificate for 127.0.0.1 and "localhost"
// from a throwaway CA, with the pool that trusts it. certgen is internal to
// this module; a program uses its own certificates.
func exampleServerConfig() (*tls.Config, *tls.Config) {
	ca, err := certgen.NewCA("example CA")
	if err != nil {
		log.Fatal(err)
	}
	cert := ca.MustIssue(certgen.LeafOptions{Names: []string{"localhost", "127.0.0.1"}})
	return &tls.Config{Certificates: []tls.Certificate{cert}}, &tls.Config{RootCAs: ca.Pool}
}

// A net/http client whose TLS is this package's: the Dialer goes into
// http.Transport.DialTLSContext.
func ExampleDialer() {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "hello over schannel")
	}))
	defer srv.Close()
	roots := srv.Client().Transport.(*http.Transport).TLSClientConfig.RootCAs

	dialer := &schannel.Dialer{Config: &tls.Config{RootCAs: roots}}
	client := &http.Client{Transport: &http.Transport{DialTLSContext: dialer.DialContext}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.Status, string(body))
	// Output: 200 OK hello over schannel
}

// Client over a connection the program dialed itself, as with tls.Client.
func ExampleClient() {
	serverConfig, clientConfig := exampleServerConfig()
	ln, err := schannel.Listen("tcp", "127.0.0.1:0", serverConfig)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		fmt.Fprintln(c, "220 welcome") // sent right after the handshake
	}()

	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	clientConfig.ServerName = "localhost"
	conn := schannel.Client(raw, clientConfig)
	defer conn.Close()
	banner, err := bufio.NewReader(conn).ReadString('\n') // runs the handshake first
	if err != nil {
		log.Fatal(err)
	}
	state := conn.ConnectionState()
	fmt.Print(banner)
	fmt.Println(tls.VersionName(state.Version), state.PeerCertificates[0].Subject.CommonName)
	// Output:
	// 220 welcome
	// TLS 1.3 localhost
}

// Dial connects and runs the handshake; the server name comes from the
// address when the config has none.
func ExampleDial() {
	serverConfig, clientConfig := exampleServerConfig()
	ln, err := schannel.Listen("tcp", "127.0.0.1:0", serverConfig)
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c) // echo until the client closes
	}()

	conn, err := schannel.Dial("tcp", ln.Addr().String(), clientConfig) // verifies 127.0.0.1
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprint(conn, "ping")
	if err := conn.CloseWrite(); err != nil { // close_notify: the echo ends
		log.Fatal(err)
	}
	reply, err := io.ReadAll(conn)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(string(reply))
	conn.Close()
	// Output: ping
}

// An http.Server on a listener of this package, fetched by net/http's own
// client.
func ExampleNewListener() {
	serverConfig, clientConfig := exampleServerConfig()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "served by schannel, %s", r.Proto)
	})}
	go srv.Serve(schannel.NewListener(inner, serverConfig))
	defer srv.Close()

	client := &http.Client{Transport: &http.Transport{TLSClientConfig: clientConfig}}
	resp, err := client.Get("https://" + inner.Addr().String())
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(string(body))
	// Output: served by schannel, HTTP/1.1
}

// The SSPI log of a connection: every call with its status. The server's
// NewSessionTicket arrives as SEC_I_RENEGOTIATE and goes back through
// InitializeSecurityContext; its close_notify is SEC_I_CONTEXT_EXPIRED
// (Read returns io.EOF). TraceEvent's
// String adds the buffers, as in
// "InitializeSecurityContext -> SEC_I_CONTINUE_NEEDED  in:[] out:[TOKEN(1423) ALERT(0)]".
func ExampleConn_SetTrace() {
	serverConfig, clientConfig := exampleServerConfig()
	clientConfig.ServerName = "localhost"
	a, b := net.Pipe()
	go func() {
		server := schannel.Server(b, serverConfig)
		if server.Handshake() == nil {
			server.Close() // sends close_notify
		}
	}()

	client := schannel.Client(a, clientConfig)
	client.SetTrace(func(e schannel.TraceEvent) {
		fmt.Println(e.Func, "->", e.Status)
	})
	if err := client.Handshake(); err != nil {
		log.Fatal(err)
	}
	if _, err := io.ReadAll(client); err != nil { // until close_notify
		log.Fatal(err)
	}
	client.Close()
	// Output:
	// AcquireCredentialsHandle -> SEC_E_OK
	// InitializeSecurityContext -> SEC_I_CONTINUE_NEEDED
	// InitializeSecurityContext -> SEC_E_OK
	// QueryContextAttributes(SECPKG_ATTR_STREAM_SIZES) -> SEC_E_OK
	// DecryptMessage -> SEC_I_RENEGOTIATE
	// InitializeSecurityContext -> SEC_E_OK
	// DecryptMessage -> SEC_I_CONTEXT_EXPIRED
	// ApplyControlToken -> SEC_E_OK
	// InitializeSecurityContext -> SEC_E_OK
}

// The raw SSPI calls, with no Conn: the handshake loop of a Schannel
// program, here between two contexts in memory, then one record each way.
// A real program sends each output token over its transport and feeds what
// arrives (with SECBUFFER_EXTRA carried over) to the next call.
func ExampleInitializeSecurityContext() {
	serverConfig, clientConfig := exampleServerConfig()
	clientCred, _ := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_OUTBOUND, clientConfig)
	serverCred, _ := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_INBOUND, serverConfig)
	const iscFlags = schannel.ISC_REQ_CONFIDENTIALITY | schannel.ISC_REQ_STREAM | schannel.ISC_REQ_ALLOCATE_MEMORY
	const ascFlags = schannel.ASC_REQ_CONFIDENTIALITY | schannel.ASC_REQ_STREAM | schannel.ASC_REQ_ALLOCATE_MEMORY

	var clientCtx, serverCtx *schannel.Context
	var toServer, toClient []byte
	var input []schannel.SecBuffer // the client's first call has no input
	clientDone, serverDone := false, false
	for !clientDone || !serverDone {
		if !clientDone && (input == nil || len(toClient) > 0) {
			out := []schannel.SecBuffer{{BufferType: schannel.SECBUFFER_TOKEN}, {BufferType: schannel.SECBUFFER_ALERT}}
			var status schannel.Status
			var err error
			clientCtx, status, err = schannel.InitializeSecurityContext(clientCred, clientCtx, "localhost", iscFlags, input, out)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println("InitializeSecurityContext:", status)
			toServer, toClient = append(toServer, out[0].Buffer...), nil
			clientDone = status == schannel.SEC_E_OK
		}
		if !serverDone && len(toServer) > 0 {
			in := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_TOKEN, toServer), {}}
			out := []schannel.SecBuffer{{BufferType: schannel.SECBUFFER_TOKEN}, {BufferType: schannel.SECBUFFER_ALERT}}
			var status schannel.Status
			var err error
			serverCtx, status, err = schannel.AcceptSecurityContext(serverCred, serverCtx, in, ascFlags, out)
			if err != nil {
				log.Fatal(err)
			}
			fmt.Println("AcceptSecurityContext:", status)
			toClient, toServer = append(toClient, out[0].Buffer...), nil
			serverDone = status == schannel.SEC_E_OK
		}
		input = []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_TOKEN, toClient), {}}
	}

	// EncryptMessage in place: header | data | trailer in one slice.
	sizes, _ := clientCtx.StreamSizes()
	msg := "hello, server"
	buf := make([]byte, sizes.Header+len(msg)+sizes.Trailer)
	copy(buf[sizes.Header:], msg)
	enc := []schannel.SecBuffer{
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, buf[:sizes.Header]),
		schannel.NewSecBuffer(schannel.SECBUFFER_DATA, buf[sizes.Header:sizes.Header+len(msg)]),
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, buf[sizes.Header+len(msg):]),
		{},
	}
	status, _ := clientCtx.EncryptMessage(0, enc)
	fmt.Println("EncryptMessage:", status)
	record := buf[:enc[0].Size+enc[1].Size+enc[2].Size]

	// DecryptMessage in place: [DATA, EMPTY, EMPTY, EMPTY] in,
	// [STREAM_HEADER, DATA, STREAM_TRAILER, EXTRA or EMPTY] out.
	dec := []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_DATA, record), {}, {}, {}}
	status, _ = serverCtx.DecryptMessage(dec)
	fmt.Printf("DecryptMessage: %s %q\n", status, dec[1].Buffer)
	// Output:
	// InitializeSecurityContext: SEC_I_CONTINUE_NEEDED
	// AcceptSecurityContext: SEC_I_CONTINUE_NEEDED
	// InitializeSecurityContext: SEC_E_OK
	// AcceptSecurityContext: SEC_E_OK
	// EncryptMessage: SEC_E_OK
	// DecryptMessage: SEC_E_OK "hello, server"
}
