package engine

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// apFixture is a service ticket from the fake KDC and configurations for
// both sides of an AP exchange at the KDC's time.
type apFixture struct {
	kdc  *fakeKDC
	tgs  *TGSResult
	init InitiatorConfig
	acc  AcceptorConfig
}

func newAPFixture(t testing.TB) *apFixture {
	kdc := newFakeKDC(t)
	tgs, err := kdc.runTGS([]string{"host", "localhost"}, nil)
	require.NoError(t, err)
	now := func() time.Time { return kdc.now }
	return &apFixture{
		kdc: kdc, tgs: tgs,
		init: InitiatorConfig{
			Client: wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"user"}}, CRealm: kdc.realm,
			Ticket: tgs.Ticket, SessionKey: tgs.Part.Key,
			Flags: GSSMutualFlag | GSSReplayFlag | GSSSequenceFlag | GSSConfFlag | GSSIntegFlag,
			Now:   now,
		},
		acc: AcceptorConfig{
			Keys: func(svc wire.PrincipalName, realm string, etype int32, kvno uint32) ([]byte, bool) {
				if realm != kdc.realm || etype != crypto.AES256CTSHMACSHA196 || len(svc.NameString) != 2 {
					return nil, false
				}
				k, ok := kdc.services[svc.NameString[0]+"/"+svc.NameString[1]]
				return k, ok
			},
			Replay: NewReplayCache(100, 10*time.Minute),
			Now:    now,
		},
	}
}

func TestAPExchangeMutual(t *testing.T) {
	f := newAPFixture(t)
	ini, tok, err := NewInitiator(f.init)
	require.NoError(t, err)
	assert.False(t, ini.Complete())
	_, ok := ini.Keys()
	assert.False(t, ok)

	acc, err := Accept(f.acc, tok)
	require.NoError(t, err)
	assert.Equal(t, []string{"user"}, acc.Client.NameString)
	assert.Equal(t, f.init.Flags, acc.Keys.Flags)
	require.NotNil(t, acc.Reply)

	require.NoError(t, ini.Receive(acc.Reply))
	assert.True(t, ini.Complete())
	keys, ok := ini.Keys()
	require.True(t, ok)
	assert.Equal(t, acc.Keys.SessionKey, keys.SessionKey)
	assert.Equal(t, acc.Keys.InitiatorSubkey, keys.InitiatorSubkey)
	assert.Equal(t, acc.Keys.AcceptorSubkey, keys.AcceptorSubkey)
	assert.Equal(t, acc.Keys.InitiatorSeq, keys.InitiatorSeq)
	assert.Equal(t, acc.Keys.AcceptorSeq, keys.AcceptorSeq)
	assert.Error(t, ini.Receive(acc.Reply), "a second reply")
}

func TestAPExchangeOneLeg(t *testing.T) {
	f := newAPFixture(t)
	f.init.Flags = GSSIntegFlag
	ini, tok, err := NewInitiator(f.init)
	require.NoError(t, err)
	assert.True(t, ini.Complete(), "without mutual authentication the initiator is done")
	acc, err := Accept(f.acc, tok)
	require.NoError(t, err)
	assert.Nil(t, acc.Reply)
	assert.Nil(t, acc.Keys.AcceptorSubkey)
	// Without an AP-REP both sides start the acceptor's sequence numbers
	// at the initiator's, as MIT does (found by the Wine differential test).
	keys, ok := ini.Keys()
	require.True(t, ok)
	assert.Equal(t, keys.InitiatorSeq, keys.AcceptorSeq)
	assert.Equal(t, keys.InitiatorSeq, acc.Keys.InitiatorSeq)
	assert.Equal(t, acc.Keys.InitiatorSeq, acc.Keys.AcceptorSeq)
}

// TestAcceptTransitedChecked: a ticket that crossed a realm on the way
// is accepted when its KDC checked the path (TRANSITED-POLICY-CHECKED);
// TestAcceptHostile has the same ticket without the flag.
func TestAcceptTransitedChecked(t *testing.T) {
	f := newAPFixture(t)
	f.kdc.mutateTicket = func(etp *wire.EncTicketPart) {
		etp.Transited.Contents = []byte("B.TEST")
		etp.Flags |= wire.TktFlagTransitedChecked
	}
	tgs, err := f.kdc.runTGS([]string{"host", "localhost"}, nil)
	require.NoError(t, err)
	f.init.Ticket, f.init.SessionKey = tgs.Ticket, tgs.Part.Key
	_, tok, err := NewInitiator(f.init)
	require.NoError(t, err)
	acc, err := Accept(f.acc, tok)
	require.NoError(t, err)
	assert.Equal(t, []byte("B.TEST"), acc.Ticket.Transited.Contents)
}

