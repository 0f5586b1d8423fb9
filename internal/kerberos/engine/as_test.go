package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

func TestASExchangePreauth(t *testing.T) {
	for _, id := range crypto.All() {
		e, _ := crypto.Lookup(id)
		t.Run(e.Name, func(t *testing.T) {
			kdc := newFakeKDC(t)
			kdc.keys = []int32{id}
			cfg := kdc.config()
			cfg.AllowWeak = e.Weak
			res, err := kdc.run(cfg)
			require.NoError(t, err)
			assert.Equal(t, 2, kdc.seen, "AS-REQ, PREAUTH_REQUIRED, AS-REQ with PA-ENC-TIMESTAMP, AS-REP")
			assert.True(t, kdc.preauthOK)
			assert.Equal(t, id, res.ClientEnctype)
			assert.Equal(t, kdc.userKey(id), res.ClientKey)
			assert.Equal(t, "TEST.LOCAL", res.CRealm)
			assert.Equal(t, []string{"krbtgt", "TEST.LOCAL"}, res.Ticket.SName.NameString)
			assert.Equal(t, crypto.AES256CTSHMACSHA196, res.Part.Key.KeyType)
			assert.Zero(t, res.KDCOffset)
			var tkt wire.Ticket
			require.NoError(t, tkt.Unmarshal(res.TicketBytes))
			assert.Equal(t, res.Ticket, tkt)
		})
	}
}

func TestASExchangeWithoutPreauth(t *testing.T) {
	kdc := newFakeKDC(t)
	kdc.requirePreauth = false
	kdc.salt = "custom-salt" // only the AS-REP's PA-ETYPE-INFO2 tells it
	res, err := kdc.run(kdc.config())
	require.NoError(t, err)
	assert.Equal(t, 1, kdc.seen)
	assert.False(t, kdc.preauthOK)
	assert.Equal(t, kdc.userKey(crypto.AES256CTSHMACSHA196), res.ClientKey)
}

// TestASExchangeSkewRetry: our clock is an hour slow; the KDC's
// KRB_AP_ERR_SKEW carries its time, and one retry with that offset works.
func TestASExchangeSkewRetry(t *testing.T) {
	kdc := newFakeKDC(t)
	cfg := kdc.config()
	cfg.Now = func() time.Time { return kdc.now.Add(-time.Hour) }
	res, err := kdc.run(cfg)
	require.NoError(t, err)
	assert.Equal(t, 3, kdc.seen)
	assert.Equal(t, time.Hour, res.KDCOffset)
}

func TestASExchangeResponseTooBig(t *testing.T) {
	kdc := newFakeKDC(t)
	x, err := NewAS(kdc.config())
	require.NoError(t, err)
	first, err := x.Start()
	require.NoError(t, err)
	step, err := x.Receive(kdc.error(wire.KRBErrResponseTooBig, nil))
	require.NoError(t, err)
	require.NotNil(t, step.Send)
	assert.True(t, step.Send.TCPOnly)
	assert.Equal(t, first.Send.Message, step.Send.Message, "the same request, over TCP")
}

