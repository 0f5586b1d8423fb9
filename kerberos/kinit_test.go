package kerberos

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/sspi"
)

// TestKinitKlistKdestroy: our kinit (password, then client keytab) writes
// a cache that MIT's klist lists and MIT's kvno spends; our klist lists
// it; our kdestroy removes it. The keytab client also authenticates
// directly through ISC.
func TestKinitKlistKdestroy(t *testing.T) {
	r := newRealm(t, false)
	mitrealm.Require(t, "klist")
	mitrealm.Require(t, "kvno")
	r.Admin(t, "addprinc -randkey robot")
	clientKT := filepath.Join(r.Dir, "client.keytab")
	r.Admin(t, "ktadd -k "+clientKT+" robot")

	path, err := InitCredentialCache(context.Background(), "user", &Config{Identity: &sspi.AuthIdentity{Password: "secret"}})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(r.Dir, "ccache"), path, "KRB5CCNAME is honoured")
	out := r.Run(t, nil, "klist")
	assert.Contains(t, out, "Default principal: user@TEST.LOCAL")
	assert.Contains(t, out, "krbtgt/TEST.LOCAL@TEST.LOCAL")
	r.Run(t, nil, "kvno", "host/localhost") // MIT spends our TGT

	_, who, tickets, err := ListCredentialCache("", nil)
	require.NoError(t, err)
	assert.Equal(t, "user@TEST.LOCAL", who)
	var servers []string
	for _, tk := range tickets {
		servers = append(servers, tk.Server)
		assert.False(t, tk.Expired)
	}
	assert.Contains(t, servers, "host/localhost@TEST.LOCAL", "kvno added its ticket to our cache")

	_, err = DestroyCredentialCache("", nil)
	require.NoError(t, err)
	_, err = os.Stat(path)
	assert.True(t, os.IsNotExist(err))
	_, err = AcquireCredentialsHandle("", sspi.SECPKG_CRED_OUTBOUND, nil)
	assert.Equal(t, sspi.SEC_E_NO_CREDENTIALS, sspi.StatusOf(err))

	_, err = InitCredentialCache(context.Background(), "", &Config{ClientKeytab: clientKT})
	require.NoError(t, err)
	out = r.Run(t, nil, "klist")
	assert.Contains(t, out, "Default principal: robot@TEST.LOCAL")

	robot, err := AcquireCredentialsHandle("robot", sspi.SECPKG_CRED_OUTBOUND, &Config{ClientKeytab: clientKT})
	require.NoError(t, err)
	server, err := AcquireCredentialsHandle("", sspi.SECPKG_CRED_INBOUND, nil)
	require.NoError(t, err)
	_, sctx, _ := establish(t, robot, server, "host/localhost", fullReq, 0)
	names, err := sctx.QueryContextAttributes(sspi.SECPKG_ATTR_NAMES)
	require.NoError(t, err)
	assert.Equal(t, sspi.Names{UserName: "robot@TEST.LOCAL"}, names)
}
