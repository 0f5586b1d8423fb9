package engine

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// TestASCanonicalize: an enterprise name (RFC 6806 section 5) is resolved
// by the KDC, whose canonical name the result carries, and the KDC's
// checksum of our request (section 11) is verified.
func TestASCanonicalize(t *testing.T) {
	kdc := newFakeKDC(t)
	kdc.aliases = map[string]string{"user@example.com": "user"}
	cfg := kdc.config()
	cfg.Client = wire.PrincipalName{NameType: wire.NTEnterprise, NameString: []string{"user@example.com"}}
	res, err := kdc.run(cfg)
	require.NoError(t, err)
	assert.Equal(t, wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"user"}}, res.CName)
	assert.Equal(t, "TEST.LOCAL", res.CRealm)
	assert.True(t, res.RequestVerified)

	kdc = newFakeKDC(t)
	kdc.noEncPARep = true
	res, err = kdc.run(kdc.config())
	require.NoError(t, err)
	assert.False(t, res.RequestVerified, "a KDC without RFC 6806 section 11 is still usable")
}

// TestASCanonicalizeHostile: names changed without canonicalize, TGTs
// that are no TGT of their realm, and an enc-pa-rep that does not match
// the request each get one status.
func TestASCanonicalizeHostile(t *testing.T) {
	other := wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"admin"}}
	tests := []struct {
		name   string
		canon  bool
		mutate func(*wire.KDCRep, *wire.EncKDCRepPart)
		want   sspi.Status
	}{
		{"another client without canonicalize", false, func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.CName = other }, sspi.SEC_E_WRONG_PRINCIPAL},
		{"another realm without canonicalize", false, func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.CRealm = "OTHER" }, sspi.SEC_E_WRONG_PRINCIPAL},
		{"another client with canonicalize", true, func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.CName = other }, sspi.SEC_E_OK},
		{"no client name", true, func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.CName.NameString = nil }, sspi.SEC_E_WRONG_PRINCIPAL},
		{"a service ticket, not a TGT", true, func(r *wire.KDCRep, p *wire.EncKDCRepPart) {
			p.SName.NameString = []string{"host", "x"}
			r.Ticket.SName.NameString = []string{"host", "x"}
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"a TGT of another realm than its own", true, func(r *wire.KDCRep, p *wire.EncKDCRepPart) {
			p.SName.NameString = []string{"krbtgt", "EVIL"}
			r.Ticket.SName.NameString = []string{"krbtgt", "EVIL"}
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"enc-part and ticket disagree", true, func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.Ticket.Realm = "EVIL" }, sspi.SEC_E_WRONG_PRINCIPAL},
		{"enc-pa-rep flag without the checksum", true, func(_ *wire.KDCRep, p *wire.EncKDCRepPart) { p.EncPAData = nil }, sspi.SEC_E_INVALID_TOKEN},
		{"malformed checksum", true, func(_ *wire.KDCRep, p *wire.EncKDCRepPart) { p.EncPAData[0].Value = []byte{0x30, 0x01} }, sspi.SEC_E_INVALID_TOKEN},
		{"checksum of another request", true, func(_ *wire.KDCRep, p *wire.EncKDCRepPart) {
			var ck wire.Checksum
			require.NoError(t, ck.Unmarshal(p.EncPAData[0].Value))
			ck.Checksum[0] ^= 1
			b, err := ck.Marshal()
			require.NoError(t, err)
			p.EncPAData[0].Value = b
		}, sspi.SEC_E_MESSAGE_ALTERED},
		{"unkeyed checksum type", true, func(_ *wire.KDCRep, p *wire.EncKDCRepPart) {
			ck := wire.Checksum{CksumType: 7, Checksum: bytes.Repeat([]byte{1}, 16)} // rsa-md5
			b, err := ck.Marshal()
			require.NoError(t, err)
			p.EncPAData[0].Value = b
		}, sspi.SEC_E_MESSAGE_ALTERED},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			kdc := newFakeKDC(t)
			kdc.mutate = tc.mutate
			cfg := kdc.config()
			if tc.canon {
				cfg.KDCOptions = wire.KDCOptCanonicalize
			}
			_, err := kdc.run(cfg)
			if tc.want == sspi.SEC_E_OK {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tc.want, sspi.StatusOf(err), "%v", err)
		})
	}
}

