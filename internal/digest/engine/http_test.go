package engine

import (
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHTTPExchange(t *testing.T) {
	for _, alg := range crypto.Algorithms() {
		for _, qop := range []string{QopAuth, QopAuthInt} {
			for _, userhash := range []bool{false, true} {
				name := alg.Name() + "/" + qop
				if userhash {
					name += "/userhash"
				}
				t.Run(name, func(t *testing.T) {
					clk := newClock()
					srv := newTestServer(t, clk, func(cfg *ServerConfig) {
						cfg.Algorithms = []*crypto.Algorithm{alg}
						cfg.Qop = []string{QopAuth, QopAuthInt}
						cfg.Userhash = userhash
					})
					c := newTestClient(t, func(cfg *ClientConfig) { cfg.Qop = qop; cfg.MutualAuth = true })
					auth := httpLogin(t, c, srv)
					r, err := wire.ParseAuthorization(string(auth))
					require.NoError(t, err)
					assert.Equal(t, alg.Name(), r.Algorithm)
					assert.Equal(t, qop, r.Qop)
					assert.Equal(t, userhash, r.Userhash)
					assert.Equal(t, uint32(1), r.NC)

					// Later requests: nc climbs, no round trip, each
					// accepted once.
					for nc := uint32(2); nc <= 4; nc++ {
						in := Input{Method: "POST", Target: "/upload", Body: []byte("body")}
						next, err := c.NextRequest(in)
						require.NoError(t, err)
						r, err := wire.ParseAuthorization(string(next))
						require.NoError(t, err)
						assert.Equal(t, nc, r.NC)
						in.Token = next
						info, st, err := srv.NewContext().Step(in)
						require.NoError(t, err)
						assert.Equal(t, sspi.SEC_E_OK, st)
						_, st, err = c.Step(Input{Token: info})
						require.NoError(t, err)
						assert.Equal(t, sspi.SEC_E_OK, st)
						_, _, err = srv.NewContext().Step(in)
						assert.Equal(t, sspi.SEC_E_OUT_OF_SEQUENCE, statusOf(err), "replayed nc")
					}
				})
			}
		}
	}
}

func TestHTTPUsernameOutsideASCII(t *testing.T) {
	srv := newTestServer(t, newClock(), nil)
	c := newTestClient(t, func(cfg *ClientConfig) {
		cfg.Username, cfg.Secret.Password = "J\u00e4s\u00f8n Doe", "Secret, or not?"
	})
	auth := httpLogin(t, c, srv)
	assert.Contains(t, string(auth), "username*=UTF-8''J%C3%A4s%C3%B8n%20Doe")
}

func TestHTTPStoredHA1(t *testing.T) {
	srv := newTestServer(t, newClock(), func(cfg *ServerConfig) {
		cfg.Lookup = func(u string) (Secret, bool) {
			return Secret{HA1: map[string]string{"SHA-256": crypto.SHA256.HA1(u, testRealm, testPassword)}}, u == testUser
		}
		cfg.Algorithms = []*crypto.Algorithm{crypto.SHA256Sess}
	})
	c := newTestClient(t, func(cfg *ClientConfig) {
		cfg.Secret = Secret{HA1: map[string]string{"SHA-256": crypto.SHA256.HA1(testUser, testRealm, testPassword)}}
	})
	httpLogin(t, c, srv)
}

func TestHTTPChoosesStrongest(t *testing.T) {
	for _, tc := range []struct {
		name, challenge, want string
	}{
		{"SHA-512-256 last", `Digest realm="r", nonce="n", qop="auth", algorithm=MD5, Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256, Digest realm="r", nonce="n", qop="auth", algorithm=SHA-512-256`, "SHA-512-256"},
		{"unknown skipped", `Basic realm="r", Digest realm="r", nonce="n", algorithm=SHA3-256, Digest realm="r", nonce="n", qop="auth"`, ""},
		{"plain over sess", `Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256-sess, Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256`, "SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newTestClient(t, nil)
			out, st, err := c.Step(get([]byte(tc.challenge)))
			require.NoError(t, err)
			assert.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
			r, err := wire.ParseAuthorization(string(out))
			require.NoError(t, err)
			assert.Equal(t, tc.want, r.Algorithm)
		})
	}
	// Windows compatibility: a client limited to MD5 answers MD5.
	c := newTestClient(t, func(cfg *ClientConfig) { cfg.Algorithms = []*crypto.Algorithm{crypto.MD5} })
	out, _, err := c.Step(get([]byte(`Digest realm="r", nonce="n", qop="auth", algorithm=SHA-256, Digest realm="r", nonce="n", qop="auth", algorithm=MD5`)))
	require.NoError(t, err)
	assert.Contains(t, string(out), "algorithm=MD5")
}

