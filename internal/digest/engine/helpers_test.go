package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/require"
)

const (
	testRealm    = "test@example.org"
	testUser     = "Mufasa"
	testPassword = "Circle of Life"
)

// clock is the injected time, moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newClock() *clock { return &clock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)} }

var testUsers = map[string]string{testUser: testPassword, "J\u00e4s\u00f8n Doe": "Secret, or not?"}

func lookup(user string) (Secret, bool) {
	p, ok := testUsers[user]
	return Secret{Password: p}, ok
}

func lookupUserhash(alg *crypto.Algorithm, h string) (string, bool) {
	for u := range testUsers {
		if crypto.Equal(alg.Userhash(u, testRealm), h) {
			return u, true
		}
	}
	return "", false
}

func newTestServer(t testing.TB, clk *clock, mod func(*ServerConfig)) *Server {
	t.Helper()
	cfg := ServerConfig{Realm: testRealm, Lookup: lookup, LookupUserhash: lookupUserhash, Now: clk.now}
	if mod != nil {
		mod(&cfg)
	}
	s, err := NewServer(cfg)
	require.NoError(t, err)
	return s
}

func newTestClient(t testing.TB, mod func(*ClientConfig)) *Client {
	t.Helper()
	cfg := ClientConfig{Username: testUser, Secret: Secret{Password: testPassword}}
	if mod != nil {
		mod(&cfg)
	}
	c, err := NewClient(cfg)
	require.NoError(t, err)
	return c
}

// statusOf returns the SSPI status an error carries.
func statusOf(err error) sspi.Status {
	var e *sspi.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return sspi.SEC_E_OK
}

// get is one GET request of the HTTP tests.
func get(token []byte) Input {
	return Input{Token: token, Method: "GET", Target: "/dir/index.html"}
}

// httpLogin runs challenge, response and Authentication-Info, and returns
// the Authorization the client sent.
func httpLogin(t *testing.T, c *Client, srv *Server) []byte {
	t.Helper()
	sc := srv.NewContext()
	ch, st, err := sc.Step(get(nil))
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	auth, st, err := c.Step(get(ch))
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	info, st, err := sc.Step(get(auth))
	require.NoError(t, err, "server refused %s", auth)
	require.Equal(t, sspi.SEC_E_OK, st)
	out, st, err := c.Step(get(info))
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	require.Empty(t, out)
	return auth
}

// flipHex changes the first digit of a hex string.
func flipHex(h string) string {
	if h[0] == '0' {
		return "1" + h[1:]
	}
	return "0" + h[1:]
}
