package schannel_test

import (
	"crypto/tls"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel"
	"github.com/gosspi/schannel/internal/certgen"
	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testClock is a settable tls.Config.Time.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// connectOnce runs one handshake between fresh contexts, lets the client
// absorb what follows it (a TLS 1.3 ticket) and returns both contexts.
func connectOnce(t *testing.T, ccfg, scfg *tls.Config) (client, server *sspiPeer, err error) {
	t.Helper()
	client, server = newPeers(t, ccfg, scfg)
	if err := handshakePair(t, client, server, allAtOnce); err != nil {
		return client, server, err
	}
	absorbPostHandshake(t, client, append(client.inbox, client.wire...))
	return client, server, nil
}

// TestResumptionNeverOutlivesLifetime: a client that reconnects every 20
// hours is resumed until the session is older than the ticket lifetime (6
// days), then does a full handshake, whichever side's clock sees the age:
// renewed tickets keep the first handshake's time on both sides.
func TestResumptionNeverOutlivesLifetime(t *testing.T) {
	const step = 20 * time.Hour
	const lifetime = 6 * 24 * time.Hour
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, moving := range []string{"both clocks", "server clock", "client clock"} {
			t.Run(tls.VersionName(version)+"/"+moving, func(t *testing.T) {
				p := pki(t)
				clientClock, serverClock := newTestClock(), newTestClock()
				ccfg := &tls.Config{ServerName: "example.com", InsecureSkipVerify: true, MaxVersion: version,
					ClientSessionCache: tls.NewLRUClientSessionCache(4), Time: clientClock.Now}
				scfg := p.serverConfig()
				scfg.Time = serverClock.Now

				var sessionAge time.Duration
				for i := range 12 {
					client, server, err := connectOnce(t, ccfg, scfg)
					require.NoError(t, err, "connection %d", i)
					want := i > 0 && sessionAge <= lifetime
					assert.Equal(t, want, client.ctx.ConnectionState().DidResume, "client, connection %d, session age %v", i, sessionAge)
					assert.Equal(t, want, server.ctx.ConnectionState().DidResume, "server, connection %d, session age %v", i, sessionAge)
					if !want {
						sessionAge = 0 // a full handshake starts a new session
					}
					if moving != "client clock" {
						serverClock.Advance(step)
					}
					if moving != "server clock" {
						clientClock.Advance(step)
					}
					sessionAge += step
				}
			})
		}
	}
}

// TestResumptionDropsSessionWhoseServerChainFails: the server moves to a
// certificate of another CA and the client stops trusting the old one. The
// server would still accept the ticket (same configuration, same ticket
// keys); the client must not offer it, and connects with a full handshake.
func TestResumptionDropsSessionWhoseServerChainFails(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			p := pki(t)
			newCA, err := certgen.NewCA("replacement CA")
			require.NoError(t, err)

			ccfg := p.clientConfig()
			ccfg.MaxVersion = version
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			scfg := p.serverConfig()
			_, _, err = connectOnce(t, ccfg, scfg)
			require.NoError(t, err)

			ccfg.RootCAs = newCA.Pool
			scfg.Certificates = []tls.Certificate{newCA.MustIssue(certgen.LeafOptions{Names: []string{"example.com"}})}
			client, server, err := connectOnce(t, ccfg, scfg)
			require.NoError(t, err, "a session whose chain no longer verifies costs a full handshake, not a failure")
			assert.False(t, client.ctx.ConnectionState().DidResume)
			assert.False(t, server.ctx.ConnectionState().DidResume)

			// The new session resumes.
			client, _, err = connectOnce(t, ccfg, scfg)
			require.NoError(t, err)
			assert.True(t, client.ctx.ConnectionState().DidResume)
		})
	}
}

