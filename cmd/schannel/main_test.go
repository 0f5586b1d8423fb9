package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testTimeout = 20 * time.Second

// lockedBuffer is a buffer that several goroutines may write to.
type lockedBuffer = peertest.Buffer

func testCLI(stdin string) (*cli, *lockedBuffer, *lockedBuffer) {
	var stdout, stderr lockedBuffer
	return &cli{stdin: strings.NewReader(stdin), stdout: &stdout, stderr: &stderr}, &stdout, &stderr
}

func TestDemo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, stdout, _ := testCLI("")
	require.NoError(t, c.run(ctx, nil), "demo is the default command")
	out := stdout.String()
	for _, want := range []string{
		"InitializeSecurityContext -> SEC_I_CONTINUE_NEEDED  in:[APPLICATION_PROTOCOLS(",
		"InitializeSecurityContext -> SEC_E_OK  in:[TOKEN(",
		"DecryptMessage -> SEC_I_RENEGOTIATE",
		"ApplyControlToken -> SEC_E_OK  in:[TOKEN(4)]",
		"| HTTP/1.1 200 OK",
		"hello from the schannel demo server: you asked for /hello",
		"S: 220 demo.local ESMTP ready",
		"C: EHLO demo-client",
		"S: 250 SIZE 10240000",
		"protocol      TLS 1.3 (SP_PROT_TLS1_3_CLIENT)",
		"ALPN          http/1.1",
		"peer          CN=localhost",
		"issued by     CN=schannel demo CA",
	} {
		assert.Contains(t, out, want)
	}
}

func TestUnknownCommand(t *testing.T) {
	c, _, stderr := testCLI("")
	assert.Error(t, c.run(context.Background(), []string{"frobnicate"}))
	assert.Contains(t, stderr.String(), "usage: schannel")
}

// startServe runs "schannel serve" with args until the test ends and
// returns its address.
func startServe(t *testing.T, args ...string) (string, *lockedBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	c, _, stderr := testCLI("")
	addrs := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- c.serve(ctx, append(args, "127.0.0.1:0"), func(a string) { addrs <- a }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(testTimeout):
			t.Error("serve did not stop")
		}
	})
	select {
	case addr := <-addrs:
		return addr, stderr
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(testTimeout):
	}
	require.FailNow(t, "serve did not start")
	return "", nil
}

func runConnect(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, stdout, stderr := testCLI(stdin)
	err := c.connect(ctx, args)
	return stdout.String(), stderr.String(), err
}

func TestServeEchoAndConnect(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, serveLog := startServe(t, "-ca-out", caFile, "-v")
	assert.Contains(t, serveLog.String(), "BEGIN CERTIFICATE")

	stdout, stderr, err := runConnect(t, "hello through the echo\n", "-cafile", caFile, "-servername", "localhost", addr)
	require.NoError(t, err, stderr)
	assert.Equal(t, "hello through the echo\n", stdout)
	for _, want := range []string{
		"--- SSPI log",
		"InitializeSecurityContext -> SEC_I_CONTINUE_NEEDED  in:[] out:[TOKEN(",
		"certificate chain:\n  0 s:CN=localhost\n    i:CN=schannel serve CA",
		"protocol      TLS 1.3 (SP_PROT_TLS1_3_CLIENT)",
		"--- closed (close_notify)",
	} {
		assert.Contains(t, stderr, want)
	}
	assert.NotContains(t, stderr, "EncryptMessage -> SEC_E_OK", "routine record calls only with -v")
	assert.Contains(t, serveLog.String(), "AcceptSecurityContext -> SEC_E_OK")
	assert.Contains(t, serveLog.String(), "TLS 1.3 TLS_AES")

	_, stderr, err = runConnect(t, "", addr) // the system roots do not know the generated CA
	assert.ErrorIs(t, err, schannel.SEC_E_UNTRUSTED_ROOT, stderr)
	stdout, _, err = runConnect(t, "x", "-insecure", addr)
	require.NoError(t, err)
	assert.Equal(t, "x", stdout)
}

