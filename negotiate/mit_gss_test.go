package negotiate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/gsssample"
	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/negotiate/wire"
	"github.com/gosspi/schannel/sspi"
)

// TestMITGSSClientSPNEGO: MIT's gss-client -spnego against our Negotiate
// acceptor: its NegTokenInit, our NegTokenResp with the AP-REP, its Wrap
// token unwrapped through Negotiate, our MIC verified by gss-client; with
// -d, its delegated TGT reaches DelegatedCredentials.
func TestMITGSSClientSPNEGO(t *testing.T) {
	mitrealm.Require(t, "gss-client")
	newRealm(t)
	for _, flags := range [][]string{nil, {"-d"}, {"-nomutual"}} {
		t.Run(strings.Join(append([]string{"spnego"}, flags...), " "), func(t *testing.T) {
			server := serverCred(t)
			args := append(append([]string{"-spnego"}, flags...), "127.0.0.1", "host@localhost", "hello over SPNEGO")
			cli, c := mitrealm.StartGSSClient(t, time.Minute, args...)

			f, _, err := gsssample.ReadToken(c)
			require.NoError(t, err)
			require.Equal(t, byte(gsssample.Noop|gsssample.ContextNext), f)
			var sctx *sspi.Context
			for legs := 0; ; legs++ {
				require.Less(t, legs, 4)
				f, tok, err := gsssample.ReadToken(c)
				require.NoError(t, err)
				require.Equal(t, byte(gsssample.Context), f)
				if legs == 0 {
					capture(t, "mit-gss-client-negtokeninit.der", tok)
					var init wire.NegTokenInit
					require.NoError(t, init.Unmarshal(tok), "MIT sends a NegTokenInit")
					assert.True(t, wire.IsKerberos(init.MechTypes[0]), "%v", init.MechTypes)
				}
				var st sspi.Status
				var reply []byte
				sctx, st, reply, err = asc(server, sctx, tok)
				require.NoError(t, err)
				if len(reply) > 0 {
					require.NoError(t, gsssample.WriteToken(c, gsssample.Context, reply))
				}
				if st == sspi.SEC_E_OK {
					break
				}
			}
			v, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NEGOTIATION_INFO)
			require.NoError(t, err)
			assert.Equal(t, sspi.NegotiationInfo{PackageInfo: mustInfo(t, "Kerberos"), NegotiationState: sspi.SECPKG_NEGOTIATION_COMPLETE}, v)

			f, wrapped, err := gsssample.ReadToken(c)
			require.NoError(t, err)
			require.NotZero(t, f&gsssample.Wrapped)
			bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, wrapped), {BufferType: sspi.SECBUFFER_DATA}}
			_, _, err = sctx.DecryptMessage(bufs)
			require.NoError(t, err, "MIT's Wrap token through Negotiate")
			msg := append([]byte(nil), bufs[1].Buffer...)
			assert.Contains(t, string(msg), "hello over SPNEGO")
			require.NoError(t, gsssample.WriteToken(c, gsssample.MIC, sign(t, sctx, msg)))
			f, _, err = gsssample.ReadToken(c)
			require.NoError(t, err)
			assert.Equal(t, byte(gsssample.Noop), f)
			out, _ := cli.Wait()
			assert.Contains(t, out, "Signature verified")

			_, err = DelegatedCredentials(sctx)
			if len(flags) == 1 && flags[0] == "-d" {
				assert.NoError(t, err)
				assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_DELEGATE)
			} else {
				assert.ErrorIs(t, err, sspi.SEC_E_NO_CREDENTIALS)
			}
		})
	}
}

func mustInfo(t *testing.T, name string) sspi.PackageInfo {
	info, err := sspi.QuerySecurityPackageInfo(name)
	require.NoError(t, err)
	return info
}

// TestMITGSSServerSPNEGO: our Negotiate client against MIT's gss-server,
// whose acceptor takes SPNEGO: our NegTokenInit, its NegTokenResp (the
// AP-REP checked), our Wrap token, its MIC verified through Negotiate.
func TestMITGSSServerSPNEGO(t *testing.T) {
	mitrealm.Require(t, "gss-server")
	r := newRealm(t)
	for _, req := range []uint32{fullReq, sspi.ISC_REQ_CONFIDENTIALITY} {
		t.Run(fmt.Sprintf("req=%#x", req), func(t *testing.T) {
			srv := mitrealm.StartGSSServer(t, r.Dir, time.Minute, "host@localhost")
			c := srv.Dial(t)

			cred := clientCred(t)
			require.NoError(t, gsssample.WriteToken(c, gsssample.Noop|gsssample.ContextNext, nil))
			var err error
			var cctx *sspi.Context
			var in []byte
			for legs := 0; ; legs++ {
				require.Less(t, legs, 4)
				var st sspi.Status
				var out []byte
				cctx, st, out, err = isc(cred, cctx, "host/localhost", req, in)
				require.NoError(t, err, "gss-server: %s", srv.Output())
				if len(out) > 0 {
					require.NoError(t, gsssample.WriteToken(c, gsssample.Context, out))
				}
				if st == sspi.SEC_E_OK {
					break
				}
				var f byte
				f, in, err = gsssample.ReadToken(c)
				require.NoError(t, err, "gss-server: %s", srv.Output())
				require.Equal(t, byte(gsssample.Context), f)
				if legs == 0 {
					capture(t, "mit-gss-server-negtokenresp.der", in)
					var resp wire.NegTokenResp
					require.NoError(t, resp.Unmarshal(in), "MIT answers with a NegTokenResp")
					assert.Equal(t, wire.NegStateAcceptCompleted, resp.NegState)
				}
			}
			if req&sspi.ISC_REQ_MUTUAL_AUTH != 0 {
				assert.NotZero(t, cctx.Attributes()&sspi.ISC_RET_MUTUAL_AUTH, "MIT's AP-REP checked")
			}
			msg := []byte("hello from Negotiate")
			v, err := cctx.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
			require.NoError(t, err)
			sizes := v.(sspi.Sizes)
			data := append([]byte(nil), msg...)
			bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, sizes.SecurityTrailer)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data), sspi.NewSecBuffer(sspi.SECBUFFER_PADDING, make([]byte, sizes.BlockSize))}
			_, err = cctx.EncryptMessage(0, bufs)
			require.NoError(t, err)
			wrapped := append(append([]byte(nil), bufs[0].Buffer[:bufs[0].Size]...), bufs[1].Buffer...)
			require.NoError(t, gsssample.WriteToken(c, gsssample.Data|gsssample.Wrapped|gsssample.Encrypted|gsssample.SendMIC, wrapped))
			f, mic, err := gsssample.ReadToken(c)
			require.NoError(t, err, "gss-server: %s", srv.Output())
			require.Equal(t, byte(gsssample.MIC), f)
			require.NoError(t, verify(cctx, msg, mic), "gss-server's MIC through Negotiate")
			require.NoError(t, gsssample.WriteToken(c, gsssample.Noop, nil))
			require.NoError(t, srv.Wait(), "gss-server: %s", srv.Output())
			assert.Contains(t, srv.Log(), "hello from Negotiate")
		})
	}
}

// capture writes a token MIT produced to NEGOTIATE_CAPTURE_DIR, when set:
// how internal/negotiate/wire/testdata was made.
func capture(t *testing.T, name string, tok []byte) {
	if dir := os.Getenv("NEGOTIATE_CAPTURE_DIR"); dir != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), tok, 0o644))
	}
}
