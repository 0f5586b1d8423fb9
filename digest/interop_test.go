package digest_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel/digest"
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

// TestInteropCurlAgainstMiddleware runs curl --digest against the
// Middleware: MD5, SHA-256, their -sess forms and userhash, two requests,
// then a wrong password; and qop=auth-int, where curl hashes the empty
// body of its GET and our Authentication-Info comes as a trailer, which
// curl receives (-D shows it after the body) and does not check. (Debian
// 12's curl 7.88 computes SHA-512-256 with SHA-256, so it is no peer for
// that algorithm.)
func TestInteropCurlAgainstMiddleware(t *testing.T) {
	curl := requirePeer(t, "curl")
	for _, tc := range []struct {
		alg      string
		userhash bool
		qop      string
	}{
		{"MD5", false, "auth"}, {"MD5-sess", false, "auth"}, {"SHA-256", false, "auth"}, {"SHA-256-sess", false, "auth"},
		{"MD5", true, "auth"}, {"SHA-256", true, "auth"},
		{"MD5", false, "auth-int"}, {"SHA-256", false, "auth-int"},
	} {
		name := fmt.Sprintf("%s/userhash=%v", tc.alg, tc.userhash)
		if tc.qop != "auth" {
			name += "/" + tc.qop
		}
		t.Run(name, func(t *testing.T) {
			feature := "2 requests, a wrong password refused"
			if tc.userhash {
				feature += ", userhash"
			}
			if tc.qop == "auth-int" {
				feature += ", Authentication-Info as a trailer (curl does not check rspauth)"
			}
			digestCell(t, "server: Middleware", peertest.Describe("curl", curl)+" --digest", tc.alg, tc.qop, feature)
			mw := newMiddleware(t, func(c *digest.ServerConfig) {
				c.Algorithms = []string{tc.alg}
				c.Userhash = tc.userhash
				c.Qop = []string{tc.qop}
			})
			var mu sync.Mutex
			var seen []string
			h := mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				user, _ := digest.UserFromContext(r.Context())
				fmt.Fprintf(w, "hello %s\n", user)
			}))
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if a := r.Header.Get("Authorization"); a != "" {
					mu.Lock()
					seen = append(seen, a)
					mu.Unlock()
				}
				h.ServeHTTP(w, r)
			}))
			defer srv.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			url := srv.URL + "/dir/index.html?x=1"
			headers := filepath.Join(t.TempDir(), "headers")
			out, err := exec.CommandContext(ctx, curl, "-sS", "--digest", "-u", testUser+":"+testPassword,
				"-D", headers, "-w", "%{http_code}\n", url, url).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Equal(t, "hello "+testUser+"\n200\nhello "+testUser+"\n200\n", string(out))
			mu.Lock()
			require.NotEmpty(t, seen)
			assert.Contains(t, seen[0], "algorithm="+tc.alg)
			assert.Contains(t, seen[0], "qop="+tc.qop)
			assert.Equal(t, tc.userhash, strings.Contains(seen[0], "userhash=true"), seen[0])
			mu.Unlock()
			dump, err := os.ReadFile(headers)
			require.NoError(t, err)
			if tc.qop == "auth-int" {
				assert.Contains(t, string(dump), "Trailer: Authentication-Info")
				assert.Regexp(t, `(?m)^Authentication-Info: qop=auth-int, rspauth="[0-9a-f]+"`, string(dump))
			} else {
				assert.Regexp(t, `(?m)^Authentication-Info: qop=auth, rspauth="[0-9a-f]+"`, string(dump))
			}

			out, err = exec.CommandContext(ctx, curl, "-sS", "--digest", "-u", testUser+":wrong",
				"-w", "%{http_code}\n", "-o", "/dev/null", url).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Equal(t, "401\n", string(out))
		})
	}
	// SHA-512-256: Debian 12's curl answers with a SHA-256 digest, which
	// the middleware refuses; the cell says so if it still does.
	t.Run("SHA-512-256", func(t *testing.T) {
		srv := httptest.NewServer(newMiddleware(t, func(c *digest.ServerConfig) { c.Algorithms = []string{"SHA-512-256"} }).Wrap(
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})))
		defer srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, curl, "-sS", "--digest", "-u", testUser+":"+testPassword,
			"-w", "%{http_code}", "-o", "/dev/null", srv.URL+"/").CombinedOutput()
		require.NoError(t, err, "%s", out)
		peer := peertest.Describe("curl", curl) + " --digest"
		if string(out) == "401" {
			digestUnsupported(t, "server: Middleware", peer, "SHA-512-256", "auth", "login",
				"curl's SHA-512-256 response is computed with SHA-256: the middleware answers 401")
		}
		digestCell(t, "server: Middleware", peer, "SHA-512-256", "auth", "login")
		assert.Equal(t, "200", string(out))
	})
}

const interopPage = "protected page\n"

