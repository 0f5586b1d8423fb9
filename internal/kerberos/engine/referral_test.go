package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// realms is a set of fake KDCs that trust each other as the tests set
// up: A.TEST holds the user, and each trust is a shared krbtgt/Y@X key.
type realms map[string]*fakeKDC

func newRealms(t testing.TB, names ...string) realms {
	rs := realms{}
	for i, n := range names {
		k := newFakeKDC(t)
		k.realm, k.salt = n, n+"user"
		k.tgsKey = bytes.Repeat([]byte{byte(0x10 + i)}, 32)
		k.services = map[string][]byte{}
		k.inbound = map[string][]byte{}
		k.refer = map[string]string{}
		rs[n] = k
	}
	return rs
}

// trust creates krbtgt/to@from in both databases with the same key.
func (rs realms) trust(from, to string) {
	key := bytes.Repeat([]byte{byte(len(from)*7 + len(to) + int(from[0]) + 3*int(to[0]))}, 32)
	rs[from].services["krbtgt/"+to] = key
	rs[to].inbound[from] = key
}

// service adds name to realm with a key the test can check against.
func (rs realms) service(realm, name string) []byte {
	key := bytes.Repeat([]byte{byte(len(name) + int(realm[0]))}, 32)
	rs[realm].services[name] = key
	return key
}

// chase gets the user's TGT from A.TEST, then runs a ServiceExchange
// against the realms, each request going to the KDC it names.
func (rs realms) chase(t *testing.T, service []string, edit func(*ServiceConfig)) (*ServiceResult, error) {
	t.Helper()
	a := rs["A.TEST"]
	as, err := a.run(a.config())
	require.NoError(t, err)
	cfg := ServiceConfig{TGSConfig: TGSConfig{
		Client: as.CName, CRealm: as.CRealm, TGT: as.Ticket, TGTKey: as.Part.Key,
		Service: wire.PrincipalName{NameType: wire.NTSrvHst, NameString: service},
		Now:     func() time.Time { return a.now },
	}}
	if edit != nil {
		edit(&cfg)
	}
	x, err := NewServiceExchange(cfg)
	require.NoError(t, err)
	step, err := x.Start()
	for i := 0; err == nil && step.Send != nil; i++ {
		require.Less(t, i, 40, "the exchange does not end")
		k := rs[step.Send.Realm]
		require.NotNil(t, k, "request for unknown realm %q", step.Send.Realm)
		step, err = x.Receive(k.handle(bytes.Clone(step.Send.Message)))
	}
	if err != nil {
		return nil, err
	}
	return step.Result, nil
}

// ticketFor decrypts a service ticket with the service's key.
func ticketFor(t *testing.T, res *ServiceResult, key []byte) wire.EncTicketPart {
	t.Helper()
	aes256, _ := crypto.Lookup(crypto.AES256CTSHMACSHA196)
	plain, err := aes256.Decrypt(key, crypto.UsageKDCRepTicket, res.Ticket.EncPart.Cipher)
	require.NoError(t, err, "the ticket is the service's")
	var etp wire.EncTicketPart
	require.NoError(t, etp.Unmarshal(plain))
	assert.Equal(t, res.Part.Key, etp.Key)
	return etp
}

