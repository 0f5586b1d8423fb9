package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// dceFixture is an apFixture whose initiator asks for DCE style only:
// mutual authentication must follow from it.
func dceFixture(t testing.TB) *apFixture {
	f := newAPFixture(t)
	f.init.Flags = GSSDCEStyleFlag | GSSReplayFlag | GSSSequenceFlag | GSSConfFlag | GSSIntegFlag
	return f
}

// TestAPExchangeDCE is the three legs of MS-KILE section 3.4.5.1: a bare
// AP-REQ, the acceptor's bare AP-REP, and the initiator's bare AP-REP.
func TestAPExchangeDCE(t *testing.T) {
	f := dceFixture(t)
	ini, tok, err := NewInitiator(f.init)
	require.NoError(t, err)
	assert.Equal(t, byte(apReqTag), tok[0], "a bare AP-REQ, no RFC 2743 framing")
	assert.False(t, ini.Complete())

	acc, err := Accept(f.acc, tok)
	require.NoError(t, err)
	assert.True(t, acc.DCE)
	assert.NotZero(t, acc.Keys.Flags&GSSMutualFlag, "DCE style implies mutual authentication")
	assert.NotZero(t, acc.Keys.Flags&GSSDCEStyleFlag)
	require.NotNil(t, acc.Keys.AcceptorSubkey, "DCE style always has an acceptor subkey")
	require.NotEmpty(t, acc.Reply)
	assert.Equal(t, byte(0x6f), acc.Reply[0], "a bare AP-REP ([APPLICATION 15])")

	require.NoError(t, ini.Receive(acc.Reply))
	assert.True(t, ini.Complete())
	final := ini.FinalToken()
	require.NotEmpty(t, final)
	assert.Equal(t, byte(0x6f), final[0])
	require.NoError(t, VerifyDCEReply(acc.Keys, final))

	keys, ok := ini.Keys()
	require.True(t, ok)
	assert.Equal(t, acc.Keys.AcceptorSubkey, keys.AcceptorSubkey)
	assert.Equal(t, acc.Keys.InitiatorSeq, keys.InitiatorSeq)
	assert.Equal(t, acc.Keys.AcceptorSeq, keys.AcceptorSeq)
	assert.Equal(t, acc.Keys.Flags, keys.Flags)

	// The third leg is what krb5_mk_rep_dce makes: no subkey, the
	// acceptor's sequence number, under the session key.
	var rep wire.APRep
	require.NoError(t, rep.Unmarshal(final))
	e, _ := crypto.Lookup(f.init.SessionKey.KeyType)
	plain, err := e.Decrypt(f.init.SessionKey.KeyValue, crypto.UsageAPRepEncPart, rep.EncPart.Cipher)
	require.NoError(t, err)
	var part wire.EncAPRepPart
	require.NoError(t, part.Unmarshal(plain))
	assert.Nil(t, part.Subkey)
	require.NotNil(t, part.SeqNumber)
	assert.Equal(t, acc.Keys.AcceptorSeq, *part.SeqNumber)

	// Outside DCE style there is no third leg.
	plainIni, plainTok, err := NewInitiator(newAPFixture(t).init)
	require.NoError(t, err)
	plainAcc, err := Accept(f.acc, plainTok)
	require.NoError(t, err)
	assert.False(t, plainAcc.DCE)
	require.NoError(t, plainIni.Receive(plainAcc.Reply))
	assert.Nil(t, plainIni.FinalToken())
}

