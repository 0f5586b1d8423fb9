//go:build unix

package negotiate

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/peertest"
)

// TestApacheModAuthGSSAPI: our Transport against Apache httpd with
// mod_auth_gssapi: the AP-REP of its 200 is checked (mutual
// authentication is the default), and with Delegate the TGT we forward is
// stored through GssapiDelegCcacheDir.
func TestApacheModAuthGSSAPI(t *testing.T) {
	apache := requirePeer(t, "apache2", "apache2 and libapache2-mod-auth-gssapi")
	const modules = "/usr/lib/apache2/modules"
	if _, err := os.Stat(filepath.Join(modules, "mod_auth_gssapi.so")); err != nil {
		msg := "mod_auth_gssapi is not installed (libapache2-mod-auth-gssapi)"
		if interopRequired() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	r := newRealm(t)
	// httpd's children run as nobody: they get a world-readable copy of
	// the configuration and the keytab, in a directory of their own.
	dir, err := os.MkdirTemp("", "negotiate-apache")
	require.NoError(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o755))
	copyFile := func(from, to string) {
		b, err := os.ReadFile(from)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(to, b, 0o644))
	}
	copyFile(r.Keytab, filepath.Join(dir, "http.keytab"))
	copyFile(r.ConfigPath, filepath.Join(dir, "krb5.conf"))
	for _, d := range []string{"docs", "deleg", "run"} {
		require.NoError(t, os.Mkdir(filepath.Join(dir, d), 0o777))
		require.NoError(t, os.Chmod(filepath.Join(dir, d), 0o777))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "docs", "index.html"), []byte("apache says hello\n"), 0o644))
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	conf := fmt.Sprintf(`ServerRoot %[1]s
Listen 127.0.0.1:%[2]d
ServerName localhost
LoadModule mpm_event_module %[3]s/mod_mpm_event.so
LoadModule authn_core_module %[3]s/mod_authn_core.so
LoadModule authz_core_module %[3]s/mod_authz_core.so
LoadModule authz_user_module %[3]s/mod_authz_user.so
LoadModule auth_gssapi_module %[3]s/mod_auth_gssapi.so
User nobody
Group nogroup
PidFile %[1]s/run/httpd.pid
Mutex file:%[1]s/run default
ErrorLog %[1]s/run/error.log
LogLevel debug
DocumentRoot %[1]s/docs
<Location />
	AuthType GSSAPI
	AuthName "negotiate test"
	GssapiCredStore keytab:%[1]s/http.keytab
	GssapiAllowedMech krb5
	GssapiDelegCcacheDir %[1]s/deleg
	GssapiUseS4U2Proxy Off
	Require valid-user
</Location>
`, dir, port, modules)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "httpd.conf"), []byte(conf), 0o644))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, apache, "-f", filepath.Join(dir, "httpd.conf"), "-DFOREGROUND")
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+filepath.Join(dir, "krb5.conf"), "KRB5_KTNAME=FILE:"+filepath.Join(dir, "http.keytab"))
	out := &peertest.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	// httpd forks: the whole process group goes at the end, and Wait
	// does not wait for children holding the output pipe.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = 5 * time.Second
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		time.Sleep(200 * time.Millisecond)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	errorLog := func() string {
		b, _ := os.ReadFile(filepath.Join(dir, "run", "error.log"))
		return out.String() + string(b)
	}
	u := fmt.Sprintf("http://localhost:%d/index.html", port)
	for deadline := time.Now().Add(15 * time.Second); ; {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
			break
		}
		require.True(t, time.Now().Before(deadline), "httpd did not start: %s", errorLog())
		time.Sleep(100 * time.Millisecond)
	}

	resp, _, err := get(t, &http.Client{Timeout: 20 * time.Second}, u)
	require.NoError(t, err)
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)

	resp, body, err := get(t, &http.Client{Timeout: 20 * time.Second, Transport: &Transport{}}, u)
	require.NoError(t, err, "httpd: %s", errorLog())
	assert.Equal(t, http.StatusOK, resp.StatusCode, "%s\nhttpd: %s", body, errorLog())
	assert.Equal(t, "apache says hello\n", body)

	resp, body, err = get(t, &http.Client{Timeout: 20 * time.Second, Transport: &Transport{Delegate: true}}, u)
	require.NoError(t, err, "httpd: %s", errorLog())
	assert.Equal(t, http.StatusOK, resp.StatusCode, body)
	_, err = os.Stat(filepath.Join(dir, "deleg", "user@TEST.LOCAL"))
	assert.NoError(t, err, "the delegated TGT was stored; httpd: %s", errorLog())
}