func TestServiceExchangeCrossRealm(t *testing.T) {
	svc := []string{"host", "svc.b.test"}
	tests := []struct {
		name  string
		setup func(rs realms)
		edit  func(*ServiceConfig)
		// want are the requests each KDC saw, "+c" for canonicalize.
		wantA, wantB []string
		referrals    int
	}{
		{"known realm: krbtgt/B@A, then the service at B", nil, func(c *ServiceConfig) { c.Realm = "B.TEST" },
			[]string{"krbtgt/B.TEST@A.TEST"}, []string{"host/svc.b.test@B.TEST+c"}, 1},
		{"unknown realm: A refers us to B", func(rs realms) { rs["A.TEST"].refer["host/svc.b.test"] = "B.TEST" }, nil,
			[]string{"host/svc.b.test@A.TEST+c"}, []string{"host/svc.b.test@B.TEST+c"}, 1},
		{"no referral: the fallback realm", nil, func(c *ServiceConfig) { c.FallbackRealm = "B.TEST" },
			[]string{"host/svc.b.test@A.TEST+c", "krbtgt/B.TEST@A.TEST"}, []string{"host/svc.b.test@B.TEST"}, 1},
		{"known realm whose KDC refuses canonicalize", func(rs realms) { rs["B.TEST"].refuseCanonicalize = true },
			func(c *ServiceConfig) { c.Realm = "B.TEST" },
			[]string{"krbtgt/B.TEST@A.TEST"}, []string{"refused", "host/svc.b.test@B.TEST"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := newRealms(t, "A.TEST", "B.TEST")
			rs.trust("A.TEST", "B.TEST")
			key := rs.service("B.TEST", "host/svc.b.test")
			if tc.setup != nil {
				tc.setup(rs)
			}
			res, err := rs.chase(t, svc, tc.edit)
			require.NoError(t, err)
			assert.Equal(t, "B.TEST", res.Realm)
			assert.Equal(t, tc.referrals, res.Referrals)
			require.Len(t, res.TGTs, 1)
			assert.Equal(t, []string{"krbtgt", "B.TEST"}, res.TGTs[0].Part.SName.NameString)
			assert.Equal(t, "A.TEST", res.TGTs[0].Ticket.Realm)
			etp := ticketFor(t, res, key)
			assert.Equal(t, "A.TEST", etp.CRealm, "the client stays in its realm")
			assert.Equal(t, []string{"user"}, etp.CName.NameString)
			assert.Equal(t, tc.wantA, rs["A.TEST"].requests)
			assert.Equal(t, tc.wantB, rs["B.TEST"].requests)
		})
	}
}

// TestServiceExchangeChain: A refers to B, B to C; and a TGT for C asked
// of A comes back as one for B, the realm on the way (RFC 4120 section
// 3.3.1), which is then asked for C's.
func TestServiceExchangeChain(t *testing.T) {
	setup := func(t *testing.T) (realms, []byte) {
		rs := newRealms(t, "A.TEST", "B.TEST", "C.TEST")
		rs.trust("A.TEST", "B.TEST")
		rs.trust("B.TEST", "C.TEST")
		rs["A.TEST"].refer["host/svc.c.test"] = "B.TEST"
		rs["B.TEST"].refer["host/svc.c.test"] = "C.TEST"
		rs["A.TEST"].refer["krbtgt/C.TEST"] = "B.TEST"
		return rs, rs.service("C.TEST", "host/svc.c.test")
	}
	t.Run("referrals", func(t *testing.T) {
		rs, key := setup(t)
		res, err := rs.chase(t, []string{"host", "svc.c.test"}, nil)
		require.NoError(t, err)
		assert.Equal(t, 2, res.Referrals)
		assert.Equal(t, "C.TEST", res.Realm)
		ticketFor(t, res, key)
	})
	t.Run("TGT path", func(t *testing.T) {
		rs, key := setup(t)
		res, err := rs.chase(t, []string{"host", "svc.c.test"}, func(c *ServiceConfig) { c.Realm = "C.TEST" })
		require.NoError(t, err)
		ticketFor(t, res, key)
		assert.Equal(t, []string{"krbtgt/C.TEST@A.TEST"}, rs["A.TEST"].requests)
		assert.Equal(t, []string{"krbtgt/C.TEST@B.TEST"}, rs["B.TEST"].requests)
		assert.Equal(t, []string{"host/svc.c.test@C.TEST+c"}, rs["C.TEST"].requests)
	})
	t.Run("cached TGT", func(t *testing.T) {
		rs, key := setup(t)
		first, err := rs.chase(t, []string{"host", "svc.c.test"}, func(c *ServiceConfig) { c.Realm = "C.TEST" })
		require.NoError(t, err)
		last := first.TGTs[len(first.TGTs)-1]
		rs["A.TEST"].requests, rs["B.TEST"].requests = nil, nil
		res, err := rs.chase(t, []string{"host", "svc.c.test"}, func(c *ServiceConfig) {
			c.Realm = "C.TEST"
			c.TGTFor = func(realm string) (wire.Ticket, wire.EncryptionKey, bool) {
				return last.Ticket, last.Part.Key, realm == "C.TEST"
			}
		})
		require.NoError(t, err)
		ticketFor(t, res, key)
		assert.Empty(t, rs["A.TEST"].requests, "the cached krbtgt/C.TEST@B.TEST goes straight to C")
		assert.Empty(t, rs["B.TEST"].requests)
	})
}

