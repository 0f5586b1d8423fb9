package schannel_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randomBytes(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// noTickets is a server configuration that issues no session tickets, for
// tests that count SEC_I_RENEGOTIATE results caused by KeyUpdates alone.
func noTickets(cfg *tls.Config) *tls.Config {
	cfg.SessionTicketsDisabled = true
	return cfg
}

func TestConnEcho(t *testing.T) {
	p := pki(t)
	sizes := []int{1, 100, 16384, 16385, 4*16384 + 1, 9*16384 + 7, 1 << 20}
	for _, tr := range connTransports {
		for _, size := range sizes {
			t.Run(tr.name+"/"+itoa(size), func(t *testing.T) {
				client, server := connPair(t, tr, p.clientConfig(), p.serverConfig())
				done := connAsync(func() error { return connEcho(server) })
				msg := randomBytes(size, uint64(size))
				written := connAsync(func() error {
					n, err := client.Write(msg)
					if n != len(msg) && err == nil {
						err = io.ErrShortWrite
					}
					return err
				})
				got := make([]byte, len(msg))
				_, err := io.ReadFull(client, got)
				require.NoError(t, err)
				require.NoError(t, connWait(t, written))
				assert.True(t, bytes.Equal(msg, got), "echoed data differs")

				require.NoError(t, client.CloseWrite())
				n, err := client.Read(got)
				assert.Equal(t, 0, n)
				assert.ErrorIs(t, err, io.EOF, "the server's Close sends close_notify")
				require.NoError(t, connWait(t, done))
				require.NoError(t, client.Close())
			})
		}
	}
}

func itoa(n int) string {
	return string(appendInt(nil, n))
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func TestConnConnectionState(t *testing.T) {
	p := pki(t)
	ccfg, scfg := p.clientConfig(), p.serverConfig()
	ccfg.NextProtos = []string{"h2", "http/1.1"}
	scfg.NextProtos = []string{"http/1.1"}
	rc, rs := connTCPPair(t)
	client, server := schannel.Client(rc, ccfg), schannel.Server(rs, scfg)
	assert.False(t, client.ConnectionState().HandshakeComplete)
	assert.Nil(t, client.Context())
	_, err := client.StreamSizes()
	assert.ErrorIs(t, err, schannel.SEC_E_INVALID_HANDLE)

	connHandshake(t, client, server)
	for _, c := range []*schannel.Conn{client, server} {
		cs := c.ConnectionState()
		assert.True(t, cs.HandshakeComplete)
		assert.Equal(t, uint16(tls.VersionTLS13), cs.Version)
		assert.Equal(t, "http/1.1", cs.NegotiatedProtocol)
		assert.Equal(t, "example.com", cs.ServerName)
		assert.NotZero(t, cs.CipherSuite)
		sizes, err := c.StreamSizes()
		require.NoError(t, err)
		assert.Equal(t, schannel.StreamSizes{Header: 5, Trailer: 17, MaximumMessage: 16384, Buffers: 4, BlockSize: 1}, sizes)
		require.NotNil(t, c.Context())
		assert.Same(t, rc, client.NetConn())
	}
	require.NotEmpty(t, client.ConnectionState().PeerCertificates)
	assert.Equal(t, "example.com", client.ConnectionState().PeerCertificates[0].Subject.CommonName)
	assert.Equal(t, rc.LocalAddr(), client.LocalAddr())
	assert.Equal(t, rc.RemoteAddr(), client.RemoteAddr())
}

func TestConnTrace(t *testing.T) {
	p := pki(t)
	var clientLog, serverLog connTraceLog
	ccfg := p.clientConfig()
	ccfg.NextProtos = []string{"h2"}
	rc, rs := connTCPPair(t)
	client, server := schannel.Client(rc, ccfg), schannel.Server(rs, p.serverConfig())
	client.SetTrace(clientLog.hook)
	server.SetTrace(serverLog.hook)
	connHandshake(t, client, server)
	_, err := client.Write([]byte("ping"))
	require.NoError(t, err)
	_, err = server.Read(make([]byte, 10))
	require.NoError(t, err)
	require.NoError(t, client.Close())

	lines := regexp.MustCompile(`^(\w+(\(\w+\))?) -> (SEC_[EI]_\w+)  in:\[[^\]]*\] out:\[[^\]]*\]`)
	for _, e := range append(clientLog.all(), serverLog.all()...) {
		assert.Regexp(t, lines, e.String())
	}
	events := clientLog.all()
	require.GreaterOrEqual(t, len(events), 4, clientLog.String())
	assert.Equal(t, "AcquireCredentialsHandle -> SEC_E_OK  in:[] out:[]", events[0].String())
	first := events[1]
	assert.Equal(t, "InitializeSecurityContext", first.Func)
	assert.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, first.Status)
	assert.Equal(t, []schannel.TraceBuffer{{Type: schannel.SECBUFFER_APPLICATION_PROTOCOLS, Size: len(mustEncodeALPN(t, "h2"))}}, first.In,
		"the first call passes only the ALPN list")
	require.Len(t, first.Out, 2)
	assert.Equal(t, schannel.SECBUFFER_TOKEN, first.Out[0].Type)
	assert.Greater(t, first.Out[0].Size, 100, "the ClientHello")
	assert.Equal(t, 1, clientLog.count("InitializeSecurityContext", schannel.SEC_E_OK)-1, "one SEC_E_OK for the handshake, one for close_notify")
	assert.Equal(t, 1, clientLog.count("EncryptMessage", schannel.SEC_E_OK))
	assert.Equal(t, 1, clientLog.count("ApplyControlToken", schannel.SEC_E_OK))
	assert.Equal(t, 1, serverLog.count("AcceptSecurityContext", schannel.SEC_E_OK))
	assert.Equal(t, 1, serverLog.count("DecryptMessage", schannel.SEC_E_OK))
}

func TestConnConcurrentFirstCallsShareOneHandshake(t *testing.T) {
	p := pki(t)
	for _, tr := range connTransports {
		t.Run(tr.name, func(t *testing.T) {
			var log connTraceLog
			rc, rs := tr.pair(t)
			client, server := schannel.Client(rc, p.clientConfig()), schannel.Server(rs, noTickets(p.serverConfig()))
			client.SetTrace(log.hook)
			done := connAsync(func() error { return connEcho(server) })
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			for range 4 {
				wg.Go(func() { errs <- client.Handshake() })
			}
			wg.Go(func() {
				_, err := client.Write([]byte("x"))
				errs <- err
			})
			got := make([]byte, 1)
			_, err := io.ReadFull(client, got)
			require.NoError(t, err)
			wg.Wait()
			close(errs)
			for err := range errs {
				assert.NoError(t, err)
			}
			assert.Equal(t, 1, log.count("AcquireCredentialsHandle", schannel.SEC_E_OK))
			assert.Equal(t, 1, log.count("InitializeSecurityContext", schannel.SEC_I_CONTINUE_NEEDED))
			assert.Equal(t, 1, log.count("InitializeSecurityContext", schannel.SEC_E_OK))
			require.NoError(t, client.Close())
			require.NoError(t, connWait(t, done))
		})
	}
}

// TestConnHandshakeReadsWhatIsMissing feeds the handshake through
// connections that deliver a byte or a few at a time: the loop must still
// finish, and must ask the SSPI again only when a read brought what
// SECBUFFER_MISSING asked for, not after every byte.
func TestConnHandshakeReadsWhatIsMissing(t *testing.T) {
	p := pki(t)
	for _, max := range []int{1, 7, 100} {
		t.Run("max "+itoa(max), func(t *testing.T) {
			var clientLog, serverLog connTraceLog
			rc, rs := connTCPPair(t)
			client := schannel.Client(trickleConn{rc, max}, p.clientConfig())
			server := schannel.Server(trickleConn{rs, max}, p.serverConfig())
			client.SetTrace(clientLog.hook)
			server.SetTrace(serverLog.hook)
			connHandshake(t, client, server)
			// The client reads one flight (a handful of records), the server
			// the ClientHello and the client's last flight: each record costs
			// at most two calls (header, then body), never one per byte.
			assert.LessOrEqual(t, clientLog.count("InitializeSecurityContext", schannel.SEC_E_INCOMPLETE_MESSAGE), 12, clientLog.String())
			assert.LessOrEqual(t, serverLog.count("AcceptSecurityContext", schannel.SEC_E_INCOMPLETE_MESSAGE), 12, serverLog.String())
			for _, e := range clientLog.all() {
				if e.Status == schannel.SEC_E_INCOMPLETE_MESSAGE {
					require.Len(t, e.Out, 3, "output TOKEN, ALERT and the rewritten input")
					assert.Equal(t, schannel.SECBUFFER_MISSING, e.Out[2].Type)
					assert.Positive(t, e.Out[2].Size)
				}
			}
		})
	}
}

// TestConnHandshakeReadsInFewCalls checks that the receive side reads into
// its buffer instead of byte by byte: a whole flight takes a few reads.
func TestConnHandshakeReadsInFewCalls(t *testing.T) {
	p := pki(t)
	a, b := connBufferedPair()
	counted := &countingConn{Conn: a}
	client, server := schannel.Client(counted, p.clientConfig()), schannel.Server(b, p.serverConfig())
	connHandshake(t, client, server)
	assert.LessOrEqual(t, counted.Reads(), 2, "the server's flight arrives in one read")
}

// rawClient runs a client handshake with nothing but the SSPI calls and
// returns the context and its last token unsent, so a test can decide how
// it reaches the peer.
func rawClient(t *testing.T, conn net.Conn, cfg *tls.Config) (*schannel.Context, []byte) {
	t.Helper()
	cred, err := schannel.AcquireCredentialsHandle(schannel.SECPKG_CRED_OUTBOUND, cfg)
	require.NoError(t, err)
	var ctx *schannel.Context
	var inbox []byte
	buf := make([]byte, 64<<10)
	var input []schannel.SecBuffer
	for {
		out := []schannel.SecBuffer{{BufferType: schannel.SECBUFFER_TOKEN}}
		var status schannel.Status
		ctx, status, err = schannel.InitializeSecurityContext(cred, ctx, cfg.ServerName, schannel.ISC_REQ_ALLOCATE_MEMORY, input, out)
		if status == schannel.SEC_E_INCOMPLETE_MESSAGE {
			n, err := conn.Read(buf)
			require.NoError(t, err)
			inbox = append(inbox, buf[:n]...)
			input = []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_TOKEN, inbox), {}}
			continue
		}
		require.NoError(t, err)
		if input != nil && input[1].BufferType == schannel.SECBUFFER_EXTRA {
			inbox = append([]byte(nil), inbox[len(inbox)-input[1].Size:]...)
		} else {
			inbox = nil
		}
		if status == schannel.SEC_E_OK {
			require.Empty(t, inbox)
			return ctx, out[0].Buffer
		}
		require.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, status)
		_, err = conn.Write(out[0].Buffer)
		require.NoError(t, err)
		if len(inbox) == 0 {
			n, err := conn.Read(buf)
			require.NoError(t, err)
			inbox = append(inbox, buf[:n]...)
		}
		input = []schannel.SecBuffer{schannel.NewSecBuffer(schannel.SECBUFFER_TOKEN, inbox), {}}
	}
}