// TestInteropTransportApache runs the Transport against Apache httpd's
// mod_auth_digest (MD5, qop=auth): rspauth checked with
// ISC_REQ_MUTUAL_AUTH, later requests without a round trip, and a stale
// nonce after AuthDigestNonceLifetime answered once more.
func TestInteropTransportApache(t *testing.T) {
	apache := requirePeer(t, "apache2")
	peertest.ApacheModule(t, "auth_digest")
	digestCell(t, "client: Transport", peertest.Describe("apache2", apache), "MD5", "auth",
		"rspauth checked (MUTUAL_AUTH), 2 later requests without a 401, a stale nonce answered once more, a wrong password gets the 401")
	ha1, err := digest.HA1("MD5", testUser, testRealm, testPassword)
	require.NoError(t, err)
	url, dir := peertest.ApacheDigest(t, apache, peertest.DigestSite{User: testUser, Realm: testRealm, Password: testPassword, Page: interopPage, HA1: ha1})

	c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil), Flags: sspi.ISC_REQ_MUTUAL_AUTH}}
	for range 3 {
		code, body := get(t, c, url)
		require.Equal(t, http.StatusOK, code)
		assert.Equal(t, interopPage, body)
	}
	time.Sleep(3 * time.Second) // past AuthDigestNonceLifetime
	code, body := get(t, c, url)
	assert.Equal(t, http.StatusOK, code, "the stale nonce is answered again")
	assert.Equal(t, interopPage, body)

	access, err := os.ReadFile(filepath.Join(dir, "access.log"))
	require.NoError(t, err)
	assert.Equal(t, 2, strings.Count(string(access), " 401"), "one 401 at first, one for the stale nonce:\n%s", access)

	bad := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, func(id *digest.Identity) { id.Password = "wrong" })}}
	code, _ = get(t, bad, url)
	assert.Equal(t, http.StatusUnauthorized, code)
}

// TestInteropApacheUnsupported records what mod_auth_digest cannot be
// asked for, in Apache's own words (apache2 -t on a configuration that
// asks): other algorithms than MD5, and qop=auth-int.
func TestInteropApacheUnsupported(t *testing.T) {
	apache := requirePeer(t, "apache2")
	peer := peertest.Describe("apache2", apache)
	for _, tc := range []struct{ alg, qop, directive string }{
		{"MD5-sess", "auth", "AuthDigestAlgorithm MD5-sess"},
		{"SHA-256", "auth", "AuthDigestAlgorithm SHA-256"},
		{"MD5", "auth-int", "AuthDigestQop auth-int"},
	} {
		t.Run(tc.alg+"/"+tc.qop, func(t *testing.T) {
			why := apacheRefuses(t, apache, tc.directive)
			require.NotEmpty(t, why, "Apache now takes %q: give it a real cell", tc.directive)
			digestUnsupported(t, "client: Transport", peer, tc.alg, tc.qop, "login", fmt.Sprintf("%q: %s", tc.directive, why))
		})
	}
}

// TestInteropTransportLighttpd runs the Transport against lighttpd's
// mod_auth for the algorithms curl cannot check: SHA-256 and SHA-512-256.
func TestInteropTransportLighttpd(t *testing.T) {
	lighttpd := requirePeer(t, "lighttpd")
	for _, alg := range []string{"MD5", "SHA-256", "SHA-512-256"} {
		t.Run(alg, func(t *testing.T) {
			digestCell(t, "client: Transport", peertest.Describe("lighttpd", lighttpd), alg, "auth",
				"login, 2 later requests without a 401 (nc climbs)")
			url := peertest.LighttpdDigest(t, lighttpd, peertest.DigestSite{User: testUser, Realm: testRealm, Password: testPassword, Page: interopPage}, alg)

			var sent []string
			var mu sync.Mutex
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				sent = append(sent, r.Header.Get("Authorization"))
				mu.Unlock()
				return http.DefaultTransport.RoundTrip(r)
			})
			c := &http.Client{Transport: &digest.Transport{Base: base, Credentials: clientCred(t, nil)}}
			for range 3 {
				code, body := get(t, c, url)
				require.Equal(t, http.StatusOK, code)
				assert.Equal(t, interopPage, body)
			}
			mu.Lock()
			defer mu.Unlock()
			require.Len(t, sent, 4, "one 401, then no round trip")
			assert.Empty(t, sent[0])
			assert.Contains(t, sent[1], "algorithm="+alg)
			assert.Contains(t, sent[3], "nc=00000003", "MakeSignature climbs nc")

			if alg == "MD5" {
				// lighttpd has no auth-int: its challenge says so.
				t.Run("auth-int", func(t *testing.T) {
					resp, err := http.Get(url)
					require.NoError(t, err)
					resp.Body.Close()
					ch := resp.Header.Get("WWW-Authenticate")
					require.NotContains(t, ch, "auth-int", "lighttpd now offers auth-int: give it a real cell")
					digestUnsupported(t, "client: Transport", peertest.Describe("lighttpd", lighttpd), alg, "auth-int", "login",
						fmt.Sprintf("the challenge offers qop=%q only", param(ch, "qop")))
				})
			}
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
