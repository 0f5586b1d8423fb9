package kerberos

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

const dceReq = sspi.ISC_REQ_USE_DCE_STYLE | sspi.ISC_REQ_REPLAY_DETECT | sspi.ISC_REQ_SEQUENCE_DETECT | sspi.ISC_REQ_CONFIDENTIALITY

// dceLegs runs the first three calls of a DCE-style exchange and returns
// the contexts and the three tokens: the bare AP-REQ, the acceptor's bare
// AP-REP and the initiator's third-leg AP-REP. The acceptor still waits
// for the last one.
func dceLegs(t *testing.T, r *offlineRealm, server *sspi.Credentials) (cctx, sctx *sspi.Context, apReq, apRep, final []byte) {
	t.Helper()
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	cctx, st, err := sspi.InitializeSecurityContext(r.client, nil, "host/localhost", dceReq|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st)
	apReq = out[0].Buffer
	sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	sctx, st, err = sspi.AcceptSecurityContext(server, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, apReq)}, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, st, "the acceptor's AP-REP comes with CONTINUE_NEEDED in DCE style")
	apRep = sout[0].Buffer
	out = []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	cctx, st, err = sspi.InitializeSecurityContext(r.client, cctx, "host/localhost", dceReq|sspi.ISC_REQ_ALLOCATE_MEMORY,
		[]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, apRep)}, out)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st, "the initiator is done, with a token still to send")
	return cctx, sctx, apReq, apRep, out[0].Buffer
}

func acceptFinal(sctx *sspi.Context, server *sspi.Credentials, tok []byte) (sspi.Status, []sspi.SecBuffer, error) {
	sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	_, st, err := sspi.AcceptSecurityContext(server, sctx, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
	return st, sout, err
}

// TestDCEStyle: ISC_REQ_USE_DCE_STYLE gives the three legs of MS-KILE
// section 3.4.5.1 with Windows' statuses, the USED_DCE_STYLE and
// MUTUAL_AUTH return flags on both sides, cbSecurityTrailer 76 (the EC
// filler: Wine's DCE-style value) and Wrap tokens with EC 16 and RRC 28.
func TestDCEStyle(t *testing.T) {
	r := newOfflineRealm(t, crypto.AES256CTSHMACSHA196)
	cctx, sctx, apReq, apRep, final := dceLegs(t, r, r.server)
	assert.Equal(t, byte(0x6e), apReq[0], "a bare AP-REQ")
	assert.Equal(t, byte(0x6f), apRep[0], "a bare AP-REP")
	assert.Equal(t, byte(0x6f), final[0], "a bare AP-REP")
	assert.True(t, cctx.Established())
	assert.False(t, sctx.Established(), "not before the third leg")
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 76)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, []byte("early"))}
	_, err := sctx.EncryptMessage(0, bufs)
	assert.Error(t, err, "no per-message calls before the third leg")

	st, sout, err := acceptFinal(sctx, r.server, final)
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_E_OK, st)
	assert.Empty(t, sout[0].Buffer, "nothing more to send")
	assert.True(t, sctx.Established())

	want := uint32(sspi.ISC_RET_USED_DCE_STYLE | sspi.ISC_RET_MUTUAL_AUTH | sspi.ISC_RET_REPLAY_DETECT | sspi.ISC_RET_SEQUENCE_DETECT | sspi.ISC_RET_CONFIDENTIALITY | sspi.ISC_RET_INTEGRITY)
	assert.Equal(t, want, cctx.Attributes()&^sspi.ISC_RET_ALLOCATED_MEMORY)
	assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_USED_DCE_STYLE)
	assert.NotZero(t, sctx.Attributes()&sspi.ASC_RET_MUTUAL_AUTH)

	for _, c := range []*sspi.Context{cctx, sctx} {
		v, err := c.QueryContextAttributes(sspi.SECPKG_ATTR_SIZES)
		require.NoError(t, err)
		assert.Equal(t, uint32(76), v.(sspi.Sizes).SecurityTrailer)
		assert.Equal(t, uint32(28), v.(sspi.Sizes).MaxSignature)
	}
	for _, dir := range [][2]*sspi.Context{{cctx, sctx}, {sctx, cctx}} {
		tok, data := wrap(t, dir[0], 0, []byte("DCE RPC stub data"), 76)
		require.Len(t, tok, 76)
		assert.Equal(t, uint16(16), binary.BigEndian.Uint16(tok[4:]), "EC")
		assert.Equal(t, uint16(28), binary.BigEndian.Uint16(tok[6:]), "RRC, while the rotation is RRC+EC")
		got, qop := unwrap(t, dir[1], tok, data)
		assert.Equal(t, "DCE RPC stub data", string(got))
		assert.Zero(t, qop)
		tok, data = wrap(t, dir[0], sspi.SECQOP_WRAP_NO_ENCRYPT, []byte("signed"), 76)
		assert.Len(t, tok, 28)
		got, qop = unwrap(t, dir[1], tok, data)
		assert.Equal(t, "signed", string(got))
		assert.Equal(t, uint32(sspi.SECQOP_WRAP_NO_ENCRYPT), qop)
	}
	names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NATIVE_NAMES)
	require.NoError(t, err)
	assert.Equal(t, "host/localhost@TEST.LOCAL", names.(sspi.NativeNames).ServerName, "read from the bare AP-REQ")
}