// TestConnApplicationDataWithLastFlight sends the client's Finished and its
// first record in one write. The server's last AcceptSecurityContext returns
// the record as EXTRA with SEC_E_OK; it must reach Read, not the handshake.
func TestConnApplicationDataWithLastFlight(t *testing.T) {
	p := pki(t)
	a, b := connBufferedPair()
	var log connTraceLog
	server := schannel.Server(b, p.serverConfig())
	server.SetTrace(log.hook)
	serverDone := connAsync(server.Handshake)

	ctx, finished := rawClient(t, a, p.clientConfig())
	record := sealRecord(t, ctx, []byte("EHLO right after Finished"))
	_, err := a.Write(append(finished, record...))
	require.NoError(t, err)
	require.NoError(t, connWait(t, serverDone))

	got := make([]byte, 100)
	n, err := server.Read(got)
	require.NoError(t, err)
	assert.Equal(t, "EHLO right after Finished", string(got[:n]))
	assert.True(t, log.hasOut("AcceptSecurityContext", schannel.SEC_E_OK, schannel.SECBUFFER_EXTRA), log.String())
	assert.Equal(t, 1, log.count("AcceptSecurityContext", schannel.SEC_E_OK), "EXTRA never goes back into the handshake")
}

// TestConnSeveralPostHandshakeMessagesInOneRead has the server send three
// KeyUpdates and then data, all of which the client reads at once: each
// SEC_I_RENEGOTIATE goes through InitializeSecurityContext, and what that
// call leaves as EXTRA goes back to DecryptMessage without another read.
func TestConnSeveralPostHandshakeMessagesInOneRead(t *testing.T) {
	p := pki(t)
	a, b := connBufferedPair()
	var log connTraceLog
	client, server := schannel.Client(a, p.clientConfig()), schannel.Server(b, noTickets(p.serverConfig()))
	client.SetTrace(log.hook)
	connHandshake(t, client, server)
	for range 3 {
		require.NoError(t, server.KeyUpdate(false))
	}
	_, err := server.Write([]byte("after three key updates"))
	require.NoError(t, err)
	require.NoError(t, server.KeyUpdate(false))
	_, err = server.Write([]byte(", and one more"))
	require.NoError(t, err)

	got := make([]byte, 100)
	n, err := io.ReadAtLeast(client, got, len("after three key updates, and one more"))
	require.NoError(t, err)
	assert.Equal(t, "after three key updates, and one more", string(got[:n]))
	assert.Equal(t, 4, log.count("DecryptMessage", schannel.SEC_I_RENEGOTIATE))
	assert.Equal(t, 5, log.count("InitializeSecurityContext", schannel.SEC_E_OK), "the handshake and one per KeyUpdate")
	assert.True(t, log.hasOut("InitializeSecurityContext", schannel.SEC_E_OK, schannel.SECBUFFER_EXTRA),
		"the records after a KeyUpdate come back as EXTRA of the call that absorbed it")

	// The keys changed four times; the other direction is untouched.
	_, err = client.Write([]byte("reply"))
	require.NoError(t, err)
	n, err = server.Read(got)
	require.NoError(t, err)
	assert.Equal(t, "reply", string(got[:n]))
}

