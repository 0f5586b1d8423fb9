package negotiate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/sspi"
)

// whoami answers with the client principal and whether it delegated.
var whoami = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	id, ok := User(r.Context())
	if !ok {
		http.Error(w, "no identity", http.StatusInternalServerError)
		return
	}
	_, err := id.Delegated()
	fmt.Fprintf(w, "hello %s delegated=%v", id.Name, err == nil)
})

func newHandler(t *testing.T, r *testRealm) *Handler {
	h, err := NewHandler(whoami, r.Keytab)
	require.NoError(t, err)
	h.ErrorLog = log.New(io.Discard, "", 0)
	return h
}

// localhostURL makes the URL of a loopback test server name "localhost",
// whose SPN HTTP/localhost is in the realm.
func localhostURL(t *testing.T, raw string) string {
	u, err := url.Parse(raw)
	require.NoError(t, err)
	u.Host = "localhost:" + u.Port()
	return u.String()
}

func get(t *testing.T, client *http.Client, u string) (*http.Response, string, error) {
	resp, err := client.Get(u)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, string(b), nil
}

// TestHTTPNegotiate: our Transport against our Handler: a 401 challenge,
// the token, the AP-REP checked in the 200, the principal (and delegated
// credentials) in the handler.
func TestHTTPNegotiate(t *testing.T) {
	r := newRealm(t)
	srv := httptest.NewServer(newHandler(t, r))
	defer srv.Close()
	u := localhostURL(t, srv.URL)

	resp, body, err := get(t, &http.Client{}, u)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, "Negotiate", resp.Header.Get("WWW-Authenticate"))

	for _, c := range []struct {
		name string
		tr   *Transport
		want string
	}{
		{"mutual", &Transport{}, "hello user@TEST.LOCAL delegated=false"},
		{"no mutual", &Transport{NoMutualAuth: true}, "hello user@TEST.LOCAL delegated=false"},
		{"delegate", &Transport{Delegate: true}, "hello user@TEST.LOCAL delegated=true"},
		{"SPN function", &Transport{SPN: func(context.Context, string) (string, error) { return "HTTP/localhost", nil }, NoCanonicalize: true}, "hello user@TEST.LOCAL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var calls []string
			c.tr.Trace = func(e sspi.TraceEvent) { calls = append(calls, e.Func+" "+e.Status.String()) }
			resp, body, err = get(t, &http.Client{Transport: c.tr}, u)
			require.NoError(t, err)
			assert.Equal(t, http.StatusOK, resp.StatusCode, body)
			assert.Contains(t, body, c.want)
			if !c.tr.NoMutualAuth {
				assert.True(t, strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Negotiate "), "the AP-REP came back")
			}
			if c.tr.SPN == nil {
				assert.NotEmpty(t, calls, "the trace hook saw the Negotiate calls")
			}
		})
	}

	t.Run("wrong SPN", func(t *testing.T) {
		_, _, err := get(t, &http.Client{Transport: &Transport{SPN: func(context.Context, string) (string, error) { return "HTTP/nowhere", nil }}}, u)
		assert.ErrorIs(t, err, sspi.SEC_E_TARGET_UNKNOWN)
	})
}

// TestHTTPMutualAuthChecked: a server that accepts without proving itself
// (no token, or a forged one, in its 200) is an error when mutual
// authentication was asked.
func TestHTTPMutualAuthChecked(t *testing.T) {
	newRealm(t)
	for _, c := range []struct {
		name   string
		header string
		status sspi.Status
	}{
		{"no token", "", sspi.SEC_E_MUTUAL_AUTH_FAILED},
		{"forged token", "Negotiate oQcwBaADCgEA", sspi.SEC_E_INVALID_TOKEN}, // accept-completed, no AP-REP
		{"not base64", "Negotiate !!", 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") == "" {
					w.Header().Set("WWW-Authenticate", "Negotiate")
					w.WriteHeader(http.StatusUnauthorized)
					return
				}
				if c.header != "" {
					w.Header().Set("WWW-Authenticate", c.header)
				}
				io.WriteString(w, "secret")
			}))
			defer srv.Close()
			_, _, err := get(t, &http.Client{Transport: &Transport{}}, localhostURL(t, srv.URL))
			require.Error(t, err)
			if c.status != 0 {
				assert.ErrorIs(t, err, c.status)
			}
		})
	}
}

// TestHTTPChannelBindings: over schannel's TLS the token carries
// tls-server-end-point from schannel's Conn; the Handler checks it
// against its certificate and refuses bindings of another one.
func TestHTTPChannelBindings(t *testing.T) {
	r := newRealm(t)
	h := newHandler(t, r)
	srv := httptest.NewTLSServer(h)
	defer srv.Close()
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	spn := func(context.Context, string) (string, error) { return "HTTP/localhost", nil }
	client := &http.Client{Transport: &Transport{Base: schannel.NewHTTPTransport(&tls.Config{RootCAs: pool}), SPN: spn}}

	own, err := EndpointBindings(srv.Certificate())
	require.NoError(t, err)
	h.ChannelBindings = func(*http.Request) ([]byte, error) { return own, nil }
	resp, body, err := get(t, client, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	assert.Contains(t, body, "hello user@TEST.LOCAL")

	other := append([]byte(nil), own...)
	other[len(other)-1] ^= 1
	h.ChannelBindings = func(*http.Request) ([]byte, error) { return other, nil }
	resp, _, err = get(t, client, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "bindings of another certificate are refused")

	// A client that sends no bindings, or bindings from crypto/tls's
	// view of the same certificate, against the right ones.
	h.ChannelBindings = func(*http.Request) ([]byte, error) { return own, nil }
	std := &http.Client{Transport: &Transport{Base: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, SPN: spn}}
	resp, body, err = get(t, std, srv.URL)
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
}

// TestCurlNegotiate: `curl --negotiate -u :` (MIT GSS-API, the realm's
// ticket cache) against our Handler, with and without delegation.
func TestCurlNegotiate(t *testing.T) {
	curl := requirePeer(t, "curl", "curl")
	r := newRealm(t)
	if out, _ := exec.Command(curl, "-V").Output(); !strings.Contains(string(out), "GSS-API") && !strings.Contains(string(out), "Kerberos") {
		msg := "curl has no GSS-API support"
		if interopRequired() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	srv := httptest.NewServer(newHandler(t, r))
	defer srv.Close()
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "hello user@TEST.LOCAL delegated=false"},
		{[]string{"--delegation", "always"}, "hello user@TEST.LOCAL delegated=true"},
	} {
		t.Run(strings.Join(append([]string{"curl"}, c.args...), " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			args := append([]string{"-sS", "--negotiate", "-u", ":", "-D", "-"}, c.args...)
			out, err := exec.CommandContext(ctx, curl, append(args, localhostURL(t, srv.URL))...).CombinedOutput()
			require.NoError(t, err, "%s", out)
			assert.Contains(t, string(out), c.want)
			assert.Contains(t, strings.ToLower(string(out)), "www-authenticate: negotiate ", "our AP-REP, which curl checks")
		})
	}
}

func interopRequired() bool { return peertest.Required() }