// TestServiceExchangeHostile: KDCs that lead in circles, too far, or
// answer for another realm or service each get one status.
func TestServiceExchangeHostile(t *testing.T) {
	svc := []string{"host", "svc.b.test"}
	tests := []struct {
		name  string
		setup func(rs realms)
		edit  func(*ServiceConfig)
		want  sspi.Status
	}{
		{"referral loop A -> B -> A", func(rs realms) {
			rs.trust("B.TEST", "A.TEST")
			rs["A.TEST"].refer["host/svc.b.test"] = "B.TEST"
			rs["B.TEST"].refer["host/svc.b.test"] = "A.TEST"
		}, nil, SEC_E_KDC_UNABLE_TO_REFER},
		{"referral to the realm itself, then unknown", func(rs realms) {
			rs["A.TEST"].services["krbtgt/A.TEST"] = rs["A.TEST"].tgsKey
			rs["A.TEST"].refer["host/svc.b.test"] = "A.TEST"
		}, nil, sspi.SEC_E_TARGET_UNKNOWN},
		{"a referral, then the KDC's own realm, then unknown", func(rs realms) {
			rs.trust("B.TEST", "A.TEST")
			rs["A.TEST"].services["krbtgt/A.TEST"] = rs["A.TEST"].tgsKey
			rs["A.TEST"].refer["host/svc.b.test"] = "B.TEST"
			rs["B.TEST"].services["krbtgt/B.TEST"] = rs["B.TEST"].tgsKey
			rs["B.TEST"].refer["host/svc.b.test"] = "B.TEST"
			delete(rs["B.TEST"].services, "host/svc.b.test")
		}, nil, sspi.SEC_E_TARGET_UNKNOWN},
		{"a referral TGT of another realm than its KDC's", func(rs realms) {
			rs["A.TEST"].refer["host/svc.b.test"] = "B.TEST"
			rs["A.TEST"].mutateTGS = func(r *wire.KDCRep, _ *wire.EncKDCRepPart) { r.Ticket.Realm = "B.TEST" }
		}, nil, sspi.SEC_E_WRONG_PRINCIPAL},
		{"enc-part and ticket name different realms", func(rs realms) {
			rs["A.TEST"].refer["host/svc.b.test"] = "B.TEST"
			rs["A.TEST"].mutateTGS = func(_ *wire.KDCRep, p *wire.EncKDCRepPart) { p.SRealm = "B.TEST" }
		}, nil, sspi.SEC_E_WRONG_PRINCIPAL},
		{"a referral to an empty realm", func(rs realms) {
			rs["A.TEST"].refer["host/svc.b.test"] = "B.TEST"
			rs["A.TEST"].mutateTGS = func(r *wire.KDCRep, p *wire.EncKDCRepPart) {
				p.SName.NameString[1], r.Ticket.SName.NameString[1] = "", ""
			}
		}, nil, sspi.SEC_E_WRONG_PRINCIPAL},
		{"another service without canonicalize", func(rs realms) {
			rs["B.TEST"].mutateTGS = func(r *wire.KDCRep, p *wire.EncKDCRepPart) {
				p.SName.NameString = []string{"host", "evil.b.test"}
				r.Ticket.SName.NameString = []string{"host", "evil.b.test"}
			}
		}, func(c *ServiceConfig) { c.FallbackRealm = "B.TEST" }, sspi.SEC_E_WRONG_PRINCIPAL},
		{"a service ticket when a TGT was asked for", func(rs realms) {
			rs["A.TEST"].mutateTGS = func(r *wire.KDCRep, p *wire.EncKDCRepPart) {
				p.SName.NameString = []string{"host", "svc.b.test"}
				r.Ticket.SName.NameString = []string{"host", "svc.b.test"}
			}
		}, func(c *ServiceConfig) { c.Realm = "B.TEST" }, sspi.SEC_E_WRONG_PRINCIPAL},
		{"no trust to the service's realm", func(rs realms) {
			delete(rs["A.TEST"].services, "krbtgt/B.TEST")
		}, func(c *ServiceConfig) { c.Realm = "B.TEST" }, SEC_E_KDC_UNABLE_TO_REFER},
		{"unknown everywhere", nil, nil, sspi.SEC_E_TARGET_UNKNOWN},
		{"unknown, and no way to the fallback realm", func(rs realms) {
			delete(rs["A.TEST"].services, "krbtgt/B.TEST")
		}, func(c *ServiceConfig) { c.FallbackRealm = "B.TEST" }, sspi.SEC_E_TARGET_UNKNOWN},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rs := newRealms(t, "A.TEST", "B.TEST")
			rs.trust("A.TEST", "B.TEST")
			rs.service("B.TEST", "host/svc.b.test")
			if tc.setup != nil {
				tc.setup(rs)
			}
			_, err := rs.chase(t, svc, tc.edit)
			require.Error(t, err)
			assert.Equal(t, tc.want, sspi.StatusOf(err), "%v", err)
		})
	}
}

