package digest_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// authIntServer serves h behind an auth-int Middleware, over HTTP/1.1 or,
// with TLS, HTTP/2. wrap, when set, sits between the network and the
// middleware (to tamper with what the middleware sends).
func authIntServer(t *testing.T, h2 bool, wrap func(http.Handler) http.Handler, h http.HandlerFunc) (*httptest.Server, http.RoundTripper) {
	t.Helper()
	var handler http.Handler = newMiddleware(t, func(c *digest.ServerConfig) { c.Qop = []string{"auth-int"} }).Wrap(h)
	if wrap != nil {
		handler = wrap(handler)
	}
	srv := httptest.NewUnstartedServer(handler)
	if h2 {
		srv.EnableHTTP2 = true
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	return srv, srv.Client().Transport
}

// TestAuthIntTrailer: with qop=auth-int the middleware announces
// Authentication-Info as a trailer and sends it after the body, with
// rspauth over that body; the Transport checks it at the body's end. Over
// HTTP/1.1 (chunked) and HTTP/2, for a body written in pieces with a flush
// between them, and for responses without a body, where the field is a
// header.
func TestAuthIntTrailer(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		proto := map[bool]string{false: "HTTP/1.1", true: "HTTP/2.0"}[h2]
		t.Run(proto, func(t *testing.T) {
			srv, base := authIntServer(t, h2, nil, func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/empty":
					w.WriteHeader(http.StatusNoContent)
				case "/nothing":
				case "/sized":
					w.Header().Set("Content-Length", "5")
					io.WriteString(w, "sized")
				default:
					io.WriteString(w, "first part, ")
					w.(http.Flusher).Flush()
					user, _ := digest.UserFromContext(r.Context())
					io.WriteString(w, "then "+user)
				}
			})
			c := &http.Client{Transport: &digest.Transport{Base: base, Credentials: clientCred(t, nil),
				Flags: sspi.ISC_REQ_INTEGRITY | sspi.ISC_REQ_MUTUAL_AUTH}}
			for i := 0; i < 3; i++ { // the first after a 401, then from MakeSignature
				resp, err := c.Get(srv.URL + "/stream")
				require.NoError(t, err)
				assert.Equal(t, proto, resp.Proto)
				assert.Empty(t, resp.Header.Get("Authentication-Info"), "a trailer, not a header")
				assert.Contains(t, resp.Trailer, "Authentication-Info", "announced")
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err, "rspauth checks out at the end of the body")
				resp.Body.Close()
				assert.Equal(t, "first part, then "+testUser, string(b))
				info := resp.Trailer.Get("Authentication-Info")
				assert.Contains(t, info, "qop=auth-int")
				assert.Equal(t, fmt.Sprintf("%08x", i+1), param(info, "nc"))
			}
			// A handler that sets Content-Length still gets its
			// trailer: the middleware makes the body chunked.
			resp, err := c.Get(srv.URL + "/sized")
			require.NoError(t, err)
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			require.NoError(t, err, "the trailer came")
			assert.Equal(t, "sized", string(b))
			assert.Contains(t, resp.Trailer.Get("Authentication-Info"), "rspauth=")
			for _, path := range []string{"/empty", "/nothing"} {
				resp, err := c.Get(srv.URL + path)
				require.NoError(t, err, path)
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				require.NoError(t, err, path)
				assert.Contains(t, resp.Header.Get("Authentication-Info"), "rspauth=", "%s: no body, so a header", path)
			}
			resp, err = c.Head(srv.URL + "/stream")
			require.NoError(t, err)
			resp.Body.Close()
			assert.Contains(t, resp.Header.Get("Authentication-Info"), "rspauth=", "HEAD: a header over the empty body")
		})
	}
}

// TestAuthIntTrailerOnTheWire reads the HTTP/1.1 response by hand: the
// Trailer announcement, the chunked body, and Authentication-Info in the
// trailer section.
func TestAuthIntTrailerOnTheWire(t *testing.T) {
	srv, _ := authIntServer(t, false, nil, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "body") })
	var raw strings.Builder
	tap := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			return nil, err
		}
		defer c.Close()
		if err := r.Write(c); err != nil {
			return nil, err
		}
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		b, _ := io.ReadAll(io.TeeReader(c, &raw))
		return http.ReadResponse(bufio.NewReader(strings.NewReader(string(b))), r)
	})
	r, err := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
	require.NoError(t, err)
	r.Header.Set("Connection", "close")
	resp, err := (&digest.Transport{Base: tap, Credentials: clientCred(t, nil), Flags: sspi.ISC_REQ_INTEGRITY | sspi.ISC_REQ_MUTUAL_AUTH}).RoundTrip(r)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, "body", string(b))
	wire := raw.String()
	assert.Contains(t, wire, "Trailer: Authentication-Info\r\n")
	assert.Contains(t, wire, "Transfer-Encoding: chunked\r\n")
	assert.Regexp(t, `\r\n0\r\nAuthentication-Info: qop=auth-int, rspauth="[0-9a-f]+"`, wire)
}

