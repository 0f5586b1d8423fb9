package schannel_test

import (
	"net"
	"testing"

	"github.com/gosspi/schannel"
	"golang.org/x/net/nettest"
)

// TestConnNettest runs the net.Conn conformance suite of x/net/nettest on a
// client and a server Conn: concurrent Read/Write/Close, deadlines in the
// past, present and future, and a stream that stays usable after timeouts.
func TestConnNettest(t *testing.T) {
	p := pki(t)
	for _, tr := range connTransports {
		t.Run(tr.name, func(t *testing.T) {
			nettest.TestConn(t, func() (net.Conn, net.Conn, func(), error) {
				rc, rs := tr.pair(t)
				client := schannel.Client(rc, p.clientConfig())
				server := schannel.Server(rs, tr.server(p.serverConfig()))
				stop := func() {
					// The raw connections first: over a synchronous pipe, a
					// close_notify would wait for a reader that is gone.
					_ = rc.Close()
					_ = rs.Close()
					_ = client.Close()
					_ = server.Close()
				}
				// The suite starts with deadlines and concurrent calls, so the
				// handshake is done first, as a dialer would.
				serverErr := connAsync(server.Handshake)
				if err := client.Handshake(); err != nil {
					stop()
					return nil, nil, nil, err
				}
				if err := <-serverErr; err != nil {
					stop()
					return nil, nil, nil, err
				}
				return client, server, stop, nil
			})
		})
	}
}
