package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/internal/peertest"
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
	var auths []string
	rec := roundTrip(func(r *http.Request) (*http.Response, error) {
		auths = append(auths, r.Header.Get("Authorization"))
		return base.RoundTrip(r)
	})
	code, body := get(&digest.Transport{Base: rec, Credentials: cred, Flags: sspi.ISC_REQ_MUTUAL_AUTH})
	assert.Equal(t, http.StatusOK, code)
	// The server asked for channel bindings (its connection's
	// tls-server-end-point) and took the client's.
	require.Len(t, auths, 2)
	assert.Contains(t, auths[1], `nonce="+Upgraded+v1`)
	assert.Contains(t, auths[1], `hashed-dirs="service-name,channel-binding"`)
	assert.NotContains(t, auths[1], `channel-binding="00000000000000000000000000000000"`)
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

// TestServeHTTPDigestCurl is the README's example: curl --digest against
// serve -http -digest-user. It skips without curl, unless
// SCHANNEL_INTEROP=require.
func TestServeHTTPDigestCurl(t *testing.T) {
	curl := peertest.Program(t, "curl", "curl")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, _ := startServe(t, "-http", "-ca-out", caFile, "-digest-user", "alice:secret")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, curl, "-sS", "--cacert", caFile, "--digest", "-u", "alice:secret",
		"-w", "%{http_code}\n", "https://localhost:"+portOf(addr)+"/").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "authenticated by Digest as alice")
	assert.True(t, strings.HasSuffix(string(out), "200\n"), "%s", out)
	out, err = exec.CommandContext(ctx, curl, "-sS", "--cacert", caFile, "--digest", "-u", "alice:wrong",
		"-o", "/dev/null", "-w", "%{http_code}\n", "https://localhost:"+portOf(addr)+"/").CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Equal(t, "401\n", string(out))
}

// get -digest answers the challenge of serve -digest-user, and with -v the
// client's WDigest calls are in the log.
func TestGetDigest(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "")
	t.Setenv("https_proxy", "")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, _ := startServe(t, "-http", "-ca-out", caFile, "-digest-user", "alice:wonder land")
	url := "https://" + addr + "/page"

	stdout, stderr, err := runGet(t, "-cafile", caFile, "-v", "-digest", "alice:wonder land", url)
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "authenticated by Digest as alice")
	assert.Contains(t, stderr, "* WDigest: InitializeSecurityContext -> SEC_I_CONTINUE_NEEDED")
	assert.Contains(t, stderr, "* WDigest: InitializeSecurityContext -> SEC_E_OK")

	_, _, err = runGet(t, "-cafile", caFile, "-digest", "alice:wrong", url)
	assert.ErrorContains(t, err, "401")
	_, _, err = runGet(t, "-cafile", caFile, url)
	assert.ErrorContains(t, err, "401", "no credentials, no entry")
	_, _, err = runGet(t, "-cafile", caFile, "-digest", "nocolon", url)
	assert.Error(t, err)
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
