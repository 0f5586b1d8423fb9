package digest_test

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPackageInfo(t *testing.T) {
	info, err := sspi.QuerySecurityPackageInfo("wdigest")
	require.NoError(t, err)
	assert.Equal(t, sspi.PackageInfo{
		Capabilities: 0x00800304, Version: 1, RPCID: 21, MaxToken: 4096,
		Name: "WDigest", Comment: "Digest Authentication for Windows",
	}, info)
	assert.Equal(t, []string{"TOKEN_ONLY", "IMPERSONATION", "ACCEPT_WIN32_NAME", "APPCONTAINER_CHECKS"}, info.CapabilityNames())
	_, err = sspi.QuerySecurityPackageInfo("Digest")
	assert.ErrorIs(t, err, sspi.SEC_E_SECPKG_NOT_FOUND, "Windows registers WDigest only")
	all, err := sspi.EnumerateSecurityPackages()
	require.NoError(t, err)
	assert.Contains(t, all, info)
}

func TestAcquireCredentials(t *testing.T) {
	for _, tc := range []struct {
		name     string
		use      sspi.CredentialUse
		authData any
		status   sspi.Status
	}{
		{"identity", sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "u", Password: "p"}, sspi.SEC_E_OK},
		{"AuthIdentity", sspi.SECPKG_CRED_OUTBOUND, &sspi.AuthIdentity{User: "u", Domain: "r", Password: "p"}, sspi.SEC_E_OK},
		{"stored HA1", sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "u", HA1: map[string]string{"MD5": "939e7578ed9e3c518a452acee763bce9"}}, sspi.SEC_E_OK},
		{"HA1 of wrong length", sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "u", HA1: map[string]string{"SHA-256": "939e"}}, sspi.SEC_E_NO_CREDENTIALS},
		{"no password", sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "u"}, sspi.SEC_E_NO_CREDENTIALS},
		{"single sign-on", sspi.SECPKG_CRED_OUTBOUND, nil, sspi.SEC_E_NO_CREDENTIALS},
		{"unknown algorithm", sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "u", Password: "p", Algorithms: []string{"SHA-1"}}, sspi.SEC_E_ALGORITHM_MISMATCH},
		{"server", sspi.SECPKG_CRED_INBOUND, &digest.ServerConfig{Realm: "r", Users: map[string]string{"u": "p"}}, sspi.SEC_E_OK},
		{"server without realm", sspi.SECPKG_CRED_INBOUND, &digest.ServerConfig{Users: map[string]string{"u": "p"}}, sspi.SEC_E_NO_CREDENTIALS},
		{"server with identity", sspi.SECPKG_CRED_INBOUND, &digest.Identity{User: "u", Password: "p"}, sspi.SEC_E_UNKNOWN_CREDENTIALS},
		{"both", sspi.SECPKG_CRED_BOTH, &digest.Identity{User: "u", Password: "p"}, sspi.SEC_E_UNSUPPORTED_FUNCTION},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cred, err := sspi.AcquireCredentialsHandle("", "WDigest", tc.use, tc.authData)
			if tc.status == sspi.SEC_E_OK {
				require.NoError(t, err)
				assert.Equal(t, "WDigest", cred.PackageInfo().Name)
				return
			}
			assert.ErrorIs(t, err, tc.status)
		})
	}
}

