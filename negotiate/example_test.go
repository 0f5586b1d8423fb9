package negotiate_test

import (
	"fmt"
	"log"
	"net/http"
	"net/smtp"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/negotiate"
	"github.com/gosspi/schannel/sspi"
)

// A client that answers "WWW-Authenticate: Negotiate" with the user's
// Kerberos tickets (kinit), over schannel's TLS with channel bindings.
func ExampleTransport() {
	client := &http.Client{Transport: &negotiate.Transport{Base: schannel.NewHTTPTransport(nil)}}
	resp, err := client.Get("https://intranet.example.com/")
	if err != nil {
		log.Fatal(err) // the server's AP-REP did not verify, no tickets, ...
	}
	defer resp.Body.Close()
	fmt.Println(resp.Status)
}

// A server that requires Negotiate with the HTTP/host keys of a keytab.
func ExampleHandler() {
	hello := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, _ := negotiate.User(r.Context())
		fmt.Fprintf(w, "hello %s\n", id.Name)
	})
	h, err := negotiate.NewHandler(hello, "/etc/http.keytab")
	if err != nil {
		log.Fatal(err)
	}
	log.Fatal(http.ListenAndServe(":8080", h))
}

// The SSPI calls of a Negotiate client, as a Windows program makes them.
func Example_sspi() {
	cred, err := sspi.AcquireCredentialsHandle("", "Negotiate", sspi.SECPKG_CRED_OUTBOUND, nil)
	if err != nil {
		log.Fatal(err)
	}
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	ctx, status, err := sspi.InitializeSecurityContext(cred, nil, "HTTP/www.example.com", sspi.ISC_REQ_MUTUAL_AUTH|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
	if err != nil {
		log.Fatal(err) // SEC_E_NO_CREDENTIALS or SEC_E_TARGET_UNKNOWN: Kerberos cannot be used
	}
	fmt.Println(status) // SEC_I_CONTINUE_NEEDED: send out[0].Buffer, call again with the answer
	info, _ := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NEGOTIATION_INFO)
	fmt.Println(info.(sspi.NegotiationInfo).PackageInfo.Name) // Kerberos
}

// SASL GSSAPI for SMTP, with the user's Kerberos tickets.
func ExampleGSSAPIAuth() {
	c, err := smtp.Dial("mail.example.com:25")
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Auth(negotiate.GSSAPIAuth("mail.example.com", "")); err != nil {
		log.Fatal(err)
	}
}
