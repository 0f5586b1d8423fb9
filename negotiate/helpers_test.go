package negotiate

import (
	encasn1 "encoding/asn1"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/negotiate/wire"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/kerberos"
	"github.com/gosspi/schannel/sspi"
)

func TestMain(m *testing.M) {
	os.Setenv(sspi.RepanicEnv, "1")
	os.Exit(m.Run())
}

const fullReq = sspi.ISC_REQ_MUTUAL_AUTH | sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_SEQUENCE_DETECT | sspi.ISC_REQ_CONFIDENTIALITY

// testRealm is a throwaway MIT realm (internal/kerberos/mitrealm) with
// user/secret, host/localhost and HTTP/localhost in the default keytab, a
// running KDC and a forwardable TGT for user in the default cache.
type testRealm struct {
	*mitrealm.Realm
	Keytab string
}

func newRealm(t testing.TB) *testRealm {
	t.Helper()
	realm := mitrealm.New(t)
	realm.Admin(t, "addprinc +requires_preauth -pw secret user")
	realm.Admin(t, "addprinc -randkey host/localhost")
	realm.Admin(t, "addprinc -randkey HTTP/localhost")
	kt := filepath.Join(realm.Dir, "keytab")
	realm.Admin(t, "ktadd -k "+kt+" host/localhost HTTP/localhost")
	realm.Start(t)
	realm.Run(t, []byte("secret\n"), "kinit", "-f", "user")
	return &testRealm{Realm: realm, Keytab: kt}
}

func clientCred(t testing.TB) *sspi.Credentials {
	t.Helper()
	c, err := sspi.AcquireCredentialsHandle("", PackageName, sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	return c
}

func serverCred(t testing.TB) *sspi.Credentials {
	t.Helper()
	c, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	return c
}

// kerberosCred acquires plain Kerberos credentials, for tests that play
// a hand-written SPNEGO peer.
func kerberosCred(t testing.TB, use sspi.CredentialUse) *sspi.Credentials {
	t.Helper()
	c, err := sspi.AcquireCredentialsHandle("", kerberos.PackageName, use, nil)
	require.NoError(t, err)
	return c
}

// establish runs ISC and ASC against each other until both report
// SEC_E_OK and returns both contexts and the tokens exchanged.
func establish(t *testing.T, client, server *sspi.Credentials, target string, iscReq uint32, in ...sspi.SecBuffer) (*sspi.Context, *sspi.Context, [][]byte) {
	t.Helper()
	var cctx, sctx *sspi.Context
	var tokens [][]byte
	var fromServer []byte
	cdone, sdone := false, false
	for i := 0; i < 6 && !(cdone && sdone); i++ {
		if !cdone {
			input := append([]sspi.SecBuffer(nil), in...)
			if fromServer != nil {
				input = append(input, sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, fromServer))
			}
			out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
			var st sspi.Status
			var err error
			cctx, st, err = sspi.InitializeSecurityContext(client, cctx, target, iscReq|sspi.ISC_REQ_ALLOCATE_MEMORY, input, out)
			require.NoError(t, err)
			cdone = st == sspi.SEC_E_OK
			if !cdone {
				require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
			}
			if len(out[0].Buffer) == 0 {
				continue
			}
			tokens = append(tokens, out[0].Buffer)
			sin := append(append([]sspi.SecBuffer(nil), in...), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer))
			sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
			sctx, st, err = sspi.AcceptSecurityContext(server, sctx, sin, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
			require.NoError(t, err)
			sdone = st == sspi.SEC_E_OK
			fromServer = sout[0].Buffer
			if len(fromServer) > 0 {
				tokens = append(tokens, fromServer)
			}
		} else {
			break
		}
	}
	require.True(t, cdone, "client done")
	require.True(t, sdone, "server done")
	return cctx, sctx, tokens
}

func mustInit(t testing.TB, m wire.NegTokenInit) []byte {
	t.Helper()
	b, err := m.Marshal()
	require.NoError(t, err)
	return b
}

func mustResp(t testing.TB, m wire.NegTokenResp) []byte {
	t.Helper()
	b, err := m.Marshal()
	require.NoError(t, err)
	return b
}

func mechTypesDER(t testing.TB, mechs ...encasn1.ObjectIdentifier) []byte {
	t.Helper()
	b, err := wire.MarshalMechTypes(mechs)
	require.NoError(t, err)
	return b
}

// sign is MakeSignature over data with a Kerberos context.
func sign(t testing.TB, c *sspi.Context, data []byte) []byte {
	t.Helper()
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, append([]byte(nil), data...)), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 64))}
	_, err := c.MakeSignature(0, bufs)
	require.NoError(t, err)
	return bufs[1].Buffer
}

func verify(c *sspi.Context, data, mic []byte) error {
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, append([]byte(nil), data...)), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, append([]byte(nil), mic...))}
	_, _, err := c.VerifySignature(bufs)
	return err
}

func isc(cred *sspi.Credentials, ctx *sspi.Context, target string, req uint32, tok []byte) (*sspi.Context, sspi.Status, []byte, error) {
	var in []sspi.SecBuffer
	if tok != nil {
		in = []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}
	}
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	c, st, err := sspi.InitializeSecurityContext(cred, ctx, target, req|sspi.ISC_REQ_ALLOCATE_MEMORY, in, out)
	return c, st, out[0].Buffer, err
}

func asc(cred *sspi.Credentials, ctx *sspi.Context, tok []byte) (*sspi.Context, sspi.Status, []byte, error) {
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	c, st, err := sspi.AcceptSecurityContext(cred, ctx, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}, sspi.ASC_REQ_ALLOCATE_MEMORY, out)
	return c, st, out[0].Buffer, err
}

func getenv(k string) string { return os.Getenv(k) }

// requirePeer returns the path of a program that is not part of MIT
// Kerberos, or skips (fails under SCHANNEL_INTEROP=require) naming the
// Debian package that has it.
func requirePeer(t testing.TB, program, debianPackage string) string {
	t.Helper()
	return peertest.Program(t, program, debianPackage)
}