// httpLogin runs the first request: challenge, Authorization, verification,
// Authentication-Info checked by the client.
func httpLogin(t *testing.T, ccred, scred *sspi.Credentials, iscReq uint32) (*sspi.Context, *sspi.Context, string) {
	t.Helper()
	sctx, ch := challenge(t, scred)
	out := tokenOut()
	cctx, st, err := sspi.InitializeSecurityContext(ccred, nil, "/dir/index.html", iscReq, httpClientIn(ch, "GET", ""), out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	auth := string(out[0].Buffer)
	// As Windows returns it: the credentials after the scheme, which
	// the caller writes after "Authorization: Digest ".
	require.True(t, strings.HasPrefix(auth, "username="), auth)

	out = tokenOut()
	_, st, err = sspi.AcceptSecurityContext(scred, sctx, httpServerIn(auth, "GET", "/dir/index.html", ""), httpASC, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	info := string(out[0].Buffer)
	require.NotEmpty(t, param(info, "rspauth"))

	_, st, err = sspi.InitializeSecurityContext(ccred, cctx, "/dir/index.html", iscReq, httpClientIn(info, "GET", ""), tokenOut())
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	return cctx, sctx, auth
}

func TestHTTPExchange(t *testing.T) {
	for _, alg := range []string{"MD5", "MD5-sess", "SHA-256", "SHA-256-sess", "SHA-512-256", "SHA-512-256-sess"} {
		for _, tc := range []struct {
			name string
			isc  uint32
			qop  string
		}{
			{"auth", 0, "auth"},
			{"auth-int", sspi.ISC_REQ_INTEGRITY, "auth-int"},
			{"mutual", sspi.ISC_REQ_MUTUAL_AUTH, "auth"},
		} {
			t.Run(alg+"/"+tc.name, func(t *testing.T) {
				scred := serverCred(t, func(c *digest.ServerConfig) {
					c.Algorithms = []string{alg}
					c.Qop = []string{"auth", "auth-int"}
				})
				ccred := clientCred(t, nil)
				cctx, sctx, auth := httpLogin(t, ccred, scred, httpISC|tc.isc)
				assert.Equal(t, alg, param(auth, "algorithm"))
				assert.Equal(t, tc.qop, param(auth, "qop"))
				assert.Equal(t, "00000001", param(auth, "nc"))
				assert.Equal(t, uint32(sspi.ISC_RET_USED_HTTP_STYLE), cctx.Attributes()&sspi.ISC_RET_USED_HTTP_STYLE)
				if tc.isc == sspi.ISC_REQ_MUTUAL_AUTH {
					assert.NotZero(t, cctx.Attributes()&sspi.ISC_RET_MUTUAL_AUTH)
				}
				names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
				require.NoError(t, err)
				assert.Equal(t, sspi.Names{UserName: testUser}, names)

				// Later requests: MakeSignature gives the next
				// Authorization in PADDING, nc one higher.
				body := []byte(`{"a":1}`)
				sum := sha256.Sum256(body)
				ehash := hex.EncodeToString(sum[:])
				if alg[:3] == "MD5" {
					ehash = ""
				}
				for nc := 2; nc <= 3; nc++ {
					bufs := []sspi.SecBuffer{
						{BufferType: sspi.SECBUFFER_TOKEN},
						sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte("POST")),
						sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte("/upload")),
						sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(ehash)),
						{BufferType: sspi.SECBUFFER_PADDING},
					}
					st, err := cctx.MakeSignature(0, bufs)
					require.NoError(t, err)
					require.Equal(t, sspi.SEC_E_OK, st)
					next := string(bufs[4].Buffer)
					assert.Equal(t, "0000000"+string(rune('0'+nc)), param(next, "nc"))
					assert.Equal(t, "/upload", param(next, "uri"))
					in := httpServerIn(next, "POST", "/upload", ehash)
					_, st, err = sspi.AcceptSecurityContext(scred, sctx, in, httpASC, tokenOut())
					require.NoError(t, err)
					// Windows' status for a later request on an
					// established context, then CompleteAuthToken.
					assert.Equal(t, sspi.SEC_I_COMPLETE_NEEDED, st)
					st, err = sctx.CompleteAuthToken(in)
					require.NoError(t, err)
					assert.Equal(t, sspi.SEC_E_OK, st)
					_, st, err = sspi.AcceptSecurityContext(scred, sctx, in, httpASC, tokenOut())
					assert.ErrorIs(t, err, sspi.SEC_E_OUT_OF_SEQUENCE, "replayed nc")
					assert.Equal(t, sspi.SEC_E_OUT_OF_SEQUENCE, st)
				}
			})
		}
	}
}