// TestResumptionAcrossServersSharingKeys is issue 11's fleet: servers given
// the same keys (SetSessionTicketKeys or SessionTicketKey) resume each
// other's sessions, and calling SetSessionTicketKeys again rotates them with
// crypto/tls's semantics: the first key seals, every key opens.
func TestResumptionAcrossServersSharingKeys(t *testing.T) {
	p := pki(t)
	oldKey, newKey := [32]byte{1}, [32]byte{2}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			ccfg := p.clientConfig()
			ccfg.MaxVersion = version
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			resumes := func(scfg *tls.Config) bool {
				t.Helper()
				client, _, err := connectOnce(t, ccfg, scfg)
				require.NoError(t, err)
				return client.ctx.ConnectionState().DidResume
			}
			serverA, serverB := p.serverConfig(), p.serverConfig()
			serverA.SetSessionTicketKeys([][32]byte{oldKey})
			serverB.SetSessionTicketKeys([][32]byte{oldKey})
			require.False(t, resumes(serverA))
			assert.True(t, resumes(serverB), "B opens A's ticket")
			assert.True(t, resumes(serverA), "A opens B's ticket")

			serverB.SetSessionTicketKeys([][32]byte{newKey, oldKey}) // B rotates first
			assert.True(t, resumes(serverB), "B still opens tickets under the old key")
			// B's renewed ticket is sealed with the new key, which A lacks.
			assert.False(t, resumes(serverA), "A cannot open a ticket under the new key")
			serverA.SetSessionTicketKeys([][32]byte{newKey, oldKey})
			assert.True(t, resumes(serverB))
			assert.True(t, resumes(serverA))

			byKey := func(k [32]byte) *tls.Config { c := p.serverConfig(); c.SessionTicketKey = k; return c }
			require.False(t, resumes(byKey(oldKey)), "a ticket under the new key")
			assert.True(t, resumes(byKey(oldKey)), "servers sharing SessionTicketKey")
			assert.False(t, resumes(byKey(newKey)))
		})
	}
}

// TestResumptionClientChainFails: the server's ticket carries a client
// certificate that no longer verifies (expired by the server's clock, or its
// CA no longer trusted). The server does a full handshake, in which the
// client presents a certificate that does.
func TestResumptionClientChainFails(t *testing.T) {
	p := pki(t)
	newCA, err := certgen.NewCA("new client CA")
	require.NoError(t, err)
	shortLived := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"alice"}, Client: true, NotAfter: time.Now().Add(2 * time.Hour)})
	renewed := p.ca.MustIssue(certgen.LeafOptions{Names: []string{"alice"}, Client: true})
	fromNewCA := newCA.MustIssue(certgen.LeafOptions{Names: []string{"alice"}, Client: true})
	tests := []struct {
		name    string
		first   tls.Certificate
		then    tls.Certificate
		change  func(scfg *tls.Config, clock *testClock)
		caption string
	}{
		{"expired", shortLived, renewed, func(_ *tls.Config, clock *testClock) { clock.Advance(3 * time.Hour) }, "server clock past the certificate"},
		{"untrusted", renewed, fromNewCA, func(scfg *tls.Config, _ *testClock) { scfg.ClientCAs = newCA.Pool }, "old CA dropped"},
	}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, tc := range tests {
			t.Run(tls.VersionName(version)+"/"+tc.name, func(t *testing.T) {
				clock := newTestClock()
				scfg := p.serverConfig()
				scfg.ClientAuth = tls.RequireAndVerifyClientCert
				scfg.ClientCAs = p.ca.Pool
				scfg.Time = clock.Now
				ccfg := p.clientConfig()
				ccfg.MaxVersion = version
				ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
				ccfg.Certificates = []tls.Certificate{tc.first}
				_, _, err := connectOnce(t, ccfg, scfg)
				require.NoError(t, err)

				tc.change(scfg, clock)
				ccfg.Certificates = []tls.Certificate{tc.then}
				client, server, err := connectOnce(t, ccfg, scfg)
				require.NoError(t, err, tc.caption)
				assert.False(t, server.ctx.ConnectionState().DidResume, tc.caption)
				assert.False(t, client.ctx.ConnectionState().DidResume, tc.caption)
				chain, err := server.ctx.RemoteCertificate()
				require.NoError(t, err)
				require.NotEmpty(t, chain)
				assert.Equal(t, tc.then.Leaf.Raw, chain[0].Raw, "the certificate of the full handshake")
			})
		}
	}
}