// TestConnKeyUpdate updates keys from either side, asking the peer to
// update too or not, while data flows both ways.
func TestConnKeyUpdate(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name        string
		fromServer  bool
		requestPeer bool
	}{
		{"client", false, false},
		{"client requests", false, true},
		{"server", true, false},
		{"server requests", true, true},
	}
	for _, tr := range connTransports {
		for _, tc := range cases {
			if tr.name == "pipe" && tc.requestPeer {
				// Over a synchronous pipe the peer's answer waits for this
				// side to read while this side waits for the peer to read
				// its next message: a test artefact, not a Conn property.
				continue
			}
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				var clientLog, serverLog connTraceLog
				rc, rs := tr.pair(t)
				client, server := schannel.Client(rc, p.clientConfig()), schannel.Server(rs, noTickets(p.serverConfig()))
				client.SetTrace(clientLog.hook)
				server.SetTrace(serverLog.hook)
				connHandshake(t, client, server)
				updater, other := client, server
				updaterLog, otherLog := &clientLog, &serverLog
				if tc.fromServer {
					updater, other = server, client
					updaterLog, otherLog = &serverLog, &clientLog
				}
				done := connAsync(func() error { return connEcho(other) })
				buf := make([]byte, 5)
				for i := range 3 {
					require.NoError(t, updater.KeyUpdate(tc.requestPeer))
					msg := []byte("msg " + itoa(i))
					_, err := updater.Write(msg)
					require.NoError(t, err)
					_, err = io.ReadFull(updater, buf)
					require.NoError(t, err)
					assert.Equal(t, string(msg), string(buf))
				}
				require.NoError(t, updater.Close())
				require.NoError(t, connWait(t, done))
				assert.Equal(t, 3, updaterLog.count("KeyUpdate", schannel.SEC_E_OK))
				assert.Equal(t, 3, otherLog.count("DecryptMessage", schannel.SEC_I_RENEGOTIATE))
				answers := 0
				if tc.requestPeer {
					answers = 3
				}
				assert.Equal(t, answers, updaterLog.count("DecryptMessage", schannel.SEC_I_RENEGOTIATE), "the peer's answers")
			})
		}
	}
}

