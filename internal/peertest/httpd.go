package peertest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The web servers the Digest tests log in to (Apache httpd's
// mod_auth_digest, lighttpd's mod_auth), configured in a temporary
// directory and run in the foreground on a loopback port until the test
// ends. The digest package and its engine check the same servers, so the
// set-up lives here once.

// ApacheModules is where Debian's apache2 keeps its modules.
const ApacheModules = "/usr/lib/apache2/modules"

// FreePort returns a loopback TCP port that was free a moment ago, for a
// daemon told to listen on it.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// RunDaemon runs program with args until the test ends and waits until
// it accepts connections on port of 127.0.0.1; the test fails with the
// daemon's output when it does not within 5 seconds.
func RunDaemon(t testing.TB, port int, program string, args ...string) {
	t.Helper()
	cmd := exec.Command(program, args...)
	var log Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for range 100 {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s is not listening on %d: %s", program, port, log.String())
}

// ApacheModule checks that Apache's module mod_<name>.so is installed,
// calling Missing when it is not. Tests call it before they record their
// cell, so that a missing module is a missing peer, not a failed cell.
func ApacheModule(t testing.TB, name string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(ApacheModules, "mod_"+name+".so")); err != nil {
		Missing(t, fmt.Sprintf("mod_%s.so is not installed (%v); install the Debian package apache2", name, err))
	}
}

// DigestSite is the protected site ApacheDigest and LighttpdDigest serve:
// one page, index.html, for one user.
type DigestSite struct {
	User, Realm, Password string
	// Page is index.html's content.
	Page string
	// HA1 is H(A1) of User, Realm and Password with MD5, for Apache's
	// htdigest file. The caller computes it with the code under test, so
	// that Apache's acceptance checks that code too.
	HA1 string
}

// ApacheDigest runs apache (apache2 -X) with mod_auth_digest guarding the
// site: MD5 with qop=auth, nonces that go stale after 2 seconds
// (AuthDigestNonceLifetime 2), each request logged as "%r %>s" in
// dir/access.log. It returns the page's URL and dir.
func ApacheDigest(t testing.TB, apache string, site DigestSite) (url, dir string) {
	t.Helper()
	ApacheModule(t, "auth_digest")
	dir = t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "htdocs"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "htdocs", "index.html"), []byte(site.Page), 0o644))
	// htdigest's file format, user:realm:H(A1), written here because the
	// htdigest tool prompts on a terminal.
	require.NotEmpty(t, site.HA1, "ApacheDigest needs DigestSite.HA1")
	users := site.User + ":" + site.Realm + ":" + site.HA1 + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, "htdigest"), []byte(users), 0o644))
	port := FreePort(t)
	var conf strings.Builder
	fmt.Fprintf(&conf, "ServerRoot %q\nServerName localhost\nListen 127.0.0.1:%d\nPidFile %q\nErrorLog %q\nCustomLog %q \"%%r %%>s\"\n",
		dir, port, filepath.Join(dir, "httpd.pid"), filepath.Join(dir, "error.log"), filepath.Join(dir, "access.log"))
	for _, m := range []string{"mpm_prefork", "authn_core", "authn_file", "auth_digest", "authz_core", "authz_user"} {
		fmt.Fprintf(&conf, "LoadModule %s_module %s/mod_%s.so\n", m, ApacheModules, m)
	}
	fmt.Fprintf(&conf, `DocumentRoot %q
<Location />
  AuthType Digest
  AuthName %q
  AuthDigestProvider file
  AuthUserFile %q
  AuthDigestNonceLifetime 2
  Require valid-user
</Location>
`, filepath.Join(dir, "htdocs"), site.Realm, filepath.Join(dir, "htdigest"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "httpd.conf"), []byte(conf.String()), 0o644))
	RunDaemon(t, port, apache, "-X", "-f", filepath.Join(dir, "httpd.conf"))
	return fmt.Sprintf("http://127.0.0.1:%d/index.html", port), dir
}

// LighttpdDigest runs lighttpd (-D) with mod_auth guarding the site with
// Digest of algorithm alg (MD5, SHA-256, SHA-512-256) and qop=auth, and
// returns the page's URL.
func LighttpdDigest(t testing.TB, lighttpd string, site DigestSite, alg string) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte(site.Page), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "users"), []byte(site.User+":"+site.Password+"\n"), 0o644))
	port := FreePort(t)
	// nonce_secret stays unset: with it every login fails
	// (SSPI-PACKAGES.md).
	conf := fmt.Sprintf(`server.document-root = %q
server.bind = "127.0.0.1"
server.port = %d
server.modules = ("mod_auth", "mod_authn_file")
server.errorlog = %q
auth.backend = "plain"
auth.backend.plain.userfile = %q
auth.require = ("/" => ("method" => "digest", "algorithm" => %q, "realm" => %q, "require" => "valid-user"))
`, dir, port, filepath.Join(dir, "error.log"), filepath.Join(dir, "users"), alg, site.Realm)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lighttpd.conf"), []byte(conf), 0o644))
	RunDaemon(t, port, lighttpd, "-D", "-f", filepath.Join(dir, "lighttpd.conf"))
	return fmt.Sprintf("http://127.0.0.1:%d/index.html", port)
}
