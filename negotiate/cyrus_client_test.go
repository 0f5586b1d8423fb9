package negotiate

import (
	"encoding/binary"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel/internal/peertest"
	"github.com/gosspi/schannel/sspi"
)

// TestCyrusSASLClientGSSAPI: Cyrus SASL's sasl-sample-client (GSSAPI
// plugin, the realm's ticket cache) against our GSSAPIServer, at SSF 0, 1
// and 256, with a protected message each way.
func TestCyrusSASLClientGSSAPI(t *testing.T) {
	start, host := cyrusGSSAPI(t, "sasl-sample-client")
	for _, c := range []struct {
		bits   string
		layers byte
		want   byte
	}{
		{"max=0", SASLLayerNone, SASLLayerNone},
		{"min=1,max=1", SASLLayerNone | SASLLayerIntegrity, SASLLayerIntegrity},
		{"min=56,max=256", 0x07, SASLLayerConfidentiality},
	} {
		t.Run(c.bits, func(t *testing.T) {
			p := start(t, "-s", "host", "-n", host, "-m", "GSSAPI", "-b", c.bits)
			readC := func() []byte { return p.Recv(peertest.CyrusClientTag) }
			send := func(b []byte) { p.Send(peertest.CyrusServerTag, b) }
			send([]byte("GSSAPI"))
			// The sample client sends the mechanism name, a NUL and its
			// initial response on one line.
			mech, initial, ok := strings.Cut(string(readC()), "\x00")
			require.True(t, ok, p.Log())
			require.Equal(t, "GSSAPI", mech)
			srv := &GSSAPIServer{Credentials: kerberosCred(t, sspi.SECPKG_CRED_INBOUND), Layers: c.layers}
			next := []byte(initial)
			for done := false; !done; {
				resp := next
				if resp == nil {
					resp = readC()
				}
				next = nil
				ch, d, err := srv.Step(resp)
				require.NoError(t, err, "%s%s", p.Log(), p.Stderr())
				done = d
				if !done {
					send(ch)
				}
			}
			assert.Equal(t, "user@TEST.LOCAL", srv.User)
			assert.Equal(t, c.want, srv.Layer)

			// The client waits for the server's first message, then
			// sends its own, each protected with the layer.
			out := []byte("srv message 1\x00") // the text the sample client insists on
			if c.want != SASLLayerNone {
				w, err := Wrap(srv.Context, out, c.want == SASLLayerConfidentiality)
				require.NoError(t, err)
				out = append(binary.BigEndian.AppendUint32(nil, uint32(len(w))), w...)
			}
			send(out)
			in := readC()
			if c.want != SASLLayerNone {
				require.Greater(t, len(in), 4)
				open, conf, err := Unwrap(srv.Context, in[4:])
				require.NoError(t, err, "the Cyrus plugin's Wrap token")
				assert.Equal(t, c.want == SASLLayerConfidentiality, conf)
				in = open
			}
			assert.Contains(t, string(in), "client message")
			transcript := p.Close()
			assert.Contains(t, transcript, "recieved decoded message 'srv message 1'", "%s%s", transcript, p.Stderr())
		})
	}
}
