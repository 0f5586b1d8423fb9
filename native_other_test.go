//go:build !windows

package schannel

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Off Windows the native provider's constructor exists but says why it
// cannot work.
func TestNativeUnavailableOffWindows(t *testing.T) {
	_, err := AcquireNativeCredentialsHandle(SECPKG_CRED_OUTBOUND, NativeCredentialOptions{})
	require.ErrorIs(t, err, SEC_E_UNSUPPORTED_FUNCTION)
}
