package kerberos

import (
	"bytes"
	"testing"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/sspi"
)

// FuzzContextTokens is structure-aware: each input picks a valid token
// of a live context (the AP-REQ, a confidential or integrity-only Wrap
// token, a MIC token), mutates it (a byte flipped, a cut, bytes appended)
// and hands it to the SSPI call that parses it, with the buffer layout
// also chosen by the input. Every outcome must be a status, never a panic
// (RepanicEnv is set), and a token that was changed must not be accepted
// (for the AP-REQ: must not authenticate anyone else).
func FuzzContextTokens(f *testing.F) {
	r := newOfflineRealm(f, crypto.AES256CTSHMACSHA196)
	for kind := byte(0); kind < 4; kind++ {
		f.Add(kind, uint16(0), byte(0), uint16(0xffff), uint16(0), []byte(nil))
		f.Add(kind, uint16(20), byte(1), uint16(0xffff), uint16(60), []byte(nil))
		f.Add(kind, uint16(0), byte(0), uint16(10), uint16(16), []byte{0x30, 0x80})
		f.Add(kind, uint16(7), byte(0x1c), uint16(0xffff), uint16(28), []byte{0})
	}
	f.Fuzz(func(t *testing.T, kind byte, pos uint16, xor byte, cut uint16, split uint16, extra []byte) {
		cctx, sctx, apReq, err := r.pair()
		if err != nil {
			t.Fatal(err)
		}
		msg := []byte("the quick brown fox")
		var orig []byte
		switch kind % 4 {
		case 0:
			orig = apReq
		case 1, 2:
			qop := uint32(0)
			if kind%4 == 2 {
				qop = sspi.SECQOP_WRAP_NO_ENCRYPT
			}
			data := append([]byte(nil), msg...)
			bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 60)), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, data)}
			if _, err := cctx.EncryptMessage(qop, bufs); err != nil {
				t.Fatal(err)
			}
			orig = append(append([]byte(nil), bufs[0].Buffer[:bufs[0].Size]...), bufs[1].Buffer...)
		case 3:
			bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 28))}
			if _, err := cctx.MakeSignature(0, bufs); err != nil {
				t.Fatal(err)
			}
			orig = append([]byte(nil), bufs[1].Buffer[:bufs[1].Size]...)
		}
		tok := append([]byte(nil), orig...)
		if len(tok) > 0 {
			tok[int(pos)%len(tok)] ^= xor
		}
		if int(cut) < len(tok) {
			tok = tok[:cut]
		}
		tok = append(tok, extra...)
		changed, exempt := !bytes.Equal(tok, orig), false
		sent := append([]byte(nil), tok...) // DecryptMessage works in place
		if (kind%4 == 1 || kind%4 == 2) && len(tok) == len(orig) && bytes.Equal(tok[:4], orig[:4]) && bytes.Equal(tok[8:], orig[8:]) {
			// EC and RRC (bytes 4-7 of a Wrap token header) are outside
			// the checksum and the encrypted header copy (RFC 4121
			// section 4.2.4): an RRC equal modulo the length, or an EC
			// the checks accept, yields the same message, which the
			// check on DecryptMessage's output above covers; any other
			// EC is refused.
			changed, exempt = false, true
		}

		var st sspi.Status
		var actx *sspi.Context
		// fits is false when the caller's DATA buffer is too short for
		// the message: a refusal is then right even for a valid token.
		fits := true
		switch kind % 4 {
		case 0:
			actx, st, _ = sspi.AcceptSecurityContext(r.noReplay, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}, sspi.ASC_REQ_ALLOCATE_MEMORY, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
		case 1, 2:
			var bufs []sspi.SecBuffer
			if split%3 == 0 {
				bufs = []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, tok), {BufferType: sspi.SECBUFFER_DATA}}
			} else {
				s := int(split) % (len(tok) + 1)
				fits = len(tok)-s >= len(msg)
				bufs = []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok[:s]), sspi.NewSecBuffer(sspi.SECBUFFER_DATA, append([]byte(nil), tok[s:]...))}
			}
			_, st, _ = sctx.DecryptMessage(bufs)
			if st == sspi.SEC_E_OK && !bytes.Equal(bufs[1].Buffer, msg) {
				t.Fatalf("DecryptMessage returned %q, not the message", bufs[1].Buffer)
			}
		case 3:
			_, st, _ = sctx.VerifySignature([]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)})
		}
		if kind%4 == 0 && st == sspi.SEC_E_OK {
			// Parts of an AP-REQ are not integrity-protected (ap-options,
			// the ticket's name type and kvno: RFC 4120 sections 5.5.1 and
			// 6.2), so a changed token may be accepted; what it proves must
			// not change.
			names, err := actx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
			if err != nil || names.(sspi.Names).UserName != "user@TEST.LOCAL" {
				t.Fatalf("a changed AP-REQ authenticated %v (%v)", names, err)
			}
			changed = false
		}
		if changed && st == sspi.SEC_E_OK {
			t.Fatalf("kind %d: a changed token (%x, was %x) was accepted", kind%4, sent, orig)
		}
		if !changed && !exempt && fits && st != sspi.SEC_E_OK {
			t.Fatalf("kind %d: the unchanged token was refused: %s", kind%4, st)
		}
	})
}

// newOfflineRealmServer is the realm's acceptor with a fresh replay
// cache, so that the same AP-REQ can be offered to each fuzz input.
func newOfflineRealmServer(r *offlineRealm) *sspi.Credentials {
	o := r.serverState
	ss := &credState{krb5: o.krb5, now: o.now, inbound: true, skew: o.skew, keytab: o.keytab}
	c, err := sspi.NewCredentials(kerberosPackage{}, packageInfo, "", sspi.SECPKG_CRED_INBOUND, ss)
	if err != nil {
		panic(err)
	}
	return c
}
