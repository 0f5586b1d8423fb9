package kerberos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/gsssample"
	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/sspi"
)

// TestMITDelegationOnward: MIT's gss-client -d delegates its TGT to our
// acceptor (the krb5-gss-samples protocol, driven here through the SSPI
// calls), and the server uses DelegatedCredentials to authenticate onward
// to another service as the client.
func TestMITDelegationOnward(t *testing.T) {
	mitrealm.Require(t, "gss-client")
	r := newRealm(t, true)
	server, err := AcquireCredentialsHandle("host/localhost", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	anyService, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	_ = r

	cli, c := mitrealm.StartGSSClient(t, time.Minute, "-d", "127.0.0.1", "host@localhost", "delegate me")

	flags, _, err := gsssample.ReadToken(c)
	require.NoError(t, err)
	require.Equal(t, byte(0x11), flags, "NOOP|CONTEXT_NEXT")
	flags, tok, err := gsssample.ReadToken(c)
	require.NoError(t, err)
	require.Equal(t, byte(0x02), flags)
	sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	sctx, st, err := sspi.AcceptSecurityContext(server, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_DELEGATE)
	require.NoError(t, gsssample.WriteToken(c, 0x02, sout[0].Buffer))

	flags, wrapped, err := gsssample.ReadToken(c)
	require.NoError(t, err)
	require.NotZero(t, flags&0x20, "a wrapped message")
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, wrapped), {BufferType: sspi.SECBUFFER_DATA}}
	_, _, err = sctx.DecryptMessage(bufs)
	require.NoError(t, err, "MIT's Wrap token")
	msg := append([]byte(nil), bufs[1].Buffer...)
	assert.Contains(t, string(msg), "delegate me")
	sig := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 28))}
	_, err = sctx.MakeSignature(0, sig)
	require.NoError(t, err)
	require.NoError(t, gsssample.WriteToken(c, 0x08, sig[1].Buffer))
	flags, _, err = gsssample.ReadToken(c)
	require.NoError(t, err)
	assert.Equal(t, byte(0x01), flags)
	out, _ := cli.Wait()
	assert.Contains(t, out, "Signature verified")

	onward, err := DelegatedCredentials(sctx)
	require.NoError(t, err)
	_, next, legs := establish(t, onward, anyService, "HTTP/localhost", fullReq, 0)
	assert.Equal(t, 2, legs)
	names, err := next.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Names{UserName: "user@TEST.LOCAL"}, names, "the server went on as MIT's client")
}
