package main

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestServeHTTPDigest(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, serveLog := startServe(t, "-http", "-ca-out", caFile, "-digest-user", "alice:wonder land", "-v")
	ca, err := os.ReadFile(caFile)
	require.NoError(t, err)
	roots := x509.NewCertPool()
	require.True(t, roots.AppendCertsFromPEM(ca))
	base := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "localhost"}}
	defer base.CloseIdleConnections()

	get := func(tr http.RoundTripper) (int, string) {
		resp, err := (&http.Client{Transport: tr}).Get("https://" + addr + "/page")
		require.NoError(t, err)
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	code, _ := get(base)
	assert.Equal(t, http.StatusUnauthorized, code)

	cred, err := digest.AcquireCredentialsHandle(sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "alice", Password: "wonder land"})
	require.NoError(t, err)
	code, body := get(&digest.Transport{Base: base, Credentials: cred, Flags: sspi.ISC_REQ_MUTUAL_AUTH})
	assert.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, "authenticated by Digest as alice")
	assert.Contains(t, serveLog.String(), "Digest authentication required")
	assert.Contains(t, serveLog.String(), "WDigest: AcceptSecurityContext -> SEC_I_CONTINUE_NEEDED")
	assert.Contains(t, serveLog.String(), "WDigest: AcceptSecurityContext -> SEC_E_OK")

	bad, err := digest.AcquireCredentialsHandle(sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "alice", Password: "x"})
	require.NoError(t, err)
	code, _ = get(&digest.Transport{Base: base, Credentials: bad})
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestServeDigestNeedsHTTP(t *testing.T) {
	c, _, _ := testCLI("")
	err := c.serve(t.Context(), []string{"-digest-user", "a:b", "127.0.0.1:0"}, nil)
	assert.ErrorContains(t, err, "-digest-user needs -http")
}