// TestDCEHostile: one thing changed in a valid DCE exchange, one status.
func TestDCEHostile(t *testing.T) {
	f := dceFixture(t)
	frame := func(id uint16, msg []byte) []byte {
		g := wire.GSSToken{TokID: id, Message: msg}
		b, err := g.Marshal()
		require.NoError(t, err)
		return b
	}
	// run establishes a DCE context: the acceptor's result and the
	// initiator's third leg.
	run := func() (*Accepted, []byte) {
		ini, tok, err := NewInitiator(f.init)
		require.NoError(t, err)
		acc, err := Accept(f.acc, tok)
		require.NoError(t, err)
		require.NoError(t, ini.Receive(acc.Reply))
		return acc, ini.FinalToken()
	}

	t.Run("framed AP-REQ claiming DCE style", func(t *testing.T) {
		_, tok, err := NewInitiator(f.init)
		require.NoError(t, err)
		_, err = Accept(f.acc, frame(wire.TokAPReq, tok))
		assert.True(t, errors.Is(err, sspi.SEC_E_INVALID_TOKEN), "%v", err)
	})
	t.Run("bare AP-REQ without the DCE flag", func(t *testing.T) {
		_, tok, err := NewInitiator(newAPFixture(t).init)
		require.NoError(t, err)
		var g wire.GSSToken
		require.NoError(t, g.Unmarshal(tok))
		_, err = Accept(f.acc, g.Message)
		assert.True(t, errors.Is(err, sspi.SEC_E_INVALID_TOKEN), "%v", err)
	})

	acc, final := run()
	other, otherFinal := run()
	flipped := append([]byte(nil), final...)
	flipped[len(flipped)-3] ^= 1
	for _, c := range []struct {
		name  string
		keys  ContextKeys
		tok   []byte
		want  sspi.Status
		valid bool
	}{
		{"the valid third leg", acc.Keys, final, sspi.SEC_E_OK, true},
		{"our own AP-REP reflected", acc.Keys, acc.Reply, sspi.SEC_E_MESSAGE_ALTERED, false},
		{"another context's third leg (same ticket)", acc.Keys, otherFinal, sspi.SEC_E_MESSAGE_ALTERED, false},
		{"the other context accepts its own", other.Keys, otherFinal, sspi.SEC_E_OK, true},
		{"a flipped ciphertext byte", acc.Keys, flipped, sspi.SEC_E_MESSAGE_ALTERED, false},
		{"truncated", acc.Keys, final[:len(final)/2], sspi.SEC_E_INVALID_TOKEN, false},
		{"GSS-framed", acc.Keys, frame(wire.TokAPRep, final), sspi.SEC_E_INVALID_TOKEN, false},
		{"empty", acc.Keys, nil, sspi.SEC_E_INVALID_TOKEN, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := VerifyDCEReply(c.keys, c.tok)
			if c.valid {
				require.NoError(t, err)
				return
			}
			requireStatus(t, err)
			assert.True(t, errors.Is(err, c.want), "%v", err)
		})
	}

	t.Run("initiator gets a framed AP-REP", func(t *testing.T) {
		ini, tok, err := NewInitiator(f.init)
		require.NoError(t, err)
		acc, err := Accept(f.acc, tok)
		require.NoError(t, err)
		err = ini.Receive(frame(wire.TokAPRep, acc.Reply))
		assert.True(t, errors.Is(err, sspi.SEC_E_INVALID_TOKEN), "%v", err)
		assert.Nil(t, ini.FinalToken())
	})
	t.Run("initiator gets a bare KRB-ERROR", func(t *testing.T) {
		ini, _, err := NewInitiator(f.init)
		require.NoError(t, err)
		kerr := wire.KRBError{STime: time.Now().Truncate(time.Second), ErrorCode: 37, Realm: "TEST.LOCAL",
			SName: wire.PrincipalName{NameType: wire.NTSrvHst, NameString: []string{"host", "localhost"}}}
		b, err := kerr.Marshal()
		require.NoError(t, err)
		err = ini.Receive(b)
		assert.True(t, errors.Is(err, SEC_E_TIME_SKEW), "KRB_AP_ERR_SKEW: %v", err)
		assert.Nil(t, ini.FinalToken())
	})
	t.Run("initiator gets an AP-REP for another authenticator", func(t *testing.T) {
		// The fixture's clock stands still: a second later, this
		// authenticator is not the one other.Reply answers.
		later := f.init
		later.Now = func() time.Time { return f.kdc.now.Add(time.Second) }
		ini, _, err := NewInitiator(later)
		require.NoError(t, err)
		err = ini.Receive(other.Reply)
		assert.True(t, errors.Is(err, sspi.SEC_E_MESSAGE_ALTERED), "%v", err)
		assert.Nil(t, ini.FinalToken(), "no third leg for a reply that does not check out")
	})
}

// ecLayers returns a sender and a receiver of a context with an acceptor
// subkey: the sender in DCE style (so its confidential tokens carry EC
// 16), the receiver in DCE style or not.
func ecLayers(t testing.TB, id int32, receiverDCE bool) (send, recv *MessageLayer) {
	e, _ := crypto.Lookup(id)
	k1, _ := e.RandomKey()
	k2, _ := e.RandomKey()
	keys := ContextKeys{
		SessionKey:      wire.EncryptionKey{KeyType: id, KeyValue: k1},
		InitiatorSubkey: wire.EncryptionKey{KeyType: id, KeyValue: k1},
		AcceptorSubkey:  &wire.EncryptionKey{KeyType: id, KeyValue: k2},
		InitiatorSeq:    7, AcceptorSeq: 9, Flags: GSSDCEStyleFlag,
	}
	var err error
	send, err = NewMessageLayer(keys, false)
	require.NoError(t, err)
	if !receiverDCE {
		keys.Flags = 0
	}
	recv, err = NewMessageLayer(keys, true)
	require.NoError(t, err)
	return send, recv
}

// rotated sets a Wrap token's RRC field to rrc and rotates the bytes
// after the header right by by (RFC 4121 section 4.2.5).
func rotated(tok []byte, rrc, by int) []byte {
	out := append([]byte(nil), tok[:wire.TokenHeaderSize]...)
	binary.BigEndian.PutUint16(out[6:], uint16(rrc))
	body := tok[wire.TokenHeaderSize:]
	by %= len(body)
	return append(append(out, body[len(body)-by:]...), body[:len(body)-by]...)
}

