//go:build linux

package engine

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// requirePeer returns the path of a peer program, or skips (fails under
// SCHANNEL_INTEROP=require) when it is missing.
func requirePeer(t *testing.T, program string) string {
	t.Helper()
	return peertest.Program(t, program, "of .ci/interop-deps")
}

const interopBody = "hello from the protected page\n"

// recorder keeps the Authorization values a handler saw.
type recorder struct {
	mu   sync.Mutex
	vals []string
}

func (r *recorder) add(v string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.vals = append(r.vals, v)
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.vals...)
}

// digestHandler is the test-only HTTP adapter of the server engine: a
// fresh context per request, the engine's token in WWW-Authenticate or
// Authentication-Info.
func digestHandler(srv *Server, seen *recorder) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" && seen != nil {
			seen.add(a)
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		in := Input{
			Token: []byte(strings.TrimSpace(r.Header.Get("Authorization"))), Method: r.Method,
			Target: r.URL.RequestURI(), Body: body, ResponseBody: []byte(interopBody),
		}
		out, st, _ := srv.NewContext().Step(in)
		if st == sspi.SEC_E_OK {
			w.Header().Set("Authentication-Info", string(out))
			io.WriteString(w, interopBody)
			return
		}
		if len(out) > 0 {
			w.Header().Set("WWW-Authenticate", string(out))
		}
		w.WriteHeader(http.StatusUnauthorized)
	})
}

// TestInteropCurlClient runs curl --digest against a Go server using the
// engine: MD5, SHA-256 and their -sess forms, userhash, two requests on
// one nonce, and a wrong password.
func TestInteropCurlClient(t *testing.T) {
	curl := requirePeer(t, "curl")
	for _, tc := range []struct {
		name     string
		alg      *crypto.Algorithm
		userhash bool
	}{
		{"MD5", crypto.MD5, false},
		{"MD5-sess", crypto.MD5Sess, false},
		{"SHA-256", crypto.SHA256, false},
		{"SHA-256-sess", crypto.SHA256Sess, false},
		{"SHA-256 userhash", crypto.SHA256, true},
		{"MD5 userhash", crypto.MD5, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			feature := "2 requests, a wrong password refused"
			if tc.userhash {
				feature += ", userhash"
			}
			cell(t, "server: engine", peertest.Describe("curl", curl)+" --digest", tc.alg.Name(), "auth", feature)
			srv := newTestServer(t, &clock{}, func(cfg *ServerConfig) {
				cfg.Now = time.Now
				cfg.Algorithms = []*crypto.Algorithm{tc.alg}
				cfg.Userhash = tc.userhash
			})
			rec := &recorder{}
			ts := httptest.NewServer(digestHandler(srv, rec))
			defer ts.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			url := ts.URL + "/dir/index.html?x=1"
			out, err := exec.CommandContext(ctx, curl, "-sS", "--digest", "-u", testUser+":"+testPassword,
				"-w", "%{http_code}\n", url, url).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Equal(t, interopBody+"200\n"+interopBody+"200\n", string(out))
			// What curl sent: the algorithm asked for and userhash when
			// offered. curl 7.88 takes a new challenge for each request,
			// so nc stays 1; NextRequest's nc+1 is checked by lighttpd.
			seen := rec.all()
			require.Len(t, seen, 2)
			assert.Contains(t, seen[0], "algorithm="+tc.alg.Name())
			assert.Equal(t, tc.userhash, strings.Contains(seen[0], "userhash=true"), seen[0])

			out, err = exec.CommandContext(ctx, curl, "-sS", "--digest", "-u", testUser+":wrong",
				"-w", "%{http_code}\n", "-o", "/dev/null", url).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Equal(t, "401\n", string(out))
		})
	}
}

// digestGet is the test-only HTTP adapter of the client engine: a GET, the
// 401's challenge into Step, the Authorization out, Authentication-Info
// checked.
func digestGet(t *testing.T, c *Client, url string) (code int, body, info string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	auth, st, err := c.Step(Input{Token: []byte(resp.Header.Get("WWW-Authenticate")), Method: "GET", Target: req.URL.RequestURI()})
	require.NoError(t, err, "challenge %q", resp.Header.Get("WWW-Authenticate"))
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	req, err = http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", string(auth))
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	info = resp.Header.Get("Authentication-Info")
	if info != "" {
		_, st, err := c.Step(Input{Token: []byte(info), Body: b})
		require.NoError(t, err, "Authentication-Info %q", info)
		assert.Equal(t, sspi.SEC_E_OK, st)
	}
	return resp.StatusCode, string(b), info
}

