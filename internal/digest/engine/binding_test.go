package engine

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/gosspi/schannel/internal/digest/crypto"
	"github.com/gosspi/schannel/internal/digest/wire"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Two channels' bindings, as crypto.BindingHash gives them.
var (
	bindingA = crypto.BindingHash(0, nil, 0, nil, []byte("tls-server-end-point:AAAA"))
	bindingB = crypto.BindingHash(0, nil, 0, nil, []byte("tls-server-end-point:BBBB"))
)

// boundLogin runs challenge and response with the given bindings on each
// side, and returns the Authorization and the server's verdict.
func boundLogin(t *testing.T, serverCB, clientCB, serviceName string) (*wire.DigestResponse, sspi.Status, error) {
	t.Helper()
	srv := newTestServer(t, newClock(), nil)
	sc := srv.NewContext()
	in := get(nil)
	in.ChannelBinding = serverCB
	ch, _, err := sc.Step(in)
	require.NoError(t, err)
	chs, err := wire.ParseWWWAuthenticate(string(ch))
	require.NoError(t, err)
	assert.Equal(t, serverCB != "", strings.HasPrefix(chs[0].Nonce, "+Upgraded+v1"), "a server with bindings asks for them")

	c := newTestClient(t, nil)
	cin := get(ch)
	cin.ChannelBinding, cin.ServiceName = clientCB, serviceName
	auth, _, err := c.Step(cin)
	require.NoError(t, err)
	r, err := wire.ParseAuthorization(string(auth))
	require.NoError(t, err)
	in = get(auth)
	in.ChannelBinding = serverCB
	_, st, err := sc.Step(in)
	return r, st, err
}

func TestChannelBindingDirectives(t *testing.T) {
	r, st, err := boundLogin(t, bindingA, bindingA, "HTTP/www.example.org")
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
	assert.Equal(t, "service-name,channel-binding", r.HashedDirs)
	assert.Equal(t, "HTTP/www.example.org", r.ServiceName)
	assert.Equal(t, bindingA, r.ChannelBinding)
	// The cnonce is "+Upgraded+v1", MD5(service-name ":" channel-binding)
	// in hex, then random hex (draft-santesson-digestbind-01).
	tag := md5.Sum([]byte("HTTP/www.example.org:" + bindingA))
	assert.True(t, strings.HasPrefix(r.Cnonce, "+Upgraded+v1"+hex.EncodeToString(tag[:])), r.Cnonce)
	assert.Greater(t, len(r.Cnonce), len("+Upgraded+v1")+32, "random part")
}

func TestChannelBindingOutcomes(t *testing.T) {
	for _, tc := range []struct {
		name               string
		serverCB, clientCB string
		serviceName        string
		want               sspi.Status
		bound              bool
	}{
		{"same channel", bindingA, bindingA, "HTTP/h", sspi.SEC_E_OK, true},
		{"another channel (a relay)", bindingA, bindingB, "HTTP/h", sspi.SEC_E_BAD_BINDINGS, true},
		{"client has no channel", bindingA, "", "HTTP/h", sspi.SEC_E_BAD_BINDINGS, true},
		{"client does not bind", bindingA, bindingA, "", sspi.SEC_E_OK, false},
		{"server does not ask", "", bindingA, "HTTP/h", sspi.SEC_E_OK, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, st, err := boundLogin(t, tc.serverCB, tc.clientCB, tc.serviceName)
			assert.Equal(t, tc.bound, r.HashedDirs != "")
			if tc.want == sspi.SEC_E_OK {
				require.NoError(t, err)
				assert.Equal(t, sspi.SEC_E_OK, st)
				return
			}
			assert.Equal(t, tc.want, statusOf(err))
		})
	}
}

// TestChannelBindingForged: a relay that rewrites channel-binding to the
// server's value cannot fix the cnonce, which the response digest covers.
func TestChannelBindingForged(t *testing.T) {
	srv := newTestServer(t, newClock(), nil)
	sc := srv.NewContext()
	in := get(nil)
	in.ChannelBinding = bindingA
	ch, _, err := sc.Step(in)
	require.NoError(t, err)
	c := newTestClient(t, nil)
	cin := get(ch)
	cin.ChannelBinding, cin.ServiceName = bindingB, "HTTP/h"
	auth, _, err := c.Step(cin)
	require.NoError(t, err)
	forged := strings.Replace(string(auth), bindingB, bindingA, 1)
	require.NotEqual(t, string(auth), forged)
	in = get([]byte(forged))
	in.ChannelBinding = bindingA
	_, _, err = sc.Step(in)
	assert.Equal(t, sspi.SEC_E_BAD_BINDINGS, statusOf(err))
}

// TestChannelBindingLaterRequests: requests made with MakeSignature carry
// the same bound cnonce and directives.
func TestChannelBindingLaterRequests(t *testing.T) {
	srv := newTestServer(t, newClock(), nil)
	sc := srv.NewContext()
	in := get(nil)
	in.ChannelBinding = bindingA
	ch, _, err := sc.Step(in)
	require.NoError(t, err)
	c := newTestClient(t, nil)
	cin := get(ch)
	cin.ChannelBinding, cin.ServiceName = bindingA, "HTTP/h"
	_, _, err = c.Step(cin)
	require.NoError(t, err)
	next, err := c.NextRequest(get(nil))
	require.NoError(t, err)
	in = get(next)
	in.ChannelBinding = bindingA
	_, st, err := srv.NewContext().Step(in)
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
	in.ChannelBinding = bindingB
	next, err = c.NextRequest(get(nil))
	require.NoError(t, err)
	in.Token = next
	_, _, err = srv.NewContext().Step(in)
	assert.Equal(t, sspi.SEC_E_BAD_BINDINGS, statusOf(err), "the same session on another channel")
}