// TestConnWritesDuringKeyUpdates writes from both sides while both sides
// keep updating keys and asking the peer to update: with a record sent
// twice, in plaintext or out of order, the peer's DecryptMessage would fail.
//
// It runs over transports that buffer. Over a synchronous pipe each side's
// reader would wait for its own write lock (to answer the peer's KeyUpdate)
// while each writer waits for the other side's reader, as with crypto/tls;
// the README lists this.
func TestConnWritesDuringKeyUpdates(t *testing.T) {
	p := pki(t)
	for _, tr := range []connTransport{connTransports[0], {name: "buffered", pair: connBufferedTransport}} {
		t.Run(tr.name, func(t *testing.T) {
			client, server := connPair(t, tr, p.clientConfig(), p.serverConfig())
			const size = 1 << 20
			var wg sync.WaitGroup
			errs := make(chan error, 8)
			results := make([][]byte, 2)
			for i, c := range []*schannel.Conn{client, server} {
				data := randomBytes(size, uint64(i))
				wg.Go(func() { // writer, with key updates between the writes
					for off := 0; off < size; off += 10000 {
						if off%50000 == 0 {
							if err := c.KeyUpdate(true); err != nil {
								errs <- err
								return
							}
						}
						if _, err := c.Write(data[off:min(off+10000, size)]); err != nil {
							errs <- err
							return
						}
					}
					errs <- c.CloseWrite()
				})
				wg.Go(func() { // reader
					got, err := io.ReadAll(c)
					results[i] = got
					errs <- err
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			assert.True(t, bytes.Equal(randomBytes(size, 1), results[0]), "client received the server's data")
			assert.True(t, bytes.Equal(randomBytes(size, 0), results[1]), "server received the client's data")
		})
	}
}

func TestConnEndOfStream(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name  string
		close func(c *schannel.Conn) error
		want  error
	}{
		{"close_notify", (*schannel.Conn).Close, io.EOF},
		{"CloseWrite", (*schannel.Conn).CloseWrite, io.EOF},
		{"socket closed without close_notify", func(c *schannel.Conn) error { return c.NetConn().Close() }, io.ErrUnexpectedEOF},
	}
	for _, tr := range connTransports {
		for _, tc := range cases {
			t.Run(tr.name+"/"+tc.name, func(t *testing.T) {
				client, server := connPair(t, tr, p.clientConfig(), p.serverConfig())
				written := connAsync(func() error {
					if _, err := server.Write([]byte("last words")); err != nil {
						return err
					}
					return tc.close(server)
				})
				got, err := io.ReadAll(client)
				assert.Equal(t, "last words", string(got))
				if tc.want == io.EOF {
					assert.NoError(t, err, "io.ReadAll hides io.EOF")
				} else {
					assert.ErrorIs(t, err, tc.want)
				}
				require.NoError(t, connWait(t, written))
				// The end is sticky.
				_, err2 := client.Read(make([]byte, 1))
				assert.ErrorIs(t, err2, tc.want)
			})
		}
	}
}

// TestConnHalfClose: after CloseWrite the other direction keeps working.
func TestConnHalfClose(t *testing.T) {
	p := pki(t)
	for _, tr := range connTransports {
		t.Run(tr.name, func(t *testing.T) {
			client, server := connPair(t, tr, p.clientConfig(), p.serverConfig())
			serverDone := connAsync(func() error {
				req, err := io.ReadAll(server)
				if err != nil {
					return err
				}
				if tr.name == "tcp" {
					// CloseWrite also shut down the TCP write side: FIN follows close_notify.
					if n, err := server.NetConn().Read(make([]byte, 1)); n != 0 || err != io.EOF {
						return fmt.Errorf("after close_notify: %d bytes, %v; want the end of the TCP stream", n, err)
					}
				}
				if _, err := server.Write(append([]byte("got: "), req...)); err != nil {
					return err
				}
				return server.Close()
			})
			_, err := client.Write([]byte("request"))
			require.NoError(t, err)
			require.NoError(t, client.CloseWrite())
			_, err = client.Write([]byte("more"))
			assert.ErrorIs(t, err, schannel.SEC_E_CONTEXT_EXPIRED, "nothing may follow close_notify")
			resp, err := io.ReadAll(client)
			require.NoError(t, err)
			assert.Equal(t, "got: request", string(resp))
			require.NoError(t, connWait(t, serverDone))
			require.NoError(t, client.Close())
			assert.ErrorIs(t, client.Close(), net.ErrClosed)
		})
	}
}

// TestConnCloseUnblocksReadAndWrite: Close from a third goroutine while one
// goroutine is blocked reading and another writing to a peer that reads
// nothing.
func TestConnCloseUnblocksReadAndWrite(t *testing.T) {
	p := pki(t)
	for _, tr := range connTransports {
		t.Run(tr.name, func(t *testing.T) {
			client, _ := connPair(t, tr, p.clientConfig(), p.serverConfig())
			reading := connAsync(func() error {
				_, err := client.Read(make([]byte, 10))
				return err
			})
			writing := connAsync(func() error {
				big := make([]byte, 1<<20)
				for {
					if _, err := client.Write(big); err != nil {
						return err
					}
				}
			})
			time.Sleep(50 * time.Millisecond) // let both block; the outcome does not depend on it
			require.NoError(t, client.Close())
			assert.Error(t, connWait(t, reading))
			assert.Error(t, connWait(t, writing))
			_, err := client.Write([]byte("x"))
			assert.ErrorIs(t, err, net.ErrClosed)
		})
	}
}

func TestConnDeadlines(t *testing.T) {
	p := pki(t)
	for _, tr := range connTransports {
		t.Run(tr.name, func(t *testing.T) {
			client, server := connPair(t, tr, p.clientConfig(), p.serverConfig())

			// A read that times out loses nothing and can be retried.
			require.NoError(t, client.SetReadDeadline(time.Now().Add(20*time.Millisecond)))
			_, err := client.Read(make([]byte, 10))
			require.True(t, connIsTimeout(err), "got %v", err)
			require.NoError(t, client.SetReadDeadline(time.Now().Add(connTestTimeout)))
			written := connAsync(func() error { _, err := server.Write([]byte("later")); return err })
			got := make([]byte, 5)
			_, err = io.ReadFull(client, got)
			require.NoError(t, err)
			assert.Equal(t, "later", string(got))
			require.NoError(t, connWait(t, written))

			// A write whose deadline has passed sends nothing.
			require.NoError(t, client.SetWriteDeadline(aLongTimeAgo))
			n, err := client.Write([]byte("never"))
			assert.Equal(t, 0, n)
			assert.True(t, connIsTimeout(err), "got %v", err)
			require.NoError(t, client.SetDeadline(time.Now().Add(connTestTimeout)))
			written = connAsync(func() error { _, err := client.Write([]byte("after")); return err })
			_, err = io.ReadFull(server, got)
			require.NoError(t, err)
			assert.Equal(t, "after", string(got))
			require.NoError(t, connWait(t, written))
		})
	}
}

var aLongTimeAgo = time.Unix(1, 0)

// TestConnWriteTimeoutKeepsStreamIntact: a write deadline that expires
// halfway through a record leaves the rest queued; the next Write sends it
// first, so the peer sees an intact stream.
func TestConnWriteTimeoutKeepsStreamIntact(t *testing.T) {
	p := pki(t)
	for _, tr := range connTransports {
		t.Run(tr.name, func(t *testing.T) {
			client, server := connPair(t, tr, p.clientConfig(), p.serverConfig())
			require.NoError(t, client.SetWriteDeadline(time.Now().Add(50*time.Millisecond)))
			// The server reads nothing yet, so the socket fills up and a
			// write times out, most likely in the middle of a batch.
			var sent []byte
			chunk := randomBytes(50000, 7)
			for {
				n, err := client.Write(chunk)
				sent = append(sent, chunk[:n]...)
				if err != nil {
					require.True(t, connIsTimeout(err), "got %v", err)
					break
				}
			}
			require.NoError(t, client.SetWriteDeadline(time.Time{}))
			sent = append(sent, "end"...)
			written := connAsync(func() error {
				if _, err := client.Write([]byte("end")); err != nil {
					return err
				}
				return client.CloseWrite()
			})
			got, err := io.ReadAll(server)
			require.NoError(t, err)
			require.NoError(t, connWait(t, written))
			assert.Equal(t, len(sent), len(got))
			assert.True(t, bytes.Equal(sent, got), "the stream survived the timeout")
		})
	}
}

func TestConnHandshakeContext(t *testing.T) {
	p := pki(t)
	t.Run("cancelled while waiting for the server", func(t *testing.T) {
		rc, _ := connTCPPair(t) // nobody answers
		client := schannel.Client(rc, p.clientConfig())
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		err := client.HandshakeContext(ctx)
		assert.ErrorIs(t, err, context.Canceled)
		assert.ErrorIs(t, client.Handshake(), context.Canceled, "a failed handshake stays failed")
		_, err = client.Write([]byte("x"))
		assert.ErrorIs(t, err, context.Canceled)
	})
	t.Run("already cancelled", func(t *testing.T) {
		rc, rs := connTCPPair(t)
		client, server := schannel.Client(rc, p.clientConfig()), schannel.Server(rs, p.serverConfig())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		assert.ErrorIs(t, client.HandshakeContext(ctx), context.Canceled)
		connHandshake(t, client, server) // nothing was sent, so it can still run
	})
	t.Run("deadline", func(t *testing.T) {
		rc, _ := connTCPPair(t)
		client := schannel.Client(rc, p.clientConfig())
		require.NoError(t, client.SetDeadline(time.Now().Add(20*time.Millisecond)))
		err := client.Handshake()
		assert.True(t, connIsTimeout(err), "got %v", err)
	})
}

// TestConnHandshakeFailures: the side that detects the problem returns its
// status and sends the alert; the other side reports the alert it got.
func TestConnHandshakeFailures(t *testing.T) {
	p := pki(t)
	otherCA, err := certgen.NewCA("another CA")
	require.NoError(t, err)
	expired := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"example.com"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour)})
	cases := []struct {
		name       string
		client     func(*tls.Config)
		server     func(*tls.Config)
		clientWant schannel.Status
		alert      int // what the client sends
	}{
		{"untrusted root", func(c *tls.Config) { c.RootCAs = otherCA.Pool }, nil, schannel.SEC_E_UNTRUSTED_ROOT, 48},
		{"wrong name", func(c *tls.Config) { c.ServerName = "other.example" }, nil, schannel.SEC_E_WRONG_PRINCIPAL, 42},
		{"expired", nil, func(c *tls.Config) { c.Certificates = []tls.Certificate{expired} }, schannel.SEC_E_CERT_EXPIRED, 45},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ccfg, scfg := p.clientConfig(), p.serverConfig()
			if tc.client != nil {
				tc.client(ccfg)
			}
			if tc.server != nil {
				tc.server(scfg)
			}
			rc, rs := connTCPPair(t)
			client, server := schannel.Client(rc, ccfg), schannel.Server(rs, scfg)
			serverErr := connAsync(server.Handshake)
			err := client.Handshake()
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.clientWant)
			var se *schannel.Error
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tc.alert, se.Alert)
			assert.False(t, se.Remote)
			assert.Contains(t, err.Error(), "InitializeSecurityContext")

			serr := connWait(t, serverErr)
			require.Error(t, serr)
			var remote *schannel.Error
			require.ErrorAs(t, serr, &remote, "the server got the alert: %v", serr)
			assert.True(t, remote.Remote)
			assert.Equal(t, tc.alert, remote.Alert)
			_, err = client.Read(make([]byte, 1))
			assert.ErrorIs(t, err, tc.clientWant, "the failure is sticky")
		})
	}
}

