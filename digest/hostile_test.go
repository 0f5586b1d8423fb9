package digest_test

import (
	"strings"
	"testing"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileChallenge feeds the client malformed or unusable challenges:
// each gets a status, never a panic.
func TestHostileChallenge(t *testing.T) {
	for _, tc := range []struct {
		name      string
		challenge string
		status    sspi.Status
	}{
		{"unbalanced quote", `Digest realm="r, nonce="abc"`, sspi.SEC_E_INVALID_TOKEN},
		{"duplicate nonce", `Digest realm="r", nonce="a", nonce="b"`, sspi.SEC_E_INVALID_TOKEN},
		{"missing nonce", `Digest realm="r", qop="auth"`, sspi.SEC_E_INVALID_TOKEN},
		{"only unknown algorithms", `Digest realm="r", nonce="a", qop="auth", algorithm=SHA-1, Digest realm="r", nonce="a", algorithm=SHA3`, sspi.SEC_E_ALGORITHM_MISMATCH},
		{"not Digest", `Basic realm="r"`, sspi.SEC_E_INVALID_TOKEN},
		{"huge value", `Digest realm="r", nonce="` + strings.Repeat("a", 100<<10) + `"`, sspi.SEC_E_INVALID_TOKEN},
		{"empty", ``, sspi.SEC_E_INVALID_TOKEN},
		{"qop not offered", `Digest realm="r", nonce="a", qop="auth-int", algorithm=MD5`, sspi.SEC_E_OK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := tokenOut()
			_, st, err := sspi.InitializeSecurityContext(clientCred(t, nil), nil, "/", httpISC, httpClientIn(tc.challenge, "GET", ""), out)
			if tc.status == sspi.SEC_E_OK {
				// A server insisting on auth-int gets it: it costs
				// the client nothing.
				require.NoError(t, err)
				assert.Contains(t, string(out[0].Buffer), "qop=auth-int")
				return
			}
			assert.ErrorIs(t, err, tc.status)
			assert.Equal(t, tc.status, st)
		})
	}
}

// TestHostileHTTP changes one thing in a valid exchange and expects one
// status.
func TestHostileHTTP(t *testing.T) {
	for _, tc := range []struct {
		name   string
		client func(*digest.Identity)
		method string
		uri    string
		edit   func(auth string) string
		status sspi.Status
	}{
		{name: "wrong password", client: func(id *digest.Identity) { id.Password = "x" }, status: sspi.SEC_E_LOGON_DENIED},
		{name: "unknown user", client: func(id *digest.Identity) { id.User = "Scar" }, status: sspi.SEC_E_LOGON_DENIED},
		{name: "wrong uri", uri: "/other", status: sspi.SEC_E_INVALID_TOKEN},
		{name: "wrong method", method: "POST", status: sspi.SEC_E_LOGON_DENIED},
		{name: "wrong realm", edit: func(a string) string { return strings.Replace(a, `realm="`+testRealm, `realm="evil`, 1) }, status: sspi.SEC_E_LOGON_DENIED},
		{name: "nc changed", edit: func(a string) string { return strings.Replace(a, "nc=00000001", "nc=00000002", 1) }, status: sspi.SEC_E_LOGON_DENIED},
		{name: "opaque changed", edit: func(a string) string { return strings.Replace(a, `opaque="`, `opaque="0`, 1) }, status: sspi.SEC_E_INVALID_TOKEN},
		{name: "garbage", edit: func(string) string { return `Digest username="` }, status: sspi.SEC_E_INVALID_TOKEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scred := serverCred(t, nil)
			sctx, ch := challenge(t, scred)
			out := tokenOut()
			_, _, err := sspi.InitializeSecurityContext(clientCred(t, tc.client), nil, "/dir/index.html", httpISC, httpClientIn(ch, "GET", ""), out)
			require.NoError(t, err)
			auth := string(out[0].Buffer)
			if tc.edit != nil {
				auth = tc.edit(auth)
			}
			method, uri := "GET", "/dir/index.html"
			if tc.method != "" {
				method = tc.method
			}
			if tc.uri != "" {
				uri = tc.uri
			}
			sout := tokenOut()
			_, st, err := sspi.AcceptSecurityContext(scred, sctx, httpServerIn(auth, method, uri, ""), httpASC, sout)
			assert.ErrorIs(t, err, tc.status)
			assert.Equal(t, tc.status, st)
			// The failure carries a fresh challenge for the 401.
			assert.True(t, strings.HasPrefix(string(sout[0].Buffer), "Digest "), "challenge: %q", sout[0].Buffer)
		})
	}
}

func TestHTTPClientRealm(t *testing.T) {
	scred := serverCred(t, nil)
	_, ch := challenge(t, scred)
	ccred := clientCred(t, func(id *digest.Identity) { id.Realm = "elsewhere" })
	_, _, err := sspi.InitializeSecurityContext(ccred, nil, "/", httpISC, httpClientIn(ch, "GET", ""), tokenOut())
	assert.ErrorIs(t, err, sspi.SEC_E_NO_CREDENTIALS, "credentials for another realm are not given away")
}

func TestHTTPServerNeverStopsChallenging(t *testing.T) {
	scred := serverCred(t, nil)
	ccred := clientCred(t, func(id *digest.Identity) { id.Password = "wrong" })
	var cctx *sspi.Context
	sctx, ch := challenge(t, scred)
	for round := 1; ; round++ {
		require.Less(t, round, 10, "the client must give up")
		out := tokenOut()
		var st sspi.Status
		var err error
		cctx, st, err = sspi.InitializeSecurityContext(ccred, cctx, "/", httpISC, httpClientIn(ch, "GET", ""), out)
		if err != nil {
			assert.ErrorIs(t, err, sspi.SEC_E_LOGON_DENIED)
			assert.Equal(t, sspi.SEC_E_LOGON_DENIED, st)
			return
		}
		sout := tokenOut()
		_, _, err = sspi.AcceptSecurityContext(scred, sctx, httpServerIn(string(out[0].Buffer), "GET", "/", ""), httpASC, sout)
		require.ErrorIs(t, err, sspi.SEC_E_LOGON_DENIED)
		// A hostile server marks every challenge stale, which would
		// make an unbounded client retry forever.
		ch = strings.Replace(string(sout[0].Buffer), "Digest ", "Digest stale=true, ", -1)
	}
}

func TestHTTPWrongRspauth(t *testing.T) {
	scred := serverCred(t, nil)
	ccred := clientCred(t, nil)
	sctx, ch := challenge(t, scred)
	out := tokenOut()
	cctx, _, err := sspi.InitializeSecurityContext(ccred, nil, "/", httpISC, httpClientIn(ch, "GET", ""), out)
	require.NoError(t, err)
	sout := tokenOut()
	_, _, err = sspi.AcceptSecurityContext(scred, sctx, httpServerIn(string(out[0].Buffer), "GET", "/", ""), httpASC, sout)
	require.NoError(t, err)
	info := string(sout[0].Buffer)
	rsp := param(info, "rspauth")
	forged := strings.Replace(info, rsp, strings.Repeat("0", len(rsp)), 1)
	_, st, err := sspi.InitializeSecurityContext(ccred, cctx, "/", httpISC, httpClientIn(forged, "GET", ""), tokenOut())
	assert.ErrorIs(t, err, sspi.SEC_E_MUTUAL_AUTH_FAILED)
	assert.Equal(t, sspi.SEC_E_MUTUAL_AUTH_FAILED, st)
}
