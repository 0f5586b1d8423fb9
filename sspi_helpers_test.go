package schannel_test

import (
	"crypto/tls"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/require"
)

// testPKI is one CA and a server certificate for "example.com", shared by
// the tests of this package.
type testPKI struct {
	ca     *certgen.CA
	server tls.Certificate
}

var sharedPKI *testPKI

func pki(t testing.TB) *testPKI {
	t.Helper()
	if sharedPKI == nil {
		ca, err := certgen.NewCA("schannel test CA")
		require.NoError(t, err)
		sharedPKI = &testPKI{ca: ca, server: ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com", "127.0.0.1"}})}
	}
	return sharedPKI
}

func (p *testPKI) clientConfig() *tls.Config {
	return &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com"}
}

func (p *testPKI) serverConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server}}
}

// splitter decides how many of the n bytes in flight are delivered next.
type splitter func(n int) int

func allAtOnce(n int) int { return n }
func oneByte(n int) int   { return min(n, 1) }
func randomSplits(seed uint64) splitter {
	r := rand.New(rand.NewPCG(seed, seed))
	return func(n int) int { return 1 + r.IntN(n) }
}

// sspiPeer is one side of an in-memory handshake driven through the public
// SSPI calls, the way a careful Schannel program drives them.
type sspiPeer struct {
	name    string
	cred    *schannel.Credentials
	ctx     *schannel.Context
	server  bool
	target  string
	flags   uint32
	inbox   []byte // delivered bytes not yet consumed
	wire    []byte // bytes the peer sent that were not delivered yet
	done    bool
	started bool
	trace   []string
}

// call runs one ISC/ASC call on the inbox and returns the status and output.
func (p *sspiPeer) call(t testing.TB) (schannel.Status, []byte, error) {
	t.Helper()
	var input []schannel.SecBuffer
	if p.started || p.server {
		input = []schannel.SecBuffer{
			schannel.NewSecBuffer(schannel.SECBUFFER_TOKEN, p.inbox),
			schannel.NewSecBuffer(schannel.SECBUFFER_EMPTY, nil),
		}
	}
	output := []schannel.SecBuffer{
		{BufferType: schannel.SECBUFFER_TOKEN},
		{BufferType: schannel.SECBUFFER_ALERT},
	}
	var status schannel.Status
	var err error
	if p.server {
		p.ctx, status, err = schannel.AcceptSecurityContext(p.cred, p.ctx, input, p.flags|schannel.ASC_REQ_ALLOCATE_MEMORY, output)
	} else {
		p.ctx, status, err = schannel.InitializeSecurityContext(p.cred, p.ctx, p.target, p.flags|schannel.ISC_REQ_ALLOCATE_MEMORY, input, output)
	}
	p.started = true
	p.trace = append(p.trace, fmt.Sprintf("%s in=%d -> %s out=%d", p.name, len(p.inbox), status, output[0].Size))
	switch {
	case status == schannel.SEC_E_INCOMPLETE_MESSAGE:
		require.Equal(t, schannel.SECBUFFER_MISSING, input[1].BufferType, "MISSING is reported in input[1]")
		require.Equal(t, expectedMissing(p.inbox), input[1].Size, "MISSING count for %d bytes", len(p.inbox))
	case status.Failed():
		return status, output[1].Buffer, err
	default:
		consumed := len(p.inbox)
		if input != nil && input[1].BufferType == schannel.SECBUFFER_EXTRA {
			require.Equal(t, input[1].Size, len(input[1].Buffer))
			consumed -= input[1].Size
			require.Equal(t, p.inbox[consumed:], input[1].Buffer, "EXTRA points at the trailing bytes")
		}
		p.inbox = p.inbox[consumed:]
	}
	return status, output[0].Buffer, err
}

// firstFlight runs the client's first call and the server's answer to it,
// and returns the server's flight (its status must be CONTINUE_NEEDED).
func firstFlight(t testing.TB, client, server *sspiPeer) []byte {
	t.Helper()
	_, hello, err := client.call(t)
	require.NoError(t, err)
	server.inbox = hello
	status, flight, err := server.call(t)
	require.NoError(t, err)
	require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
	return flight
}

