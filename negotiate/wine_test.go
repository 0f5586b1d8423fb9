//go:build !windows

package negotiate

import (
	"testing"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/peertest"
)

// TestWineNegotiate makes a throwaway MIT realm, with a TGT for user in its
// cache and host/ and HTTP/localhost in its keytab, and runs the Windows
// differential test (native_wine_windows_test.go) under Wine against it.
// .ci/wine builds the binary and sets peertest.WineBinEnv.
func TestWineNegotiate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a KDC and Wine")
	}
	exe := peertest.WineTest(t, "negotiate")
	r := newRealm(t)
	peertest.Wine(t, exe, r.Dir, "^TestNativeNegotiate",
		[]string{"TestNativeNegotiateDifferential"}, "SCHANNEL_WINE_REALM="+mitrealm.Name)
}