// TestConnIncompleteCredentials: a server asks for a certificate the client
// does not have; the loop answers SEC_I_INCOMPLETE_CREDENTIALS with
// ISC_REQ_USE_SUPPLIED_CREDS and the handshake completes without one.
func TestConnIncompleteCredentials(t *testing.T) {
	p := pki(t)
	var log connTraceLog
	scfg := p.serverConfig()
	scfg.ClientAuth = tls.RequestClientCert
	rc, rs := connTCPPair(t)
	client, server := schannel.Client(rc, p.clientConfig()), schannel.Server(rs, scfg)
	client.SetTrace(log.hook)
	connHandshake(t, client, server)
	assert.Equal(t, 1, log.count("InitializeSecurityContext", schannel.SEC_I_INCOMPLETE_CREDENTIALS), log.String())
	// The call that goes on gets the same input again, as curl does, since a
	// security package (secur32.dll) may not have consumed it.
	events := log.all()
	for i, e := range events {
		if e.Func == "InitializeSecurityContext" && e.Status == schannel.SEC_I_INCOMPLETE_CREDENTIALS {
			require.Less(t, i+1, len(events), log.String())
			require.NotEmpty(t, e.In, log.String())
			assert.Equal(t, e.In[0], events[i+1].In[0], "the TOKEN fed again, %s", log.String())
		}
	}
	assert.Empty(t, server.ConnectionState().PeerCertificates)
	done := connAsync(func() error { return connEcho(server) })
	_, err := client.Write([]byte("hi"))
	require.NoError(t, err)
	got := make([]byte, 2)
	_, err = io.ReadFull(client, got)
	require.NoError(t, err)
	require.NoError(t, client.Close())
	require.NoError(t, connWait(t, done))
}