// tamper returns a wrapper that changes the response body after the
// middleware hashed it (as a man in the middle would), or drops the
// trailer the middleware sets.
func tamper(body, dropTrailer bool) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&tamperWriter{ResponseWriter: w, body: body, dropTrailer: dropTrailer}, r)
		})
	}
}

type tamperWriter struct {
	http.ResponseWriter
	body, dropTrailer bool
	sent              bool
	lost              http.Header
}

func (w *tamperWriter) Header() http.Header {
	if w.dropTrailer && w.sent {
		if w.lost == nil {
			w.lost = http.Header{}
		}
		return w.lost
	}
	return w.ResponseWriter.Header()
}

func (w *tamperWriter) WriteHeader(code int) {
	w.sent = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *tamperWriter) Write(p []byte) (int, error) {
	w.sent = true
	if w.body {
		p = []byte(strings.ToUpper(string(p)))
	}
	return w.ResponseWriter.Write(p)
}

// TestAuthIntTrailerHostile: a body changed on the way, or a trailer
// announced and not sent, makes the body's last Read fail with
// SEC_E_MUTUAL_AUTH_FAILED (the missing trailer only under MUTUAL_AUTH),
// and the protection space starts again with a new challenge.
func TestAuthIntTrailerHostile(t *testing.T) {
	for _, tc := range []struct {
		name              string
		body, dropTrailer bool
		flags             uint32
		fails             bool
	}{
		{"body changed", true, false, 0, true},
		{"body changed, MUTUAL_AUTH", true, false, sspi.ISC_REQ_MUTUAL_AUTH, true},
		{"trailer missing", false, true, 0, false},
		{"trailer missing, MUTUAL_AUTH", false, true, sspi.ISC_REQ_MUTUAL_AUTH, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hits sync.Map
			srv, _ := authIntServer(t, false, func(next http.Handler) http.Handler {
				return tamper(tc.body, tc.dropTrailer)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n, _ := hits.LoadOrStore(r.Header.Get("Authorization") == "", new(int))
					*n.(*int)++
					next.ServeHTTP(w, r)
				}))
			}, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "the body") })
			c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil), Flags: sspi.ISC_REQ_INTEGRITY | tc.flags}}
			for i := 0; i < 2; i++ {
				resp, err := c.Get(srv.URL + "/")
				require.NoError(t, err, "the headers are fine")
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
				if !tc.fails {
					assert.NoError(t, err)
					continue
				}
				assert.ErrorIs(t, err, sspi.SEC_E_MUTUAL_AUTH_FAILED)
			}
			challenges, _ := hits.Load(true)
			if tc.fails {
				assert.Equal(t, 2, *challenges.(*int), "the failed context is not reused: a new challenge each time")
			} else {
				assert.Equal(t, 1, *challenges.(*int))
			}
		})
	}
}

// TestTransportConcurrentMutualAuth: with MUTUAL_AUTH the requests of one
// protection space are no longer serialised. The handler holds every
// request until four are inside at once, which a serialising Transport
// never reaches.
func TestTransportConcurrentMutualAuth(t *testing.T) {
	const n = 4
	var mu sync.Mutex
	inside := 0
	all := make(chan struct{})
	srv, _ := testServer(t, newMiddleware(t, nil))
	srv.Config.Handler = newMiddleware(t, nil).Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/wait" {
			mu.Lock()
			inside++
			if inside == n {
				close(all)
			}
			mu.Unlock()
			select {
			case <-all:
			case <-time.After(10 * time.Second):
				http.Error(w, "requests were serialised", http.StatusGatewayTimeout)
				return
			}
		}
		io.WriteString(w, "ok")
	}))
	c := &http.Client{Transport: &digest.Transport{Credentials: clientCred(t, nil), Flags: sspi.ISC_REQ_MUTUAL_AUTH}}
	code, _ := get(t, c, srv.URL+"/login")
	require.Equal(t, http.StatusOK, code)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get(srv.URL + "/wait")
			if err != nil {
				errs <- err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
