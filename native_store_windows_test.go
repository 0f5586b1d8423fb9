package schannel

// The native provider with certificates that carry private keys: a PKCS #12
// file imported into the Windows "MY" store (PFXImportCertStore, then
// CertAddCertificateContextToStore), then the native server against our
// client, and the native client with a client certificate against our
// server. .ci/wine makes the files with openssl and passes their folder in
// SCHANNEL_WINE_PKI; it also runs openssl s_client against the native
// server (TestNativeServeForOpenSSL).

import (
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/internal/winapi"
)

// winePKI is the folder of ca.pem, server.pfx and client.pfx (password
// "schannel"), or a skip when it was not made.
func winePKI(t *testing.T) string {
	dir := os.Getenv("SCHANNEL_WINE_PKI")
	if dir == "" {
		peertest.Missing(t, "SCHANNEL_WINE_PKI is not set: run .ci/wine, which makes the PKCS #12 files these tests import")
	}
	return dir
}

// importPFX puts the certificates of a PKCS #12 file, with their private
// keys, into the current user's MY store.
func importPFX(t *testing.T, path string) {
	t.Helper()
	requireFullSizeRSAKey(t, strings.TrimSuffix(path, ".pfx")+".key")
	pfx, err := os.ReadFile(path)
	require.NoError(t, err)
	mem, err := winapi.PFXImportCertStore(pfx, "schannel", winapi.CRYPT_EXPORTABLE|winapi.CRYPT_USER_KEYSET)
	require.NoError(t, err, "PFXImportCertStore(%s)", path)
	defer winapi.CertCloseStore(mem)
	my, err := winapi.CertOpenSystemStore("MY")
	require.NoError(t, err)
	defer winapi.CertCloseStore(my)
	n := 0
	for c := winapi.CertEnumCertificatesInStore(mem, nil); c != nil; c = winapi.CertEnumCertificatesInStore(mem, c) {
		require.NoError(t, winapi.CertAddCertificateContextToStore(my, c, winapi.CERT_STORE_ADD_REPLACE_EXISTING))
		n++
	}
	require.NotZero(t, n, "%s holds no certificate", path)
}

// requireFullSizeRSAKey fails with the cause when the PEM key at path has an
// RSA component shorter than its full size (d: the modulus' bytes; dP, dQ,
// qInv: half of them). Wine 8.0's PFXImportCertStore drops such a key
// without an error and GnuTLS's signature fails much later, so the failure
// is named here; .ci/wine draws keys until none is short.
func requireFullSizeRSAKey(t *testing.T, path string) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	block, _ := pem.Decode(data)
	require.NotNil(t, block, "%s holds no PEM block", path)
	var key *rsa.PrivateKey
	if block.Type == "RSA PRIVATE KEY" {
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	} else {
		var parsed any
		parsed, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		if err == nil {
			var ok bool
			key, ok = parsed.(*rsa.PrivateKey)
			require.True(t, ok, "%s is not an RSA key", path)
		}
	}
	require.NoError(t, err, "%s", path)
	require.Len(t, key.Primes, 2, "%s", path)
	full := key.N.BitLen() / 8
	components := []struct {
		name string
		size int
		want int
	}{
		{"d", len(key.D.Bytes()), full},
		{"p", len(key.Primes[0].Bytes()), full / 2},
		{"q", len(key.Primes[1].Bytes()), full / 2},
		{"dP", len(key.Precomputed.Dp.Bytes()), full / 2},
		{"dQ", len(key.Precomputed.Dq.Bytes()), full / 2},
		{"qInv", len(key.Precomputed.Qinv.Bytes()), full / 2},
	}
	for _, c := range components {
		require.Equal(t, c.want, c.size,
			"%s: RSA %s is %d bytes, not %d; Wine 8.0's PFX import loses such a key, so .ci/wine must draw another", path, c.name, c.size, c.want)
	}
}

func winePool(t *testing.T, dir string) *x509.CertPool {
	pem, err := os.ReadFile(filepath.Join(dir, "ca.pem"))
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(pem))
	return pool
}

func nativeServerCredentials(t *testing.T, dir string) *Credentials {
	importPFX(t, filepath.Join(dir, "server.pfx"))
	cred, err := AcquireNativeCredentialsHandle(SECPKG_CRED_INBOUND, NativeCredentialOptions{
		CertStore: "MY", Subject: "schannel wine server", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
	})
	require.NoError(t, err, "the server certificate, found in MY with its key")
	return cred
}

