package session_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/certgen"
	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const cacheKey = "server.test"

func TestCacheStoreLoadForget(t *testing.T) {
	for _, tc := range sampleStates() {
		t.Run(tc.name, func(t *testing.T) {
			cache := tls.NewLRUClientSessionCache(4)
			ticket := []byte("opaque ticket from the server")
			require.NoError(t, session.Store(cache, cacheKey, ticket, &tc.state))

			gotTicket, got, ok := session.Load(cache, cacheKey, baseTime)
			require.True(t, ok)
			assert.Equal(t, ticket, gotTicket)
			assert.Equal(t, tc.state, *got)

			_, _, ok = session.Load(cache, "other.test", baseTime)
			assert.False(t, ok, "other key")

			session.Forget(cache, cacheKey)
			_, _, ok = session.Load(cache, cacheKey, baseTime)
			assert.False(t, ok, "after Forget")
		})
	}
}

func TestCacheStoreCopiesTicket(t *testing.T) {
	cache := tls.NewLRUClientSessionCache(4)
	ticket := []byte("ticket")
	require.NoError(t, session.Store(cache, cacheKey, ticket, ticketState()))
	copy(ticket, "XXXXXX")

	got, _, ok := session.Load(cache, cacheKey, baseTime)
	require.True(t, ok)
	assert.Equal(t, []byte("ticket"), got)

	copy(got, "YYYYYY")
	again, _, ok := session.Load(cache, cacheKey, baseTime)
	require.True(t, ok)
	assert.Equal(t, []byte("ticket"), again, "Load hands out a copy")
}

func TestCacheStoreRefuses(t *testing.T) {
	cache := tls.NewLRUClientSessionCache(4)
	invalid := ticketState()
	invalid.Version = 0x0302

	assert.Error(t, session.Store(nil, cacheKey, []byte("t"), ticketState()), "nil cache")
	assert.Error(t, session.Store(cache, cacheKey, nil, ticketState()), "no ticket")
	assert.ErrorIs(t, session.Store(cache, cacheKey, []byte("t"), invalid), session.ErrInvalidState)
	_, ok := cache.Get(cacheKey)
	assert.False(t, ok, "nothing stored")
}

func TestCacheLoadExpired(t *testing.T) {
	cache := tls.NewLRUClientSessionCache(4)
	s := ticketState()
	s.Lifetime = 3600
	require.NoError(t, session.Store(cache, cacheKey, []byte("t"), s))

	_, _, ok := session.Load(cache, cacheKey, baseTime.Add(time.Hour))
	assert.True(t, ok, "last second of the lifetime")
	_, _, ok = session.Load(cache, cacheKey, baseTime.Add(time.Hour+time.Second))
	assert.False(t, ok, "lifetime over")
	_, _, ok = session.Load(cache, cacheKey, baseTime.Add(-2*time.Minute))
	assert.False(t, ok, "issued in the future")
}

func TestCacheLoadIgnoresForeignEntries(t *testing.T) {
	marker := []byte("github.com/gosspi/schannel/session v1")
	encoded := mustMarshal(*ticketState())
	tests := []struct {
		name   string
		ticket []byte
		extra  [][]byte
		ok     bool
	}{
		{"ours", []byte("t"), [][]byte{marker, encoded}, true},
		{"ours after another layer's", []byte("t"), [][]byte{[]byte("other layer v3"), marker, encoded}, true},
		{"ours with another layer's appended", []byte("t"), [][]byte{marker, encoded, []byte("other")}, true},
		{"no extra", []byte("t"), nil, false},
		{"another layer's only", []byte("t"), [][]byte{[]byte("other layer v3"), encoded}, false},
		{"marker alone", []byte("t"), [][]byte{marker}, false},
		{"other marker version", []byte("t"), [][]byte{[]byte("github.com/gosspi/schannel/session v2"), encoded}, false},
		{"state does not parse", []byte("t"), [][]byte{marker, encoded[:len(encoded)-1]}, false},
		{"no ticket", nil, [][]byte{marker, encoded}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cache := tls.NewLRUClientSessionCache(4)
			entry, err := tls.NewResumptionState(tc.ticket, &tls.SessionState{Extra: tc.extra})
			require.NoError(t, err)
			cache.Put(cacheKey, entry)

			_, _, ok := session.Load(cache, cacheKey, baseTime)
			assert.Equal(t, tc.ok, ok)
		})
	}

	_, _, ok := session.Load(nil, cacheKey, baseTime)
	assert.False(t, ok, "nil cache")
	session.Forget(nil, cacheKey) // must not panic
}

