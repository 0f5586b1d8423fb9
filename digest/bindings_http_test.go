package digest_test

import (
	"crypto/md5"
	"crypto/x509"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/gosspi/schannel/digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestTransportChannelBindings runs the Transport against the Middleware
// over TLS with channel bindings (tls-server-end-point): a server that
// sees the client's TLS channel accepts the bound response; one that sees
// another channel, as behind a relay, refuses it; a client that does not
// bind is accepted.
func TestTransportChannelBindings(t *testing.T) {
	// The certificate a relay presents (httptest servers all share one,
	// so the relay's is made up: only its bytes and signature
	// algorithm enter tls-server-end-point).
	other := &x509.Certificate{Raw: []byte("the relay's certificate"), SignatureAlgorithm: x509.SHA256WithRSA}
	for _, tc := range []struct {
		name      string
		relayed   bool
		noBinding bool
		want      int
	}{
		{"same channel", false, false, http.StatusOK},
		{"relayed", true, false, http.StatusUnauthorized},
		{"client does not bind", false, true, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mw := newMiddleware(t, nil)
			srv := httptest.NewUnstartedServer(nil)
			srv.StartTLS()
			defer srv.Close()
			seen := srv.Certificate()
			if tc.relayed {
				seen = other
			}
			mw.ChannelBindings = func(*http.Request) ([]byte, error) { return digest.EndpointBindings(seen) }
			srv.Config.Handler = mw.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))

			var mu sync.Mutex
			var sent []string
			base := srv.Client().Transport
			rec := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				sent = append(sent, r.Header.Get("Authorization"))
				mu.Unlock()
				return base.RoundTrip(r)
			})
			c := &http.Client{Transport: &digest.Transport{Base: rec, Credentials: clientCred(t, nil), NoChannelBindings: tc.noBinding}}
			code, _ := get(t, c, srv.URL+"/")
			assert.Equal(t, tc.want, code)
			mu.Lock()
			defer mu.Unlock()
			require.GreaterOrEqual(t, len(sent), 2)
			auth := sent[1]
			if tc.noBinding {
				assert.NotContains(t, auth, "hashed-dirs")
				return
			}
			cb, err := digest.EndpointBindings(srv.Certificate())
			require.NoError(t, err)
			// channel-binding is MD5 over the SEC_CHANNEL_BINDINGS
			// fields; with only application data, 24 zero bytes of
			// address types and lengths, then its length and bytes.
			flat := append(make([]byte, 16), cb[24:28]...)
			flat = append(flat, cb[32:]...)
			want := md5.Sum(flat)
			assert.Contains(t, auth, `channel-binding="`+hex.EncodeToString(want[:])+`"`)
			assert.Contains(t, auth, `service-name="HTTP/127.0.0.1"`)
			assert.True(t, strings.Contains(auth, `nonce="+Upgraded+v1`), auth)
		})
	}
}
