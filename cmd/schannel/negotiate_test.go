package main

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestServeNegotiateCLI: "serve -http -keytab" requires Negotiate on our
// TLS listener, with channel bindings; "get -negotiate" answers it from
// the ticket cache and sees the principal the server shows; without
// -negotiate the server's 401 is an error; curl --negotiate -u : gets in
// too when it is installed with GSS-API.
func TestServeNegotiateCLI(t *testing.T) {
	r := krbRealm(t)
	r.Admin(t, "addprinc -randkey HTTP/localhost")
	kt := filepath.Join(r.Dir, "http.keytab")
	r.Admin(t, "ktadd -k "+kt+" HTTP/localhost")
	r.Run(t, []byte("secret\n"), "kinit", "user")
	ca := filepath.Join(r.Dir, "ca.pem")
	addr, serveLog := startServe(t, "-http", "-v", "-keytab", kt, "-ca-out", ca)
	_, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	u := "https://localhost:" + port + "/"

	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, stdout, stderr := testCLI("")
	require.NoError(t, c.run(ctx, []string{"get", "-negotiate", "-v", "-cafile", ca, u}), "stderr: %s\nserve: %s", stderr, serveLog)
	assert.Contains(t, stdout.String(), "Negotiate: client principal user@TEST.LOCAL")
	assert.Contains(t, stderr.String(), "Negotiate: InitializeSecurityContext -> SEC_E_OK  in:[CHANNEL_BINDINGS", "-v prints the SSPI log of the Negotiate calls, with the TLS channel bindings")
	assert.Contains(t, serveLog.String(), "negotiate: Negotiate: AcceptSecurityContext -> SEC_E_OK")

	c, _, _ = testCLI("")
	err = c.run(ctx, []string{"get", "-cafile", ca, u})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")

	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Log("curl is not installed; skipping its part")
		return
	}
	if v, _ := exec.Command(curl, "-V").Output(); !strings.Contains(string(v), "GSS-API") {
		t.Log("curl has no GSS-API; skipping its part")
		return
	}
	out, err := exec.CommandContext(ctx, curl, "-sS", "--negotiate", "-u", ":", "--cacert", ca, u).CombinedOutput()
	require.NoError(t, err, "%s\nserve: %s", out, serveLog)
	assert.Contains(t, string(out), "Negotiate: client principal user@TEST.LOCAL", "curl over our TLS")
}
