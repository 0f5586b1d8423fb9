// Package mitrealm makes a throwaway MIT Kerberos realm for interop tests:
// a KDC database, principals and keytabs in a temporary directory and a
// krb5kdc on a loopback port, as /work/shared/SSPI-PACKAGES.md describes.
// Nothing outside the directory is touched; the environment variables are
// set with t.Setenv, so tests using a realm cannot run in parallel.
//
// When an MIT program is missing the test is skipped with the reason, or
// failed when SCHANNEL_INTEROP=require, as interop/'s requirePeer does.
package mitrealm

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/peertest"
)

// Name is the realm every test realm uses.
const Name = "TEST.LOCAL"

// Realm is a running throwaway realm.
type Realm struct {
	Dir        string
	ConfigPath string
	// Port is the KDC's TCP and UDP port on 127.0.0.1.
	Port int
	// Name is the realm's name: Name for New, the caller's for NewCross.
	Name string
	// env, when set, is the KRB5_CONFIG and KRB5_KDC_PROFILE the realm's
	// programs run with, so that two realms can live in one test; nil
	// means the test's environment, which New sets.
	env []string
}

// Require returns the path of an MIT program, or skips (fails under
// SCHANNEL_INTEROP=require) when it is not installed.
func Require(t testing.TB, program string) string {
	t.Helper()
	return peertest.Program(t, program, "krb5-kdc, krb5-admin-server and krb5-user")
}

// New creates the realm's database and configuration and sets
// KRB5_CONFIG, KRB5_KDC_PROFILE and KRB5CCNAME for the test. Call Start
// to run the KDC.
func New(t testing.TB) *Realm {
	t.Helper()
	for _, p := range []string{"kdb5_util", "kadmin.local", "krb5kdc"} {
		Require(t, p)
	}
	dir := t.TempDir()
	r := &Realm{Dir: dir, ConfigPath: filepath.Join(dir, "krb5.conf"), Port: freePort(t), Name: Name}
	conf := fmt.Sprintf(`[libdefaults]
	default_realm = %[1]s
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	allow_weak_crypto = true
	default_ccache_name = FILE:%[2]s/ccache
[realms]
	%[1]s = {
		kdc = 127.0.0.1:%[3]d
	}
`, Name, dir, r.Port)
	kdc := fmt.Sprintf(`[kdcdefaults]
	kdc_ports = %[3]d
	kdc_tcp_listen = %[3]d
[realms]
	%[1]s = {
		database_name = %[2]s/principal
		key_stash_file = %[2]s/stash
		acl_file = %[2]s/kadm5.acl
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal aes256-cts-hmac-sha384-192:normal aes128-cts-hmac-sha256-128:normal arcfour-hmac:normal
	}
`, Name, dir, r.Port)
	write(t, r.ConfigPath, conf)
	write(t, filepath.Join(dir, "kdc.conf"), kdc)
	t.Setenv("KRB5_CONFIG", r.ConfigPath)
	t.Setenv("KRB5_KDC_PROFILE", filepath.Join(dir, "kdc.conf"))
	t.Setenv("KRB5CCNAME", "FILE:"+filepath.Join(dir, "ccache"))
	t.Setenv("KRB5_KTNAME", "FILE:"+filepath.Join(dir, "keytab"))
	r.Run(t, nil, "kdb5_util", "create", "-s", "-r", Name, "-P", "masterpw")
	return r
}

// Admin runs one kadmin.local query.
func (r *Realm) Admin(t testing.TB, query string) string {
	t.Helper()
	return r.Run(t, nil, "kadmin.local", "-r", r.Name, "-q", query)
}

// Run runs an MIT program with stdin and returns its combined output,
// failing the test when it fails.
func (r *Realm) Run(t testing.TB, stdin []byte, program string, args ...string) string {
	t.Helper()
	out, err := r.Try(t, stdin, program, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", program, strings.Join(args, " "), err, out)
	}
	return out
}

// Try is Run that returns the error instead of failing.
func (r *Realm) Try(t testing.TB, stdin []byte, program string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, Require(t, program), args...)
	cmd.Dir = r.Dir
	if r.env != nil {
		cmd.Env = append(os.Environ(), r.env...)
	}
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// Start runs krb5kdc in the foreground until the test ends and waits
// until it accepts TCP connections.
func (r *Realm) Start(t testing.TB) {
	t.Helper()
	cmd := exec.Command(Require(t, "krb5kdc"), "-n", "-r", r.Name, "-P", filepath.Join(r.Dir, "kdc.pid"))
	cmd.Dir = r.Dir
	if r.env != nil {
		cmd.Env = append(os.Environ(), r.env...)
	}
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("krb5kdc: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", r.Port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("krb5kdc did not listen on %d: %v\n%s", r.Port, err, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func write(t testing.TB, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// freePort picks a port free for both TCP and UDP on 127.0.0.1.
func freePort(t testing.TB) int {
	t.Helper()
	for i := 0; i < 20; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free port for the KDC")
	return 0
}
