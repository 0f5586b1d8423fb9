package kerberos

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/sspi"
)

// TestAllocsMessages holds the Kerberos per-message calls to what they
// allocate in steady state: EncryptMessage and DecryptMessage work in the
// caller's buffers and MakeSignature and VerifySignature write into the
// caller's TOKEN (ARCHITECTURE.md, "In place"), with the context's
// derived keys made once.
func TestAllocsMessages(t *testing.T) {
	peertest.SkipUnderRace(t)
	for _, id := range benchEnctypes {
		t.Run(enctypeName(id), func(t *testing.T) {
			r := newOfflineRealm(t, id)
			cctx, sctx, _, err := r.pair()
			require.NoError(t, err)
			for _, size := range []int{100, 16384} {
				msg := make([]byte, size)
				data := make([]byte, size)
				tok := make([]byte, 76)
				bufs := make([]sspi.SecBuffer, 2)
				for _, qop := range []uint32{0, sspi.SECQOP_WRAP_NO_ENCRYPT} {
					wrap := func() {
						copy(data, msg)
						bufs[0] = sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)
						bufs[1] = sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data)
						if _, err := cctx.EncryptMessage(qop, bufs); err != nil {
							t.Fatal(err)
						}
						if _, _, err := sctx.DecryptMessage(bufs); err != nil {
							t.Fatal(err)
						}
					}
					wrap() // derives the keys
					assert.Zero(t, testing.AllocsPerRun(50, wrap), "allocations per %d-byte EncryptMessage and DecryptMessage, qop %#x", size, qop)
				}
				sig := make([]byte, 40)
				sign := func() {
					bufs[0] = sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg)
					bufs[1] = sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, sig)
					if _, err := cctx.MakeSignature(0, bufs); err != nil {
						t.Fatal(err)
					}
					if _, _, err := sctx.VerifySignature(bufs); err != nil {
						t.Fatal(err)
					}
				}
				sign()
				assert.Zero(t, testing.AllocsPerRun(50, sign), "allocations per %d-byte MakeSignature and VerifySignature", size)
			}
		})
	}
}