// TestASClientReferral: KDC_ERR_WRONG_REALM with the client's realm sends
// a canonicalize request there (RFC 6806 section 7); a loop, or the same
// error without canonicalize, is refused.
func TestASClientReferral(t *testing.T) {
	drive := func(t *testing.T, kdcs map[string]*fakeKDC, cfg ASConfig) (*ASResult, []string, error) {
		x, err := NewAS(cfg)
		require.NoError(t, err)
		var asked []string
		step, err := x.Start()
		for i := 0; err == nil && step.Send != nil; i++ {
			require.Less(t, i, 20)
			asked = append(asked, step.Send.Realm)
			k := kdcs[step.Send.Realm]
			require.NotNil(t, k, step.Send.Realm)
			step, err = x.Receive(k.handle(step.Send.Message))
		}
		if err != nil {
			return nil, asked, err
		}
		return step.Result, asked, nil
	}
	setup := func() (map[string]*fakeKDC, ASConfig) {
		a, b := newFakeKDC(t), newFakeKDC(t)
		a.realm = "A.TEST"
		a.referClient = "B.TEST"
		b.realm, b.salt = "B.TEST", "B.TESTuser"
		cfg := b.config()
		cfg.Realm = "A.TEST"
		cfg.KDCOptions = wire.KDCOptCanonicalize
		return map[string]*fakeKDC{"A.TEST": a, "B.TEST": b}, cfg
	}
	t.Run("followed", func(t *testing.T) {
		kdcs, cfg := setup()
		res, asked, err := drive(t, kdcs, cfg)
		require.NoError(t, err)
		assert.Equal(t, []string{"A.TEST", "B.TEST", "B.TEST"}, asked)
		assert.Equal(t, "B.TEST", res.CRealm)
		assert.Equal(t, []string{"krbtgt", "B.TEST"}, res.Part.SName.NameString)
		assert.True(t, res.RequestVerified)
		e, _ := crypto.Lookup(res.ClientEnctype)
		want, err := e.StringToKey("p4ssw0rd", "B.TESTuser", nil)
		require.NoError(t, err)
		assert.Equal(t, want, res.ClientKey, "the key was derived anew for B's salt")
	})
	t.Run("loop", func(t *testing.T) {
		kdcs, cfg := setup()
		kdcs["B.TEST"].referClient = "A.TEST"
		_, _, err := drive(t, kdcs, cfg)
		assert.Equal(t, SEC_E_KDC_UNABLE_TO_REFER, sspi.StatusOf(err), "%v", err)
	})
	t.Run("without canonicalize", func(t *testing.T) {
		kdcs, cfg := setup()
		cfg.KDCOptions = 0
		kdcs["A.TEST"].referClient = ""
		kdcs["A.TEST"].answer = func(*wire.KDCReq) []byte {
			realm := "B.TEST"
			e := wire.KRBError{ErrorCode: wire.KDCErrWrongRealm, CRealm: &realm, Realm: "A.TEST",
				SName: wire.PrincipalName{NameType: wire.NTSrvInst, NameString: []string{"krbtgt", "A.TEST"}}}
			b, err := e.Marshal()
			require.NoError(t, err)
			return b
		}
		_, asked, err := drive(t, kdcs, cfg)
		assert.Equal(t, SEC_E_KDC_UNABLE_TO_REFER, sspi.StatusOf(err), "%v", err)
		assert.Equal(t, []string{"A.TEST"}, asked, "no referral followed without canonicalize")
	})
}