// TestConnectionStateGroupAndRetry: CurveID is the negotiated group in
// every role, version and resumed case, and HelloRetryRequest says whether
// one was sent, on both sides.
func TestConnectionStateGroupAndRetry(t *testing.T) {
	p := pki(t)
	tests := []struct {
		name      string
		version   uint16
		serverPrf []tls.CurveID
		group     tls.CurveID
		hrr       bool
	}{
		{"TLS 1.3", tls.VersionTLS13, nil, tls.X25519MLKEM768, false},
		{"TLS 1.3 after HelloRetryRequest", tls.VersionTLS13, []tls.CurveID{tls.CurveP384}, tls.CurveP384, true},
		{"TLS 1.2", tls.VersionTLS12, nil, tls.X25519, false},
		{"TLS 1.2 P-256", tls.VersionTLS12, []tls.CurveID{tls.CurveP256}, tls.CurveP256, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ccfg := p.clientConfig()
			ccfg.MaxVersion = tc.version
			ccfg.ClientSessionCache = tls.NewLRUClientSessionCache(4)
			scfg := p.serverConfig()
			scfg.CurvePreferences = tc.serverPrf
			for i, resumed := range []bool{false, true} {
				client, server, err := connectOnce(t, ccfg, scfg)
				require.NoError(t, err)
				for side, ctx := range map[string]*schannel.Context{"client": client.ctx, "server": server.ctx} {
					cs := ctx.ConnectionState()
					assert.Equal(t, resumed, cs.DidResume, "%s, connection %d", side, i)
					assert.Equal(t, tc.group, cs.CurveID, "%s, connection %d", side, i)
					assert.Equal(t, tc.hrr, cs.HelloRetryRequest, "%s, connection %d", side, i)
					info, err := ctx.ConnectionInfo()
					require.NoError(t, err)
					assert.Equal(t, tc.group, info.KeyExchangeGroup, "%s, connection %d", side, i)
				}
			}
		})
	}
}

// TestResumptionAdvertisedLifetime: the ticket_lifetime a server advertises
// is what it accepts, to the second, with the key ring crypto/tls rotates
// underneath.
func TestResumptionAdvertisedLifetime(t *testing.T) {
	lifetime := time.Duration(session.TicketLifetime) * time.Second
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			p := pki(t)
			clock := newTestClock()
			cache := tls.NewLRUClientSessionCache(4)
			ccfg := &tls.Config{ServerName: "example.com", InsecureSkipVerify: true, MaxVersion: version,
				ClientSessionCache: cache, Time: clock.Now}
			scfg := p.serverConfig()
			scfg.Time = clock.Now
			_, _, err := connectOnce(t, ccfg, scfg)
			require.NoError(t, err)
			_, st, ok := session.Load(cache, "example.com", clock.Now())
			require.True(t, ok)
			assert.Equal(t, uint32(session.TicketLifetime), st.Lifetime, "advertised lifetime")
			entry, _ := cache.Get("example.com")

			clock.Advance(lifetime)
			client, server, err := connectOnce(t, ccfg, scfg)
			require.NoError(t, err)
			assert.True(t, client.ctx.ConnectionState().DidResume, "at the end of the lifetime")
			assert.True(t, server.ctx.ConnectionState().DidResume)

			cache.Put("example.com", entry) // the first ticket again, one second too old
			clock.Advance(time.Second)
			client, server, err = connectOnce(t, ccfg, scfg)
			require.NoError(t, err)
			assert.False(t, client.ctx.ConnectionState().DidResume, "past the lifetime")
			assert.False(t, server.ctx.ConnectionState().DidResume)
		})
	}
}

// TestResumptionFleetMixedWithCryptoTLS: during a migration, our servers and
// crypto/tls servers may share ticket keys. Each resumes its own tickets,
// and a ticket of the other kind costs a full handshake, never a failure.
func TestResumptionFleetMixedWithCryptoTLS(t *testing.T) {
	p := pki(t)
	key := [32]byte{9}
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			ours, theirs := p.serverConfig(), p.serverConfig()
			ours.SetSessionTicketKeys([][32]byte{key})
			theirs.SetSessionTicketKeys([][32]byte{key})
			ccfg := &tls.Config{RootCAs: p.ca.Pool, ServerName: "example.com", MaxVersion: version,
				ClientSessionCache: tls.NewLRUClientSessionCache(4)}
			resumes := func(ourServer bool) bool {
				t.Helper()
				c1, c2 := tcpPair(t)
				var srv net.Conn = tls.Server(c2, theirs)
				if ourServer {
					srv = schannel.Server(c2, ours)
				}
				go func() {
					buf := make([]byte, 4)
					if _, err := io.ReadFull(srv, buf); err == nil {
						_, _ = srv.Write(buf)
					}
				}()
				cli := tls.Client(c1, ccfg)
				defer cli.Close()
				defer srv.Close()
				_, err := cli.Write([]byte("ping"))
				require.NoError(t, err)
				_, err = io.ReadFull(cli, make([]byte, 4)) // the ticket arrives with the reply
				require.NoError(t, err)
				return cli.ConnectionState().DidResume
			}
			assert.False(t, resumes(true))
			assert.True(t, resumes(true), "ours resumes its own ticket")
			assert.False(t, resumes(false), "crypto/tls opens our ticket but cannot resume it")
			assert.True(t, resumes(false), "crypto/tls resumes its own ticket")
			assert.False(t, resumes(true), "ours opens crypto/tls's ticket but cannot resume it")
			assert.True(t, resumes(true))
		})
	}
}