func TestCacheLoadReturnsIndependentState(t *testing.T) {
	cache := tls.NewLRUClientSessionCache(4)
	require.NoError(t, session.Store(cache, cacheKey, []byte("t"), ticketState()))
	_, first, ok := session.Load(cache, cacheKey, baseTime)
	require.True(t, ok)
	first.Secret[0] ^= 0xff
	first.PeerCertificates[0][0] ^= 0xff

	_, second, ok := session.Load(cache, cacheKey, baseTime)
	require.True(t, ok)
	assert.Equal(t, *ticketState(), *second)
	assert.False(t, bytes.Equal(first.Secret, second.Secret))
}

// TestCacheSharedWithCryptoTLS checks both directions of sharing one cache
// with crypto/tls: its entries are invisible to Load, and ours make its
// client fall back to a full handshake instead of failing.
func TestCacheSharedWithCryptoTLS(t *testing.T) {
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		t.Run(tls.VersionName(version), func(t *testing.T) {
			peer := newCryptoTLSPeer(t, version)
			cache := tls.NewLRUClientSessionCache(4)

			// crypto/tls writes an entry of its own and can resume from it,
			// so the entry really is a usable crypto/tls session.
			assert.False(t, peer.connect(t, cache).DidResume)
			entry, found := cache.Get(cacheKey)
			require.True(t, found)
			require.NotNil(t, entry)
			_, _, ok := session.Load(cache, cacheKey, time.Now())
			assert.False(t, ok, "entry written by crypto/tls")
			assert.True(t, peer.connect(t, cache).DidResume)

			// Ours, stored under the key crypto/tls uses, is skipped by it.
			ours := ticketState()
			ours.Version = version
			if version == tls.VersionTLS12 {
				ours.AgeAdd, ours.MaxEarlyData = 0, 0
			}
			ours.CreatedAt = uint64(time.Now().Unix())
			require.NoError(t, session.Store(cache, cacheKey, []byte("our ticket"), ours))
			_, _, ok = session.Load(cache, cacheKey, time.Now())
			require.True(t, ok)

			assert.False(t, peer.connect(t, cache).DidResume, "crypto/tls must not resume from our entry")
			_, _, ok = session.Load(cache, cacheKey, time.Now())
			assert.False(t, ok, "crypto/tls replaced our entry with its own")
		})
	}
}

type cryptoTLSPeer struct {
	server, client *tls.Config
}

func newCryptoTLSPeer(t *testing.T, version uint16) *cryptoTLSPeer {
	ca, err := certgen.NewCA("session test CA")
	require.NoError(t, err)
	cert, err := ca.Issue(certgen.LeafOptions{Names: []string{cacheKey}})
	require.NoError(t, err)
	return &cryptoTLSPeer{
		server: &tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   version,
			MaxVersion:   version,
		},
		client: &tls.Config{
			RootCAs:    ca.Pool,
			ServerName: cacheKey,
			MinVersion: version,
			MaxVersion: version,
		},
	}
}

// connect runs one crypto/tls handshake over an in-memory pipe and reads one
// byte of application data, which makes a TLS 1.3 client take in the
// server's NewSessionTicket.
func (p *cryptoTLSPeer) connect(t *testing.T, cache tls.ClientSessionCache) tls.ConnectionState {
	t.Helper()
	clientEnd, serverEnd := net.Pipe()
	defer clientEnd.Close()
	serverDone := make(chan error, 1)
	go func() {
		// Closing the pipe rather than the tls.Conn: a close_notify would
		// block on the unbuffered pipe until nobody reads it.
		defer serverEnd.Close()
		server := tls.Server(serverEnd, p.server)
		if err := server.Handshake(); err != nil {
			serverDone <- err
			return
		}
		_, err := server.Write([]byte{1})
		serverDone <- err
	}()

	config := p.client.Clone()
	config.ClientSessionCache = cache
	client := tls.Client(clientEnd, config)
	require.NoError(t, client.Handshake())
	_, err := io.ReadFull(client, make([]byte, 1))
	require.NoError(t, err)
	require.NoError(t, <-serverDone)
	return client.ConnectionState()
}