// TestDCEStyleHostile: a valid DCE exchange with its last leg changed;
// each gets its status and leaves the acceptor unestablished.
func TestDCEStyleHostile(t *testing.T) {
	r := newOfflineRealm(t, crypto.AES256CTSHMACSHA196)
	_, _, _, _, otherFinal := dceLegs(t, r, r.noReplay)
	for _, c := range []struct {
		name string
		tok  func(apRep, final []byte) []byte
		want sspi.Status
	}{
		{"the acceptor's own AP-REP reflected", func(apRep, _ []byte) []byte { return apRep }, sspi.SEC_E_MESSAGE_ALTERED},
		{"another context's third leg", func(_, _ []byte) []byte { return otherFinal }, sspi.SEC_E_MESSAGE_ALTERED},
		{"a flipped byte", func(_, final []byte) []byte {
			b := append([]byte(nil), final...)
			b[len(b)-1] ^= 0x80
			return b
		}, sspi.SEC_E_MESSAGE_ALTERED},
		{"truncated", func(_, final []byte) []byte { return final[:20] }, sspi.SEC_E_INVALID_TOKEN},
		{"empty", func(_, _ []byte) []byte { return nil }, sspi.SEC_E_INVALID_TOKEN},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, sctx, _, apRep, final := dceLegs(t, r, r.noReplay)
			st, _, err := acceptFinal(sctx, r.noReplay, c.tok(apRep, final))
			require.Error(t, err)
			assert.Equal(t, c.want, st, "%v", err)
			assert.False(t, sctx.Established())
			var se *sspi.Error
			assert.True(t, errors.As(err, &se))
		})
	}
	t.Run("no output buffer for the third leg", func(t *testing.T) {
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		cctx, _, err := sspi.InitializeSecurityContext(r.client, nil, "host/localhost", dceReq|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
		require.NoError(t, err)
		sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		_, _, err = sspi.AcceptSecurityContext(r.noReplay, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, out[0].Buffer)}, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
		require.NoError(t, err)
		_, st, err := sspi.InitializeSecurityContext(r.client, cctx, "host/localhost", dceReq,
			[]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, sout[0].Buffer)}, nil)
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, st, "%v", err)
		assert.False(t, cctx.Established(), "a third leg that cannot be sent leaves no context")
	})
	t.Run("a DCE-style AP-REQ replayed", func(t *testing.T) {
		_, _, apReq, _, _ := dceLegs(t, r, r.server)
		_, st, err := accept(r.server, apReq)
		require.Error(t, err)
		assert.Equal(t, sspi.SEC_E_INVALID_TOKEN, st, "KRB_AP_ERR_REPEAT: %v", err)
	})
}

