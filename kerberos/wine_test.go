//go:build !windows

package kerberos

import (
	"testing"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
	"github.com/gosspi/schannel/internal/peertest"
)

// TestWineKerberos makes a throwaway MIT realm, with a TGT for user in its
// cache and host/ and HTTP/localhost in its keytab, and runs the Windows
// differential tests (native_wine_windows_test.go) under Wine against it.
// .ci/wine builds the binary and sets peertest.WineBinEnv.
func TestWineKerberos(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a KDC and Wine")
	}
	exe := peertest.WineTest(t, "kerberos")
	r := newRealm(t, true)
	peertest.Wine(t, exe, r.Dir, "^TestNativeKerberos",
		[]string{"TestNativeKerberosDifferential", "TestNativeKerberosAllocateMemory", "TestNativeKerberosBindingsMismatch"}, "SCHANNEL_WINE_REALM="+mitrealm.Name)
}
