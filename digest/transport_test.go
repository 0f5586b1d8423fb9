package digest_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testServer runs a Middleware-protected handler that echoes the user and
// the body, counting the requests that reach the server.
func testServer(t *testing.T, mw *digest.Middleware) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		user, _ := digest.UserFromContext(r.Context())
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s:%s", user, body)
	}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func newMiddleware(t *testing.T, edit func(*digest.ServerConfig)) *digest.Middleware {
	t.Helper()
	cfg := &digest.ServerConfig{Realm: testRealm, Users: map[string]string{testUser: testPassword}}
	if edit != nil {
		edit(cfg)
	}
	mw, err := digest.NewMiddleware(cfg)
	require.NoError(t, err)
	return mw
}

func get(t *testing.T, c *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := c.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestTransportAgainstMiddleware(t *testing.T) {
	for _, alg := range []string{"MD5", "SHA-256", "SHA-512-256-sess"} {
		for _, userhash := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/userhash=%v", alg, userhash), func(t *testing.T) {
				srv, hits := testServer(t, newMiddleware(t, func(c *digest.ServerConfig) {
					c.Algorithms = []string{alg}
					c.Userhash = userhash
				}))
				c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil), Flags: sspi.ISC_REQ_MUTUAL_AUTH}}
				code, body := get(t, c, srv.URL+"/a?x=1")
				assert.Equal(t, http.StatusOK, code)
				assert.Equal(t, testUser+":", body)
				assert.Equal(t, int32(2), hits.Load(), "one 401, then the answer")
				// Later requests need no round trip.
				for i := 0; i < 3; i++ {
					code, _ = get(t, c, srv.URL+"/b")
					assert.Equal(t, http.StatusOK, code)
				}
				assert.Equal(t, int32(5), hits.Load())
			})
		}
	}
}

func TestTransportBodies(t *testing.T) {
	mw := newMiddleware(t, func(c *digest.ServerConfig) { c.Qop = []string{"auth-int"} })
	srv, hits := testServer(t, mw)
	c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil), Flags: sspi.ISC_REQ_INTEGRITY}}
	for _, tc := range []struct {
		name string
		body io.Reader
	}{
		{"GetBody", strings.NewReader("hello")},                    // http.NewRequest sets GetBody
		{"no GetBody", io.MultiReader(strings.NewReader("hello"))}, // kept in memory by the transport
		{"later request", bytes.NewBufferString("hello")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, srv.URL+"/upload", tc.body)
			require.NoError(t, err)
			resp, err := c.Do(req)
			require.NoError(t, err)
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			assert.Equal(t, testUser+":hello", string(b))
		})
	}
	assert.Equal(t, int32(4), hits.Load(), "one 401 in all")

	// Without credentials, the middleware challenges.
	resp, err := http.Post(srv.URL+"/upload", "text/plain", strings.NewReader("x"))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestTransportStale(t *testing.T) {
	clk := newClock()
	srv, hits := testServer(t, newMiddleware(t, func(c *digest.ServerConfig) { c.Now = clk.Now; c.NonceLifetime = time.Minute }))
	c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil)}}
	code, _ := get(t, c, srv.URL+"/")
	require.Equal(t, http.StatusOK, code)
	clk.Advance(2 * time.Minute)
	code, _ = get(t, c, srv.URL+"/")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, int32(4), hits.Load(), "the stale nonce costs one more round trip")
}

func TestTransportWrongPassword(t *testing.T) {
	srv, hits := testServer(t, newMiddleware(t, nil))
	c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, func(id *digest.Identity) { id.Password = "no" })}}
	code, _ := get(t, c, srv.URL+"/")
	assert.Equal(t, http.StatusUnauthorized, code, "the server's 401 is the answer")
	assert.Equal(t, int32(2), hits.Load())
}

func TestTransportWrongRspauth(t *testing.T) {
	mw := newMiddleware(t, nil)
	forge := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			if info := rec.Header().Get("Authentication-Info"); info != "" {
				rsp := param(info, "rspauth")
				w.Header().Set("Authentication-Info", strings.Replace(info, rsp, strings.Repeat("0", len(rsp)), 1))
			}
			w.WriteHeader(rec.Code)
			w.Write(rec.Body.Bytes())
		})
	}
	srv := httptest.NewServer(forge(mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))))
	defer srv.Close()
	c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil)}}
	_, err := c.Get(srv.URL + "/")
	assert.ErrorIs(t, err, sspi.SEC_E_MUTUAL_AUTH_FAILED)
}

func TestTransportMutualAuthWithoutInfo(t *testing.T) {
	mw := newMiddleware(t, nil)
	srv := httptest.NewServer(mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Del("Authentication-Info")
	})))
	defer srv.Close()
	c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil), Flags: sspi.ISC_REQ_MUTUAL_AUTH}}
	_, err := c.Get(srv.URL + "/")
	assert.ErrorIs(t, err, sspi.SEC_E_MUTUAL_AUTH_FAILED)
}

