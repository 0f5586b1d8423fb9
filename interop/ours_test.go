//go:build linux

package interop_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// hsTrace counts the SSPI calls of one connection (or of a listener's
// connections) that the cells assert on.
type hsTrace struct {
	mu sync.Mutex
	// flights counts the handshake calls that returned
	// SEC_I_CONTINUE_NEEDED with a token to send: a TLS 1.3 client or server
	// makes one, and one more after a HelloRetryRequest.
	flights int
	// records counts DecryptMessage calls that returned SEC_E_OK.
	records int
	// renegotiates counts SEC_I_RENEGOTIATE from DecryptMessage: tickets and
	// KeyUpdates received after the handshake.
	renegotiates int
	// keyUpdates counts KeyUpdate calls (ours).
	keyUpdates int
}

func (h *hsTrace) add(e schannel.TraceEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch e.Func {
	case "InitializeSecurityContext", "AcceptSecurityContext":
		if e.Status == schannel.SEC_I_CONTINUE_NEEDED && len(e.Out) > 0 &&
			e.Out[0].Type.Kind() == schannel.SECBUFFER_TOKEN && e.Out[0].Size > 0 {
			h.flights++
		}
	case "DecryptMessage":
		switch e.Status {
		case schannel.SEC_E_OK:
			h.records++
		case schannel.SEC_I_RENEGOTIATE:
			h.renegotiates++
		}
	case "KeyUpdate":
		h.keyUpdates++
	}
}

func (h *hsTrace) snapshot() hsTrace {
	h.mu.Lock()
	defer h.mu.Unlock()
	return hsTrace{flights: h.flights, records: h.records, renegotiates: h.renegotiates, keyUpdates: h.keyUpdates}
}

// dialOurs connects our client to addr and runs the handshake within ctx.
// The connection is closed on cleanup.
func dialOurs(t testing.TB, ctx context.Context, addr string, cfg *tls.Config) (*schannel.Conn, *hsTrace) {
	t.Helper()
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	require.NoError(t, err)
	if d, ok := ctx.Deadline(); ok {
		require.NoError(t, raw.SetDeadline(d))
	}
	c := schannel.Client(raw, cfg)
	tr := &hsTrace{}
	c.SetTrace(tr.add)
	t.Cleanup(func() { _ = c.Close() })
	require.NoError(t, c.HandshakeContext(ctx), "our client's handshake with %s", addr)
	return c, tr
}

// lineReader reads newline-terminated lines from a Conn.
type lineReader struct{ r *bufio.Reader }

func newLineReader(c net.Conn) *lineReader { return &lineReader{bufio.NewReaderSize(c, 64<<10)} }

// line reads one line, without its end of line.
func (l *lineReader) line(t testing.TB) string {
	t.Helper()
	s, err := l.r.ReadString('\n')
	require.NoError(t, err, "reading a line (got %q so far)", s)
	return strings.TrimRight(s, "\r\n")
}

// expectEnd reads until the stream ends and checks how: io.EOF after
// close_notify, io.ErrUnexpectedEOF when the peer just closed the socket.
func (l *lineReader) expectEnd(t testing.TB, want error) {
	t.Helper()
	rest, err := io.ReadAll(l.r)
	if err == nil { // ReadAll turns io.EOF into nil
		err = io.EOF
	}
	assert.ErrorIs(t, err, want, "how the stream ended (after %d more bytes: %q)", len(rest), tail(string(rest), 200))
}

// connInfo describes what our side negotiated, for the notes.
func connInfo(c *schannel.Conn) (tls.ConnectionState, schannel.ConnectionInfo) {
	st := c.ConnectionState()
	var info schannel.ConnectionInfo
	if ctx := c.Context(); ctx != nil {
		info, _ = ctx.ConnectionInfo()
	}
	return st, info
}

// assertNegotiated checks that our side negotiated the combination; a
// mismatch is also written to the cell's notes.
func assertNegotiated(t testing.TB, n *notes, c *schannel.Conn, want combo) {
	t.Helper()
	st, info := connInfo(c)
	assertNegotiatedState(t, n, st, info, want)
}