func TestAPExchangeBindings(t *testing.T) {
	hash := bytes.Repeat([]byte{0xcb}, 16)
	tests := []struct {
		name      string
		initiator []byte
		acceptor  []byte
		want      error
	}{
		{"both", hash, hash, nil},
		{"initiator none", nil, hash, nil},
		{"acceptor none", hash, nil, nil},
		{"mismatch", bytes.Repeat([]byte{1}, 16), hash, SEC_E_BAD_BINDINGS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAPFixture(t)
			f.init.BindingsHash, f.acc.BindingsHash = tt.initiator, tt.acceptor
			_, tok, err := NewInitiator(f.init)
			require.NoError(t, err)
			_, err = Accept(f.acc, tok)
			if tt.want == nil {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, tt.want)
			}
		})
	}
}

// retoken decodes an AP-REQ token, lets edit change it, and re-frames it.
func retoken(t *testing.T, tok []byte, edit func(*wire.APReq)) []byte {
	var g wire.GSSToken
	require.NoError(t, g.Unmarshal(tok))
	var req wire.APReq
	require.NoError(t, req.Unmarshal(g.Message))
	edit(&req)
	var err error
	g.Message, err = req.Marshal()
	require.NoError(t, err)
	out, err := g.Marshal()
	require.NoError(t, err)
	return out
}

func TestAcceptHostile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, f *apFixture, tok []byte) []byte
		want  sspi.Status
	}{
		{"replay", func(t *testing.T, f *apFixture, tok []byte) []byte {
			_, err := Accept(f.acc, tok)
			require.NoError(t, err)
			return tok
		}, sspi.SEC_E_INVALID_TOKEN},
		{"clock skew", func(t *testing.T, f *apFixture, tok []byte) []byte {
			f.acc.Now = func() time.Time { return f.kdc.now.Add(6 * time.Minute) }
			return tok
		}, SEC_E_TIME_SKEW},
		{"expired ticket", func(t *testing.T, f *apFixture, _ []byte) []byte {
			later := func() time.Time { return f.kdc.now.Add(11 * time.Hour) }
			f.init.Now, f.acc.Now = later, later
			_, tok, err := NewInitiator(f.init)
			require.NoError(t, err)
			return tok
		}, sspi.SEC_E_CONTEXT_EXPIRED},
		{"ticket for another service", func(t *testing.T, f *apFixture, tok []byte) []byte {
			return retoken(t, tok, func(r *wire.APReq) { r.Ticket.SName.NameString = []string{"HTTP", "other"} })
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"ticket under another key", func(t *testing.T, f *apFixture, tok []byte) []byte {
			f.kdc.services["host/localhost"] = bytes.Repeat([]byte{9}, 32)
			return tok
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"authenticator flipped", func(t *testing.T, f *apFixture, tok []byte) []byte {
			return retoken(t, tok, func(r *wire.APReq) { r.Authenticator.Cipher[20] ^= 1 })
		}, sspi.SEC_E_MESSAGE_ALTERED},
		{"RC4 ticket, weak crypto off", func(t *testing.T, f *apFixture, tok []byte) []byte {
			return retoken(t, tok, func(r *wire.APReq) { r.Ticket.EncPart.EType = crypto.RC4HMAC })
		}, SEC_E_KDC_UNKNOWN_ETYPE},
		{"user-to-user", func(t *testing.T, f *apFixture, tok []byte) []byte {
			return retoken(t, tok, func(r *wire.APReq) { r.APOptions |= wire.APOptUseSessionKey })
		}, sspi.SEC_E_UNSUPPORTED_FUNCTION},
		{"an AP-REP token", func(t *testing.T, f *apFixture, tok []byte) []byte {
			var g wire.GSSToken
			require.NoError(t, g.Unmarshal(tok))
			g.TokID = wire.TokAPRep
			out, err := g.Marshal()
			require.NoError(t, err)
			return out
		}, sspi.SEC_E_INVALID_TOKEN},
		{"realms crossed, unchecked by the KDC", func(t *testing.T, f *apFixture, _ []byte) []byte {
			f.kdc.mutateTicket = func(etp *wire.EncTicketPart) { etp.Transited.Contents = []byte("B.TEST") }
			tgs, err := f.kdc.runTGS([]string{"host", "localhost"}, nil)
			require.NoError(t, err)
			f.init.Ticket, f.init.SessionKey = tgs.Ticket, tgs.Part.Key
			_, tok, err := NewInitiator(f.init)
			require.NoError(t, err)
			return tok
		}, sspi.SEC_E_INVALID_TOKEN},
		{"truncated", func(t *testing.T, f *apFixture, tok []byte) []byte { return tok[:len(tok)-1] }, sspi.SEC_E_INVALID_TOKEN},
		{"garbage", func(t *testing.T, f *apFixture, tok []byte) []byte { return []byte("NTLMSSP\x00") }, sspi.SEC_E_INVALID_TOKEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAPFixture(t)
			_, tok, err := NewInitiator(f.init)
			require.NoError(t, err)
			tok = tt.setup(t, f, tok)
			_, err = Accept(f.acc, tok)
			require.Error(t, err)
			var se *sspi.Error
			require.True(t, errors.As(err, &se), "%T: %v", err, err)
			assert.Equal(t, tt.want, se.Status, "%v", err)
		})
	}
}

