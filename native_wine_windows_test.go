package schannel

// Tests of the secur32.dll provider. They run on Windows and under Wine
// (.ci/wine); the harness they share with the Go provider is
// native_diff_test.go.

import (
	"crypto/tls"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ndNativeCredentials() (*Credentials, error) {
	return AcquireNativeCredentialsHandle(SECPKG_CRED_OUTBOUND, NativeCredentialOptions{
		MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		ManualCredValidation: true, NoDefaultCreds: true,
	})
}

func TestNativeAcquireCredentials(t *testing.T) {
	cred, err := ndNativeCredentials()
	require.NoError(t, err)
	v := nativeSchannelVersion(cred)
	assert.Contains(t, []uint32{4, 5}, v)
	t.Logf("secur32 accepted credential structure version %d (5 = SCH_CREDENTIALS, 4 = SCHANNEL_CRED)", v)
	require.NoError(t, cred.FreeCredentialsHandle())
}

func TestNativeCertificateNotFound(t *testing.T) {
	_, err := AcquireNativeCredentialsHandle(SECPKG_CRED_OUTBOUND, NativeCredentialOptions{
		CertStore: "MY", Thumbprint: make([]byte, 20),
	})
	require.ErrorIs(t, err, SEC_E_NO_CREDENTIALS)
	assert.Contains(t, err.Error(), "no certificate with thumbprint")
	_, err = AcquireNativeCredentialsHandle(SECPKG_CRED_OUTBOUND, NativeCredentialOptions{
		CertStore: "MY", Subject: "no such subject, schannel test",
	})
	require.ErrorIs(t, err, SEC_E_NO_CREDENTIALS)
	assert.Contains(t, err.Error(), "no certificate whose subject contains")
	_, err = AcquireNativeCredentialsHandle(SECPKG_CRED_INBOUND, NativeCredentialOptions{})
	require.ErrorIs(t, err, SEC_E_NO_CREDENTIALS)
}

func TestNativeQueriesAndUnsupported(t *testing.T) {
	cred, err := ndNativeCredentials()
	require.NoError(t, err)
	tr := runNDScenario(t, func() (*Credentials, error) { return cred, nil }, ndScenarios[0])
	require.NotEmpty(t, tr)
	joined := strings.Join(tr, "\n")
	assert.Contains(t, joined, "KeyUpdate SEC_E_UNSUPPORTED_FUNCTION")
	assert.Contains(t, joined, "version=0x303 protocol=0x800")
}

// TestNativeDifferential runs the script on both providers and fails on any
// difference not in ndKnownDifferences.
func TestNativeDifferential(t *testing.T) {
	for _, sc := range ndScenarios {
		t.Run(sc.Name, func(t *testing.T) {
			goTrace := runNDScenario(t, ndGoCredentials, sc)
			nativeTrace := runNDScenario(t, ndNativeCredentials, sc)
			used, diff := ndCompare(goTrace, nativeTrace)
			for _, name := range used {
				for _, k := range ndKnownDifferences {
					if k.Name == name {
						t.Logf("known difference %s: %s", k.Name, k.Reason)
					}
				}
			}
			if diff != "" || testing.Verbose() && sc.Split == 0 {
				t.Logf("go trace:\n%s\nnative trace:\n%s", strings.Join(goTrace, "\n"), strings.Join(nativeTrace, "\n"))
			}
			require.Empty(t, diff, "secur32 and the Go provider differ")
		})
	}
}

// TestNativeConn runs a Conn, unchanged, on the system's Schannel: the
// credentials decide the security package.
func TestNativeConn(t *testing.T) {
	cred, err := ndNativeCredentials()
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		srv := tls.Server(raw, ndServerConfig(t))
		defer srv.Close()
		buf := make([]byte, 5)
		if _, err := io.ReadFull(srv, buf); err == nil {
			_, _ = srv.Write(append([]byte("echo:"), buf...))
		}
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	conn := ClientWithCredentials(raw, cred, "localhost")
	defer conn.Close()
	helloEcho(t, conn)
	assert.Equal(t, uint16(tls.VersionTLS12), conn.ConnectionState().Version)

	// The neutral calls reach secur32 too: Schannel has no MakeSignature
	// there either, and the package is reported as the Go one reports it.
	ctx := conn.Context()
	status, err := ctx.MakeSignature(0, []SecBuffer{NewSecBuffer(SECBUFFER_DATA, []byte("x")), NewSecBuffer(SECBUFFER_TOKEN, make([]byte, 64))})
	t.Logf("secur32 MakeSignature on a Schannel context: %v (%v)", status, err)
	assert.Equal(t, SEC_E_UNSUPPORTED_FUNCTION, status)
	info, err := ctx.QueryContextAttributes(sspi.SECPKG_ATTR_PACKAGE_INFO)
	require.NoError(t, err)
	assert.Equal(t, PackageName, info.(sspi.PackageInfo).Name)
}

// helloEcho writes "hello" on conn and expects "echo:hello" back.
func helloEcho(t *testing.T, conn net.Conn) {
	t.Helper()
	require.NoError(t, conn.SetDeadline(time.Now().Add(30*time.Second)))
	_, err := conn.Write([]byte("hello"))
	require.NoError(t, err)
	got := make([]byte, 10)
	_, err = io.ReadFull(conn, got)
	require.NoError(t, err)
	assert.Equal(t, "echo:hello", string(got))
}