// expectedMissing is the SSPI MISSING count for a buffer holding less than a
// whole record.
func expectedMissing(b []byte) int {
	if len(b) < 5 {
		return 5 - len(b)
	}
	return 5 + int(binary.BigEndian.Uint16(b[3:5])) - len(b)
}

// handshakePair drives client and server to SEC_E_OK, delivering bytes with
// split. It returns the bytes each side has left over (application data that
// arrived with the last flight).
func handshakePair(t testing.TB, client, server *sspiPeer, split splitter) error {
	t.Helper()
	deliver := func(p *sspiPeer) bool {
		if len(p.wire) == 0 {
			return false
		}
		n := split(len(p.wire))
		p.inbox = append(p.inbox, p.wire[:n]...)
		p.wire = p.wire[n:]
		return true
	}
	peers := [2]*sspiPeer{client, server}
	// The client speaks first, with no input.
	if _, out, err := client.call(t); err != nil {
		return err
	} else {
		server.wire = append(server.wire, out...)
	}
	for range 100000 {
		if client.done && server.done {
			return nil
		}
		progressed := false
		for i, p := range peers {
			other := peers[1-i]
			if p.done {
				continue
			}
			if len(p.inbox) == 0 && !deliver(p) {
				continue
			}
			status, out, err := p.call(t)
			if err != nil && status != schannel.SEC_E_INCOMPLETE_MESSAGE {
				if len(out) > 0 {
					other.wire = append(other.wire, out...)
				}
				return err
			}
			switch status {
			case schannel.SEC_E_INCOMPLETE_MESSAGE:
				if !deliver(p) {
					continue
				}
			case schannel.SEC_E_OK:
				p.done = true
			}
			other.wire = append(other.wire, out...)
			progressed = true
		}
		if !progressed && len(client.wire) == 0 && len(server.wire) == 0 {
			return fmt.Errorf("handshake stalled: %v / %v", client.trace, server.trace)
		}
	}
	return fmt.Errorf("handshake did not finish")
}

func newPeers(t testing.TB, clientCfg, serverCfg *tls.Config) (*sspiPeer, *sspiPeer) {
	t.Helper()
	ccred, err := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_OUTBOUND, clientCfg)
	require.NoError(t, err)
	scred, err := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_INBOUND, serverCfg)
	require.NoError(t, err)
	return &sspiPeer{name: "client", cred: ccred, target: clientCfg.ServerName},
		&sspiPeer{name: "server", cred: scred, server: true}
}

// encrypt seals data with EncryptMessage into one contiguous record.
func encrypt(t testing.TB, ctx *schannel.Context, data []byte) []byte {
	t.Helper()
	sizes, err := ctx.StreamSizes()
	require.NoError(t, err)
	buf := make([]byte, sizes.Header+len(data)+sizes.Trailer)
	copy(buf[sizes.Header:], data)
	bufs := []schannel.SecBuffer{
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, buf[:sizes.Header]),
		schannel.NewSecBuffer(schannel.SECBUFFER_DATA, buf[sizes.Header:sizes.Header+len(data)]),
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, buf[sizes.Header+len(data):]),
		schannel.NewSecBuffer(schannel.SECBUFFER_EMPTY, nil),
	}
	status, err := ctx.EncryptMessage(0, bufs)
	require.NoError(t, err)
	require.Equal(t, schannel.SEC_E_OK, status)
	return buf[:bufs[0].Size+bufs[1].Size+bufs[2].Size]
}

// decryptAll runs DecryptMessage over in until it is used up, the way a
// careful read loop does, and returns the plaintext and the last status.
func decryptAll(t testing.TB, ctx *schannel.Context, in []byte) ([]byte, schannel.Status) {
	t.Helper()
	var plain []byte
	for len(in) > 0 {
		bufs := []schannel.SecBuffer{
			schannel.NewSecBuffer(schannel.SECBUFFER_DATA, in),
			{}, {}, {},
		}
		status, err := ctx.DecryptMessage(bufs)
		if status != schannel.SEC_E_OK {
			_ = err
			return plain, status
		}
		plain = append(plain, bufs[1].Buffer...)
		in = nil
		if bufs[3].BufferType == schannel.SECBUFFER_EXTRA {
			in = bufs[3].Buffer
		}
	}
	return plain, schannel.SEC_E_OK
}