// TestUnwrapEC: a confidential token with EC 16 (its filler encrypted
// with the message, RFC 4121 section 4.2.4) unwraps however its sender
// placed the rotation: MIT's RRC alone (RRC = EC+16+12 when everything is
// in the header buffer, or 0), and MS-KILE section 3.4.5.4.1's RRC+EC
// (RRC 28, rotated by 44) that Windows and MIT's DCE-style wrap send, in
// a DCE-style context and in one that is not.
func TestUnwrapEC(t *testing.T) {
	for _, id := range []int32{crypto.AES128CTSHMACSHA196, crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA256128, crypto.AES256CTSHMACSHA384192} {
		e, _ := crypto.Lookup(id)
		for _, dce := range []bool{true, false} {
			send, recv := ecLayers(t, id, dce)
			tag := e.TrailerSize
			for _, c := range []struct {
				name    string
				rrc, by int
				ok      bool
			}{
				{"RRC 0", 0, 0, true},
				{"MIT: RRC = EC+16+tag", 16 + 16 + tag, 16 + 16 + tag, true},
				{"MS-KILE: RRC = 16+tag, rotated by RRC+EC", 16 + tag, 16 + 16 + tag, true},
				{"RRC equal to the length", 1 << 12, 1 << 12, true},
				{"rotated by RRC-EC", 16 + tag, tag, false},
				{"rotated by a block more than RRC+EC", 16 + tag, 16 + 16 + 16 + tag, false},
			} {
				t.Run(e.Name+"/"+c.name, func(t *testing.T) {
					msg := []byte("a message of some length, not a block multiple")
					tok, err := send.Wrap(msg, true)
					require.NoError(t, err)
					h, _, err := wire.SplitWrapToken(tok)
					require.NoError(t, err)
					require.Equal(t, uint16(16), h.EC, "DCE style sends EC = one block")
					require.Len(t, tok, len(msg)+send.Overhead(true))
					by := c.by
					if c.rrc == 1<<12 {
						by = len(tok) - wire.TokenHeaderSize
						c.rrc = by
					}
					got, conf, err := recv.Unwrap(rotated(tok, c.rrc, by))
					if !c.ok {
						assert.True(t, errors.Is(err, sspi.SEC_E_MESSAGE_ALTERED), "%v", err)
						return
					}
					require.NoError(t, err)
					assert.True(t, conf)
					assert.Equal(t, msg, got, "the filler is not part of the message")
				})
			}
		}
	}
}

// TestUnwrapECHostile: EC is outside the encryption's integrity check
// except through the encrypted header copy, so every other EC is refused,
// and a huge one cannot index past the plaintext.
func TestUnwrapECHostile(t *testing.T) {
	send, recv := ecLayers(t, crypto.AES256CTSHMACSHA196, true)
	for _, ec := range []uint16{0, 1, 15, 17, 32, 0xffff} {
		tok, err := send.Wrap([]byte("x"), true)
		require.NoError(t, err)
		binary.BigEndian.PutUint16(tok[4:], ec)
		_, _, err = recv.Unwrap(tok)
		requireStatus(t, err)
		assert.Error(t, err, "EC %d", ec)
	}
	// The inner copy's RRC is not compared (a sender sets RRC after
	// encrypting), but every other field is.
	tok, err := send.Wrap([]byte("x"), true)
	require.NoError(t, err)
	got, _, err := recv.Unwrap(rotated(tok, 5, 5))
	require.NoError(t, err)
	assert.Equal(t, []byte("x"), got)
	tok, err = send.Wrap([]byte("x"), true)
	require.NoError(t, err)
	tok[2] ^= wire.FlagSealed // now integrity-only: EC is not the checksum size
	_, _, err = recv.Unwrap(tok)
	assert.True(t, errors.Is(err, sspi.SEC_E_INVALID_TOKEN), "%v", err)
}

// TestDCEOverhead: DCE style adds the EC filler to a confidential token,
// 76 bytes for aes-sha1 (the cbSecurityTrailer Wine reports in DCE style)
// and 88 for aes-sha384; integrity-only tokens and MICs do not change.
func TestDCEOverhead(t *testing.T) {
	for _, c := range []struct {
		id             int32
		conf, integ, m int
	}{
		{crypto.AES256CTSHMACSHA196, 76, 28, 28},
		{crypto.AES256CTSHMACSHA384192, 88, 40, 40},
	} {
		send, _ := ecLayers(t, c.id, true)
		assert.Equal(t, c.conf, send.Overhead(true))
		assert.Equal(t, c.integ, send.Overhead(false))
		assert.Equal(t, c.m, send.MICSize())
		tok, err := send.Wrap(bytes.Repeat([]byte{1}, 100), true)
		require.NoError(t, err)
		assert.Len(t, tok, 100+c.conf)
	}
}
