package sspi_test

// Tests of the generic secur32.dll provider. They run on Windows and under
// Wine (.ci/wine).

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/sspi"
)

func TestNativeEnumerateSecurityPackages(t *testing.T) {
	infos, err := sspi.EnumerateNativeSecurityPackages()
	require.NoError(t, err)
	names := map[string]sspi.PackageInfo{}
	for _, info := range infos {
		names[info.Name] = info
		t.Logf("%-45s caps 0x%08x rpcid %3d cbMaxToken %6d  %s", info.Name, info.Capabilities, info.RPCID, info.MaxToken, info.Comment)
	}
	require.Contains(t, names, "Microsoft Unified Security Protocol Provider")
	schannel := names["Microsoft Unified Security Protocol Provider"]
	assert.Equal(t, uint16(14), schannel.RPCID, "UNISP_RPC_ID, as this module reports it")
	assert.NotZero(t, schannel.Capabilities&sspi.SECPKG_FLAG_STREAM)

	one, err := sspi.NativeSecurityPackageInfo("Microsoft Unified Security Protocol Provider")
	require.NoError(t, err)
	assert.Equal(t, schannel, one)
}

func TestNativeUnknownPackage(t *testing.T) {
	_, err := sspi.NativeSecurityPackageInfo("No Such Package")
	assert.Error(t, err)
	_, err = sspi.AcquireNativeCredentialsHandle("No Such Package", sspi.SECPKG_CRED_OUTBOUND, nil)
	require.Error(t, err)
	t.Logf("secur32 on an unknown package: %v", err)
	assert.ErrorIs(t, err, sspi.SEC_E_SECPKG_NOT_FOUND)
}

// An installed package other than Schannel, by name, with the logged-on
// user's credentials: the first InitializeSecurityContext call returns the
// package's first token through the neutral calls.
func TestNativeNegotiateFirstToken(t *testing.T) {
	cred, err := sspi.AcquireNativeCredentialsHandle("Negotiate", sspi.SECPKG_CRED_OUTBOUND,
		&sspi.AuthIdentity{User: "alice", Domain: "EXAMPLE", Password: "secret"})
	if err != nil {
		// Under Wine, NTLM and Negotiate need Samba's ntlm_auth (.ci/wine
		// installs winbind for it).
		peertest.Missing(t, fmt.Sprintf("secur32 has no usable Negotiate package here (under Wine: install winbind for ntlm_auth): %v", err))
	}
	out := []sspi.SecBuffer{{BufferType: sspi.SECBUFFER_TOKEN}}
	ctx, status, err := sspi.InitializeSecurityContext(cred, nil, "HTTP/localhost",
		sspi.ISC_REQ_CONNECTION|sspi.ISC_REQ_ALLOCATE_MEMORY, nil, out)
	t.Logf("Negotiate first call: %v (%v), token %d bytes", status, err, out[0].Size)
	require.NoError(t, err)
	assert.Equal(t, sspi.SEC_I_CONTINUE_NEEDED, status)
	assert.NotEmpty(t, out[0].Buffer)
	info, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_PACKAGE_INFO)
	require.NoError(t, err)
	assert.Equal(t, "Negotiate", info.(sspi.PackageInfo).Name)
	require.NoError(t, ctx.DeleteSecurityContext())
}
