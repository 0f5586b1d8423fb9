package kerberos

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/sspi"
)

func gssSend(w io.Writer, flags byte, tok []byte) error {
	b := append([]byte{flags}, binary.BigEndian.AppendUint32(nil, uint32(len(tok)))...)
	_, err := w.Write(append(b, tok...))
	return err
}

func gssRecv(r io.Reader) (byte, []byte, error) {
	var h [5]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(h[1:])
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("token of %d bytes", n)
	}
	tok := make([]byte, n)
	_, err := io.ReadFull(r, tok)
	return h[0], tok, err
}

// TestMITDelegationOnward: MIT's gss-client -d delegates its TGT to our
// acceptor (the krb5-gss-samples protocol, driven here through the SSPI
// calls), and the server uses DelegatedCredentials to authenticate onward
// to another service as the client.
func TestMITDelegationOnward(t *testing.T) {
	gssClient := mitrealm.Require(t, "gss-client")
	r := newRealm(t, true)
	server, err := AcquireCredentialsHandle("host/localhost", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	anyService, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	_ = r

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, gssClient, "-d", "-port", fmt.Sprint(l.Addr().(*net.TCPAddr).Port), "127.0.0.1", "host@localhost", "delegate me")
	out := make(chan string, 1)
	go func() {
		b, _ := cmd.CombinedOutput()
		out <- string(b)
	}()
	c, err := l.Accept()
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(time.Minute)))

	flags, _, err := gssRecv(c)
	require.NoError(t, err)
	require.Equal(t, byte(0x11), flags, "NOOP|CONTEXT_NEXT")
	flags, tok, err := gssRecv(c)
	require.NoError(t, err)
	require.Equal(t, byte(0x02), flags)
	sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	sctx, st, err := sspi.AcceptSecurityContext(server, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_DELEGATE)
	require.NoError(t, gssSend(c, 0x02, sout[0].Buffer))

	flags, wrapped, err := gssRecv(c)
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
	require.NoError(t, gssSend(c, 0x08, sig[1].Buffer))
	flags, _, err = gssRecv(c)
	require.NoError(t, err)
	assert.Equal(t, byte(0x01), flags)
	assert.Contains(t, <-out, "Signature verified")

	onward, err := DelegatedCredentials(sctx)
	require.NoError(t, err)
	_, next, legs := establish(t, onward, anyService, "HTTP/localhost", fullReq, 0)
	assert.Equal(t, 2, legs)
	names, err := next.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Names{UserName: "user@TEST.LOCAL"}, names, "the server went on as MIT's client")
}
