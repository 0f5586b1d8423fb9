package main

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/kerberos/mitrealm"
)

// krbRealm is a throwaway MIT realm: user/secret (forwardable TGTs) and
// host/localhost in the default keytab, the KDC running.
func krbRealm(t *testing.T) *mitrealm.Realm {
	r := mitrealm.New(t)
	r.Admin(t, "addprinc +requires_preauth -pw secret user")
	r.Admin(t, "addprinc -randkey host/localhost")
	r.Admin(t, "ktadd -k "+filepath.Join(r.Dir, "keytab")+" host/localhost")
	r.Start(t)
	return r
}

// TestKinitKlistKdestroyCLI: our kinit with the password on stdin, MIT's
// klist reading our cache, our klist, our kdestroy.
func TestKinitKlistKdestroyCLI(t *testing.T) {
	r := krbRealm(t)
	mitrealm.Require(t, "klist")
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	c, _, stderr := testCLI("secret\n")
	require.NoError(t, c.run(ctx, []string{"kinit", "user"}))
	assert.Contains(t, stderr.String(), "Password for user: ")
	assert.Contains(t, r.Run(t, nil, "klist"), "Default principal: user@TEST.LOCAL")

	c, stdout, _ := testCLI("")
	require.NoError(t, c.run(ctx, []string{"klist"}))
	assert.Contains(t, stdout.String(), "Default principal: user@TEST.LOCAL")
	assert.Contains(t, stdout.String(), "krbtgt/TEST.LOCAL@TEST.LOCAL")

	c, _, _ = testCLI("wrong\n")
	err := c.run(ctx, []string{"kinit", "user"})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "SEC_E_LOGON_DENIED")

	require.NoError(t, c.run(ctx, []string{"kdestroy"}))
	_, err = r.Try(t, nil, "klist")
	assert.Error(t, err, "MIT's klist finds no cache")

	// kinit -k -t with the service's keytab.
	c, _, _ = testCLI("")
	require.NoError(t, c.run(ctx, []string{"kinit", "-k", "-t", filepath.Join(r.Dir, "keytab"), "host/localhost"}))
	assert.Contains(t, r.Run(t, nil, "klist"), "Default principal: host/localhost@TEST.LOCAL")

	// kinit -E: an enterprise name, resolved by the KDC (MIT 1.20 has no
	// aliases, so the account is named as the UPN).
	r.Admin(t, `addprinc -pw upn-secret alice\@example.com`)
	for _, name := range []string{"alice@example.com", "alice@example.com@TEST.LOCAL"} {
		c, _, _ = testCLI("upn-secret\n")
		require.NoError(t, c.run(ctx, []string{"kinit", "-E", name}))
		assert.Contains(t, r.Run(t, nil, "klist"), `Default principal: alice\@example.com@TEST.LOCAL`)
	}
	c, _, _ = testCLI("upn-secret\n")
	assert.Error(t, c.run(ctx, []string{"kinit", "-E", "alice"}), "not user@domain")
}

// TestGSSClientAgainstMIT: our gss-client against MIT's gss-server, with
// and without mutual authentication and with delegation.
func TestGSSClientAgainstMIT(t *testing.T) {
	r := krbRealm(t)
	mitrealm.Require(t, "gss-server")
	r.Run(t, []byte("secret\n"), "kinit", "-f", "user")
	for _, flags := range [][]string{nil, {"-nomutual"}, {"-d"}, {"-seq", "-nx"}} {
		t.Run(strings.Join(append([]string{"opts"}, flags...), " "), func(t *testing.T) {
			srv := mitrealm.StartGSSServer(t, r.Dir, testTimeout, "host@localhost")
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			stdout, stderr := runGSSClient(t, ctx, srv, flags, "hello from Go")
			assert.Contains(t, stdout, "Signature verified.")
			assert.Contains(t, stderr, "InitializeSecurityContext -> SEC_E_OK", "-v prints the SSPI log")
			require.NoError(t, srv.Wait(), "gss-server: %s", srv.Output())
			assert.Contains(t, srv.Log(), "hello from Go")
		})
	}
}

// TestGSSServerAgainstMIT: MIT's gss-client against our gss-server.
func TestGSSServerAgainstMIT(t *testing.T) {
	r := krbRealm(t)
	gssClient := mitrealm.Require(t, "gss-client")
	r.Run(t, []byte("secret\n"), "kinit", "-f", "user")
	for _, flags := range [][]string{nil, {"-nomutual"}, {"-d"}, {"-seq"}} {
		t.Run(strings.Join(append([]string{"opts"}, flags...), " "), func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			c, stdout, stderr := testCLI("")
			port, done := startGSSServer(t, ctx, c, "-port", "0", "-once", "-v", "host@localhost")
			args := append(append([]string{"-port", port}, flags...), "127.0.0.1", "host@localhost", "hello from MIT")
			out, err := exec.CommandContext(ctx, gssClient, args...).CombinedOutput()
			require.NoError(t, err, "gss-client: %s\nours: %s", out, stderr)
			assert.Contains(t, string(out), "Signature verified")
			require.NoError(t, <-done, "stderr: %s", stderr)
			assert.Contains(t, stdout.String(), `Accepted connection: "user@TEST.LOCAL"`)
			assert.Contains(t, stdout.String(), `Received message: "hello from MIT"`)
			if len(flags) == 1 && flags[0] == "-d" {
				assert.Contains(t, stdout.String(), "Delegated credentials received.")
			}
			assert.Contains(t, stderr.String(), "AcceptSecurityContext -> SEC_E_OK")
		})
	}
}

// startGSSServer runs our gss-server with args on c until it listens,
// and returns its port and the channel of its result.
func startGSSServer(t *testing.T, ctx context.Context, c *cli, args ...string) (string, <-chan error) {
	t.Helper()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- c.gssServer(ctx, args, func(addr string) { ready <- addr }) }()
	select {
	case addr := <-ready:
		_, port, _ := net.SplitHostPort(addr)
		return port, done
	case err := <-done:
		t.Fatalf("gss-server: %v", err)
	}
	return "", nil
}

// runGSSClient runs our gss-client -v with flags against srv, MIT's
// gss-server for host@localhost, sending msg, and returns its stdout and
// stderr. gss-server -once serves the first connection, so the client's
// own dial is retried until the server listens.
func runGSSClient(t *testing.T, ctx context.Context, srv *mitrealm.GSSServer, flags []string, msg string) (stdout, stderr string) {
	t.Helper()
	args := append(append([]string{"gss-client", "-v", "-port", fmt.Sprint(srv.Port)}, flags...), "127.0.0.1", "host@localhost", msg)
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, out, errOut := testCLI("")
		err := c.run(ctx, args)
		if err != nil && strings.Contains(err.Error(), "connection refused") && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		require.NoError(t, err, "stderr: %s\ngss-server: %s", errOut, srv.Output())
		return out.String(), errOut.String()
	}
}

func TestPackagesListsKerberos(t *testing.T) {
	c, stdout, _ := testCLI("")
	require.NoError(t, c.run(context.Background(), []string{"packages"}))
	for _, want := range []string{
		"Name        : Kerberos\n",
		"Comment     : Microsoft Kerberos V1.0\n",
		"Capabilities: 0x028f3bbf (",
		"MaxToken    : 48000\n",
		"RPCID       : 16\n",
	} {
		assert.Contains(t, stdout.String(), want)
	}
}
