package peertest

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// WineBinEnv names the directory where .ci/wine leaves the cross-compiled
// test binaries (<package>.test.exe) and the environment it prepared for
// them (WINEPREFIX with the ProcessPrng stand-in). Tests that drive a
// Windows package under Wine against a peer made on the Unix side (a
// throwaway MIT realm) run only when it is set.
const WineBinEnv = "SCHANNEL_WINE_TESTBIN"

// WineTest returns the Windows test binary pkg.test.exe that .ci/wine
// left in WineBinEnv. The test is skipped when WineBinEnv is unset (only
// .ci/wine builds the binaries), and skipped or failed as Missing says
// when wine is not installed. Call it before making the peer, so that a
// skipped test costs nothing.
func WineTest(t testing.TB, pkg string) string {
	t.Helper()
	bin := os.Getenv(WineBinEnv)
	if bin == "" {
		t.Skipf("the Wine tests run from .ci/wine, which cross-compiles %s.test.exe and sets %s", pkg, WineBinEnv)
	}
	Program(t, "wine", "wine64 (and gcc-mingw-w64-x86-64 for .ci/wine)")
	exe := filepath.Join(bin, pkg+".test.exe")
	if _, err := os.Stat(exe); err != nil {
		t.Fatalf("%s: %v (.ci/wine builds it)", exe, err)
	}
	return exe
}

// Wine runs the tests matching run in the Windows test binary exe (from
// WineTest) under Wine, in dir, with env added to this process's
// environment, and returns the binary's output. Wine passes the Unix
// environment on to the Windows process, and dir is on Wine's drive Z:, so
// both Wine's own libraries (its Kerberos package loads MIT's libkrb5) and
// Go code in the binary open the Unix paths the environment names.
//
// It fails the test when the binary fails, or when a test named in want
// did not pass there: a Windows test that skipped is not a pass.
func Wine(t testing.TB, exe, dir, run string, want []string, env ...string) string {
	t.Helper()
	wine := Program(t, "wine", "wine64")
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wine, exe, "-test.run", run, "-test.v", "-test.timeout", "120s")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	if os.Getenv("WINEDEBUG") == "" {
		cmd.Env = append(cmd.Env, "WINEDEBUG=-all")
	}
	out, err := cmd.CombinedOutput()
	t.Logf("%s under Wine:\n%s", filepath.Base(exe), out)
	if err != nil {
		t.Fatalf("%s -test.run %s under Wine: %v", filepath.Base(exe), run, err)
	}
	for _, name := range want {
		if !regexp.MustCompile(`(?m)^--- PASS: ` + regexp.QuoteMeta(name) + ` `).Match(out) {
			t.Errorf("%s did not pass under Wine (skipped or not run)", name)
		}
	}
	return string(out)
}
