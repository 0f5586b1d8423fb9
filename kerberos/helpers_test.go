package kerberos

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/sspi"
)

func TestMain(m *testing.M) {
	os.Setenv(sspi.RepanicEnv, "1")
	os.Exit(m.Run())
}

// testRealm is a throwaway MIT realm with user/secret, host/localhost and
// HTTP/localhost in the default keytab, a running KDC and, when kinit is
// true, a forwardable TGT for user in the default cache.
type testRealm struct {
	*mitrealm.Realm
	Keytab string
}

func newRealm(t *testing.T, kinit bool) *testRealm {
	t.Helper()
	realm := mitrealm.New(t)
	realm.Admin(t, "addprinc +requires_preauth -pw secret user")
	realm.Admin(t, "addprinc -randkey host/localhost")
	realm.Admin(t, "addprinc -randkey HTTP/localhost")
	realm.Admin(t, "addprinc -randkey -e aes256-cts-hmac-sha384-192:normal host/sha384")
	// Without this MIT's KDC picks the session key from the client's
	// list (aes-sha1 first) whatever the service's long-term key is.
	realm.Admin(t, "setstr host/sha384 session_enctypes aes256-cts-hmac-sha384-192")
	kt := filepath.Join(realm.Dir, "keytab")
	realm.Admin(t, "ktadd -k "+kt+" host/localhost HTTP/localhost")
	realm.Admin(t, "ktadd -k "+kt+" -e aes256-cts-hmac-sha384-192:normal host/sha384")
	realm.Start(t)
	if kinit {
		realm.Run(t, []byte("secret\n"), "kinit", "-f", "user")
	}
	return &testRealm{Realm: realm, Keytab: kt}
}

// establish runs ISC and ASC against each other until both are done and
// returns both contexts and the number of tokens exchanged.
func establish(t *testing.T, client, server *sspi.Credentials, target string, iscReq, ascReq uint32, in ...sspi.SecBuffer) (*sspi.Context, *sspi.Context, int) {
	t.Helper()
	var cctx, sctx *sspi.Context
	var fromServer []byte
	legs := 0
	for i := 0; i < 4; i++ {
		input := append([]sspi.SecBuffer(nil), in...)
		if fromServer != nil {
			input = append(input, sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, fromServer))
		}
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		var st sspi.Status
		var err error
		cctx, st, err = sspi.InitializeSecurityContext(client, cctx, target, iscReq|sspi.ISC_REQ_ALLOCATE_MEMORY, input, out)
		require.NoError(t, err)
		if len(out[0].Buffer) > 0 {
			legs++
			sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
			sin := append(append([]sspi.SecBuffer(nil), in...), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer))
			var sst sspi.Status
			sctx, sst, err = sspi.AcceptSecurityContext(server, sctx, sin, ascReq|sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
			require.NoError(t, err)
			require.Equal(t, sspi.SEC_E_OK, sst)
			fromServer = sout[0].Buffer
			if len(fromServer) > 0 {
				legs++
			}
		}
		if st == sspi.SEC_E_OK {
			return cctx, sctx, legs
		}
		require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	}
	t.Fatal("no context after four legs")
	return nil, nil, 0
}

// firstToken runs the first ISC and returns its token.
func firstToken(t *testing.T, client *sspi.Credentials, target string, req uint32) []byte {
	t.Helper()
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	_, _, err := sspi.InitializeSecurityContext(client, nil, target, req|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
	require.NoError(t, err)
	return out[0].Buffer
}

func accept(server *sspi.Credentials, tok []byte, in ...sspi.SecBuffer) (*sspi.Context, sspi.Status, error) {
	sin := append(append([]sspi.SecBuffer(nil), in...), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok))
	return sspi.AcceptSecurityContext(server, nil, sin, sspi.ASC_REQ_ALLOCATE_MEMORY, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
}
