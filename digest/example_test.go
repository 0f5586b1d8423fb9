package digest_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
)

// A server behind the Digest middleware, and a client whose Transport
// answers the challenge.
func Example() {
	mw, err := digest.NewMiddleware(&digest.ServerConfig{
		Realm: "example", Users: map[string]string{"alice": "secret"},
	})
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _ := digest.UserFromContext(r.Context())
		fmt.Fprintf(w, "hello %s", user)
	})))
	defer srv.Close()

	cred, err := digest.AcquireCredentialsHandle(sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "alice", Password: "secret"})
	if err != nil {
		panic(err)
	}
	client := &http.Client{Transport: &digest.Transport{Credentials: cred}}
	resp, err := client.Get(srv.URL + "/")
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	fmt.Println(resp.StatusCode, string(body))
	// Output: 200 hello alice
}

// The HTTP exchange through the SSPI calls, with the buffers of Windows.
func Example_sspi() {
	scred, _ := sspi.AcquireCredentialsHandle("", "WDigest", sspi.SECPKG_CRED_INBOUND,
		&digest.ServerConfig{Realm: "example", Users: map[string]string{"alice": "secret"}, Algorithms: []string{"SHA-256"}})
	ccred, _ := sspi.AcquireCredentialsHandle("", "WDigest", sspi.SECPKG_CRED_OUTBOUND,
		&sspi.AuthIdentity{User: "alice", Password: "secret"})

	// The server's challenge, for the 401.
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	sctx, status, _ := sspi.AcceptSecurityContext(scred, nil, nil, digest.ASC_REQ_HTTP|sspi.ASC_REQ_ALLOCATE_MEMORY, out)
	fmt.Println("server:", status)

	// The client's Authorization: [TOKEN challenge, PKG_PARAMS method,
	// PKG_PARAMS H(entity)], the request URI as target name.
	in := []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte("GET")),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, nil),
	}
	out = []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	_, status, _ = sspi.InitializeSecurityContext(ccred, nil, "/index.html", sspi.ISC_REQ_USE_HTTP_STYLE|sspi.ISC_REQ_ALLOCATE_MEMORY, in, out)
	fmt.Println("client:", status)

	// The server checks it: [TOKEN, method, request-target, H(entity)].
	in = []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte("GET")),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte("/index.html")),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, nil),
	}
	out = []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	_, status, _ = sspi.AcceptSecurityContext(scred, sctx, in, digest.ASC_REQ_HTTP|sspi.ASC_REQ_ALLOCATE_MEMORY, out)
	names, _ := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	fmt.Println("server:", status, names.(sspi.Names).UserName)
	// Output:
	// server: SEC_I_CONTINUE_NEEDED
	// client: SEC_I_CONTINUE_NEEDED
	// server: SEC_E_OK alice
}
