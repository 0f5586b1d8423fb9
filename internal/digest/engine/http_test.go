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

// TestHTTPRspAuthPerRequest: several requests go out on one context before
// any answer comes back; each Authentication-Info is checked against its
// own request (found by nc), in any order, and only once.
func TestHTTPRspAuthPerRequest(t *testing.T) {
	for _, qop := range []string{QopAuth, QopAuthInt} {
		t.Run(qop, func(t *testing.T) {
			srv := newTestServer(t, newClock(), func(cfg *ServerConfig) { cfg.Qop = []string{QopAuth, QopAuthInt} })
			c := newTestClient(t, func(cfg *ClientConfig) { cfg.Qop = qop; cfg.MutualAuth = true })
			httpLogin(t, c, srv)

			bodies := []string{"first", "second", "third"}
			infos := make([][]byte, len(bodies))
			for i, body := range bodies {
				in := Input{Method: "POST", Target: "/upload", Body: []byte(body)}
				next, err := c.NextRequest(in)
				require.NoError(t, err)
				in.Token, in.ResponseBody = next, []byte("reply to "+body)
				infos[i], _, err = srv.NewContext().Step(in)
				require.NoError(t, err)
			}
			// Answers arrive in another order than the requests left.
			for _, i := range []int{2, 0, 1} {
				_, st, err := c.Step(Input{Token: infos[i], Body: []byte("reply to " + bodies[i])})
				require.NoError(t, err, "answer %d", i)
				assert.Equal(t, sspi.SEC_E_OK, st)
			}
			// Each request is answered once: the same rspauth again fails.
			_, _, err := c.Step(Input{Token: infos[0], Body: []byte("reply to first")})
			assert.Equal(t, sspi.SEC_E_MUTUAL_AUTH_FAILED, statusOf(err))
		})
	}
}

// TestHTTPRspAuthWrongPending: an rspauth naming a pending request's nc but
// made for other bytes fails, and the context with it.
func TestHTTPRspAuthWrongPending(t *testing.T) {
	srv := newTestServer(t, newClock(), func(cfg *ServerConfig) { cfg.Qop = []string{QopAuthInt} })
	c := newTestClient(t, func(cfg *ClientConfig) { cfg.Qop = QopAuthInt })
	httpLogin(t, c, srv)
	in := Input{Method: "GET", Target: "/a"}
	next, err := c.NextRequest(in)
	require.NoError(t, err)
	in.Token, in.ResponseBody = next, []byte("the real body")
	info, _, err := srv.NewContext().Step(in)
	require.NoError(t, err)
	_, _, err = c.Step(Input{Token: info, Body: []byte("a forged body")})
	assert.Equal(t, sspi.SEC_E_MUTUAL_AUTH_FAILED, statusOf(err))
	_, err = c.NextRequest(Input{Method: "GET", Target: "/a"})
	assert.Error(t, err, "the context failed with its rspauth")
}

// TestHTTPPendingBounded: requests never answered do not pile up; past
// maxPending the oldest is forgotten and its rspauth no longer accepted.
func TestHTTPPendingBounded(t *testing.T) {
	srv := newTestServer(t, newClock(), nil)
	c := newTestClient(t, nil)
	httpLogin(t, c, srv)
	in := Input{Method: "GET", Target: "/a"}
	first, err := c.NextRequest(in)
	require.NoError(t, err)
	in.Token = first
	info, _, err := srv.NewContext().Step(in)
	require.NoError(t, err)
	for i := 0; i < 2*maxPending; i++ {
		_, err := c.NextRequest(Input{Method: "GET", Target: "/a"})
		require.NoError(t, err)
	}
	assert.Len(t, c.pending, maxPending)
	_, _, err = c.Step(Input{Token: info})
	assert.Equal(t, sspi.SEC_E_MUTUAL_AUTH_FAILED, statusOf(err))
}

// TestHTTPResponseAuthInfo: the Authentication-Info made after the
// response body is known (the trailer form of RFC 7615 section 3) carries
// an rspauth over that body that the client accepts; over other bytes it
// fails.
func TestHTTPResponseAuthInfo(t *testing.T) {
	for _, alg := range []*crypto.Algorithm{crypto.MD5, crypto.SHA256Sess, crypto.SHA512_256} {
		t.Run(alg.Name(), func(t *testing.T) {
			srv := newTestServer(t, newClock(), func(cfg *ServerConfig) {
				cfg.Algorithms = []*crypto.Algorithm{alg}
				cfg.Qop = []string{QopAuthInt}
			})
			c := newTestClient(t, func(cfg *ClientConfig) { cfg.Qop = QopAuthInt; cfg.MutualAuth = true })
			sc := srv.NewContext()
			_, err := sc.ResponseAuthInfo(Input{})
			assert.Equal(t, sspi.SEC_E_INVALID_HANDLE, statusOf(err), "nothing verified yet")
			ch, _, err := sc.Step(get(nil))
			require.NoError(t, err)
			auth, _, err := c.Step(get(ch))
			require.NoError(t, err)
			_, st, err := sc.Step(get(auth))
			require.NoError(t, err)
			require.Equal(t, sspi.SEC_E_OK, st)
			body := []byte("the response, written after the check")
			info, err := sc.ResponseAuthInfo(Input{EntityHash: alg.EntityHash(body)})
			require.NoError(t, err)
			same, err := sc.ResponseAuthInfo(Input{Body: body})
			require.NoError(t, err)
			assert.Equal(t, info, same, "EntityHash and Body agree")
			a, err := wire.ParseAuthInfo(string(info))
			require.NoError(t, err)
			assert.Equal(t, QopAuthInt, a.Qop)
			assert.Equal(t, uint32(1), a.NC)

			_, _, err = c.Step(Input{Token: info, Body: body})
			require.NoError(t, err)
			c2 := newTestClient(t, func(cfg *ClientConfig) { cfg.Qop = QopAuthInt })
			sc2 := srv.NewContext()
			ch, _, err = sc2.Step(get(nil))
			require.NoError(t, err)
			auth, _, err = c2.Step(get(ch))
			require.NoError(t, err)
			_, _, err = sc2.Step(get(auth))
			require.NoError(t, err)
			info, err = sc2.ResponseAuthInfo(Input{Body: body})
			require.NoError(t, err)
			_, _, err = c2.Step(Input{Token: info, Body: []byte("another body")})
			assert.Equal(t, sspi.SEC_E_MUTUAL_AUTH_FAILED, statusOf(err))
		})
	}
}
