package engine

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/gsssample"
	"github.com/gosspi/schannel/internal/kerberos/crypto"
	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/kerberos/wire"
)

func sendFrame(t *testing.T, c net.Conn, flags byte, tok []byte) {
	t.Helper()
	require.NoError(t, gsssample.WriteToken(c, flags, tok))
}

func recvFrame(t *testing.T, c net.Conn) (byte, []byte) {
	t.Helper()
	flags, tok, err := gsssample.ReadToken(c)
	require.NoError(t, err)
	return flags, tok
}

// gssRealm is a realm with a user, host/localhost in the default keytab
// and a running KDC.
func gssRealm(t *testing.T, rc4 bool) (*mitrealm.Realm, string) {
	realm := mitrealm.New(t)
	realm.Admin(t, "addprinc +requires_preauth -pw secret user")
	if rc4 {
		// A service with only an RC4 key; the test mints its ticket.
		realm.Admin(t, "addprinc -randkey -e arcfour-hmac:normal host/localhost")
	} else {
		realm.Admin(t, "addprinc -randkey host/localhost")
	}
	kt := filepath.Join(realm.Dir, "keytab")
	if rc4 {
		realm.Admin(t, "ktadd -k "+kt+" -e arcfour-hmac:normal host/localhost")
	} else {
		realm.Admin(t, "ktadd -k "+kt+" host/localhost")
	}
	realm.Start(t)
	return realm, kt
}

// TestMITGSSServer: our AS, TGS and AP-REQ against MIT's gss-server, which
// answers with an AP-REP we verify, unwraps our Wrap token and signs the
// message back with a MIC our message layer verifies. With delegation the
// AP-REQ also forwards a TGT (KDCOptForwarded from our TGS exchange), and
// gss-server must decode our KRB-CRED to answer at all.
func TestMITGSSServer(t *testing.T) {
	mitrealm.Require(t, "gss-server")
	for _, tc := range []struct{ delegate, rc4 bool }{{false, false}, {true, false}, {false, true}} {
		t.Run(fmt.Sprintf("delegate=%v,rc4=%v", tc.delegate, tc.rc4), func(t *testing.T) {
			testMITGSSServer(t, tc.delegate, tc.rc4)
		})
	}
}

func testMITGSSServer(t *testing.T, delegate, rc4 bool) {
	realm, ktPath := gssRealm(t, rc4)
	as, _, err := runAgainst(t, realm.Port, ASConfig{
		Client: wire.PrincipalName{NameType: wire.NTPrincipal, NameString: []string{"user"}}, Realm: mitrealm.Name, Password: "secret",
		KDCOptions: wire.KDCOptForwardable,
	})
	require.NoError(t, err)
	ticket := func(opts uint32, service ...string) *TGSResult {
		x, err := NewTGS(TGSConfig{Client: as.CName, CRealm: as.CRealm, TGT: as.Ticket, TGTKey: as.Part.Key,
			Service: wire.PrincipalName{NameType: wire.NTSrvHst, NameString: service}, KDCOptions: opts, AllowWeak: rc4})
		require.NoError(t, err)
		step, err := x.Start()
		require.NoError(t, err)
		tstep, err := x.Receive(sendTCP(t, realm.Port, step.Send.Message))
		require.NoError(t, err)
		return tstep.Result
	}
	svc := ticket(0, "host", "localhost")
	if rc4 {
		// MIT 1.20's KDC answers KDC_ERR_ETYPE_NOSUPP to every request
		// for an RC4 session key in this realm (session_enctypes and
		// allow_rc4 tried), so the test mints the service ticket itself
		// with the service's RC4 key from the keytab: gss-server checks
		// tickets with its keytab only, and the context is then RC4.
		svc = mintRC4Ticket(t, ktPath, as.CName, as.CRealm)
	}
	var deleg *DelegatedCredential
	if delegate {
		fwd := ticket(wire.KDCOptForwarded|wire.KDCOptForwardable, "krbtgt", mitrealm.Name)
		require.NotZero(t, fwd.Part.Flags&wire.TktFlagForwarded)
		r := mitrealm.Name
		deleg = &DelegatedCredential{Ticket: fwd.Ticket, Info: wire.KrbCredInfo{
			Key: fwd.Part.Key, PRealm: &r, PName: &as.CName, Flags: &fwd.Part.Flags,
			AuthTime: fwd.Part.AuthTime, StartTime: fwd.Part.StartTime, EndTime: fwd.Part.EndTime,
			SRealm: &r, SName: &fwd.Part.SName,
		}}
	}

	srv := mitrealm.StartGSSServer(t, realm.Dir, time.Minute, "host@localhost")
	c := srv.Dial(t)

	ini, tok, err := NewInitiator(InitiatorConfig{
		Client: as.CName, CRealm: as.CRealm, Ticket: svc.Ticket, SessionKey: svc.Part.Key,
		Flags:    GSSMutualFlag | GSSReplayFlag | GSSSequenceFlag | GSSConfFlag | GSSIntegFlag,
		Delegate: deleg, AllowWeak: rc4,
	})
	require.NoError(t, err)
	sendFrame(t, c, gsssample.Noop|gsssample.ContextNext, nil)
	sendFrame(t, c, gsssample.Context, tok)
	flags, reply := recvFrame(t, c)
	require.Equal(t, byte(gsssample.Context), flags)
	require.NoError(t, ini.Receive(reply), "MIT's AP-REP verifies")
	keys, ok := ini.Keys()
	require.True(t, ok)
	if !rc4 {
		require.NotNil(t, keys.AcceptorSubkey, "MIT's acceptor sends a subkey")
	}

	ml, err := NewMessageLayer(keys, false)
	require.NoError(t, err)
	msg := []byte("hello from Go")
	wrapped, err := ml.Wrap(msg, true)
	require.NoError(t, err)
	sendFrame(t, c, gsssample.Data|gsssample.Wrapped|gsssample.Encrypted|gsssample.SendMIC, wrapped)
	flags, mic := recvFrame(t, c)
	require.Equal(t, byte(gsssample.MIC), flags, "gss-server: %s", srv.Output())
	require.NoError(t, ml.VerifyMIC(msg, mic), "gss-server's MIC over our message")
	sendFrame(t, c, gsssample.Noop, nil)
	require.NoError(t, srv.Wait())
	assert.Contains(t, srv.Log(), "hello from Go")
}