func TestInitiatorHostileReply(t *testing.T) {
	other := func(t *testing.T, f *apFixture) []byte {
		// A valid AP-REP, but for another authenticator of the same ticket.
		_, tok, err := NewInitiator(f.init)
		require.NoError(t, err)
		f.acc.Now = func() time.Time { return f.kdc.now }
		acc, err := Accept(f.acc, tok)
		require.NoError(t, err)
		return acc.Reply
	}
	errTok := func(code int32) func(*testing.T, *apFixture) []byte {
		return func(t *testing.T, f *apFixture) []byte {
			e := wire.KRBError{STime: f.kdc.now, ErrorCode: code, Realm: f.kdc.realm, SName: f.tgs.Ticket.SName}
			b, err := e.Marshal()
			require.NoError(t, err)
			g := wire.GSSToken{TokID: wire.TokKRBError, Message: b}
			out, err := g.Marshal()
			require.NoError(t, err)
			return out
		}
	}
	tests := []struct {
		name  string
		reply func(*testing.T, *apFixture) []byte
		want  sspi.Status
	}{
		{"reply to another authenticator", func(t *testing.T, f *apFixture) []byte {
			f.init.Now = func() time.Time { return f.kdc.now.Add(time.Second) }
			return other(t, f)
		}, sspi.SEC_E_MESSAGE_ALTERED},
		{"reply under another key", func(t *testing.T, f *apFixture) []byte {
			rep := wire.APRep{EncPart: wire.EncryptedData{EType: crypto.AES256CTSHMACSHA196, Cipher: make([]byte, 80)}}
			b, _ := rep.Marshal()
			out, _ := (&wire.GSSToken{TokID: wire.TokAPRep, Message: b}).Marshal()
			return out
		}, sspi.SEC_E_MESSAGE_ALTERED},
		{"KRB_AP_ERR_SKEW", errTok(wire.KRBAPErrSkew), SEC_E_TIME_SKEW},
		{"KRB_AP_ERR_MODIFIED", errTok(wire.KRBAPErrModified), sspi.SEC_E_WRONG_PRINCIPAL},
		{"KRB_AP_ERR_REPEAT", errTok(wire.KRBAPErrRepeat), sspi.SEC_E_INVALID_TOKEN},
		{"an AP-REQ token", func(t *testing.T, f *apFixture) []byte {
			_, tok, err := NewInitiator(f.init)
			require.NoError(t, err)
			return tok
		}, sspi.SEC_E_INVALID_TOKEN},
		{"garbage", func(*testing.T, *apFixture) []byte { return []byte{0x60, 0x01, 0x00} }, sspi.SEC_E_INVALID_TOKEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newAPFixture(t)
			reply := tt.reply(t, f)
			f.init.Now = func() time.Time { return f.kdc.now }
			ini, _, err := NewInitiator(f.init)
			require.NoError(t, err)
			err = ini.Receive(reply)
			require.Error(t, err)
			var se *sspi.Error
			require.True(t, errors.As(err, &se), "%T: %v", err, err)
			assert.Equal(t, tt.want, se.Status, "%v", err)
			assert.False(t, ini.Complete())
		})
	}
}

