package schannel_test

import (
	"os"
	"testing"

	"github.com/gosspi/schannel/sspi"
)

// TestMain turns panic containment off: a panic in the engine fails the test
// (or the fuzz target) instead of hiding behind SEC_E_INTERNAL_ERROR.
func TestMain(m *testing.M) {
	os.Setenv(sspi.RepanicEnv, "1")
	os.Exit(m.Run())
}