// TestMITGSSClient: MIT's gss-client (with a ticket from kinit) against
// our acceptor, which verifies its AP-REQ with the keytab read by the
// files package, answers with our AP-REP, unwraps its Wrap token with our
// message layer and sends a MIC that gss-client verifies.
func TestMITGSSClient(t *testing.T) {
	mitrealm.Require(t, "gss-client")
	testMITGSSClient(t, false)
}

func testMITGSSClient(t *testing.T, rc4 bool) {
	realm, ktPath := gssRealm(t, rc4)
	realm.Run(t, []byte("secret\n"), "kinit", "user")
	kt, err := files.ReadKeytab(ktPath)
	require.NoError(t, err)

	cli, c := mitrealm.StartGSSClient(t, time.Minute, "127.0.0.1", "host@localhost", "hello from MIT")
	flags, _ := recvFrame(t, c)
	require.Equal(t, byte(gsssample.Noop|gsssample.ContextNext), flags)
	flags, tok := recvFrame(t, c)
	require.Equal(t, byte(gsssample.Context), flags)
	acc, err := Accept(AcceptorConfig{
		Keys: func(svc wire.PrincipalName, realm string, etype int32, kvno uint32) ([]byte, bool) {
			e, ok := kt.Key(files.Principal{Realm: realm, Components: svc.NameString}, etype, kvno)
			return e.Key, ok
		},
		Replay:    NewReplayCache(16, 10*time.Minute),
		AllowWeak: rc4,
	}, tok)
	require.NoError(t, err)
	if rc4 {
		require.Equal(t, crypto.RC4HMAC, acc.Keys.SessionKey.KeyType, "an RC4 session key")
	}
	assert.Equal(t, []string{"user"}, acc.Client.NameString)
	assert.NotZero(t, acc.Keys.Flags&GSSMutualFlag)
	require.NotNil(t, acc.PAC, "MIT 1.20 tickets carry a PAC, verified with our key")
	require.NotNil(t, acc.PAC.ClientInfo)
	assert.Equal(t, "user", acc.PAC.ClientInfo.Name)
	require.NotNil(t, acc.Reply)
	sendFrame(t, c, gsssample.Context, acc.Reply)

	flags, wrapped := recvFrame(t, c)
	require.NotZero(t, flags&gsssample.Wrapped, "flags %#x, gss-client: %s", flags, cli.Output())
	ml, err := NewMessageLayer(acc.Keys, true)
	require.NoError(t, err)
	msg, conf, err := ml.Unwrap(wrapped)
	require.NoError(t, err, "gss-client's Wrap token")
	assert.True(t, conf)
	assert.Equal(t, "hello from MIT", strings.TrimRight(string(msg), "\x00"))
	mic, err := ml.MIC(msg)
	require.NoError(t, err)
	sendFrame(t, c, gsssample.MIC, mic)
	flags, _ = recvFrame(t, c)
	assert.Equal(t, byte(gsssample.Noop), flags)
	out, err := cli.Wait()
	require.NoError(t, err, "gss-client: %s", out)
	assert.Contains(t, out, "Signature verified")
}