func TestTransportNeverEndingChallenges(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="r", nonce="n%d", qop="auth", stale=true`, hits.Load()))
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil)}}
	code, _ := get(t, c, srv.URL+"/")
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.LessOrEqual(t, hits.Load(), int32(3), "a fresh answer and one stale retry")
}

// TestTransportProxy answers a 407 from a proxy with ProxyCredentials.
func TestTransportProxy(t *testing.T) {
	pcred := serverCred(t, func(c *digest.ServerConfig) { c.Realm = "proxy" })
	var hits atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		in := httpServerIn(r.Header.Get("Proxy-Authorization"), r.Method, r.RequestURI, "")
		out := tokenOut()
		_, st, err := sspi.AcceptSecurityContext(pcred, nil, in, httpASC, out)
		if err != nil || st != sspi.SEC_E_OK {
			w.Header().Set("Proxy-Authenticate", string(out[0].Buffer))
			w.WriteHeader(http.StatusProxyAuthRequired)
			return
		}
		w.Header().Set("Proxy-Authentication-Info", string(out[0].Buffer))
		fmt.Fprint(w, "via proxy ", r.RequestURI)
	}))
	defer proxy.Close()
	proxyURL, _ := http.NewRequest("GET", proxy.URL, nil)
	base := &http.Transport{Proxy: http.ProxyURL(proxyURL.URL)}
	pid := clientCred(t, func(id *digest.Identity) { id.Realm = "proxy" })
	c := &http.Client{Transport: &digest.Transport{Base: base, ProxyCredentials: pid}}
	code, body := get(t, c, "http://origin.test/page")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "via proxy http://origin.test/page", body)
	code, _ = get(t, c, "http://origin.test/other")
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, int32(3), hits.Load())
}

// TestTransportConcurrent shares one Transport between goroutines: each
// request gets its own nc on the shared context, and none is refused as a
// replay.
func TestTransportConcurrent(t *testing.T) {
	for _, flags := range []uint32{0, sspi.ISC_REQ_MUTUAL_AUTH} {
		t.Run(fmt.Sprintf("flags=%#x", flags), func(t *testing.T) {
			srv, _ := testServer(t, newMiddleware(t, nil))
			c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil), Flags: flags}}
			var wg sync.WaitGroup
			errs := make(chan error, 80)
			for g := 0; g < 8; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 10; i++ {
						resp, err := c.Get(srv.URL + "/c")
						if err != nil {
							errs <- err
							continue
						}
						io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						if resp.StatusCode != http.StatusOK {
							errs <- fmt.Errorf("status %d", resp.StatusCode)
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// TestTransportSpacesBounded sends requests to more origins than the
// Transport remembers: memory stays bounded.
func TestTransportSpacesBounded(t *testing.T) {
	h := newMiddleware(t, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	// Every origin is served in memory by the same middleware.
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		r.RequestURI = r.URL.RequestURI()
		h.ServeHTTP(rec, r)
		return rec.Result(), nil
	})
	tr := &digest.Transport{Base: base, Credentials: clientCred(t, nil)}
	c := &http.Client{Transport: tr}
	for i := 0; i < 1100; i++ {
		code, _ := get(t, c, fmt.Sprintf("http://host%d.test/", i))
		require.Equal(t, http.StatusOK, code)
	}
	assert.LessOrEqual(t, digest.SpaceCount(tr), 1024)
}

// TestMiddlewareHostile changes a body protected by auth-int on its way,
// then replays a captured Authorization: both are refused.
func TestMiddlewareHostile(t *testing.T) {
	srv, _ := testServer(t, newMiddleware(t, func(c *digest.ServerConfig) { c.Qop = []string{"auth-int"} }))
	var auth string
	tampered := 0
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if a := r.Header.Get("Authorization"); a != "" && auth == "" {
			auth = a
			// A man in the middle sends the same Authorization with
			// another body first.
			evil := r.Clone(r.Context())
			evil.Body = io.NopCloser(strings.NewReader("10000 EUR"))
			evil.ContentLength = 9
			resp, err := http.DefaultTransport.RoundTrip(evil)
			if err != nil {
				return nil, err
			}
			resp.Body.Close()
			tampered = resp.StatusCode
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	c := &http.Client{Transport: &digest.Transport{Base: base, Credentials: clientCred(t, nil)}}
	resp, err := c.Post(srv.URL+"/pay", "text/plain", strings.NewReader("10 EUR"))
	require.NoError(t, err)
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, tampered, "the changed body is refused")
	require.Equal(t, http.StatusOK, resp.StatusCode, "the genuine request still passes: the forgery spent no nc")
	assert.Equal(t, testUser+":10 EUR", string(body))

	// The same Authorization again is a replay.
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/pay", strings.NewReader("10 EUR"))
	require.NoError(t, err)
	req.Header.Set("Authorization", auth)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Contains(t, resp.Header.Get("WWW-Authenticate"), "Digest ", "a fresh challenge comes with the 401")
}
