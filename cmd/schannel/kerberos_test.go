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
	gssServer := mitrealm.Require(t, "gss-server")
	r.Run(t, []byte("secret\n"), "kinit", "-f", "user")
	for _, flags := range [][]string{nil, {"-nomutual"}, {"-d"}, {"-seq", "-nx"}} {
		t.Run(strings.Join(append([]string{"opts"}, flags...), " "), func(t *testing.T) {
			port := freePort(t)
			ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
			defer cancel()
			logPath := filepath.Join(r.Dir, fmt.Sprintf("gss-server-%d.log", port))
			srv := exec.CommandContext(ctx, gssServer, "-port", fmt.Sprint(port), "-once", "-logfile", logPath, "host@localhost")
			var srvOut lockedBuffer
			srv.Stdout, srv.Stderr = &srvOut, &srvOut
			require.NoError(t, srv.Start())
			defer func() { _ = srv.Process.Kill(); _ = srv.Wait() }()
			// gss-server -once serves the first connection, so the client's
			// own dial is retried until the server listens.
			var c *cli
			var stdout, stderr *lockedBuffer
			args := append(append([]string{"gss-client", "-v", "-port", fmt.Sprint(port)}, flags...), "127.0.0.1", "host@localhost", "hello from Go")
			deadline := time.Now().Add(10 * time.Second)
			for {
				c, stdout, stderr = testCLI("")
				err := c.run(ctx, args)
				if err != nil && strings.Contains(err.Error(), "connection refused") && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
					continue
				}
				require.NoError(t, err, "stderr: %s\ngss-server: %s", stderr, srvOut.String())
				break
			}
			assert.Contains(t, stdout.String(), "Signature verified.")
			assert.Contains(t, stderr.String(), "InitializeSecurityContext -> SEC_E_OK", "-v prints the SSPI log")
			require.NoError(t, srv.Wait(), "gss-server: %s", srvOut.String())
			log, _ := exec.Command("cat", logPath).Output()
			assert.Contains(t, string(log)+srvOut.String(), "hello from Go")
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
			ready := make(chan string, 1)
			done := make(chan error, 1)
			go func() {
				done <- c.gssServer(ctx, []string{"-port", "0", "-once", "-v", "host@localhost"}, func(addr string) { ready <- addr })
			}()
			var addr string
			select {
			case addr = <-ready:
			case err := <-done:
				t.Fatalf("gss-server: %v", err)
			}
			_, port, _ := net.SplitHostPort(addr)
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

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
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
