package kerberos_test

import (
	"fmt"

	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

// The package as EnumerateSecurityPackages lists it.
func Example_packageInfo() {
	info, err := sspi.QuerySecurityPackageInfo("Kerberos")
	if err != nil {
		panic(err)
	}
	fmt.Printf("%s (%s): capabilities %#08x, cbMaxToken %d, RPC id %d\n", info.Name, info.Comment, info.Capabilities, info.MaxToken, info.RPCID)
	// Output: Kerberos (Microsoft Kerberos V1.0): capabilities 0x028f3bbf, cbMaxToken 48000, RPC id 16
}

// A client authenticating to HTTP/www.example.com with the ticket kinit
// left in the cache, asking for mutual authentication: send the token
// (for HTTP, in "Authorization: Negotiate ..."), then pass the server's
// answer to a second InitializeSecurityContext call. (Not run: it needs a
// realm.)
func ExampleAcquireCredentialsHandle() {
	cred, err := kerberos.AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	if err != nil {
		panic(err) // SEC_E_NO_CREDENTIALS: run kinit
	}
	defer cred.FreeCredentialsHandle()
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	req := uint32(sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_CONFIDENTIALITY | sspi.ISC_REQ_ALLOCATE_MEMORY)
	ctx, status, err := sspi.InitializeSecurityContext(cred, nil, "HTTP/www.example.com", req, nil, out)
	if err != nil {
		panic(err)
	}
	defer ctx.DeleteSecurityContext()
	fmt.Println(status, len(out[0].Buffer) > 0) // SEC_I_CONTINUE_NEEDED true
	reply := []byte{}                           // the server's token
	in := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, reply)}
	_, status, err = sspi.InitializeSecurityContext(cred, ctx, "HTTP/www.example.com", req, in, out)
	fmt.Println(status, err) // SEC_E_OK <nil> once the AP-REP verifies
}

// An acceptor with the default keytab (KRB5_KTNAME) checks a client's
// token and learns who it is. (Not run: it needs a keytab.)
func ExampleDelegatedCredentials() {
	cred, err := kerberos.AcquireCredentialsHandle("HTTP/www.example.com", sspi.SECPKG_CRED_INBOUND, nil)
	if err != nil {
		panic(err)
	}
	token := []byte{} // from "Authorization: Negotiate ..."
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	ctx, _, err := sspi.AcceptSecurityContext(cred, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, token)}, sspi.ASC_REQ_ALLOCATE_MEMORY, out)
	if err != nil {
		panic(err)
	}
	names, _ := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	fmt.Println(names.(sspi.Names).UserName) // user@EXAMPLE.COM; out[0] holds the AP-REP
	if ctx.Attributes()&sspi.ASC_RET_DELEGATE != 0 {
		onward, _ := kerberos.DelegatedCredentials(ctx)
		_ = onward // outbound credentials of the client, for the next hop
	}
}
