package schannel_test

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/require"
)

// connTestTimeout bounds every blocking step of these tests: a deadline on each
// connection, so a bug shows up as a timeout error instead of a hung run.
const connTestTimeout = 20 * time.Second

// connTransport makes a connected pair of raw connections.
type connTransport struct {
	name string
	pair func(t *testing.T) (client, server net.Conn)
	// synchronous transports deliver a write only to a reader that is
	// waiting. A server's NewSessionTicket, sent when its handshake ends,
	// then waits for the client to read, and a test whose client writes
	// first deadlocks (crypto/tls behaves the same). Over them the servers
	// of these tests issue no tickets; tickets are covered over TCP.
	synchronous bool
}

var connTransports = []connTransport{
	{name: "tcp", pair: connTCPPair},
	{name: "pipe", pair: connPipePair, synchronous: true},
}

// server adapts a server configuration to the transport.
func (tr connTransport) server(cfg *tls.Config) *tls.Config {
	if tr.synchronous {
		cfg.SessionTicketsDisabled = true
	}
	return cfg
}

// connTCPPair is a loopback TCP connection.
func connTCPPair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	client, err := net.DialTimeout("tcp", ln.Addr().String(), connTestTimeout)
	require.NoError(t, err)
	server := <-accepted
	require.NotNil(t, server)
	connBound(t, client, server)
	return client, server
}

// connPipePair is a synchronous in-memory connection: every write waits for the
// reader, which catches loops that write when they should read.
func connPipePair(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	client, server := net.Pipe()
	connBound(t, client, server)
	return client, server
}

// connBufferedTransport is a bufferedPair as a connTransport.
func connBufferedTransport(t *testing.T) (net.Conn, net.Conn) {
	t.Helper()
	a, b := connBufferedPair()
	t.Cleanup(func() { _ = a.Close() })
	return a, b
}

// connBound gives each connection a deadline and closes it when the test ends.
func connBound(t *testing.T, conns ...net.Conn) {
	t.Helper()
	for _, c := range conns {
		require.NoError(t, c.SetDeadline(time.Now().Add(connTestTimeout)))
		t.Cleanup(func() { _ = c.Close() })
	}
}

// connAsync runs f in a goroutine and returns a channel with its error.
func connAsync(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

// connWait receives from ch, failing the test if nothing arrives in time.
func connWait[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(connTestTimeout):
		require.FailNow(t, "timed out waiting for a goroutine")
		panic("unreachable")
	}
}

// connHandshake runs both handshakes at once and requires them to succeed.
func connHandshake(t *testing.T, client, server *schannel.Conn) {
	t.Helper()
	serverErr := connAsync(server.Handshake)
	require.NoError(t, client.Handshake(), "client handshake")
	require.NoError(t, connWait(t, serverErr), "server handshake")
}

// connPair is a client and a server Conn of this package over tr, with the
// handshake done.
func connPair(t *testing.T, tr connTransport, clientCfg, serverCfg *tls.Config) (*schannel.Conn, *schannel.Conn) {
	t.Helper()
	rc, rs := tr.pair(t)
	client := schannel.Client(rc, clientCfg)
	server := schannel.Server(rs, tr.server(serverCfg))
	connHandshake(t, client, server)
	return client, server
}

// connTraceLog collects trace events from any goroutine.
type connTraceLog struct {
	mu     sync.Mutex
	events []schannel.TraceEvent
}

func (l *connTraceLog) hook(e schannel.TraceEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

func (l *connTraceLog) all() []schannel.TraceEvent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]schannel.TraceEvent(nil), l.events...)
}

func (l *connTraceLog) String() string {
	var b strings.Builder
	for _, e := range l.all() {
		fmt.Fprintln(&b, e)
	}
	return b.String()
}

// count reports how many calls of fn returned status.
func (l *connTraceLog) count(fn string, status schannel.Status) int {
	n := 0
	for _, e := range l.all() {
		if e.Func == fn && e.Status == status {
			n++
		}
	}
	return n
}

// hasOut reports whether a call of fn returned status with an output buffer
// of kind k and a non-zero size.
func (l *connTraceLog) hasOut(fn string, status schannel.Status, k schannel.BufferType) bool {
	for _, e := range l.all() {
		if e.Func != fn || e.Status != status {
			continue
		}
		for _, b := range e.Out {
			if b.Type.Kind() == k && b.Size > 0 {
				return true
			}
		}
	}
	return false
}