func TestHTTPOpaqueEchoedAndNoQop(t *testing.T) {
	c := newTestClient(t, nil)
	out, _, err := c.Step(get([]byte(`Digest realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"`)))
	require.NoError(t, err)
	r, err := wire.ParseAuthorization(string(out))
	require.NoError(t, err)
	assert.Equal(t, "5ccc069c403ebaf9f0171e9517f40e41", r.Opaque)
	assert.Empty(t, r.Qop, "RFC 2069 form without qop")
	// RFC 2617 section 3.2.2.1 without qop: KD(H(A1), nonce ":" H(A2)).
	want := crypto.MD5.KD(crypto.MD5.HA1(testUser, "testrealm@host.com", testPassword),
		"dcd98b7102dd2f0e8b11d0f600bfb0c093:"+crypto.MD5.H("GET", "/dir/index.html"))
	assert.Equal(t, want, r.Response)
}

func TestHTTPStaleNonce(t *testing.T) {
	clk := newClock()
	srv := newTestServer(t, clk, func(cfg *ServerConfig) { cfg.NonceLifetime = time.Minute })
	c := newTestClient(t, nil)
	httpLogin(t, c, srv)

	// Half the lifetime gone: the Authentication-Info hands over the next
	// nonce, and the client uses it from nc 1.
	clk.t = clk.t.Add(40 * time.Second)
	next, err := c.NextRequest(get(nil))
	require.NoError(t, err)
	info, st, err := srv.NewContext().Step(get(next))
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	a, err := wire.ParseAuthInfo(string(info))
	require.NoError(t, err)
	require.NotEmpty(t, a.NextNonce)
	_, _, err = c.Step(get(info))
	require.NoError(t, err)
	next, err = c.NextRequest(get(nil))
	require.NoError(t, err)
	r, err := wire.ParseAuthorization(string(next))
	require.NoError(t, err)
	assert.Equal(t, a.NextNonce, r.Nonce)
	assert.Equal(t, uint32(1), r.NC)

	// Past the lifetime: a correct response gets stale=true, and the
	// client answers the new challenge.
	clk.t = clk.t.Add(2 * time.Minute)
	next, err = c.NextRequest(get(nil))
	require.NoError(t, err)
	sc := srv.NewContext()
	ch, st, err := sc.Step(get(next))
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	assert.Contains(t, string(ch), "stale=true")
	auth, st, err := c.Step(get(ch))
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	_, st, err = sc.Step(get(auth))
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)

	// A wrong response on an expired nonce is a refusal, not stale.
	clk.t = clk.t.Add(2 * time.Minute)
	r, err = wire.ParseAuthorization(string(auth))
	require.NoError(t, err)
	r.Response = flipHex(r.Response)
	bad, err := r.Marshal()
	require.NoError(t, err)
	_, _, err = srv.NewContext().Step(get([]byte(bad)))
	assert.Equal(t, sspi.SEC_E_LOGON_DENIED, statusOf(err))
}

func TestHTTPEvictedNonceIsStale(t *testing.T) {
	clk := newClock()
	srv := newTestServer(t, clk, func(cfg *ServerConfig) { cfg.MaxNonces = 2 })
	first := newTestClient(t, nil)
	httpLogin(t, first, srv)
	for i := 0; i < 2; i++ {
		clk.t = clk.t.Add(time.Second)
		httpLogin(t, newTestClient(t, nil), srv)
	}
	// The first nonce left the table: its history is gone, so even a
	// fresh nc on it must come back with a new nonce, never be trusted.
	next, err := first.NextRequest(get(nil))
	require.NoError(t, err)
	ch, st, err := srv.NewContext().Step(get(next))
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	assert.Contains(t, string(ch), "stale=true")
	assert.LessOrEqual(t, len(srv.nonces.table), 2)
}

func TestHTTPncWindow(t *testing.T) {
	n := &nonces{table: map[string]*ncWindow{}, max: 10}
	for _, tc := range []struct {
		nc   uint32
		want ncResult
	}{
		{5, ncOK}, {3, ncOK}, {5, ncReplay}, {3, ncReplay}, {4, ncOK}, {200, ncOK},
		{200 - windowSize + 1, ncOK}, {200 - windowSize, ncReplay}, {6, ncReplay}, {199, ncOK},
	} {
		assert.Equal(t, tc.want, n.use("x", 1, tc.nc), "nc %d", tc.nc)
	}
}