func TestHTTPCompleteAuthToken(t *testing.T) {
	scred := serverCred(t, nil)
	_, ch := challenge(t, scred)
	cctx, _, err := sspi.InitializeSecurityContext(clientCred(t, nil), nil, "/", httpISC, httpClientIn(ch, "GET", ""), tokenOut())
	require.NoError(t, err)
	// Callers written for Windows call CompleteAuthToken after
	// SEC_I_COMPLETE_NEEDED; the call is accepted and harmless.
	st, err := cctx.CompleteAuthToken(httpClientIn("", "GET", ""))
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
}

func TestHTTPUserhash(t *testing.T) {
	scred := serverCred(t, func(c *digest.ServerConfig) { c.Userhash = true; c.Algorithms = []string{"SHA-256"} })
	_, _, auth := httpLogin(t, clientCred(t, nil), scred, httpISC)
	h, err := digest.Userhash("SHA-256", testUser, testRealm)
	require.NoError(t, err)
	assert.Equal(t, h, param(auth, "username"))
	assert.Equal(t, "true", param(auth, "userhash"))
}

func TestHTTPStale(t *testing.T) {
	clk := newClock()
	scred := serverCred(t, func(c *digest.ServerConfig) { c.Now = clk.Now; c.NonceLifetime = time.Minute })
	ccred := clientCred(t, nil)
	sctx, ch := challenge(t, scred)
	out := tokenOut()
	cctx, _, err := sspi.InitializeSecurityContext(ccred, nil, "/", httpISC, httpClientIn(ch, "GET", ""), out)
	require.NoError(t, err)
	clk.Advance(2 * time.Minute)
	sout := tokenOut()
	_, st, err := sspi.AcceptSecurityContext(scred, sctx, httpServerIn(string(out[0].Buffer), "GET", "/", ""), httpASC, sout)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	assert.Equal(t, "true", param(string(sout[0].Buffer), "stale"))
	// The client answers the stale challenge without asking the user.
	out = tokenOut()
	_, st, err = sspi.InitializeSecurityContext(ccred, cctx, "/", httpISC, httpClientIn(string(sout[0].Buffer), "GET", ""), out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	_, st, err = sspi.AcceptSecurityContext(scred, sctx, httpServerIn(string(out[0].Buffer), "GET", "/", ""), httpASC, tokenOut())
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
}

// TestHTTPChallengeWithoutScheme passes the challenge as curl's Windows
// code does, without "Digest": the first one and, later, a stale one, which
// must not pass for an Authentication-Info (that has no nonce).
func TestHTTPChallengeWithoutScheme(t *testing.T) {
	clk := newClock()
	scred := serverCred(t, func(c *digest.ServerConfig) {
		c.Now, c.NonceLifetime, c.Algorithms = clk.Now, time.Minute, []string{"MD5"}
	})
	ccred := clientCred(t, nil)
	sctx, ch := challenge(t, scred)
	bare := strings.TrimPrefix(ch, "Digest ")
	require.NotEqual(t, ch, bare)
	out := tokenOut()
	cctx, st, err := sspi.InitializeSecurityContext(ccred, nil, "/", httpISC, httpClientIn(bare, "GET", ""), out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)

	clk.Advance(2 * time.Minute)
	sout := tokenOut()
	_, st, err = sspi.AcceptSecurityContext(scred, sctx, httpServerIn(string(out[0].Buffer), "GET", "/", ""), httpASC, sout)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	stale := strings.TrimPrefix(string(sout[0].Buffer), "Digest ")
	out = tokenOut()
	_, st, err = sspi.InitializeSecurityContext(ccred, cctx, "/", httpISC, httpClientIn(stale, "GET", ""), out)
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st, "a stale challenge, not an Authentication-Info")
	// The server takes the Authorization with its scheme as well.
	_, st, err = sspi.AcceptSecurityContext(scred, sctx, httpServerIn("Digest "+string(out[0].Buffer), "GET", "/", ""), httpASC, tokenOut())
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
}