// TestASExchangeHostile changes one thing of a working exchange and
// expects one status.
func TestASExchangeHostile(t *testing.T) {
	tests := []struct {
		name  string
		setup func(k *fakeKDC, cfg *ASConfig)
		want  sspi.Status
	}{
		{"wrong password", func(k *fakeKDC, cfg *ASConfig) { cfg.Password = "wrong" }, SEC_E_LOGON_DENIED},
		{"wrong password, no preauth", func(k *fakeKDC, cfg *ASConfig) {
			k.requirePreauth = false
			cfg.Password = "wrong"
		}, SEC_E_LOGON_DENIED},
		{"unknown client", func(k *fakeKDC, cfg *ASConfig) {
			cfg.Client.NameString = []string{"nobody"}
		}, SEC_E_LOGON_DENIED},
		{"clock skew twice", func(k *fakeKDC, cfg *ASConfig) {
			cfg.Now = func() time.Time { return k.now.Add(-time.Hour) }
			k.skew = -1 // nothing is close enough
		}, SEC_E_TIME_SKEW},
		{"nonce not ours", func(k *fakeKDC, cfg *ASConfig) {
			k.mutate = func(_ *wire.KDCRep, p *wire.EncKDCRepPart) { p.Nonce++ }
		}, sspi.SEC_E_INVALID_TOKEN},
		{"ticket for another service", func(k *fakeKDC, cfg *ASConfig) {
			k.mutate = func(_ *wire.KDCRep, p *wire.EncKDCRepPart) { p.SName.NameString = []string{"krbtgt", "EVIL"} }
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"ticket for another realm", func(k *fakeKDC, cfg *ASConfig) {
			k.mutate = func(r *wire.KDCRep, p *wire.EncKDCRepPart) { r.Ticket.Realm = "EVIL" }
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"reply for another client", func(k *fakeKDC, cfg *ASConfig) {
			k.mutate = func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.CName.NameString = []string{"admin"} }
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"enc-part tampered", func(k *fakeKDC, cfg *ASConfig) {
			k.mutate = func(r *wire.KDCRep, _ *wire.EncKDCRepPart) {
				r.EncPart = wire.EncryptedData{EType: crypto.AES256CTSHMACSHA196, Cipher: make([]byte, 64)}
			}
		}, SEC_E_LOGON_DENIED},
		{"enc-part too short", func(k *fakeKDC, cfg *ASConfig) {
			k.mutate = func(r *wire.KDCRep, _ *wire.EncKDCRepPart) {
				r.EncPart = wire.EncryptedData{EType: crypto.AES256CTSHMACSHA196, Cipher: []byte{1}}
			}
		}, sspi.SEC_E_INVALID_TOKEN},
		{"enc-part in an enctype not offered", func(k *fakeKDC, cfg *ASConfig) {
			cfg.Enctypes = []int32{crypto.AES128CTSHMACSHA196}
			k.keys = []int32{crypto.AES128CTSHMACSHA196}
			k.mutate = func(r *wire.KDCRep, _ *wire.EncKDCRepPart) {
				r.EncPart = wire.EncryptedData{EType: crypto.AES256CTSHMACSHA196, Cipher: make([]byte, 64)}
			}
		}, SEC_E_KDC_UNKNOWN_ETYPE},
		{"session key of an unknown enctype", func(k *fakeKDC, cfg *ASConfig) {
			k.mutate = func(_ *wire.KDCRep, p *wire.EncKDCRepPart) { p.Key.KeyType = 99 }
		}, SEC_E_KDC_UNKNOWN_ETYPE},
		{"ticket ends before it starts", func(k *fakeKDC, cfg *ASConfig) {
			k.mutate = func(_ *wire.KDCRep, p *wire.EncKDCRepPart) { p.EndTime = p.AuthTime }
		}, sspi.SEC_E_INVALID_TOKEN},
		{"only RC4, weak crypto off", func(k *fakeKDC, cfg *ASConfig) {
			k.keys = []int32{crypto.RC4HMAC}
			cfg.Enctypes = []int32{crypto.AES256CTSHMACSHA196, crypto.RC4HMAC}
		}, SEC_E_KDC_UNKNOWN_ETYPE},
		{"ETYPE-INFO2 offers nothing we allow", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(req *wire.KDCReq) []byte {
				var info wire.ETypeInfo2 = wire.ETypeInfo2{{EType: crypto.RC4HMAC}}
				md := wire.MethodData{{Type: wire.PAEncTimestamp, Value: []byte{}}, {Type: wire.PAETypeInfo2, Value: k.marshal(&info)}}
				return k.error(wire.KDCErrPreauthRequired, k.marshal(&md))
			}
		}, SEC_E_KDC_UNKNOWN_ETYPE},
		{"PREAUTH_REQUIRED without PA-ENC-TIMESTAMP", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(req *wire.KDCReq) []byte {
				md := wire.MethodData{{Type: wire.PAFXFast, Value: []byte{}}, {Type: wire.PAETypeInfo2, Value: k.etypeInfo2()}}
				return k.error(wire.KDCErrPreauthRequired, k.marshal(&md))
			}
		}, SEC_E_UNSUPPORTED_PREAUTH},
		{"PREAUTH_REQUIRED with neither timestamp nor ETYPE-INFO2", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(req *wire.KDCReq) []byte {
				md := wire.MethodData{{Type: wire.PAFXFast, Value: []byte{}}}
				return k.error(wire.KDCErrPreauthRequired, k.marshal(&md))
			}
		}, SEC_E_KDC_UNKNOWN_ETYPE},
		{"PREAUTH_REQUIRED without e-data", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(req *wire.KDCReq) []byte { return k.error(wire.KDCErrPreauthRequired, nil) }
		}, SEC_E_UNSUPPORTED_PREAUTH},
		{"PREAUTH_REQUIRED again after preauth", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(req *wire.KDCReq) []byte {
				md := wire.MethodData{{Type: wire.PAEncTimestamp, Value: []byte{}}, {Type: wire.PAETypeInfo2, Value: k.etypeInfo2()}}
				return k.error(wire.KDCErrPreauthRequired, k.marshal(&md))
			}
		}, SEC_E_LOGON_DENIED},
		{"service unknown", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(*wire.KDCReq) []byte { return k.error(wire.KDCErrSPrincipalUnknown, nil) }
		}, sspi.SEC_E_TARGET_UNKNOWN},
		{"KDC answers garbage", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(*wire.KDCReq) []byte { return []byte("HTTP/1.1 400 Bad Request\r\n\r\n") }
		}, sspi.SEC_E_INVALID_TOKEN},
		{"KDC answers a truncated KRB-ERROR", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(*wire.KDCReq) []byte { b := k.error(wire.KDCErrPreauthRequired, nil); return b[:len(b)-2] }
		}, sspi.SEC_E_INVALID_TOKEN},
		{"KDC answers a TGS-REP", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(req *wire.KDCReq) []byte {
				rep := wire.KDCRep{MsgType: wire.TagTGSRep, CRealm: k.realm, CName: *req.ReqBody.CName,
					Ticket:  wire.Ticket{Realm: k.realm, SName: *req.ReqBody.SName, EncPart: wire.EncryptedData{EType: 18, Cipher: []byte{}}},
					EncPart: wire.EncryptedData{EType: 18, Cipher: make([]byte, 64)}}
				return k.marshal(&rep)
			}
		}, sspi.SEC_E_INVALID_TOKEN},
		{"KDC answers an empty datagram", func(k *fakeKDC, cfg *ASConfig) {
			k.answer = func(*wire.KDCReq) []byte { return nil }
		}, sspi.SEC_E_INVALID_TOKEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kdc := newFakeKDC(t)
			cfg := kdc.config()
			tt.setup(kdc, &cfg)
			_, err := kdc.run(cfg)
			require.Error(t, err)
			var se *sspi.Error
			require.True(t, errors.As(err, &se), "%T: %v", err, err)
			assert.Equal(t, tt.want, se.Status, "%v", err)
			assert.ErrorIs(t, err, tt.want)
		})
	}
}