// connEcho copies everything c reads back to it until EOF, then closes it.
// The Close error is not reported: crypto/tls reports a close_notify it
// could not send to a peer that is gone, which is no failure here.
func connEcho(c net.Conn) error {
	_, err := io.Copy(c, c)
	_ = c.Close()
	return err
}

// countingConn counts the reads made on the connection it wraps.
type countingConn struct {
	net.Conn
	mu    sync.Mutex
	reads int
}

func (c *countingConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
	return c.Conn.Read(p)
}

func (c *countingConn) Reads() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

// trickleConn returns at most max bytes per Read, like a slow network.
type trickleConn struct {
	net.Conn
	max int
}

func (c trickleConn) Read(p []byte) (int, error) {
	if len(p) > c.max {
		p = p[:c.max]
	}
	return c.Conn.Read(p)
}

// bufferedConn is one end of an in-memory connection whose writes never
// block and whose reads return everything written so far: bytes written in
// several calls arrive in one read, deterministically.
type bufferedConn struct {
	in, out *bufferedQueue
}

type bufferedQueue struct {
	mu       sync.Mutex
	cond     *sync.Cond
	data     []byte
	closed   bool
	deadline time.Time // for reads
	timer    *time.Timer
}

func newBufferedQueue() *bufferedQueue {
	q := &bufferedQueue{}
	q.cond = sync.NewCond(&q.mu)
	return q
}

// connBufferedPair is a connected pair of bufferedConns, with a read
// deadline of connTestTimeout so that no test can hang on one.
func connBufferedPair() (*bufferedConn, *bufferedConn) {
	a, b := newBufferedQueue(), newBufferedQueue()
	ca, cb := &bufferedConn{in: a, out: b}, &bufferedConn{in: b, out: a}
	deadline := time.Now().Add(connTestTimeout)
	_ = ca.SetReadDeadline(deadline)
	_ = cb.SetReadDeadline(deadline)
	return ca, cb
}

func (c *bufferedConn) Read(p []byte) (int, error) {
	q := c.in
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.data) == 0 && !q.closed {
		if !q.deadline.IsZero() && !time.Now().Before(q.deadline) {
			return 0, os.ErrDeadlineExceeded
		}
		q.cond.Wait()
	}
	if len(q.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, q.data)
	q.data = q.data[n:]
	return n, nil
}

func (c *bufferedConn) Write(p []byte) (int, error) {
	q := c.out
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return 0, io.ErrClosedPipe
	}
	q.data = append(q.data, p...)
	q.cond.Broadcast()
	return len(p), nil
}

// Buffered reports how many bytes wait to be read on this end.
func (c *bufferedConn) Buffered() int {
	c.in.mu.Lock()
	defer c.in.mu.Unlock()
	return len(c.in.data)
}

func (c *bufferedConn) Close() error {
	for _, q := range []*bufferedQueue{c.in, c.out} {
		q.mu.Lock()
		q.closed = true
		q.cond.Broadcast()
		q.mu.Unlock()
	}
	return nil
}

func (c *bufferedConn) LocalAddr() net.Addr                { return bufferedAddr{} }
func (c *bufferedConn) RemoteAddr() net.Addr               { return bufferedAddr{} }
func (c *bufferedConn) SetDeadline(t time.Time) error      { return c.SetReadDeadline(t) }
func (c *bufferedConn) SetWriteDeadline(t time.Time) error { return nil } // writes never block

// SetReadDeadline wakes a blocked Read when t passes.
func (c *bufferedConn) SetReadDeadline(t time.Time) error {
	q := c.in
	q.mu.Lock()
	defer q.mu.Unlock()
	q.deadline = t
	if q.timer != nil {
		q.timer.Stop()
	}
	q.cond.Broadcast()
	if !t.IsZero() {
		q.timer = time.AfterFunc(time.Until(t), func() {
			q.mu.Lock()
			q.cond.Broadcast()
			q.mu.Unlock()
		})
	}
	return nil
}

type bufferedAddr struct{}

func (bufferedAddr) Network() string { return "buffered" }
func (bufferedAddr) String() string  { return "buffered" }

// connIsTimeout reports whether err is a net.Error that timed out.
func connIsTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)
}

// newTextLogger logs everything, Debug included, as text to w.
func newTextLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