// TestInteropLighttpdServer runs the client engine against lighttpd
// mod_auth: SHA-256 and SHA-512-256, which curl cannot check.
func TestInteropLighttpdServer(t *testing.T) {
	lighttpd := requirePeer(t, "lighttpd")
	for _, alg := range []string{"MD5", "SHA-256", "SHA-512-256"} {
		t.Run(alg, func(t *testing.T) {
			cell(t, "client: engine", peertest.Describe("lighttpd", lighttpd), alg, "auth",
				"login, 2 later requests with nc climbing, a wrong password refused")
			url := peertest.LighttpdDigest(t, lighttpd, peertest.DigestSite{User: testUser, Realm: testRealm, Password: testPassword, Page: interopBody}, alg)

			c := newTestClient(t, nil)
			code, body, _ := digestGet(t, c, url)
			assert.Equal(t, http.StatusOK, code)
			assert.Equal(t, interopBody, body)
			assert.Equal(t, alg, c.Algorithm().Name())

			// A later request on the same nonce: nc 2, no round trip.
			for range 2 {
				auth, err := c.NextRequest(Input{Method: "GET", Target: "/index.html"})
				require.NoError(t, err)
				assert.Contains(t, string(auth), "nc=0000000")
				req, err := http.NewRequest(http.MethodGet, url, nil)
				require.NoError(t, err)
				req.Header.Set("Authorization", string(auth))
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				resp.Body.Close()
				assert.Equal(t, http.StatusOK, resp.StatusCode, "%s", auth)
			}

			bad := newTestClient(t, func(cfg *ClientConfig) { cfg.Secret.Password = "wrong" })
			code, _, _ = digestGet(t, bad, url)
			assert.Equal(t, http.StatusUnauthorized, code)
		})
	}
}

// TestInteropApacheServer runs the client engine against Apache httpd with
// mod_auth_digest: MD5 with qop=auth, its rspauth checked, a later request
// with nc 2, and a stale nonce forced through AuthDigestNonceLifetime.
func TestInteropApacheServer(t *testing.T) {
	apache := requirePeer(t, "apache2")
	peertest.ApacheModule(t, "auth_digest")
	cell(t, "client: engine", peertest.Describe("apache2", apache), "MD5", "auth",
		"rspauth checked, 2 later requests (nc 2, or nextnonce), stale=true answered, a wrong password refused")
	url, _ := peertest.ApacheDigest(t, apache, peertest.DigestSite{User: testUser, Realm: testRealm, Password: testPassword, Page: interopBody,
		HA1: crypto.MD5.HA1(testUser, testRealm, testPassword)})

	c := newTestClient(t, func(cfg *ClientConfig) { cfg.MutualAuth = true })
	code, body, info := digestGet(t, c, url)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, interopBody, body)
	assert.Contains(t, info, "rspauth=", "Apache proves itself, and the client checked it")
	assert.Equal(t, "MD5", c.Algorithm().Name())

	do := func(auth []byte) *http.Response {
		req, err := http.NewRequest(http.MethodGet, url, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", string(auth))
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	// A later request: nc 2 on the same nonce, or nc 1 on the nextnonce
	// Apache handed over in Authentication-Info.
	for range 2 {
		auth, err := c.NextRequest(Input{Method: "GET", Target: "/index.html"})
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, do(auth).StatusCode, "%s", auth)
	}

	// Past AuthDigestNonceLifetime: Apache answers stale=true, and the
	// client answers the new challenge without failing.
	time.Sleep(3 * time.Second)
	auth, err := c.NextRequest(Input{Method: "GET", Target: "/index.html"})
	require.NoError(t, err)
	resp := do(auth)
	require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	ch := resp.Header.Get("WWW-Authenticate")
	assert.Contains(t, ch, "stale=true")
	auth, st, err := c.Step(Input{Token: []byte(ch), Method: "GET", Target: "/index.html"})
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	resp = do(auth)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	if info := resp.Header.Get("Authentication-Info"); info != "" {
		_, st, err = c.Step(Input{Token: []byte(info)})
		require.NoError(t, err)
		assert.Equal(t, sspi.SEC_E_OK, st)
	}

	bad := newTestClient(t, func(cfg *ClientConfig) { cfg.Secret.Password = "wrong" })
	code, _, _ = digestGet(t, bad, url)
	assert.Equal(t, http.StatusUnauthorized, code)
}