// TestServiceExchangeSameRealmTGT: a KDC that answers a canonicalize
// request with a TGT for its own realm is asked again without the option,
// as MIT's client does for Active Directory.
func TestServiceExchangeSameRealmTGT(t *testing.T) {
	rs := newRealms(t, "A.TEST")
	a := rs["A.TEST"]
	a.services["krbtgt/A.TEST"] = a.tgsKey
	a.refer["host/svc.a.test"] = "A.TEST"
	key := rs.service("A.TEST", "host/svc.a.test")
	res, err := rs.chase(t, []string{"host", "svc.a.test"}, nil)
	require.NoError(t, err)
	ticketFor(t, res, key)
	assert.Equal(t, []string{"host/svc.a.test@A.TEST+c", "host/svc.a.test@A.TEST"}, a.requests)
}

// TestServiceExchangeMaxReferrals: a chain longer than the limit stops
// at the limit with SEC_E_MAX_REFERRALS_EXCEEDED.
func TestServiceExchangeMaxReferrals(t *testing.T) {
	rs := newRealms(t, "A.TEST", "B.TEST", "C.TEST")
	rs.trust("A.TEST", "B.TEST")
	rs.trust("B.TEST", "C.TEST")
	rs["A.TEST"].refer["host/svc.c.test"] = "B.TEST"
	rs["B.TEST"].refer["host/svc.c.test"] = "C.TEST"
	rs.service("C.TEST", "host/svc.c.test")
	_, err := rs.chase(t, []string{"host", "svc.c.test"}, func(c *ServiceConfig) { c.MaxReferrals = 1 })
	assert.Equal(t, SEC_E_MAX_REFERRALS_EXCEEDED, sspi.StatusOf(err), "%v", err)
	res, err := rs.chase(t, []string{"host", "svc.c.test"}, func(c *ServiceConfig) { c.MaxReferrals = 2 })
	require.NoError(t, err)
	assert.Equal(t, 2, res.Referrals)
}

// TestServiceExchangeCanonicalName: with canonicalize the KDC may name
// the service differently (RFC 6806 section 3); the result says which.
func TestServiceExchangeCanonicalName(t *testing.T) {
	rs := newRealms(t, "A.TEST")
	rs.service("A.TEST", "host/short")
	rs["A.TEST"].mutateTGS = func(r *wire.KDCRep, p *wire.EncKDCRepPart) {
		p.SName.NameString = []string{"host", "long.a.test"}
		r.Ticket.SName.NameString = []string{"host", "long.a.test"}
	}
	res, err := rs.chase(t, []string{"host", "short"}, nil)
	require.NoError(t, err)
	assert.Equal(t, []string{"host", "long.a.test"}, res.Part.SName.NameString)
	assert.Equal(t, 0, res.Referrals)
}