func TestConnClientCertificate(t *testing.T) {
	p := pki(t)
	ccfg, scfg := p.clientConfig(), p.serverConfig()
	ccfg.Certificates = []tls.Certificate{p.ca.MustIssue(certgen.LeafOptions{Names: []string{"client one"}, Client: true})}
	scfg.ClientAuth = tls.RequireAndVerifyClientCert
	scfg.ClientCAs = p.ca.Pool
	client, server := connPair(t, connTransports[0], ccfg, scfg)
	_ = client
	require.Len(t, server.ConnectionState().PeerCertificates, 1)
	assert.Equal(t, "client one", server.ConnectionState().PeerCertificates[0].Subject.CommonName)
}

// TestConnStartTLS upgrades a connection that already carried plaintext.
func TestConnStartTLS(t *testing.T) {
	p := pki(t)
	rc, rs := connTCPPair(t)
	serverDone := connAsync(func() error {
		buf := make([]byte, len("STARTTLS\r\n"))
		if _, err := io.ReadFull(rs, buf); err != nil {
			return err
		}
		if _, err := rs.Write([]byte("220 go ahead\r\n")); err != nil {
			return err
		}
		return connEcho(schannel.Server(rs, p.serverConfig()))
	})
	_, err := rc.Write([]byte("STARTTLS\r\n"))
	require.NoError(t, err)
	reply := make([]byte, len("220 go ahead\r\n"))
	_, err = io.ReadFull(rc, reply)
	require.NoError(t, err)
	client := schannel.Client(rc, p.clientConfig())
	_, err = client.Write([]byte("secret"))
	require.NoError(t, err)
	got := make([]byte, 6)
	_, err = io.ReadFull(client, got)
	require.NoError(t, err)
	assert.Equal(t, "secret", string(got))
	require.NoError(t, client.Close())
	require.NoError(t, connWait(t, serverDone))
}

