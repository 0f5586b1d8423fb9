package kerberos

import (
	"os/exec"
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
	"github.com/gosspi/schannel/sspi"
)

// crossRealms is two MIT realms that trust each other: user@A.TEST with
// the password "secret", host/svc.b.test@B.TEST in keytab Keytab, and
// KDCs that refer host-based names in .b.test to B.TEST.
type crossRealms struct {
	*mitrealm.Cross
	Keytab string
}

func newCrossRealms(t *testing.T) *crossRealms {
	t.Helper()
	c := mitrealm.NewCross(t, "A.TEST", "B.TEST", map[string]string{".b.test": "B.TEST"})
	c.A.Admin(t, "addprinc -pw secret user")
	c.B.Admin(t, "addprinc -randkey host/svc.b.test")
	c.B.Admin(t, "addprinc -randkey HTTP/svc.b.test")
	kt := filepath.Join(c.B.Dir, "service.keytab")
	c.B.Admin(t, "ktadd -k "+kt+" host/svc.b.test HTTP/svc.b.test")
	return &crossRealms{Cross: c, Keytab: kt}
}

// TestCrossRealmAgainstMIT: our client, user@A.TEST, reaches
// host/svc.b.test@B.TEST through MIT's two KDCs, whichever way it learns
// the service's realm: named in the SPN, from the client's
// [domain_realm], or from A's KDC as a referral (RFC 6806). Our acceptor
// in B sees the client of realm A.
func TestCrossRealmAgainstMIT(t *testing.T) {
	c := newCrossRealms(t)
	noMap := c.WriteProfile(t, "A.TEST", nil)
	mapped := c.WriteProfile(t, "A.TEST", map[string]string{".b.test": "B.TEST"})
	cases := []struct {
		name, target, profile string
	}{
		{"realm in the SPN", "host/svc.b.test@B.TEST", noMap},
		{"realm from domain_realm", "host/svc.b.test", mapped},
		{"referral from A's KDC", "host/svc.b.test", noMap},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{
				Identity: &sspi.AuthIdentity{User: "user", Domain: "A.TEST", Password: "secret"}, ConfigFiles: []string{tc.profile},
			})
			require.NoError(t, err)
			server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, &Config{Keytab: c.Keytab, ConfigFiles: []string{tc.profile}})
			require.NoError(t, err)
			cctx, sctx, legs := establish(t, client, server, tc.target, fullReq, 0)
			assert.Equal(t, 2, legs)
			for _, ctx := range []*sspi.Context{cctx, sctx} {
				nn, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_NATIVE_NAMES)
				require.NoError(t, err)
				assert.Equal(t, sspi.NativeNames{ClientName: "user@A.TEST", ServerName: "host/svc.b.test@B.TEST"}, nn)
			}
			tok, data := wrap(t, cctx, 0, []byte("across the realms"), 60)
			got, _ := unwrap(t, sctx, tok, data)
			assert.Equal(t, "across the realms", string(got))
		})
	}
}

// TestCrossRealmTGTReused: a second service of realm B is reached with
// the krbtgt/B.TEST@A.TEST the first one brought: A's KDC logs one request
// for it, B's two service tickets.
func TestCrossRealmTGTReused(t *testing.T) {
	c := newCrossRealms(t)
	profile := c.WriteProfile(t, "A.TEST", map[string]string{".b.test": "B.TEST"})
	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{
		Identity: &sspi.AuthIdentity{User: "user", Domain: "A.TEST", Password: "secret"}, ConfigFiles: []string{profile},
	})
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, &Config{Keytab: c.Keytab, ConfigFiles: []string{profile}})
	require.NoError(t, err)
	establish(t, client, server, "host/svc.b.test", fullReq, 0)
	establish(t, client, server, "HTTP/svc.b.test", fullReq, 0)
	assert.Equal(t, 1, strings.Count(c.A.KDCLog(t), "for krbtgt/B.TEST@A.TEST"), "%s", c.A.KDCLog(t))
	logB := c.B.KDCLog(t)
	assert.Equal(t, 1, strings.Count(logB, "for host/svc.b.test@B.TEST"), "%s", logB)
	assert.Equal(t, 1, strings.Count(logB, "for HTTP/svc.b.test@B.TEST"), "%s", logB)
}

