package kerberos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/sspi"
)

// TestHostileOffline: what a client and the per-message calls must
// refuse, each with its status, on the offline realm (no KDC needed).
func TestHostileOffline(t *testing.T) {
	r := newOfflineRealm(t, crypto.AES256CTSHMACSHA196)
	start := func(t *testing.T) (*sspi.Context, []byte) {
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		cctx, st, err := sspi.InitializeSecurityContext(r.client, nil, "host/localhost", fullReq|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
		sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		_, _, err = sspi.AcceptSecurityContext(r.noReplay, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer)}, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
		require.NoError(t, err)
		return cctx, sout[0].Buffer
	}
	second := func(c *sspi.Context, tok []byte) (sspi.Status, error) {
		_, st, err := sspi.InitializeSecurityContext(r.client, c, "host/localhost", fullReq|sspi.ISC_REQ_ALLOCATE_MEMORY,
			[]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
		return st, err
	}

	t.Run("AP-REP of another context", func(t *testing.T) {
		a, _ := start(t)
		_, repB := start(t)
		st, err := second(a, repB)
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_MESSAGE_ALTERED, st, "%v", err)
	})
	t.Run("truncated AP-REP", func(t *testing.T) {
		a, rep := start(t)
		st, err := second(a, rep[:len(rep)/2])
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, st)
	})
	t.Run("calls on a context not established", func(t *testing.T) {
		a, _ := start(t)
		_, err := a.EncryptMessage(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 60)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x"))})
		assert.Equal(t, sspi.SEC_E_INVALID_HANDLE, sspi.StatusOf(err))
		_, err = a.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
		assert.Equal(t, sspi.SEC_E_INVALID_HANDLE, sspi.StatusOf(err))
	})
	t.Run("a third handshake call", func(t *testing.T) {
		a, rep := start(t)
		st, err := second(a, rep)
		require.NoError(t, err)
		require.Equal(t, sspi.SEC_E_OK, st)
		st, err = second(a, rep)
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_INVALID_HANDLE, st)
	})

	cctx, sctx, _, err := r.pair()
	require.NoError(t, err)
	t.Run("buffers and QOP", func(t *testing.T) {
		_, err := cctx.EncryptMessage(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 59)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x"))})
		assert.Equal(t, sspi.SEC_E_BUFFER_TOO_SMALL, sspi.StatusOf(err))
		_, err = cctx.EncryptMessage(7, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 60)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x"))})
		assert.Equal(t, sspi.SEC_E_QOP_NOT_SUPPORTED, sspi.StatusOf(err))
		_, err = cctx.EncryptMessage(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x"))})
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, sspi.StatusOf(err))
		_, err = cctx.MakeSignature(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x")), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 27))})
		assert.Equal(t, sspi.SEC_E_BUFFER_TOO_SMALL, sspi.StatusOf(err))
	})
	t.Run("out of sequence", func(t *testing.T) {
		// The context asked for SEQUENCE_DETECT: a gap is
		// SEC_E_OUT_OF_SEQUENCE (GSS_S_GAP_TOKEN in Wine's table).
		_, _ = wrap(t, cctx, 0, []byte("one"), 60)
		tok2, data2 := wrap(t, cctx, 0, []byte("two"), 60)
		_, st, err := sctx.DecryptMessage([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok2), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data2)})
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_OUT_OF_SEQUENCE, st, "%v", err)
	})
	t.Run("forged MIC", func(t *testing.T) {
		sig := make([]byte, 28)
		bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("pay 10")), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, sig)}
		_, err := sctx.MakeSignature(0, bufs)
		require.NoError(t, err)
		bufs[0].Buffer = []byte("pay 99")
		_, st, err := cctx.VerifySignature(bufs)
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_MESSAGE_ALTERED, st)
	})
	t.Run("expired context", func(t *testing.T) {
		cs := r.client.AuthData().(*credState)
		cs.now = func() time.Time { return time.Now().Add(11 * time.Hour) }
		defer func() { cs.now = time.Now }()
		_, err := cctx.EncryptMessage(0, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 60)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("x"))})
		assert.Equal(t, sspi.SEC_E_CONTEXT_EXPIRED, sspi.StatusOf(err))
	})
	t.Run("deleted context", func(t *testing.T) {
		require.NoError(t, sctx.DeleteSecurityContext())
		_, _, err := sctx.DecryptMessage([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, []byte{5, 4}), {BufferType: sspi.SECBUFFER_DATA}})
		assert.Error(t, err)
	})
}
