package kerberos

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/files"
	"github.com/gosspi/schannel/internal/kerberos/wire"
	"github.com/gosspi/schannel/sspi"
)

// TestEnterpriseNameAgainstMIT: a UPN with a domain goes to the KDC as an
// enterprise name (RFC 6806 section 5) with canonicalize, as Windows sends
// it. MIT 1.20's DB2 KDC has no aliases (kadmin add_alias came in 1.22),
// so the account is named as the UPN itself ("alice\@example.com"); the
// KDC finds it and answers with its canonical name, NT-PRINCIPAL. Our
// kinit writes the cache MIT's `kinit -C -E` writes: the same principal,
// name type included. The TGT then gets a service ticket and a context.
func TestEnterpriseNameAgainstMIT(t *testing.T) {
	r := newRealm(t, false)
	r.Admin(t, `addprinc -pw upn-secret alice\@example.com`)
	mitCache := filepath.Join(r.Dir, "mit.ccache")
	r.Run(t, []byte("upn-secret\n"), "kinit", "-C", "-E", "-c", "FILE:"+mitCache, "alice@example.com")
	ourCache := filepath.Join(r.Dir, "our.ccache")
	_, err := InitCredentialCache(context.Background(), "", &Config{
		Identity: &sspi.AuthIdentity{User: "alice@example.com", Domain: "test.local", Password: "upn-secret"},
		CCache:   "FILE:" + ourCache,
	})
	require.NoError(t, err)

	mit, err := files.ReadCCache(mitCache)
	require.NoError(t, err)
	ours, err := files.ReadCCache(ourCache)
	require.NoError(t, err)
	// The KDC's canonical name: its database entry, NT-PRINCIPAL (plain
	// kinit -E, without canonicalize, keeps the NT-ENTERPRISE name asked).
	want := files.Principal{NameType: wire.NTPrincipal, Realm: "TEST.LOCAL", Components: []string{"alice@example.com"}}
	assert.Equal(t, want, mit.Principal, "what MIT's kinit -C -E stores")
	assert.Equal(t, mit.Principal, ours.Principal)
	require.NotEmpty(t, ours.Credentials)
	assert.Equal(t, mit.Principal, ours.Credentials[0].Client)
	assert.Contains(t, r.Run(t, nil, "klist", "-c", "FILE:"+ourCache), `Default principal: alice\@example.com@TEST.LOCAL`)

	client, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{CCache: "FILE:" + ourCache})
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	_, sctx, _ := establish(t, client, server, "host/localhost", fullReq, 0)
	names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Names{UserName: "alice@example.com@TEST.LOCAL"}, names)

	// An enterprise name the KDC does not know is a failed logon.
	bob, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, &Config{
		Identity: &sspi.AuthIdentity{User: "bob@example.com", Domain: "TEST.LOCAL", Password: "x"},
	})
	require.NoError(t, err, "the KDC is asked at the first context")
	_, _, err = sspi.InitializeSecurityContext(bob, nil, "host/localhost", fullReq, nil, []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}})
	assert.Equal(t, sspi.SEC_E_LOGON_DENIED, sspi.StatusOf(err), "%v", err)
}
