package negotiate

import (
	"encoding/binary"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/peertest"
)

// TestCyrusSASLGSSAPI: our GSSAPIClient against Cyrus SASL's
// sasl-sample-server with its GSSAPI plugin (MIT underneath), at each
// security strength: SSF 0 (no layer), 1 (integrity) and 256
// (confidentiality). The sample server speaks "S: <base64>" and
// "C: <base64>" lines on stdin and stdout.
func TestCyrusSASLGSSAPI(t *testing.T) {
	start, host := cyrusGSSAPI(t, "sasl-sample-server")
	for _, c := range []struct {
		bits  string
		layer byte
		ssf   string
	}{
		{"max=0", SASLLayerNone, "SSF: 0"},
		{"min=1,max=1", SASLLayerIntegrity, "SSF: 1"},
		{"min=56,max=256", SASLLayerConfidentiality, "SSF: 256"},
	} {
		t.Run(c.bits, func(t *testing.T) {
			p := start(t, "-s", "host", "-m", "GSSAPI", "-b", c.bits)
			readS := func() ([]byte, bool) { return p.TryRecv(peertest.CyrusServerTag) }
			send := func(b []byte) { p.Send(peertest.CyrusClientTag, b) }
			_, ok := readS() // the mechanism list
			require.True(t, ok, "%s%s", p.Log(), p.Stderr())
			send([]byte("GSSAPI"))
			// The sample server takes no initial response with the
			// mechanism: it asks for it with an empty challenge.
			empty, ok := readS()
			require.True(t, ok, "%s%s", p.Log(), p.Stderr())
			require.Empty(t, empty)
			cl := &GSSAPIClient{Service: "host", Host: host, Layers: 0x07}
			resp, _, err := cl.Step(nil)
			require.NoError(t, err)
			send(resp)
			for done := false; !done; {
				ch, ok := readS()
				require.True(t, ok, "%s%s", p.Log(), p.Stderr())
				resp, done, err = cl.Step(ch)
				require.NoError(t, err, "%s%s", p.Log(), p.Stderr())
				send(resp)
			}
			assert.Equal(t, c.layer, cl.Layer)

			// The server's first message, protected with the layer
			// (4-byte length, then the Wrap token), and our answer.
			msg, ok := readS()
			require.True(t, ok, "%s%s", p.Log(), p.Stderr())
			assert.Contains(t, p.Log(), "Negotiation complete\nUsername: user\n")
			assert.Contains(t, p.Log(), c.ssf+"\n")
			if c.layer != SASLLayerNone {
				require.Greater(t, len(msg), 4)
				open, conf, err := Unwrap(cl.Context, msg[4:])
				require.NoError(t, err, "the Cyrus plugin's Wrap token")
				assert.Equal(t, c.layer == SASLLayerConfidentiality, conf)
				msg = open
			}
			assert.Equal(t, "srv message 1\x00", string(msg))
			reply := []byte("client message 1\x00")
			if c.layer != SASLLayerNone {
				w, err := Wrap(cl.Context, reply, c.layer == SASLLayerConfidentiality)
				require.NoError(t, err)
				reply = append(binary.BigEndian.AppendUint32(nil, uint32(len(w))), w...)
			}
			send(reply)
			transcript := p.Close()
			assert.Contains(t, transcript, "client message 1", "%s%s", transcript, p.Stderr())
		})
	}
}

// cyrusGSSAPI makes the realm with host/<this host's name>, the
// principal the Cyrus GSSAPI plugin's acceptor uses, in the keytab, and
// returns this host's name and a function that starts the Cyrus sample
// program with args.
func cyrusGSSAPI(t *testing.T, program string) (start func(t *testing.T, args ...string) *peertest.Cyrus, host string) {
	t.Helper()
	path := requirePeer(t, program, "sasl2-bin and libsasl2-modules-gssapi-mit")
	stdbuf := requirePeer(t, "stdbuf", "coreutils")
	r := newRealm(t)
	host, err := os.Hostname()
	require.NoError(t, err)
	r.Admin(t, "addprinc -randkey host/"+host)
	r.Admin(t, "ktadd -k "+r.Keytab+" host/"+host)
	return func(t *testing.T, args ...string) *peertest.Cyrus {
		// stdbuf: the sample programs write their lines through stdio,
		// which a pipe would hold back until exit.
		return peertest.StartCyrus(t, peertest.CyrusOptions{Timeout: 10 * time.Second, SeparateStderr: true},
			stdbuf, append([]string{"-oL", "-eL", path}, args...)...)
	}, host
}
