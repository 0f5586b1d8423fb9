package digest_test

import (
	"fmt"
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
	stdbuf := requirePeer(t, "stdbuf")
	dir := peertest.CyrusConf(t)

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
			p := peertest.StartCyrus(t, peertest.CyrusOptions{Timeout: 20 * time.Second, Env: []string{"SASL_CONF_PATH=" + dir}},
				stdbuf, "-oL", server, "-m", "DIGEST-MD5", "-s", "imap", "-d", "localhost",
				"-u", "test.realm", "-b", fmt.Sprintf("min=%d,max=%d", tc.ssf, tc.ssf))
			recv := func() []byte { return p.Recv(peertest.CyrusServerTag) }
			send := func(b []byte) { p.Send(peertest.CyrusClientTag, b) }

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
				require.NoError(t, err, "server said: %s", p.Log())
				send(resp)
			}
			log := p.Close()
			assert.Contains(t, log, "Negotiation complete")
			assert.Contains(t, log, "Username: chris")
			assert.Contains(t, log, fmt.Sprintf("SSF: %d\n", tc.ssf))
		})
	}
}
