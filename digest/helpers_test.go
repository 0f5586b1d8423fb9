package digest_test

import (
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/require"
)

func TestMain(m *testing.M) {
	// No bug may hide behind SEC_E_INTERNAL_ERROR in the tests.
	os.Setenv(sspi.RepanicEnv, "1")
	os.Exit(m.Run())
}

const (
	testRealm    = "testrealm@host.com"
	testUser     = "Mufasa"
	testPassword = "Circle of Life"
	httpISC      = sspi.ISC_REQ_USE_HTTP_STYLE | sspi.ISC_REQ_ALLOCATE_MEMORY
	httpASC      = digest.ASC_REQ_HTTP | sspi.ASC_REQ_ALLOCATE_MEMORY
)

// clock is a settable clock for nonce lifetimes.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func serverCred(t testing.TB, edit func(*digest.ServerConfig)) *sspi.Credentials {
	t.Helper()
	cfg := &digest.ServerConfig{Realm: testRealm, Users: map[string]string{testUser: testPassword}}
	if edit != nil {
		edit(cfg)
	}
	cred, err := digest.AcquireCredentialsHandle(sspi.SECPKG_CRED_INBOUND, cfg)
	require.NoError(t, err)
	return cred
}

func clientCred(t testing.TB, edit func(*digest.Identity)) *sspi.Credentials {
	t.Helper()
	id := &digest.Identity{User: testUser, Password: testPassword}
	if edit != nil {
		edit(id)
	}
	cred, err := digest.AcquireCredentialsHandle(sspi.SECPKG_CRED_OUTBOUND, id)
	require.NoError(t, err)
	return cred
}

// tokenOut is an output TOKEN of cbMaxToken bytes, enough with or without
// ISC_REQ_ALLOCATE_MEMORY.
func tokenOut() []sspi.SecBuffer {
	return []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 4096))}
}

// httpClientIn is Windows' client input: [TOKEN, PKG_PARAMS method,
// PKG_PARAMS H(entity)].
func httpClientIn(token, method, entityHash string) []sspi.SecBuffer {
	return []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, []byte(token)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(method+"\x00")),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(entityHash)),
	}
}

// httpServerIn is Windows' server input: [TOKEN, method, reserved (here the
// request-target), H(entity), realm].
func httpServerIn(token, method, uri, entityHash string) []sspi.SecBuffer {
	return []sspi.SecBuffer{
		sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, []byte(token)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(method)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(uri)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, []byte(entityHash)),
		sspi.NewSecBuffer(sspi.SECBUFFER_PKG_PARAMS, nil),
	}
}

// challenge asks a fresh server context for its challenge.
func challenge(t testing.TB, scred *sspi.Credentials) (*sspi.Context, string) {
	t.Helper()
	out := tokenOut()
	sctx, st, err := sspi.AcceptSecurityContext(scred, nil, httpServerIn("", "", "", ""), httpASC, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	return sctx, string(out[0].Buffer)
}

// param returns the value of name=... in a Digest header value.
func param(v, name string) string {
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(part), "Digest "))
		if k, val, ok := strings.Cut(part, "="); ok && strings.EqualFold(k, name) {
			return strings.Trim(val, `"`)
		}
	}
	return ""
}