// TestMITGSSClientDelegation: gss-client -d forwards its TGT to our
// acceptor; we store the delegated credential in a cache with the files
// package and MIT's kvno gets a service ticket with it, as a server
// acting for its client would.
func TestMITGSSClientDelegation(t *testing.T) {
	mitrealm.Require(t, "gss-client")
	mitrealm.Require(t, "kvno")
	realm, ktPath := gssRealm(t, false)
	realm.Admin(t, "addprinc -randkey HTTP/backend")
	realm.Run(t, []byte("secret\n"), "kinit", "-f", "user")
	kt, err := files.ReadKeytab(ktPath)
	require.NoError(t, err)

	_, c := mitrealm.StartGSSClient(t, time.Minute, "-d", "127.0.0.1", "host@localhost", "delegate")
	recvFrame(t, c)
	_, tok := recvFrame(t, c)
	acc, err := Accept(AcceptorConfig{
		Keys: func(svc wire.PrincipalName, realm string, etype int32, kvno uint32) ([]byte, bool) {
			e, ok := kt.Key(files.Principal{Realm: realm, Components: svc.NameString}, etype, kvno)
			return e.Key, ok
		},
	}, tok)
	require.NoError(t, err)
	assert.NotZero(t, acc.Keys.Flags&GSSDelegFlag)
	require.Len(t, acc.Delegated, 1, "gss-client -d forwarded one ticket")
	d := acc.Delegated[0]
	assert.Equal(t, []string{"krbtgt", mitrealm.Name}, d.Ticket.SName.NameString)
	require.NotNil(t, d.Info.Flags)
	assert.NotZero(t, *d.Info.Flags&wire.TktFlagForwarded, "a forwarded TGT")

	client := files.Principal{NameType: acc.Client.NameType, Realm: acc.CRealm, Components: acc.Client.NameString}
	server := files.Principal{NameType: wire.NTSrvInst, Realm: mitrealm.Name, Components: d.Ticket.SName.NameString}
	cc := &files.CCache{Version: 4, Principal: client, Credentials: []files.Credential{{
		Client: client, Server: server, KeyType: d.Info.Key.KeyType, Key: d.Info.Key.KeyValue,
		AuthTime: d.Info.AuthTime, StartTime: d.Info.StartTime, EndTime: d.Info.EndTime, RenewTill: d.Info.RenewTill,
		Flags: *d.Info.Flags, Ticket: d.TicketBytes, SecondTicket: []byte{},
	}}}
	path := filepath.Join(realm.Dir, "delegated.ccache")
	require.NoError(t, files.WriteCCache(path, cc))
	out := realm.Run(t, nil, "kvno", "-c", "FILE:"+path, "HTTP/backend")
	assert.Contains(t, out, "HTTP/backend@"+mitrealm.Name+": kvno = 1")
}

// mintRC4Ticket makes a host/localhost ticket with an RC4 session key,
// encrypted in the service's RC4 key from the keytab.
func mintRC4Ticket(t *testing.T, ktPath string, cname wire.PrincipalName, crealm string) *TGSResult {
	kt, err := files.ReadKeytab(ktPath)
	require.NoError(t, err)
	host := files.Principal{Realm: mitrealm.Name, Components: []string{"host", "localhost"}}
	entry, ok := kt.Key(host, crypto.RC4HMAC, 0)
	require.True(t, ok, "the keytab has host/localhost's RC4 key")
	rc4, _ := crypto.Lookup(crypto.RC4HMAC)
	session, err := rc4.RandomKey()
	require.NoError(t, err)
	now := time.Now().Truncate(time.Second)
	etp := wire.EncTicketPart{
		Key:    wire.EncryptionKey{KeyType: crypto.RC4HMAC, KeyValue: session},
		CRealm: crealm, CName: cname,
		Transited: wire.TransitedEncoding{TRType: 1, Contents: []byte{}},
		AuthTime:  now, EndTime: now.Add(time.Hour),
	}
	plain, err := etp.Marshal()
	require.NoError(t, err)
	c, err := rc4.Encrypt(entry.Key, crypto.UsageKDCRepTicket, plain)
	require.NoError(t, err)
	kvno := entry.KVNO
	tkt := wire.Ticket{Realm: mitrealm.Name,
		SName:   wire.PrincipalName{NameType: wire.NTSrvHst, NameString: []string{"host", "localhost"}},
		EncPart: wire.EncryptedData{EType: crypto.RC4HMAC, KVNO: &kvno, Cipher: c}}
	return &TGSResult{Ticket: tkt, Part: wire.EncKDCRepPart{Key: etp.Key, AuthTime: now, EndTime: etp.EndTime}}
}