// TestConnRefusesOversizedRecord: a peer announcing a record longer than
// TLS allows gets an error at once; the Conn never waits to buffer it.
func TestConnRefusesOversizedRecord(t *testing.T) {
	p := pki(t)
	client, server := connPair(t, connTransports[0], p.clientConfig(), p.serverConfig())
	_, err := server.NetConn().Write([]byte{23, 3, 3, 0x41, 0x01}) // 16641 bytes: one too many
	require.NoError(t, err)
	_, err = client.Read(make([]byte, 10))
	assert.ErrorIs(t, err, schannel.SEC_E_DECRYPT_FAILURE)
	_, err2 := client.Read(make([]byte, 10))
	assert.Equal(t, err, err2, "the failure is sticky")
}

func TestConnTamperedRecord(t *testing.T) {
	p := pki(t)
	a, b := connBufferedPair()
	client, server := schannel.Client(a, p.clientConfig()), schannel.Server(b, p.serverConfig())
	connHandshake(t, client, server)
	rec := sealRecord(t, server.Context(), []byte("hello")) // sealed outside the Conn, as a forger would try
	rec[len(rec)-1] ^= 1
	_, err := b.Write(rec)
	require.NoError(t, err)
	_, err = client.Read(make([]byte, 10))
	assert.ErrorIs(t, err, schannel.SEC_E_DECRYPT_FAILURE)
	assert.Contains(t, err.Error(), "DecryptMessage")
}

// switchConn is a net.Conn whose writes go to the wrapped connection until
// discard is set, then nowhere: for measuring the write path alone.
type switchConn struct {
	net.Conn
	mu      sync.Mutex
	discard bool
	writes  int
}

func (c *switchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	discard := c.discard
	c.writes++
	c.mu.Unlock()
	if discard {
		return len(p), nil
	}
	return c.Conn.Write(p)
}

func (c *switchConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

func establishedWriter(t testing.TB) (*schannel.Conn, *switchConn) {
	p := pki(t)
	a, b := connBufferedPair()
	sc := &switchConn{Conn: a}
	client, server := schannel.Client(sc, p.clientConfig()), schannel.Server(b, p.serverConfig())
	errs := connAsync(server.Handshake)
	require.NoError(t, client.Handshake())
	require.NoError(t, <-errs)
	sc.mu.Lock()
	sc.discard, sc.writes = true, 0
	sc.mu.Unlock()
	return client, sc
}

func TestConnWriteBatchesRecords(t *testing.T) {
	client, sc := establishedWriter(t)
	cases := []struct {
		size, writes int
	}{
		{1, 1},
		{16384, 1},
		{4 * 16384, 1},
		{4*16384 + 1, 2},
		{8 * 16384, 2},
		{1 << 20, 16},
	}
	for _, tc := range cases {
		before := sc.count()
		n, err := client.Write(make([]byte, tc.size))
		require.NoError(t, err)
		assert.Equal(t, tc.size, n)
		assert.Equal(t, tc.writes, sc.count()-before, "socket writes for %d bytes", tc.size)
	}
}

func TestConnConfigurationErrors(t *testing.T) {
	cases := []struct {
		name string
		conn func(net.Conn) *schannel.Conn
		want schannel.Status
	}{
		{"client without a server name", func(c net.Conn) *schannel.Conn { return schannel.Client(c, &tls.Config{}) }, schannel.SEC_E_TARGET_UNKNOWN},
		{"client with nil config", func(c net.Conn) *schannel.Conn { return schannel.Client(c, nil) }, schannel.SEC_E_TARGET_UNKNOWN},
		{"server without a certificate", func(c net.Conn) *schannel.Conn { return schannel.Server(c, nil) }, schannel.SEC_E_NO_CREDENTIALS},
		{"unsupported field", func(c net.Conn) *schannel.Conn {
			return schannel.Client(c, &tls.Config{ServerName: "x", Renegotiation: tls.RenegotiateOnceAsClient})
		}, schannel.SEC_E_UNSUPPORTED_FUNCTION},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := connBufferedPair()
			_, _ = b.Write([]byte{22, 3, 1, 0, 1, 1}) // something for a server to read
			c := tc.conn(a)
			assert.ErrorIs(t, c.Handshake(), tc.want)
			_, err := c.Write([]byte("x"))
			assert.ErrorIs(t, err, tc.want)
			assert.Error(t, c.CloseWrite(), "CloseWrite needs a completed handshake")
			assert.NoError(t, c.Close())
		})
	}
}

// TestConnCloseWithUnreadTicket: a client that only writes never reads the
// server's NewSessionTicket. Close must not leave it unread in the socket:
// the kernel would then reset the connection instead of closing it, and
// drop what it had not yet sent of our data.
func TestConnCloseWithUnreadTicket(t *testing.T) {
	p := pki(t)
	client, server := connPair(t, connTransports[0], p.clientConfig(), p.serverConfig())
	msg := randomBytes(4<<20, 3)
	written := connAsync(func() error {
		for off := 0; off < len(msg); off += 1024 {
			if _, err := client.Write(msg[off : off+1024]); err != nil {
				return err
			}
		}
		return client.Close() // much of msg is still queued in the kernel
	})
	var got bytes.Buffer
	_, err := io.CopyBuffer(&got, struct{ io.Reader }{server}, make([]byte, 1024)) // a slow reader
	require.NoError(t, err, "close_notify, not a reset")
	require.NoError(t, connWait(t, written))
	assert.True(t, bytes.Equal(msg, got.Bytes()))
}

// holdBackConn keeps the last bytes of its first read for the next one, so
// a flight arrives with its last record cut short.
type holdBackConn struct {
	net.Conn
	hold  int
	held  []byte
	first bool
}

