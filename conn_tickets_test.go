package schannel_test

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/gosspi/schannel"
)

// writeCountingConn counts the writes made on the connection it wraps.
type writeCountingConn struct {
	net.Conn
	mu     sync.Mutex
	writes int
}

func (c *writeCountingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.writes++
	c.mu.Unlock()
	return c.Conn.Write(p)
}

func (c *writeCountingConn) Writes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.writes
}

// TestConnServerTicketsGoOutWithFirstIO checks when a TLS 1.3 server's
// NewSessionTickets reach the client: with the first record the server
// writes, in the same socket write; before a Read that waits for the
// client; or with close_notify. In each case the client then resumes.
func TestConnServerTicketsGoOutWithFirstIO(t *testing.T) {
	p := pki(t)
	cases := []struct {
		name string
		// after runs on the established pair; it leaves the ticket with
		// the client (read through client) and returns.
		after func(t *testing.T, client, server *schannel.Conn, serverRaw *writeCountingConn)
	}{
		{"server writes first", func(t *testing.T, client, server *schannel.Conn, serverRaw *writeCountingConn) {
			assert.Equal(t, 1, serverRaw.Writes(), "the handshake sent only the server's flight")
			_, err := server.Write([]byte("220 banner"))
			require.NoError(t, err)
			assert.Equal(t, 2, serverRaw.Writes(), "tickets and the first record share one socket write")
			got := make([]byte, 10)
			_, err = io.ReadFull(client, got)
			require.NoError(t, err)
			assert.Equal(t, "220 banner", string(got))
		}},
		{"server reads first", func(t *testing.T, client, server *schannel.Conn, serverRaw *writeCountingConn) {
			before := serverRaw.Writes()
			_, err := client.Write([]byte("GET"))
			require.NoError(t, err)
			got := make([]byte, 3)
			_, err = io.ReadFull(server, got)
			require.NoError(t, err)
			// The server now waits for more: the tickets must go out first.
			require.NoError(t, server.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
			_, err = server.Read(got)
			require.ErrorIs(t, err, os.ErrDeadlineExceeded)
			assert.Equal(t, before+1, serverRaw.Writes(), "a Read that waits sends the tickets")
			require.NoError(t, client.SetReadDeadline(time.Now().Add(50*time.Millisecond)))
			_, err = client.Read(got)
			require.ErrorIs(t, err, os.ErrDeadlineExceeded, "the client absorbs the tickets and finds no data")
		}},
		{"server closes", func(t *testing.T, client, server *schannel.Conn, serverRaw *writeCountingConn) {
			assert.Equal(t, 1, serverRaw.Writes(), "the handshake sent only the server's flight")
			require.NoError(t, server.Close())
			assert.Equal(t, 2, serverRaw.Writes(), "tickets and close_notify share one socket write")
			_, err := client.Read(make([]byte, 1))
			require.ErrorIs(t, err, io.EOF)
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ccfg, scfg := p.clientConfig(), p.serverConfig()
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			rc, rs := connTCPPair(t)
			serverRaw := &writeCountingConn{Conn: rs}
			client, server := schannel.Client(rc, ccfg), schannel.Server(serverRaw, scfg)
			connHandshake(t, client, server)
			require.Equal(t, uint16(tls.VersionTLS13), server.ConnectionState().Version)
			tc.after(t, client, server, serverRaw)
			require.NoError(t, client.Close())
			if err := server.Close(); !errors.Is(err, net.ErrClosed) {
				require.NoError(t, err)
			}

			client, server = connPair(t, connTransports[0], ccfg, scfg)
			assert.True(t, client.ConnectionState().DidResume, "the ticket reached the client")
			require.NoError(t, client.Close())
			require.NoError(t, server.Close())
		})
	}
}

// TestConnServerTLS12FinalFlightIsNotHeld checks that only TLS 1.3 tickets
// wait: a TLS 1.2 server's last flight (NewSessionTicket, ChangeCipherSpec,
// Finished) is what the client's handshake waits for.
func TestConnServerTLS12FinalFlightIsNotHeld(t *testing.T) {
	p := pki(t)
	ccfg, scfg := p.clientConfig(), p.serverConfig()
	scfg.MaxVersion = tls.VersionTLS12
	rc, rs := connTCPPair(t)
	client, server := schannel.Client(rc, ccfg), schannel.Server(rs, scfg)
	serverErr := connAsync(server.Handshake)
	clientErr := connAsync(client.Handshake)
	require.NoError(t, connWait(t, serverErr))
	require.NoError(t, connWait(t, clientErr), "the client finishes while the server does nothing more")
	assert.Equal(t, uint16(tls.VersionTLS12), client.ConnectionState().Version)
	require.NoError(t, errors.Join(client.Close(), server.Close()))
}
