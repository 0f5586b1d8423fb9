package schannel_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/peertest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The hot path makes no allocation per record in steady state
// (ARCHITECTURE.md, "In place"). These tests hold that line exactly. The race
// detector makes sync.Pool drop buffers on purpose, so they skip under -race;
// CI runs them once more without it (.ci/run, go test -run Allocs).

func TestAllocsConnWrite(t *testing.T) {
	peertest.SkipUnderRace(t)
	client, _ := establishedWriter(t)
	for _, size := range []int{100, 16384, 100000} {
		data := make([]byte, size)
		_, err := client.Write(data) // sizes the reused buffer
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(50, func() {
			if _, err := client.Write(data); err != nil {
				t.Fatal(err)
			}
		})
		assert.Zero(t, allocs, "allocations per %d-byte Write", size)
	}
}

func TestAllocsConnRead(t *testing.T) {
	peertest.SkipUnderRace(t)
	p := pki(t)
	a, b := reusingPair()
	client, server := schannel.Client(a, p.clientConfig()), schannel.Server(b, p.serverConfig())
	connHandshake(t, client, server)
	for _, size := range []int{1000, 16384, 100000} {
		msg := make([]byte, size)
		got := make([]byte, len(msg))
		round := func() {
			if _, err := server.Write(msg); err != nil {
				t.Fatal(err)
			}
			if _, err := io.ReadFull(client, got); err != nil {
				t.Fatal(err)
			}
		}
		round() // sizes the buffers
		assert.Zero(t, testing.AllocsPerRun(50, round), "allocations per %d-byte round", size)
	}
}

func TestAllocsEncryptMessage(t *testing.T) {
	peertest.SkipUnderRace(t)
	client, _ := establishedSSPI(t)
	sizes, err := client.ctx.StreamSizes()
	require.NoError(t, err)
	for _, size := range []int{1, 1000, 16384} {
		buf := make([]byte, sizes.Header+size+sizes.Trailer)
		bufs := make([]schannel.SecBuffer, 4)
		allocs := testing.AllocsPerRun(100, func() {
			bufs[0] = schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, buf[:sizes.Header])
			bufs[1] = schannel.NewSecBuffer(schannel.SECBUFFER_DATA, buf[sizes.Header:sizes.Header+size])
			bufs[2] = schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, buf[sizes.Header+size:])
			bufs[3] = schannel.NewSecBuffer(schannel.SECBUFFER_EMPTY, nil)
			if status, err := client.ctx.EncryptMessage(0, bufs); err != nil || status != schannel.SEC_E_OK {
				t.Fatal(status, err)
			}
		})
		assert.Zero(t, allocs, "allocations per %d-byte EncryptMessage", size)
	}
}

func TestAllocsDecryptMessage(t *testing.T) {
	peertest.SkipUnderRace(t)
	client, server := establishedSSPI(t)
	for _, size := range []int{1, 1000, 16384} {
		// AllocsPerRun calls the function runs+1 times; each call opens a
		// record of its own, sealed beforehand.
		const runs = 100
		records := make([][]byte, runs+1)
		for i := range records {
			records[i] = encrypt(t, client.ctx, make([]byte, size))
		}
		next := 0
		bufs := make([]schannel.SecBuffer, 4)
		allocs := testing.AllocsPerRun(runs, func() {
			bufs[0] = schannel.NewSecBuffer(schannel.SECBUFFER_DATA, records[next])
			bufs[1], bufs[2], bufs[3] = schannel.SecBuffer{}, schannel.SecBuffer{}, schannel.SecBuffer{}
			next++
			if status, err := server.ctx.DecryptMessage(bufs); err != nil || status != schannel.SEC_E_OK {
				t.Fatal(status, err)
			}
		})
		assert.Zero(t, allocs, "allocations per %d-byte DecryptMessage", size)
	}
}

// establishedSSPI is a client and server context after a TLS 1.3 handshake,
// the server's ticket absorbed.
func establishedSSPI(t *testing.T) (*sspiPeer, *sspiPeer) {
	t.Helper()
	p := pki(t)
	client, server, err := connectOnce(t, p.clientConfig(), p.serverConfig())
	require.NoError(t, err)
	return client, server
}

// reusingPair is an in-memory connection whose queues reuse their storage
// once read empty, so that the transport itself allocates nothing in steady
// state (connBufferedPair's queues grow by appending).
func reusingPair() (net.Conn, net.Conn) {
	a, b := newReusingQueue(), newReusingQueue()
	return &reusingConn{in: a, out: b}, &reusingConn{in: b, out: a}
}

type reusingQueue struct {
	mu   sync.Mutex
	cond *sync.Cond
	buf  []byte
	off  int
}

func newReusingQueue() *reusingQueue {
	q := &reusingQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

type reusingConn struct{ in, out *reusingQueue }

func (c *reusingConn) Read(p []byte) (int, error) {
	q := c.in
	q.mu.Lock()
	defer q.mu.Unlock()
	for q.off == len(q.buf) {
		q.cond.Wait()
	}
	n := copy(p, q.buf[q.off:])
	q.off += n
	if q.off == len(q.buf) {
		q.buf, q.off = q.buf[:0], 0
	}
	return n, nil
}

func (c *reusingConn) Write(p []byte) (int, error) {
	q := c.out
	q.mu.Lock()
	defer q.mu.Unlock()
	q.buf = append(q.buf, p...)
	q.cond.Broadcast()
	return len(p), nil
}

func (c *reusingConn) Close() error                     { return nil }
func (c *reusingConn) LocalAddr() net.Addr              { return bufferedAddr{} }
func (c *reusingConn) RemoteAddr() net.Addr             { return bufferedAddr{} }
func (c *reusingConn) SetDeadline(time.Time) error      { return nil }
func (c *reusingConn) SetReadDeadline(time.Time) error  { return nil }
func (c *reusingConn) SetWriteDeadline(time.Time) error { return nil }