func TestNewASChecks(t *testing.T) {
	_, err := NewAS(ASConfig{Realm: "R"})
	assert.ErrorIs(t, err, sspi.SEC_E_NO_CREDENTIALS)
	_, err = NewAS(ASConfig{Realm: "R", Client: wire.PrincipalName{NameString: []string{"u"}}, Enctypes: []int32{crypto.RC4HMAC}})
	assert.ErrorIs(t, err, SEC_E_KDC_UNKNOWN_ETYPE, "RC4 alone without AllowWeak")
	x, err := NewAS(ASConfig{Realm: "R", Client: wire.PrincipalName{NameString: []string{"u"}}})
	require.NoError(t, err)
	_, err = x.Receive([]byte{0x30, 0})
	assert.ErrorIs(t, err, sspi.SEC_E_INTERNAL_ERROR, "Receive before Start")
	_, err = x.Start()
	require.NoError(t, err)
	_, err = x.Start()
	assert.ErrorIs(t, err, sspi.SEC_E_INTERNAL_ERROR, "Start twice")
}

func TestStatusForKRBError(t *testing.T) {
	tests := []struct {
		code int32
		want sspi.Status
	}{
		{wire.KDCErrCPrincipalUnknown, SEC_E_LOGON_DENIED},
		{wire.KDCErrPreauthFailed, SEC_E_LOGON_DENIED},
		{wire.KDCErrClientRevoked, SEC_E_LOGON_DENIED},
		{wire.KDCErrKeyExpired, SEC_E_LOGON_DENIED},
		{wire.KRBAPErrSkew, SEC_E_TIME_SKEW},
		{wire.KDCErrSPrincipalUnknown, sspi.SEC_E_TARGET_UNKNOWN},
		{wire.KDCErrSvcUnavailable, SEC_E_NO_AUTHENTICATING_AUTHORITY},
		{wire.KDCErrETypeNoSupp, SEC_E_KDC_UNKNOWN_ETYPE},
		{wire.KDCErrPADataTypeNoSupp, SEC_E_UNSUPPORTED_PREAUTH},
		{wire.KRBAPErrModified, sspi.SEC_E_WRONG_PRINCIPAL},
		{wire.KRBAPErrRepeat, sspi.SEC_E_INVALID_TOKEN},
		{wire.KRBAPErrTktExpired, sspi.SEC_E_CONTEXT_EXPIRED},
		{wire.KRBAPErrBadSeq, sspi.SEC_E_OUT_OF_SEQUENCE},
		{wire.KDCErrWrongRealm, SEC_E_KDC_UNABLE_TO_REFER},
		{12345, sspi.SEC_E_INTERNAL_ERROR},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, StatusForKRBError(tt.code), "code %d", tt.code)
	}
	e := krbError(&wire.KRBError{ErrorCode: wire.KDCErrPreauthFailed, Realm: "R", EText: strPtr("bad")})
	assert.Equal(t, SEC_E_LOGON_DENIED, e.Status)
	assert.Equal(t, "kerberos: KDC_ERR_PREAUTH_FAILED (24) from realm R: bad", e.Err.Error())
}

func strPtr(s string) *string { return &s }
