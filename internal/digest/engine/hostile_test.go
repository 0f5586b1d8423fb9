package engine

import (
	"strings"
	"testing"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestHostileHTTPResponse changes one field of a valid Authorization and
// expects one status from the server, with a fresh challenge to send.
func TestHostileHTTPResponse(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(r *wire.DigestResponse, in *Input)
		want   sspi.Status
	}{
		{"wrong realm", func(r *wire.DigestResponse, _ *Input) { r.Realm = "other" }, sspi.SEC_E_LOGON_DENIED},
		{"wrong uri", func(r *wire.DigestResponse, _ *Input) { r.URI = "/other" }, sspi.SEC_E_INVALID_TOKEN},
		{"other request-target", func(_ *wire.DigestResponse, in *Input) { in.Target = "/other" }, sspi.SEC_E_INVALID_TOKEN},
		{"other method", func(_ *wire.DigestResponse, in *Input) { in.Method = "POST" }, sspi.SEC_E_LOGON_DENIED},
		{"wrong response", func(r *wire.DigestResponse, _ *Input) { r.Response = flipHex(r.Response) }, sspi.SEC_E_LOGON_DENIED},
		{"wrong nc", func(r *wire.DigestResponse, _ *Input) { r.NC = 2 }, sspi.SEC_E_LOGON_DENIED},
		{"wrong cnonce", func(r *wire.DigestResponse, _ *Input) { r.Cnonce += "x" }, sspi.SEC_E_LOGON_DENIED},
		{"unknown user", func(r *wire.DigestResponse, _ *Input) { r.Username = "Scar" }, sspi.SEC_E_LOGON_DENIED},
		{"forged nonce", func(r *wire.DigestResponse, _ *Input) { r.Nonce = "A" + r.Nonce[1:] }, sspi.SEC_E_LOGON_DENIED},
		{"foreign nonce", func(r *wire.DigestResponse, _ *Input) { r.Nonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v" }, sspi.SEC_E_LOGON_DENIED},
		{"wrong opaque", func(r *wire.DigestResponse, _ *Input) { r.Opaque = "x" }, sspi.SEC_E_INVALID_TOKEN},
		{"algorithm not offered", func(r *wire.DigestResponse, _ *Input) { r.Algorithm = "SHA-512-256" }, sspi.SEC_E_INVALID_TOKEN},
		{"unknown algorithm", func(r *wire.DigestResponse, _ *Input) { r.Algorithm = "SHA3-256" }, sspi.SEC_E_INVALID_TOKEN},
		{"qop not offered", func(r *wire.DigestResponse, _ *Input) { r.Qop = QopAuthInt }, sspi.SEC_E_QOP_NOT_SUPPORTED},
		{"no qop", func(r *wire.DigestResponse, _ *Input) { r.Qop, r.NC, r.Cnonce = "", 0, "" }, sspi.SEC_E_QOP_NOT_SUPPORTED},
		{"userhash not offered", func(r *wire.DigestResponse, _ *Input) {
			r.Username, r.Userhash = crypto.SHA256.Userhash(testUser, testRealm), true
		}, sspi.SEC_E_LOGON_DENIED},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := newTestServer(t, newClock(), nil)
			sc := srv.NewContext()
			ch, _, err := sc.Step(get(nil))
			require.NoError(t, err)
			auth, _, err := newTestClient(t, nil).Step(get(ch))
			require.NoError(t, err)
			r, err := wire.ParseAuthorization(string(auth))
			require.NoError(t, err)
			in := get(nil)
			tc.change(r, &in)
			tok, err := r.Marshal()
			require.NoError(t, err)
			in.Token = []byte(tok)
			out, st, err := sc.Step(in)
			require.Error(t, err)
			assert.Equal(t, tc.want, statusOf(err))
			assert.Equal(t, tc.want, st)
			_, perr := wire.ParseWWWAuthenticate(string(out))
			assert.NoError(t, perr, "a refusal carries a fresh challenge")

			// The unchanged response still works: the failure consumed
			// nothing.
			info, st, err := sc.Step(get(auth))
			require.NoError(t, err)
			assert.Equal(t, sspi.SEC_E_OK, st)
			assert.NotEmpty(t, info)
		})
	}
}