func TestReplayCacheBound(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := NewReplayCache(2, time.Minute)
	assert.True(t, r.Check([]byte("a"), now, now))
	assert.False(t, r.Check([]byte("a"), now, now))
	assert.True(t, r.Check([]byte("b"), now, now))
	assert.False(t, r.Check([]byte("c"), now, now), "full of live entries: refuse, do not forget")
	later := now.Add(2 * time.Minute)
	assert.True(t, r.Check([]byte("c"), later, later), "expired entries make room")
}

// A busy acceptor keeps accepting: entries expire oldest first, so the
// cache holds one window of logins, not every login since it started.
func TestReplayCacheBusyAcceptor(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	r := NewReplayCache(100, time.Minute)
	for i := range 10000 {
		now := start.Add(time.Duration(i) * time.Second) // 60 logins per window
		require.True(t, r.Check([]byte(fmt.Sprint(i)), now, now), "login %d", i)
		if i > 0 && i%997 == 0 {
			prev := []byte(fmt.Sprint(i - 1))
			assert.False(t, r.Check(prev, now, now), "a replay within the window is refused")
		}
	}
	assert.LessOrEqual(t, len(r.entries), 100)
	assert.LessOrEqual(t, len(r.order)-r.head, 100)
	assert.Less(t, cap(r.order), 4096, "the queue is compacted")
}

// TestAPExchangeDelegation forwards the fake KDC's TGT in the checksum and
// finds it, key and all, on the acceptor.
func TestAPExchangeDelegation(t *testing.T) {
	f := newAPFixture(t)
	as, err := f.kdc.run(f.kdc.config())
	require.NoError(t, err)
	realm := as.CRealm
	f.init.Delegate = &DelegatedCredential{
		Ticket: as.Ticket,
		Info: wire.KrbCredInfo{
			Key: as.Part.Key, PRealm: &realm, PName: &as.CName, Flags: &as.Part.Flags,
			AuthTime: as.Part.AuthTime, EndTime: as.Part.EndTime, SRealm: &realm, SName: &as.Part.SName,
		},
	}
	ini, tok, err := NewInitiator(f.init)
	require.NoError(t, err)
	acc, err := Accept(f.acc, tok)
	require.NoError(t, err)
	assert.NotZero(t, acc.Keys.Flags&GSSDelegFlag)
	require.Len(t, acc.Delegated, 1)
	assert.Equal(t, as.Ticket, acc.Delegated[0].Ticket)
	assert.Equal(t, as.TicketBytes, acc.Delegated[0].TicketBytes)
	assert.Equal(t, as.Part.Key, acc.Delegated[0].Info.Key)
	require.NoError(t, ini.Receive(acc.Reply))
	keys, _ := ini.Keys()
	assert.NotZero(t, keys.Flags&GSSDelegFlag)
}

func TestGSSChecksumDelegationBounds(t *testing.T) {
	base := make([]byte, gssChecksumLen)
	base[0] = 16
	base[20] = byte(GSSDelegFlag)
	for name, tail := range map[string][]byte{
		"no DlgOpt":        nil,
		"DlgOpt 2":         {2, 0, 0, 0},
		"Dlgth past end":   {1, 0, 10, 0, 1, 2},
		"garbage KRB-CRED": {1, 0, 2, 0, 0x30, 0x00},
	} {
		t.Run(name, func(t *testing.T) {
			_, deleg, err := checkGSSChecksum(append(append([]byte{}, base...), tail...), nil)
			if err == nil {
				e, _ := crypto.Lookup(crypto.AES256CTSHMACSHA196)
				_, err = openKRBCred(deleg, wire.EncryptionKey{KeyType: e.ID, KeyValue: make([]byte, 32)}, e)
			}
			assert.ErrorIs(t, err, sspi.SEC_E_INVALID_TOKEN)
		})
	}
}