func TestServeHTTPAndConnect(t *testing.T) {
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, _ := startServe(t, "-http", "-ca-out", caFile)
	stdout, stderr, err := runConnect(t, "GET /page HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
		"-cafile", caFile, "-alpn", "http/1.1", addr)
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "HTTP/1.1 200 OK")
	assert.Contains(t, stdout, "GET /page HTTP/1.1 from 127.0.0.1:")
	assert.Contains(t, stdout, `Request.TLS: TLS 1.3, TLS_AES_128_GCM_SHA256, ALPN "http/1.1", handshake complete true`)
	assert.Contains(t, stdout, "ALPN          http/1.1")
	assert.Contains(t, stderr, "ALPN          http/1.1")
	assert.Contains(t, stderr, "server name   127.0.0.1")
}

func TestServeWithCertificateFiles(t *testing.T) {
	ca, err := certgen.NewCA("file CA")
	require.NoError(t, err)
	cert := ca.MustIssue(certgen.LeafOptions{Names: []string{"files.example"}})
	dir := t.TempDir()
	certFile, keyFile, caFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"), filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(certFile, pemBlock("CERTIFICATE", cert.Certificate[0]), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pemKey(t, cert), 0o600))
	require.NoError(t, os.WriteFile(caFile, pemBlock("CERTIFICATE", ca.Cert.Raw), 0o600))
	addr, serveLog := startServe(t, "-cert", certFile, "-key", keyFile)
	assert.NotContains(t, serveLog.String(), "BEGIN CERTIFICATE")
	stdout, stderr, err := runConnect(t, "files\n", "-cafile", caFile, "-servername", "files.example", addr)
	require.NoError(t, err, stderr)
	assert.Equal(t, "files\n", stdout)
}

// smtpStub is just enough SMTP for STARTTLS: greeting, EHLO, STARTTLS, then
// TLS (crypto/tls) with an echo of each line.
func smtpStub(t *testing.T, config *tls.Config) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(testTimeout))
		r := bufio.NewReader(c)
		_, _ = c.Write([]byte("220 stub ESMTP\r\n"))
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			switch strings.TrimSpace(line) {
			case "EHLO schannel-cli":
				_, _ = c.Write([]byte("250-stub\r\n250 STARTTLS\r\n"))
			case "STARTTLS":
				_, _ = c.Write([]byte("220 go ahead\r\n"))
				tc := tls.Server(c, config)
				tr := bufio.NewReader(tc)
				for {
					line, err := tr.ReadString('\n')
					if err != nil {
						return
					}
					_, _ = tc.Write([]byte("250 you said " + line))
				}
			}
		}
	}()
	return ln.Addr().String()
}

func TestConnectStartTLS(t *testing.T) {
	ca, err := certgen.NewCA("stub CA")
	require.NoError(t, err)
	cert := ca.MustIssue(certgen.LeafOptions{Names: []string{"127.0.0.1"}})
	addr := smtpStub(t, &tls.Config{Certificates: []tls.Certificate{cert}})
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	require.NoError(t, os.WriteFile(caFile, pemBlock("CERTIFICATE", ca.Cert.Raw), 0o600))
	stdout, stderr, err := runConnect(t, "NOOP\r\n", "-starttls", "smtp", "-cafile", caFile, addr)
	require.NoError(t, err, stderr)
	assert.Equal(t, "250 you said NOOP\r\n", stdout)
	for _, want := range []string{"S: 220 stub ESMTP", "C: EHLO schannel-cli", "S: 250 STARTTLS", "C: STARTTLS", "S: 220 go ahead", "InitializeSecurityContext -> SEC_E_OK"} {
		assert.Contains(t, stderr, want)
	}
}

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pemKey(t *testing.T, cert tls.Certificate) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	require.NoError(t, err)
	return pemBlock("PRIVATE KEY", der)
}