func TestHostileHTTPMalformedAuthorization(t *testing.T) {
	srv := newTestServer(t, newClock(), nil)
	for _, tok := range []string{`Digest`, `Basic dTpw`, `Digest username="a`, strings.Repeat("x", wire.MaxHeaderLen+1)} {
		_, _, err := srv.NewContext().Step(get([]byte(tok)))
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, statusOf(err), tok)
	}
}

// TestHostileServerForClient feeds the client what a hostile or broken
// server might send.
func TestHostileServerForClient(t *testing.T) {
	const ok = `Digest realm="r", nonce="n", qop="auth"`
	for _, tc := range []struct {
		name  string
		steps []string
		want  sspi.Status
	}{
		{"unbalanced quotes", []string{`Digest realm="r, nonce="n"`}, sspi.SEC_E_INVALID_TOKEN},
		{"duplicate nonce", []string{`Digest realm="r", nonce="n", nonce="m"`}, sspi.SEC_E_INVALID_TOKEN},
		{"missing nonce", []string{`Digest realm="r", qop="auth"`}, sspi.SEC_E_INVALID_TOKEN},
		{"huge nonce", []string{`Digest realm="r", nonce="` + strings.Repeat("n", wire.MaxValueLen+1) + `"`}, sspi.SEC_E_INVALID_TOKEN},
		{"only unknown algorithms", []string{`Digest realm="r", nonce="n", algorithm=SHA3-256, Digest realm="r", nonce="n", algorithm=whirlpool`}, sspi.SEC_E_ALGORITHM_MISMATCH},
		{"only unknown qop", []string{`Digest realm="r", nonce="n", qop="auth-conf"`}, sspi.SEC_E_QOP_NOT_SUPPORTED},
		{"no Digest", []string{`Basic realm="r"`}, sspi.SEC_E_INVALID_TOKEN},
		{"empty", []string{``}, sspi.SEC_E_INVALID_TOKEN},
		{"refused fresh response", []string{ok, ok}, sspi.SEC_E_LOGON_DENIED},
		{"never stops challenging", []string{ok, ok + `, stale=true`, ok + `, stale=true`, ok + `, stale=true`}, sspi.SEC_E_LOGON_DENIED},
		{"wrong rspauth", []string{ok, `rspauth="0123456789abcdef0123456789abcdef"`}, sspi.SEC_E_MUTUAL_AUTH_FAILED},
		{"rspauth for another nc", []string{ok, `rspauth="0a", nc=00000002`}, sspi.SEC_E_MUTUAL_AUTH_FAILED},
		{"malformed Authentication-Info", []string{ok, `rspauth="zz"`}, sspi.SEC_E_INVALID_TOKEN},
		{"empty Authentication-Info", []string{ok, ``}, sspi.SEC_E_INVALID_TOKEN},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, nil)
			var err error
			for i, step := range tc.steps {
				_, _, err = c.Step(get([]byte(step)))
				if i < len(tc.steps)-1 {
					require.NoError(t, err, "step %d", i)
				}
			}
			require.Error(t, err)
			assert.Equal(t, tc.want, statusOf(err))
			_, st, _ := c.Step(get([]byte(ok)))
			assert.Equal(t, sspi.SEC_E_INVALID_HANDLE, st, "a failed context stays failed")
		})
	}
}

func TestClientMutualAuthRequired(t *testing.T) {
	c := newTestClient(t, func(cfg *ClientConfig) { cfg.MutualAuth = true })
	_, _, err := c.Step(get([]byte(`Digest realm="r", nonce="n", qop="auth"`)))
	require.NoError(t, err)
	_, _, err = c.Step(get([]byte(`nextnonce="m"`)))
	assert.Equal(t, sspi.SEC_E_MUTUAL_AUTH_FAILED, statusOf(err))
}

func TestClientConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg  ClientConfig
		want sspi.Status
	}{
		{ClientConfig{Secret: Secret{Password: "p"}}, sspi.SEC_E_NO_CREDENTIALS},
		{ClientConfig{Username: "u"}, sspi.SEC_E_NO_CREDENTIALS},
		{ClientConfig{Username: "u", Secret: Secret{Password: "p"}, Qop: QopAuthConf}, sspi.SEC_E_QOP_NOT_SUPPORTED},
		{ClientConfig{Username: "u", Secret: Secret{Password: "p"}, Qop: "x"}, sspi.SEC_E_QOP_NOT_SUPPORTED},
	} {
		_, err := NewClient(tc.cfg)
		assert.Equal(t, tc.want, statusOf(err))
	}
	c := newTestClient(t, nil)
	_, err := c.NextRequest(get(nil))
	assert.Equal(t, sspi.SEC_E_INVALID_HANDLE, statusOf(err), "no session yet")
	_, _, err = newTestClient(t, nil).Step(Input{Token: []byte(`Digest realm="r", nonce="n"`), Method: "GET"})
	assert.Equal(t, sspi.SEC_E_TARGET_UNKNOWN, statusOf(err))
	_, _, err = newTestClient(t, func(cfg *ClientConfig) { cfg.Realm = "mine" }).Step(get([]byte(`Digest realm="r", nonce="n"`)))
	assert.Equal(t, sspi.SEC_E_NO_CREDENTIALS, statusOf(err))
}

// TestHTTPUserhashOptional: a server offering userhash still accepts the
// plain user name (RFC 7616 section 3.4.4 leaves the choice to the client).
func TestHTTPUserhashOptional(t *testing.T) {
	srv := newTestServer(t, newClock(), func(cfg *ServerConfig) { cfg.Userhash = true })
	sc := srv.NewContext()
	ch, _, err := sc.Step(get(nil))
	require.NoError(t, err)
	auth, _, err := newTestClient(t, nil).Step(get(ch))
	require.NoError(t, err)
	r, err := wire.ParseAuthorization(string(auth))
	require.NoError(t, err)
	require.True(t, r.Userhash)
	r.Username, r.Userhash = testUser, false
	tok, err := r.Marshal()
	require.NoError(t, err)
	_, st, err := sc.Step(get([]byte(tok)))
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
}

// TestHTTPAuthIntBody: with auth-int the request body is part of the
// response, given as bytes or, as Windows passes it, as H(entity-body).
func TestHTTPAuthIntBody(t *testing.T) {
	srv := newTestServer(t, newClock(), func(cfg *ServerConfig) {
		cfg.Qop = []string{QopAuthInt}
		cfg.Algorithms = []*crypto.Algorithm{crypto.SHA256}
	})
	sc := srv.NewContext()
	ch, _, err := sc.Step(get(nil))
	require.NoError(t, err)
	c := newTestClient(t, nil)
	in := Input{Token: ch, Method: "PUT", Target: "/f", EntityHash: crypto.SHA256.EntityHash([]byte("payload"))}
	auth, _, err := c.Step(in)
	require.NoError(t, err)
	require.Contains(t, string(auth), "qop=auth-int")

	_, _, err = sc.Step(Input{Token: auth, Method: "PUT", Target: "/f", Body: []byte("payload!")})
	assert.Equal(t, sspi.SEC_E_LOGON_DENIED, statusOf(err), "another body")
	info, st, err := sc.Step(Input{Token: auth, Method: "PUT", Target: "/f", Body: []byte("payload"), ResponseBody: []byte("created")})
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)

	// rspauth covers the response body too (RFC 7616 section 3.5).
	c2 := *c
	_, _, err = c2.Step(Input{Token: info, Body: []byte("tampered")})
	assert.Equal(t, sspi.SEC_E_MUTUAL_AUTH_FAILED, statusOf(err))
	_, st, err = c.Step(Input{Token: info, Body: []byte("created")})
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
}