// FuzzHostileDCE is structure-aware, for the DCE-style legs: each input
// picks one leg of a valid exchange (the bare AP-REQ, the acceptor's bare
// AP-REP, the initiator's third-leg AP-REP), mutates it (a byte flipped, a
// cut, bytes appended) and hands it to the side that reads it. Every
// outcome is a status, never a panic; a changed leg may pass only if what
// it proves is unchanged: the same encrypted part (DER outside it is not
// protected), or for the AP-REQ the same client.
func FuzzHostileDCE(f *testing.F) {
	r := newOfflineRealm(f, crypto.AES256CTSHMACSHA196)
	for kind := byte(0); kind < 3; kind++ {
		f.Add(kind, uint16(0), byte(0), uint16(0xffff), []byte(nil))
		f.Add(kind, uint16(20), byte(1), uint16(0xffff), []byte(nil))
		f.Add(kind, uint16(3), byte(0x80), uint16(40), []byte{0x30, 0x80})
		f.Add(kind, uint16(90), byte(0xff), uint16(0xffff), []byte{0})
	}
	f.Fuzz(func(t *testing.T, kind byte, pos uint16, xor byte, cut uint16, extra []byte) {
		server := newOfflineRealmServer(r) // a fresh replay cache per input
		out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		cctx, _, err := sspi.InitializeSecurityContext(r.client, nil, "host/localhost", dceReq|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
		if err != nil {
			t.Fatal(err)
		}
		apReq := out[0].Buffer
		mutate := func(orig []byte) []byte {
			tok := append([]byte(nil), orig...)
			if len(tok) > 0 {
				tok[int(pos)%len(tok)] ^= xor
			}
			if int(cut) < len(tok) {
				tok = tok[:cut]
			}
			return append(tok, extra...)
		}
		sameCipher := func(a, b []byte) bool {
			var x, y wire.APRep
			return x.Unmarshal(a) == nil && y.Unmarshal(b) == nil && bytes.Equal(x.EncPart.Cipher, y.EncPart.Cipher)
		}
		in := func(b []byte) []sspi.SecBuffer { return []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, b)} }
		if kind%3 == 0 {
			tok := mutate(apReq)
			actx, st, _ := sspi.AcceptSecurityContext(server, nil, in(tok), sspi.ASC_REQ_ALLOCATE_MEMORY, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
			if st == sspi.SEC_E_OK || st == sspi.SEC_I_CONTINUE_NEEDED {
				names, err := actx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
				if err != nil || names.(sspi.Names).UserName != "user@TEST.LOCAL" {
					t.Fatalf("a changed AP-REQ authenticated %v (%v)", names, err)
				}
			} else if bytes.Equal(tok, apReq) {
				t.Fatalf("the unchanged AP-REQ was refused: %s", st)
			}
			return
		}
		sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		sctx, st, err := sspi.AcceptSecurityContext(server, nil, in(apReq), sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
		if err != nil || st != sspi.SEC_I_CONTINUE_NEEDED {
			t.Fatalf("first ASC: %s %v", st, err)
		}
		apRep := sout[0].Buffer
		if kind%3 == 1 {
			tok := mutate(apRep)
			_, st, _ := sspi.InitializeSecurityContext(r.client, cctx, "host/localhost", dceReq|sspi.ISC_REQ_ALLOCATE_MEMORY, in(tok), []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
			if st == sspi.SEC_E_OK && !sameCipher(tok, apRep) {
				t.Fatalf("a changed AP-REP (%x) completed the initiator", tok)
			}
			if st != sspi.SEC_E_OK && bytes.Equal(tok, apRep) {
				t.Fatalf("the unchanged AP-REP was refused: %s", st)
			}
			return
		}
		out = []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
		if _, _, err := sspi.InitializeSecurityContext(r.client, cctx, "host/localhost", dceReq|sspi.ISC_REQ_ALLOCATE_MEMORY, in(apRep), out); err != nil {
			t.Fatal(err)
		}
		final := out[0].Buffer
		tok := mutate(final)
		st, _, _ = acceptFinal(sctx, server, tok)
		if st == sspi.SEC_E_OK && !sameCipher(tok, final) {
			t.Fatalf("a changed third leg (%x) established the acceptor", tok)
		}
		if st != sspi.SEC_E_OK && bytes.Equal(tok, final) {
			t.Fatalf("the unchanged third leg was refused: %s", st)
		}
		if st != sspi.SEC_E_OK && sctx.Established() {
			t.Fatal("a refused third leg left the acceptor established")
		}
	})
}
