package kerberos

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/engine"
	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// offlineRealm plays the KDC's part without one: a service key in an
// in-memory keytab and a service ticket already in the client's
// credentials, as after a TGS exchange. The benchmarks and the fuzz
// target use it, so they need no MIT installation and measure only the
// context and its tokens ("a cached service ticket").
type offlineRealm struct {
	client, server *sspi.Credentials
	serverState    *credState
	noReplay       *sspi.Credentials
}

func newOfflineRealm(tb testing.TB, enctype int32) *offlineRealm {
	tb.Helper()
	return newOfflineRealmTicket(tb, enctype, nil)
}

// newOfflineRealmTicket is newOfflineRealm with a hook that may change the
// ticket (add authorization data) before it is sealed with the service key.
func newOfflineRealmTicket(tb testing.TB, enctype int32, hook func(etp *wire.EncTicketPart, svcKey []byte)) *offlineRealm {
	tb.Helper()
	e, ok := crypto.Lookup(enctype)
	require.True(tb, ok)
	svcKey, err := e.RandomKey()
	require.NoError(tb, err)
	session, err := e.RandomKey()
	require.NoError(tb, err)
	now := time.Now()
	svc := wire.PrincipalName{NameType: wire.NTSrvHst, NameString: []string{"host", "localhost"}}
	user := wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"user"}}
	etp := wire.EncTicketPart{
		Flags: wire.TktFlagForwardable, Key: wire.EncryptionKey{KeyType: enctype, KeyValue: session},
		CRealm: "TEST.LOCAL", CName: user, Transited: wire.TransitedEncoding{TRType: 1, Contents: []byte{}},
		AuthTime: now.Truncate(time.Second), EndTime: now.Add(10 * time.Hour).Truncate(time.Second),
	}
	if hook != nil {
		hook(&etp, svcKey)
	}
	plain, err := etp.Marshal()
	require.NoError(tb, err)
	cipher, err := e.Encrypt(svcKey, crypto.UsageKDCRepTicket, plain)
	require.NoError(tb, err)
	kvno := uint32(1)
	tkt := wire.Ticket{Realm: "TEST.LOCAL", SName: svc, EncPart: wire.EncryptedData{EType: enctype, KVNO: &kvno, Cipher: cipher}}

	kc := &files.Config{DefaultRealm: "TEST.LOCAL"}
	cs := &credState{krb5: kc, now: time.Now, outbound: true, client: user, crealm: "TEST.LOCAL",
		transport: &transport{krb5: kc}, services: map[string]*ticket{
			serviceKey(svc, "TEST.LOCAL"): {ticket: tkt, key: etp.Key, flags: etp.Flags, authTime: etp.AuthTime,
				endTime: etp.EndTime, server: svc, serverRlm: "TEST.LOCAL", clientName: user},
		}}
	ss := &credState{krb5: kc, now: time.Now, inbound: true, skew: 5 * time.Minute,
		keytab: &files.Keytab{Entries: []files.KeytabEntry{{
			Principal: files.Principal{NameType: wire.NTSrvHst, Realm: "TEST.LOCAL", Components: []string{"host", "localhost"}},
			KVNO:      1, EncType: enctype, Key: svcKey,
		}}},
		replay: engine.NewReplayCache(replayCacheSize, 10*time.Minute),
	}
	client, err := sspi.NewCredentials(kerberosPackage{}, packageInfo, "", sspi.SECPKG_CRED_OUTBOUND, cs)
	require.NoError(tb, err)
	server, err := sspi.NewCredentials(kerberosPackage{}, packageInfo, "", sspi.SECPKG_CRED_INBOUND, ss)
	require.NoError(tb, err)
	r := &offlineRealm{client: client, server: server, serverState: ss}
	r.noReplay = newOfflineRealmServer(r)
	return r
}

// pair establishes a mutually authenticated context pair without
// testify, for benchmarks and fuzzing. The acceptor has no replay cache
// (newOfflineRealmServer): a bounded cache refuses new authenticators once
// full, which a long fuzz run or benchmark would reach.
func (r *offlineRealm) pair() (*sspi.Context, *sspi.Context, []byte, error) {
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	cctx, _, err := sspi.InitializeSecurityContext(r.client, nil, "host/localhost", fullReq|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
	if err != nil {
		return nil, nil, nil, err
	}
	apReq := out[0].Buffer
	sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	sctx, _, err := sspi.AcceptSecurityContext(r.noReplay, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, apReq)}, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
	if err != nil {
		return nil, nil, nil, err
	}
	_, _, err = sspi.InitializeSecurityContext(r.client, cctx, "host/localhost", fullReq|sspi.ISC_REQ_ALLOCATE_MEMORY,
		[]sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, sout[0].Buffer)}, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
	return cctx, sctx, apReq, err
}

func TestOfflineRealm(t *testing.T) {
	for _, id := range []int32{crypto.AES128CTSHMACSHA196, crypto.AES256CTSHMACSHA196, crypto.AES128CTSHMACSHA256128, crypto.AES256CTSHMACSHA384192} {
		r := newOfflineRealm(t, id)
		cctx, sctx, _, err := r.pair()
		require.NoError(t, err)
		tok, data := wrap(t, cctx, 0, []byte("offline"), 72)
		got, _ := unwrap(t, sctx, tok, data)
		require.Equal(t, "offline", string(got))
	}
}
