package digest_test

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel/digest"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/sspi"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInteropSASLClientCyrus drives the generic Mechanism (SASLClient, as
// an IMAP client would) against Cyrus SASL's sample server, whose protocol
// is lines of "S: base64" and "C: base64". Cyrus checks the response, the
// realm and the digest-uri imap/localhost; the mechanism checks Cyrus's
// rspauth. The layer is picked by SSF: 0 auth, 1 auth-int, 128 rc4.
func TestInteropSASLClientCyrus(t *testing.T) {
	server := requirePeer(t, "sasl-sample-server")
	passwd := requirePeer(t, "saslpasswd2")
	stdbuf := requirePeer(t, "stdbuf")
	dir := t.TempDir()
	db := filepath.Join(dir, "sasldb")
	conf := fmt.Sprintf("pwcheck_method: auxprop\nauxprop_plugin: sasldb\nsasldb_path: %s\nmech_list: DIGEST-MD5\n", db)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sample.conf"), []byte(conf), 0o644))
	add := exec.Command(passwd, "-f", db, "-c", "-p", "-a", "sample", "-u", "test.realm", "chris")
	add.Stdin = strings.NewReader("secret")
	out, err := add.CombinedOutput()
	require.NoError(t, err, "%s", out)

	for _, tc := range []struct {
		name  string
		ssf   int
		flags uint32
	}{
		{"auth", 0, 0},
		{"auth-int", 1, sspi.ISC_REQ_INTEGRITY},
		{"rc4", 128, sspi.ISC_REQ_CONFIDENTIALITY},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qop := tc.name
			if tc.ssf > 1 {
				qop = "auth-conf " + tc.name
			}
			digestCell(t, "SASL client: SASLClient", peertest.Describe("sasl-sample-server", server), "md5-sess", qop,
				fmt.Sprintf("DIGEST-MD5 login as imap/localhost, rspauth checked, SSF %d", tc.ssf))
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, stdbuf, "-oL", server, "-m", "DIGEST-MD5", "-s", "imap", "-d", "localhost",
				"-u", "test.realm", "-b", fmt.Sprintf("min=%d,max=%d", tc.ssf, tc.ssf))
			cmd.Env = append(os.Environ(), "SASL_CONF_PATH="+dir)
			stdin, err := cmd.StdinPipe()
			require.NoError(t, err)
			stdout, err := cmd.StdoutPipe()
			require.NoError(t, err)
			cmd.Stderr = cmd.Stdout
			require.NoError(t, cmd.Start())
			defer cmd.Wait()
			lines := bufio.NewScanner(stdout)
			var log strings.Builder
			recv := func() []byte {
				for lines.Scan() {
					log.WriteString(lines.Text() + "\n")
					if b64, ok := strings.CutPrefix(lines.Text(), "S: "); ok {
						b, err := base64.StdEncoding.DecodeString(b64)
						require.NoError(t, err)
						return b
					}
				}
				t.Fatalf("the sample server ended: %s", log.String())
				return nil
			}
			send := func(b []byte) { fmt.Fprintf(stdin, "C: %s\n", base64.StdEncoding.EncodeToString(b)) }

			cred, err := digest.AcquireCredentialsHandle(sspi.SECPKG_CRED_OUTBOUND, &digest.Identity{User: "chris", Password: "secret"})
			require.NoError(t, err)
			var m digest.Mechanism = digest.NewSASLClient(cred, "imap", "localhost", tc.flags)
			assert.Equal(t, "DIGEST-MD5", string(recv()), "the server lists its mechanisms")
			name, initial, err := m.Start()
			require.NoError(t, err)
			require.Nil(t, initial)
			send([]byte(name))
			for !m.Done() {
				resp, err := m.Next(recv())
				require.NoError(t, err, "server said: %s", log.String())
				send(resp)
			}
			stdin.Close()
			for lines.Scan() {
				log.WriteString(lines.Text() + "\n")
			}
			assert.Contains(t, log.String(), "Negotiation complete")
			assert.Contains(t, log.String(), "Username: chris")
			assert.Contains(t, log.String(), fmt.Sprintf("SSF: %d\n", tc.ssf))
		})
	}
}