func runGet(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, stdout, stderr := testCLI("")
	err := c.run(ctx, append([]string{"get"}, args...))
	return stdout.String(), stderr.String(), err
}

// TestServeHTTPAndGet: "serve -http" answers HTTP/2 to "get" (and HTTP/1.1
// with -http1.1), the page showing Request.TLS; -v prints the SSPI log, the
// chain, the parameters and the headers; -H, -d and -o behave as in curl.
func TestServeHTTPAndGet(t *testing.T) {
	t.Setenv("HTTPS_PROXY", "")
	t.Setenv("https_proxy", "")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, _ := startServe(t, "-http", "-ca-out", caFile)
	url := "https://" + addr + "/page?x=1"

	stdout, stderr, err := runGet(t, "-cafile", caFile, "-v", "-H", "X-Test: yes", url)
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "GET /page?x=1 HTTP/2.0 from 127.0.0.1:")
	assert.Contains(t, stdout, `Request.TLS: TLS 1.3, TLS_AES_128_GCM_SHA256, ALPN "h2", handshake complete true`)
	for _, want := range []string{
		"* InitializeSecurityContext -> SEC_I_CONTINUE_NEEDED",
		"* InitializeSecurityContext -> SEC_E_OK",
		"certificate chain:\n  0 s:CN=localhost\n    i:CN=schannel serve CA",
		"protocol      TLS 1.3 (SP_PROT_TLS1_3_CLIENT)",
		"ALPN          h2",
		"> GET /page?x=1 HTTP/2.0",
		"> X-Test: yes",
		"< HTTP/2.0 200 OK",
		"< Content-Type: text/plain; charset=utf-8",
	} {
		assert.Contains(t, stderr, want)
	}

	out := filepath.Join(t.TempDir(), "body.txt")
	stdout, stderr, err = runGet(t, "-cafile", caFile, "-http1.1", "-d", "a=b", "-o", out, url)
	require.NoError(t, err, stderr)
	assert.Empty(t, stdout, "the body went to -o")
	assert.Empty(t, stderr, "nothing on stderr without -v")
	body, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(body), "POST /page?x=1 HTTP/1.1 from 127.0.0.1:")
	assert.Contains(t, string(body), `ALPN "http/1.1"`)

	_, _, err = runGet(t, url) // the system roots do not know the generated CA
	assert.ErrorIs(t, err, schannel.SEC_E_UNTRUSTED_ROOT)
	stdout, _, err = runGet(t, "-insecure", url)
	require.NoError(t, err)
	assert.Contains(t, stdout, "HTTP/2.0")
	_, _, err = runGet(t, "-insecure", "-H", "no colon", url)
	assert.ErrorContains(t, err, "want 'Name: value'")
}

// TestServeHTTPWithCurl: curl --http2 gets HTTP/2 from "serve -http", and
// the page reports the handshake from Request.TLS. It needs curl; without
// it the test is skipped, unless SCHANNEL_INTEROP=require.
func TestServeHTTPWithCurl(t *testing.T) {
	curl := peertest.Program(t, "curl", "curl")
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	addr, _ := startServe(t, "-http", "-ca-out", caFile)
	for _, tc := range []struct{ flag, proto string }{{"--http2", "HTTP/2.0"}, {"--http1.1", "HTTP/1.1"}} {
		ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
		out, err := exec.CommandContext(ctx, curl, "-sS", tc.flag, "--noproxy", "*", "--cacert", caFile, "https://localhost:"+portOf(addr)+"/curl").CombinedOutput()
		cancel()
		require.NoError(t, err, "%s", out)
		assert.Contains(t, string(out), "GET /curl "+tc.proto+" from 127.0.0.1:")
		assert.Contains(t, string(out), "Request.TLS: TLS 1.3, ")
		assert.Contains(t, string(out), "handshake complete true")
	}
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}