func assertNegotiatedState(t testing.TB, n *notes, st tls.ConnectionState, info schannel.ConnectionInfo, want combo) {
	t.Helper()
	if !assert.Equal(t, want.V.ID, st.Version, "version: got %s", tls.VersionName(st.Version)) {
		n.add("ConnectionState().Version is %s", tls.VersionName(st.Version))
	}
	if !assert.Equal(t, want.S.ID, st.CipherSuite, "cipher suite: got %s", tls.CipherSuiteName(st.CipherSuite)) {
		n.add("ConnectionState().CipherSuite is %s", tls.CipherSuiteName(st.CipherSuite))
	}
	if !assert.Equal(t, want.G.ID, info.KeyExchangeGroup, "group: got %s", info.KeyExchangeGroup) {
		n.add("ConnectionInfo().KeyExchangeGroup is %d, not %s", info.KeyExchangeGroup, want.G.Name)
	}
}

// ourServer is our server on a loopback listener: every accepted connection
// runs handle in its own goroutine, and its result arrives on results.
type ourServer struct {
	addr    string
	port    int
	trace   *hsTrace
	results chan serverResult
}

// serverResult is what one served connection did.
type serverResult struct {
	state tls.ConnectionState
	info  schannel.ConnectionInfo
	err   error // the handler's error
}

// startOurServer listens on 127.0.0.1 with NewListener and serves until
// cleanup.
func startOurServer(t testing.TB, ctx context.Context, cfg *tls.Config, handle func(c *schannel.Conn) error) *ourServer {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &ourServer{addr: inner.Addr().String(), port: inner.Addr().(*net.TCPAddr).Port, trace: &hsTrace{}, results: make(chan serverResult, 16)}
	ln := schannel.NewListener(inner, cfg, schannel.WithTrace(s.trace.add))
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			c := nc.(*schannel.Conn)
			if d, ok := ctx.Deadline(); ok {
				_ = c.SetDeadline(d)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				stop := context.AfterFunc(ctx, func() { _ = c.Close() })
				defer stop()
				err := c.HandshakeContext(ctx)
				if err == nil {
					err = handle(c)
				}
				st, info := connInfo(c)
				_ = c.Close()
				s.results <- serverResult{state: st, info: info, err: err}
			}()
		}
	}()
	return s
}

// next waits for the result of the next connection served.
func (s *ourServer) next(t testing.TB, timeout time.Duration) serverResult {
	t.Helper()
	select {
	case r := <-s.results:
		return r
	case <-time.After(timeout):
		t.Fatalf("our server finished no connection within %v", timeout)
		return serverResult{}
	}
}

// echoLines is a server handler: each line read is answered with "pong:" and
// the line (or its length when long) until the stream ends; it returns how
// it ended (io.EOF for close_notify).
func echoLines(onLine func(c *schannel.Conn, line string) error) func(c *schannel.Conn) error {
	return func(c *schannel.Conn) error {
		r := bufio.NewReaderSize(c, 64<<10)
		for {
			s, err := r.ReadString('\n')
			if err != nil {
				return err
			}
			line := strings.TrimRight(s, "\r\n")
			if onLine != nil {
				if err := onLine(c, line); err != nil {
					return err
				}
			}
			reply := "pong:" + line
			if len(line) > 100 {
				reply = "pong:len=" + strconv.Itoa(len(line))
			}
			if _, err := io.WriteString(c, reply+"\n"); err != nil {
				return err
			}
		}
	}
}

// reverse is what s_server -rev sends back.
func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

// assertP521 checks a P-521 cell: the group, and in TLS 1.3 the peer's
// CertificateVerify scheme, which a P-521 key fixes (RFC 8446 4.2.3).
func assertP521(t testing.TB, n *notes, st tls.ConnectionState, info schannel.ConnectionInfo, v tlsVersion) {
	t.Helper()
	assert.Equal(t, v.ID, st.Version)
	if !assert.Equal(t, tls.CurveP521, info.KeyExchangeGroup) {
		n.add("ConnectionInfo().KeyExchangeGroup is %s, not P-521", info.KeyExchangeGroup)
	}
	if v.isTLS13() {
		assert.Equal(t, tls.ECDSAWithP521AndSHA512, info.SignatureScheme)
	}
	if assert.NotEmpty(t, st.PeerCertificates) {
		if k, ok := st.PeerCertificates[0].PublicKey.(*ecdsa.PublicKey); assert.True(t, ok, "an ECDSA peer certificate") {
			assert.Equal(t, "P-521", k.Curve.Params().Name)
		}
	}
	n.add("group %s, peer signature %s", info.KeyExchangeGroup, info.SignatureScheme)
}