// TestCrossRealmCacheWithMIT: with MIT's kinit in the cache, our client
// follows the referral and stores what it got as MIT's library does: the
// ticket under the name asked for with an empty realm (klist shows its
// real server beside it) and the cross-realm TGT. MIT's kvno then finds
// the ticket in the cache, and MIT's gss-client, also user@A.TEST,
// reaches our acceptor in B.
func TestCrossRealmCacheWithMIT(t *testing.T) {
	mitrealm.Require(t, "gss-client")
	c := newCrossRealms(t)
	profile := c.WriteProfile(t, "A.TEST", nil)
	t.Setenv("KRB5_CONFIG", profile)
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(c.A.Dir, "ccache"))
	klist := func() string {
		out, err := exec.Command(mitrealm.Require(t, "klist")).CombinedOutput()
		require.NoError(t, err, "%s", out)
		return string(out)
	}
	kinit := exec.Command(mitrealm.Require(t, "kinit"), "user@A.TEST")
	kinit.Stdin = strings.NewReader("secret\n")
	out, err := kinit.CombinedOutput()
	require.NoError(t, err, "%s", out)

	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, &Config{Keytab: c.Keytab})
	require.NoError(t, err)
	establish(t, client, server, "host/svc.b.test", fullReq, 0)
	list := klist()
	assert.Contains(t, list, "krbtgt/B.TEST@A.TEST")
	assert.Contains(t, list, "host/svc.b.test@\n\tTicket server: host/svc.b.test@B.TEST")

	// kvno asks the cache first: finding our ticket it adds none.
	kvno, err := exec.Command(mitrealm.Require(t, "kvno"), "-S", "host", "svc.b.test").CombinedOutput()
	require.NoError(t, err, "%s", kvno)
	assert.Equal(t, list, klist(), "MIT used the ticket we stored")

	// MIT's client through the referral to our acceptor.
	cli, conn := mitrealm.StartGSSClient(t, time.Minute, "127.0.0.1", "host@svc.b.test", "from realm A")
	flags, _, err := gsssample.ReadToken(conn)
	require.NoError(t, err)
	require.Equal(t, byte(0x11), flags, "NOOP|CONTEXT_NEXT")
	_, tok, err := gsssample.ReadToken(conn)
	require.NoError(t, err)
	sout := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	sctx, st, err := sspi.AcceptSecurityContext(server, nil, []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, tok)}, sspi.ASC_REQ_ALLOCATE_MEMORY, sout)
	require.NoError(t, err)
	require.Equal(t, sspi.SEC_E_OK, st)
	names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Names{UserName: "user@A.TEST"}, names)
	require.NoError(t, gsssample.WriteToken(conn, 0x02, sout[0].Buffer))
	_, wrapped, err := gsssample.ReadToken(conn)
	require.NoError(t, err)
	bufs := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_STREAM, wrapped), {BufferType: sspi.SECBUFFER_DATA}}
	_, _, err = sctx.DecryptMessage(bufs)
	require.NoError(t, err)
	msg := append([]byte(nil), bufs[1].Buffer...)
	assert.Contains(t, string(msg), "from realm A")
	sig := []sspi.SecBuffer{sspi.NewSecBuffer(sspi.SECBUFFER_DATA, msg), sspi.NewSecBuffer(sspi.SECBUFFER_TOKEN, make([]byte, 28))}
	_, err = sctx.MakeSignature(0, sig)
	require.NoError(t, err)
	require.NoError(t, gsssample.WriteToken(conn, 0x08, sig[1].Buffer))
	_, _, err = gsssample.ReadToken(conn)
	require.NoError(t, err)
	cliOut, _ := cli.Wait()
	assert.Contains(t, cliOut, "Signature verified")
}

// TestCrossRealmNoTrust: a realm with no path to the service's gets
// SEC_E_KDC_UNABLE_TO_REFER from MIT's KDC's answer.
func TestCrossRealmNoTrust(t *testing.T) {
	c := newCrossRealms(t)
	c.A.Admin(t, "delprinc -force krbtgt/B.TEST@A.TEST")
	profile := c.WriteProfile(t, "A.TEST", map[string]string{".b.test": "B.TEST"})
	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{
		Identity: &sspi.AuthIdentity{User: "user", Domain: "A.TEST", Password: "secret"}, ConfigFiles: []string{profile},
	})
	require.NoError(t, err)
	_, _, err = sspi.InitializeSecurityContext(client, nil, "host/svc.b.test", fullReq, nil, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
	assert.Equal(t, sspi.SEC_E_KDC_UNABLE_TO_REFER, sspi.StatusOf(err), "%v", err)
}