func (c *holdBackConn) Read(p []byte) (int, error) {
	if len(c.held) > 0 {
		n := copy(p, c.held)
		c.held = c.held[n:]
		return n, nil
	}
	n, err := c.Conn.Read(p)
	if !c.first && n > c.hold {
		c.first = true
		c.held = append([]byte(nil), p[n-c.hold:n]...)
		n -= c.hold
	}
	return n, err
}

// TestConnHandshakeCallsAgainOnExtra: the server's flight arrives with its
// last record cut short. InitializeSecurityContext consumes the whole
// records and returns SEC_I_CONTINUE_NEEDED with no token and the partial
// record as EXTRA; the loop calls again at once with it, gets
// SEC_E_INCOMPLETE_MESSAGE with MISSING = the bytes held back, and reads.
func TestConnHandshakeCallsAgainOnExtra(t *testing.T) {
	p := pki(t)
	a, b := connBufferedPair()
	var log connTraceLog
	counted := &countingConn{Conn: &holdBackConn{Conn: a, hold: 3}}
	client, server := schannel.Client(counted, p.clientConfig()), schannel.Server(b, p.serverConfig())
	client.SetTrace(log.hook)
	connHandshake(t, client, server)

	var isc []schannel.TraceEvent
	for _, e := range log.all() {
		if e.Func == "InitializeSecurityContext" {
			isc = append(isc, e)
		}
	}
	require.Len(t, isc, 4, log.String())
	assert.Equal(t, schannel.SEC_I_CONTINUE_NEEDED, isc[1].Status)
	assert.Equal(t, schannel.TraceBuffer{Type: schannel.SECBUFFER_TOKEN, Size: 0}, isc[1].Out[0], "no token to send yet")
	require.Len(t, isc[1].Out, 3)
	extra := isc[1].Out[2]
	assert.Equal(t, schannel.SECBUFFER_EXTRA, extra.Type)
	assert.Equal(t, []schannel.TraceBuffer{{Type: schannel.SECBUFFER_TOKEN, Size: extra.Size}, {Type: schannel.SECBUFFER_EMPTY}}, isc[2].In,
		"called again with the EXTRA bytes alone, before reading")
	assert.Equal(t, schannel.SEC_E_INCOMPLETE_MESSAGE, isc[2].Status)
	assert.Equal(t, schannel.TraceBuffer{Type: schannel.SECBUFFER_MISSING, Size: 3}, isc[2].Out[2])
	assert.Equal(t, schannel.SEC_E_OK, isc[3].Status)
	assert.Equal(t, 2, counted.Reads(), "one read for the flight, one for what was missing")
}

// TestConnKeyUpdateTLS12: TLS 1.2 has no KeyUpdate; asking for one fails
// and leaves the connection working.
func TestConnKeyUpdateTLS12(t *testing.T) {
	p := pki(t)
	ccfg := p.clientConfig()
	ccfg.MaxVersion = tls.VersionTLS12
	client, server := connPair(t, connTransports[0], ccfg, p.serverConfig())
	assert.ErrorIs(t, client.KeyUpdate(true), schannel.SEC_E_UNSUPPORTED_FUNCTION)
	done := connAsync(func() error { return connEcho(server) })
	_, err := client.Write([]byte("still fine"))
	require.NoError(t, err)
	got := make([]byte, 10)
	_, err = io.ReadFull(client, got)
	require.NoError(t, err)
	assert.Equal(t, "still fine", string(got))
	require.NoError(t, client.Close())
	require.NoError(t, connWait(t, done))
}

// sealRecord seals one record with EncryptMessage, outside any Conn.
func sealRecord(t *testing.T, ctx *schannel.Context, data []byte) []byte {
	t.Helper()
	sizes, err := ctx.StreamSizes()
	require.NoError(t, err)
	buf := make([]byte, sizes.Header+len(data)+sizes.Trailer)
	copy(buf[sizes.Header:], data)
	bufs := []schannel.SecBuffer{
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_HEADER, buf[:sizes.Header]),
		schannel.NewSecBuffer(schannel.SECBUFFER_DATA, buf[sizes.Header:sizes.Header+len(data)]),
		schannel.NewSecBuffer(schannel.SECBUFFER_STREAM_TRAILER, buf[sizes.Header+len(data):]),
		{},
	}
	_, err = ctx.EncryptMessage(0, bufs)
	require.NoError(t, err)
	return buf[:bufs[0].Size+bufs[1].Size+bufs[2].Size]
}

// TestConnEmptyRecords: records with no data decrypt to SEC_E_OK with an
// empty DATA buffer; Read skips them instead of returning 0 bytes.
func TestConnEmptyRecords(t *testing.T) {
	p := pki(t)
	a, b := connBufferedPair()
	var log connTraceLog
	client, server := schannel.Client(a, p.clientConfig()), schannel.Server(b, noTickets(p.serverConfig()))
	client.SetTrace(log.hook)
	connHandshake(t, client, server)
	var stream []byte
	for range 3 {
		stream = append(stream, sealRecord(t, server.Context(), nil)...)
	}
	stream = append(stream, sealRecord(t, server.Context(), []byte("after nothing"))...)
	_, err := b.Write(stream)
	require.NoError(t, err)
	got := make([]byte, 100)
	n, err := client.Read(got)
	require.NoError(t, err)
	assert.Equal(t, "after nothing", string(got[:n]))
	assert.Equal(t, 4, log.count("DecryptMessage", schannel.SEC_E_OK), log.String())
}