// nativeServerMissing reports why secur32 cannot serve, "" when it can: it
// feeds one ClientHello of ours to AcceptSecurityContext. Wine 8.0's
// Schannel has no server side (AcceptSecurityContext is
// SEC_E_UNSUPPORTED_FUNCTION); later Wine versions and Windows have one.
func nativeServerMissing(t *testing.T, cred *Credentials) string {
	client, err := AcquireCredentialsHandle(SECPKG_CRED_OUTBOUND, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
	require.NoError(t, err)
	out := []SecBuffer{{BufferType: SECBUFFER_TOKEN}}
	_, _, err = InitializeSecurityContext(client, nil, "localhost", ISC_REQ_ALLOCATE_MEMORY, nil, out)
	require.NoError(t, err)
	in := []SecBuffer{NewSecBuffer(SECBUFFER_TOKEN, out[0].Buffer), NewSecBuffer(SECBUFFER_EMPTY, nil)}
	reply := []SecBuffer{{BufferType: SECBUFFER_TOKEN}}
	ctx, status, _ := AcceptSecurityContext(cred, nil, in, ASC_REQ_ALLOCATE_MEMORY, reply)
	if ctx != nil {
		_ = ctx.DeleteSecurityContext()
	}
	if status == SEC_E_UNSUPPORTED_FUNCTION {
		if wine := winapi.WineVersion(); wine != "" {
			return "Wine " + wine + "'s Schannel has no server side: AcceptSecurityContext returns SEC_E_UNSUPPORTED_FUNCTION"
		}
	}
	return ""
}

// echoOnce answers one line read from conn with "echo:" and the line.
func echoOnce(conn net.Conn) error {
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	if err != nil {
		return err
	}
	_, err = conn.Write(append([]byte("echo:"), buf[:n]...))
	return err
}

// TestNativeServer runs AcceptSecurityContext on secur32 with a certificate
// imported from a PFX, against this module's client.
func TestNativeServer(t *testing.T) {
	dir := winePKI(t)
	cred := nativeServerCredentials(t, dir)
	if why := nativeServerMissing(t, cred); why != "" {
		t.Skip(why)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	served := make(chan error, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		srv := ServerWithCredentials(raw, cred)
		srv.SetTrace(func(e TraceEvent) { t.Log("native server:", e) })
		defer srv.Close()
		_ = srv.SetDeadline(time.Now().Add(30 * time.Second))
		served <- echoOnce(srv)
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	client := Client(raw, &tls.Config{ServerName: "localhost", RootCAs: winePool(t, dir), MaxVersion: tls.VersionTLS12})
	defer client.Close()
	require.NoError(t, client.SetDeadline(time.Now().Add(30*time.Second)))
	if _, err = client.Write([]byte("hello")); err != nil {
		t.Fatalf("client: %v; native server: %v", err, <-served)
	}
	got := make([]byte, 10)
	_, err = io.ReadFull(client, got)
	require.NoError(t, err)
	assert.Equal(t, "echo:hello", string(got))
	require.NoError(t, <-served)
	state := client.ConnectionState()
	require.NotEmpty(t, state.PeerCertificates)
	assert.Equal(t, "schannel wine server", state.PeerCertificates[0].Subject.CommonName)
}

// TestNativeClientCertificate runs the native client with a certificate
// taken from the store against this module's server, which requires one.
func TestNativeClientCertificate(t *testing.T) {
	dir := winePKI(t)
	importPFX(t, filepath.Join(dir, "client.pfx"))
	cred, err := AcquireNativeCredentialsHandle(SECPKG_CRED_OUTBOUND, NativeCredentialOptions{
		CertStore: "MY", Subject: "schannel wine client", MinVersion: tls.VersionTLS12, MaxVersion: tls.VersionTLS12,
		ManualCredValidation: true, NoDefaultCreds: true,
	})
	require.NoError(t, err)
	serverCfg := ndServerConfig(t).Clone()
	serverCfg.ClientAuth = tls.RequireAndVerifyClientCert
	serverCfg.ClientCAs = winePool(t, dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	peer := make(chan []*x509.Certificate, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			peer <- nil
			return
		}
		srv := Server(raw, serverCfg)
		defer srv.Close()
		_ = srv.SetDeadline(time.Now().Add(30 * time.Second))
		if echoOnce(srv) != nil {
			peer <- nil
			return
		}
		peer <- srv.ConnectionState().PeerCertificates
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	conn := ClientWithCredentials(raw, cred, "localhost")
	defer conn.Close()
	helloEcho(t, conn)
	certs := <-peer
	require.NotEmpty(t, certs, "our server saw the client certificate secur32 took from the store")
	assert.Equal(t, "schannel wine client", certs[0].Subject.CommonName)
}

// TestNativeServeForOpenSSL is the native server for openssl s_client,
// which .ci/wine runs from Linux: it writes its port to
// SCHANNEL_WINE_PORTFILE, answers one line with "echo:" and the line, and
// checks that the handshake completed.
func TestNativeServeForOpenSSL(t *testing.T) {
	dir := winePKI(t)
	portFile := os.Getenv("SCHANNEL_WINE_PORTFILE")
	if portFile == "" {
		t.Skip("SCHANNEL_WINE_PORTFILE is not set: .ci/wine runs this test with openssl s_client as the peer")
	}
	cred := nativeServerCredentials(t, dir)
	if why := nativeServerMissing(t, cred); why != "" {
		require.NoError(t, os.WriteFile(portFile, []byte("unsupported: "+why), 0o644))
		t.Skip(why)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	require.NoError(t, os.WriteFile(portFile, []byte(ln.Addr().String()), 0o644))
	require.NoError(t, ln.(*net.TCPListener).SetDeadline(time.Now().Add(60*time.Second)))
	raw, err := ln.Accept()
	require.NoError(t, err)
	srv := ServerWithCredentials(raw, cred)
	defer srv.Close()
	require.NoError(t, srv.SetDeadline(time.Now().Add(30*time.Second)))
	require.NoError(t, echoOnce(srv))
	assert.Equal(t, uint16(tls.VersionTLS12), srv.ConnectionState().Version)
}