// TestCrossRealmThroughMIT: A.TEST trusts only B.TEST and B.TEST only
// C.TEST ([capaths] in the KDCs' profiles say A reaches C through B). Our
// client in A reaches host/svc.c.test@C.TEST: A's KDC answers the request
// for krbtgt/C.TEST with krbtgt/B.TEST, the realm on the way, B's with
// krbtgt/C.TEST; C's KDC checks the transited path and our acceptor in C
// takes the ticket.
func TestCrossRealmThroughMIT(t *testing.T) {
	capaths := `[capaths]
	A.TEST = {
		C.TEST = B.TEST
	}
	C.TEST = {
		A.TEST = B.TEST
	}
`
	c := mitrealm.NewTrust(t, mitrealm.Trust{
		Realms: []string{"A.TEST", "B.TEST", "C.TEST"}, Pairs: [][2]string{{"A.TEST", "B.TEST"}, {"B.TEST", "C.TEST"}},
		DomainRealm: map[string]string{".c.test": "C.TEST"}, KDCProfile: capaths,
	})
	realmC := c.Realms[2]
	c.A.Admin(t, "addprinc -pw secret user")
	realmC.Admin(t, "addprinc -randkey host/svc.c.test")
	kt := filepath.Join(realmC.Dir, "service.keytab")
	realmC.Admin(t, "ktadd -k "+kt+" host/svc.c.test")
	profile := c.WriteProfile(t, "A.TEST", nil)
	for _, target := range []string{"host/svc.c.test@C.TEST", "host/svc.c.test"} {
		t.Run(target, func(t *testing.T) {
			client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{
				Identity: &sspi.AuthIdentity{User: "user", Domain: "A.TEST", Password: "secret"}, ConfigFiles: []string{profile},
			})
			require.NoError(t, err)
			server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, &Config{Keytab: kt, ConfigFiles: []string{profile}})
			require.NoError(t, err)
			tok := firstToken(t, client, target, sspi.ISC_REQ_CONFIDENTIALITY)
			sctx, _, err := accept(server, tok)
			require.NoError(t, err)
			nn, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NATIVE_NAMES)
			require.NoError(t, err)
			assert.Equal(t, sspi.NativeNames{ClientName: "user@A.TEST", ServerName: "host/svc.c.test@C.TEST"}, nn)
			// The ticket names the realm it came through, checked by C's
			// KDC: what our acceptor requires of such a ticket.
			etp := openTicket(t, tok, kt)
			assert.Equal(t, "A.TEST", etp.CRealm)
			assert.Equal(t, "B.TEST", string(etp.Transited.Contents))
			assert.NotZero(t, etp.Flags&wire.TktFlagTransitedChecked)
		})
	}
	assert.Equal(t, 2, strings.Count(c.A.KDCLog(t), "for krbtgt/B.TEST@A.TEST"), "A's KDC gave the TGT on the way")
	assert.Equal(t, 2, strings.Count(c.B.KDCLog(t), "for krbtgt/C.TEST@B.TEST"))
	assert.Equal(t, 2, strings.Count(realmC.KDCLog(t), "for host/svc.c.test@C.TEST"))
}

// openTicket decrypts the ticket of a GSS AP-REQ token with a keytab.
func openTicket(t *testing.T, tok []byte, keytab string) wire.EncTicketPart {
	t.Helper()
	var g wire.GSSToken
	require.NoError(t, g.Unmarshal(tok))
	var req wire.APReq
	require.NoError(t, req.Unmarshal(g.Message))
	kt, err := files.ReadKeytab(keytab)
	require.NoError(t, err)
	p := files.Principal{Realm: req.Ticket.Realm, Components: req.Ticket.SName.NameString}
	var kvno uint32
	if req.Ticket.EncPart.KVNO != nil {
		kvno = *req.Ticket.EncPart.KVNO
	}
	entry, ok := kt.Key(p, req.Ticket.EncPart.EType, kvno)
	require.True(t, ok, "no key for %v", p)
	e, ok := crypto.Lookup(req.Ticket.EncPart.EType)
	require.True(t, ok)
	plain, err := e.Decrypt(entry.Key, crypto.UsageKDCRepTicket, req.Ticket.EncPart.Cipher)
	require.NoError(t, err)
	var etp wire.EncTicketPart
	require.NoError(t, etp.Unmarshal(plain))
	return etp
}
