package engine

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

func TestTGSExchange(t *testing.T) {
	kdc := newFakeKDC(t)
	res, err := kdc.runTGS([]string{"host", "localhost"}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"host", "localhost"}, res.Ticket.SName.NameString)
	require.NotNil(t, kdc.lastTGS.Subkey, "the authenticator carries a subkey")
	require.NotNil(t, kdc.lastTGS.Cksum)

	// The ticket is the service's: it decrypts with the service key to
	// the session key the reply gave us.
	aes256, _ := crypto.Lookup(crypto.AES256CTSHMACSHA196)
	plain, err := aes256.Decrypt(kdc.services["host/localhost"], crypto.UsageKDCRepTicket, res.Ticket.EncPart.Cipher)
	require.NoError(t, err)
	var etp wire.EncTicketPart
	require.NoError(t, etp.Unmarshal(plain))
	assert.Equal(t, res.Part.Key, etp.Key)
	assert.Equal(t, []string{"user"}, etp.CName.NameString)
}

func TestTGSExchangeHostile(t *testing.T) {
	tests := []struct {
		name    string
		service []string
		setup   func(k *fakeKDC)
		want    sspi.Status
	}{
		{"unknown service", []string{"HTTP", "nowhere"}, nil, sspi.SEC_E_TARGET_UNKNOWN},
		{"reply in the session key, not the subkey", nil, func(k *fakeKDC) {
			k.replyKey = bytes.Repeat([]byte{1}, 32)
		}, sspi.SEC_E_MESSAGE_ALTERED},
		{"nonce not ours", nil, func(k *fakeKDC) {
			k.mutateTGS = func(_ *wire.KDCRep, p *wire.EncKDCRepPart) { p.Nonce ^= 1 }
		}, sspi.SEC_E_INVALID_TOKEN},
		{"ticket for another service", nil, func(k *fakeKDC) {
			k.mutateTGS = func(r *wire.KDCRep, p *wire.EncKDCRepPart) {
				p.SName.NameString = []string{"host", "evil"}
				r.Ticket.SName.NameString = []string{"host", "evil"}
			}
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"ticket for another realm", nil, func(k *fakeKDC) {
			k.mutateTGS = func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.Ticket.Realm = "EVIL" }
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"referral", nil, func(k *fakeKDC) {
			k.mutateTGS = func(r *wire.KDCRep, p *wire.EncKDCRepPart) {
				p.SName.NameString = []string{"krbtgt", "OTHER"}
				r.Ticket.SName = p.SName
			}
		}, SEC_E_KDC_UNABLE_TO_REFER},
		{"reply for another client", nil, func(k *fakeKDC) {
			k.mutateTGS = func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.CName.NameString = []string{"root"} }
		}, sspi.SEC_E_WRONG_PRINCIPAL},
		{"weak session key", nil, func(k *fakeKDC) {
			k.mutateTGS = func(_ *wire.KDCRep, p *wire.EncKDCRepPart) {
				p.Key = wire.EncryptionKey{KeyType: crypto.RC4HMAC, KeyValue: make([]byte, 16)}
			}
		}, SEC_E_KDC_UNKNOWN_ETYPE},
		{"an AS-REP instead", nil, func(k *fakeKDC) {
			k.mutateTGS = func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.MsgType = wire.TagASRep }
		}, sspi.SEC_E_INVALID_TOKEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kdc := newFakeKDC(t)
			if tt.setup != nil {
				tt.setup(kdc)
			}
			service := tt.service
			if service == nil {
				service = []string{"host", "localhost"}
			}
			_, err := kdc.runTGS(service, nil)
			require.Error(t, err)
			var se *sspi.Error
			require.True(t, errors.As(err, &se), "%T: %v", err, err)
			assert.Equal(t, tt.want, se.Status, "%v", err)
		})
	}
}

func TestNewTGSChecks(t *testing.T) {
	_, err := NewTGS(TGSConfig{})
	assert.ErrorIs(t, err, sspi.SEC_E_TARGET_UNKNOWN)
	base := TGSConfig{
		TGT:     wire.Ticket{Realm: "R"},
		Service: wire.PrincipalName{NameString: []string{"host", "h"}},
	}
	c := base
	c.TGTKey = wire.EncryptionKey{KeyType: crypto.AES256CTSHMACSHA196, KeyValue: make([]byte, 16)}
	_, err = NewTGS(c)
	assert.ErrorIs(t, err, sspi.SEC_E_NO_CREDENTIALS, "a key of the wrong length")
	c.TGTKey = wire.EncryptionKey{KeyType: crypto.RC4HMAC, KeyValue: make([]byte, 16)}
	_, err = NewTGS(c)
	assert.ErrorIs(t, err, sspi.SEC_E_NO_CREDENTIALS, "an RC4 session key without AllowWeak")
}
