package session_test

import (
	"bytes"
	"crypto/tls"
	"sync"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func ticketState() *session.State {
	s := sampleStates()[0].state
	return &s
}

// clock is a settable tls.Config.Time.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// keyedConfig is a server configuration whose ticket keys are set with
// SetSessionTicketKeys, on a clock that stands at baseTime.
func keyedConfig(keys ...[32]byte) *tls.Config {
	cfg := &tls.Config{Time: func() time.Time { return baseTime }}
	cfg.SetSessionTicketKeys(keys)
	return cfg
}

func newKeys(t testing.TB, cfg *tls.Config) *session.TicketKeys {
	t.Helper()
	k, err := session.NewTicketKeys(cfg)
	require.NoError(t, err)
	return k
}

func seal(t testing.TB, k *session.TicketKeys, s *session.State) []byte {
	t.Helper()
	ticket, err := k.Seal(s)
	require.NoError(t, err)
	return ticket
}

func otherKey() [32]byte {
	k := testRoot
	k[31] ^= 0x80
	return k
}

func TestTicketRoundTrip(t *testing.T) {
	keys := newKeys(t, keyedConfig(testRoot))
	for _, tc := range sampleStates() {
		t.Run(tc.name, func(t *testing.T) {
			ticket := seal(t, keys, &tc.state)
			got := keys.Open(ticket, baseTime)
			require.NotNil(t, got)
			assert.Equal(t, tc.state, *got)
		})
	}
}

func TestTicketSealIsRandomized(t *testing.T) {
	keys := newKeys(t, keyedConfig(testRoot))
	a := seal(t, keys, ticketState())
	b := seal(t, keys, ticketState())
	assert.NotEqual(t, a, b, "two tickets for one state must not be linkable")
}

// TestTicketKeysSharedAndRotated is issue 11's promise with crypto/tls's
// semantics: servers given the same keys open each other's tickets; the first
// key seals and every key opens; SetSessionTicketKeys again rotates.
func TestTicketKeysSharedAndRotated(t *testing.T) {
	old, next := testRoot, otherKey()
	serverA := keyedConfig(old)
	serverB := keyedConfig(old)
	keysA, keysB := newKeys(t, serverA), newKeys(t, serverB)

	ticket := seal(t, keysA, ticketState())
	assert.NotNil(t, keysB.Open(ticket, baseTime), "servers sharing keys")
	assert.Nil(t, newKeys(t, keyedConfig(next)).Open(ticket, baseTime), "a server with other keys")

	// Rotation: the new key seals, the old one still opens.
	serverA.SetSessionTicketKeys([][32]byte{next, old})
	rotated := seal(t, keysA, ticketState())
	assert.NotNil(t, keysA.Open(ticket, baseTime), "old ticket after rotation")
	assert.NotNil(t, keysA.Open(rotated, baseTime))
	assert.Nil(t, keysB.Open(rotated, baseTime), "sealed with the new first key, which B lacks")
	assert.NotNil(t, newKeys(t, keyedConfig(next)).Open(rotated, baseTime), "the first key sealed it")

	// Dropping the old key drops its tickets.
	serverA.SetSessionTicketKeys([][32]byte{next})
	assert.Nil(t, keysA.Open(ticket, baseTime))
}

func TestTicketSessionTicketKeyHonoured(t *testing.T) {
	a := &tls.Config{SessionTicketKey: testRoot, Time: func() time.Time { return baseTime }}
	b := &tls.Config{SessionTicketKey: testRoot, Time: func() time.Time { return baseTime }}
	ticket := seal(t, newKeys(t, a), ticketState())
	assert.NotNil(t, newKeys(t, b).Open(ticket, baseTime), "servers sharing SessionTicketKey")
	c := &tls.Config{SessionTicketKey: otherKey(), Time: func() time.Time { return baseTime }}
	assert.Nil(t, newKeys(t, c).Open(ticket, baseTime))
}

// TestTicketAutomaticKeyRing checks the keys of a configuration given none:
// random per configuration, rotated daily, and a ticket stays openable for
// exactly TicketLifetime whenever in a rotation period it was sealed, and
// no longer: the key that sealed it is gone after 7 days.
func TestTicketAutomaticKeyRing(t *testing.T) {
	lifetime := time.Duration(session.TicketLifetime) * time.Second
	for _, sealedAfter := range []time.Duration{0, 12 * time.Hour, 24*time.Hour - time.Second} {
		t.Run(sealedAfter.String(), func(t *testing.T) {
			clk := &clock{now: baseTime}
			cfg := &tls.Config{Time: clk.Now}
			keys := newKeys(t, cfg)
			seal(t, keys, ticketState()) // makes the ring's first key at baseTime

			clk.Set(baseTime.Add(sealedAfter))
			st := ticketState()
			st.CreatedAt, st.Lifetime = uint64(clk.Now().Unix()), session.TicketLifetime
			st.AuthenticatedAt = st.CreatedAt
			ticket := seal(t, keys, st)

			// Connections go on every hour, rotating the ring as they do.
			sealedAt := clk.Now()
			for at := sealedAt; at.Before(sealedAt.Add(lifetime)); at = at.Add(time.Hour) {
				clk.Set(at)
				seal(t, keys, ticketState())
			}
			last := baseTime.Add(sealedAfter + lifetime)
			clk.Set(last)
			assert.NotNil(t, keys.Open(ticket, last), "at the end of its lifetime")
			clk.Set(last.Add(time.Second))
			assert.Nil(t, keys.Open(ticket, last.Add(time.Second)), "past its lifetime")

			other := &tls.Config{Time: clk.Now}
			assert.Nil(t, newKeys(t, other).Open(ticket, last), "another configuration's random keys")
		})
	}

	// The key itself is dropped after 7 days, whatever the state says.
	clk := &clock{now: baseTime}
	keys := newKeys(t, &tls.Config{Time: clk.Now})
	st := ticketState()
	st.CreatedAt = uint64((baseTime.Add(8 * 24 * time.Hour)).Unix()) // lies about its age
	ticket := seal(t, keys, st)
	clk.Set(baseTime.Add(8 * 24 * time.Hour))
	assert.Nil(t, keys.Open(ticket, clk.Now()), "a key older than 7 days opens nothing")
}

func TestTicketSealRefuses(t *testing.T) {
	keys := newKeys(t, keyedConfig(testRoot))

	invalid := ticketState()
	invalid.Secret = nil
	_, err := keys.Seal(invalid)
	assert.ErrorIs(t, err, session.ErrInvalidState)

	huge := ticketState()
	huge.PeerCertificates, huge.VerifiedChain = repeatCerts(session.MaxCertificates, 2000), nil
	_, err = keys.Seal(huge)
	assert.ErrorIs(t, err, session.ErrTicketStateTooLarge)

	_, err = newKeys(t, &tls.Config{SessionTicketsDisabled: true}).Seal(ticketState())
	assert.Error(t, err, "tickets disabled")

	_, err = session.NewTicketKeys(nil)
	assert.Error(t, err)
}

func TestTicketLargestState(t *testing.T) {
	keys := newKeys(t, keyedConfig(testRoot))
	s := ticketState()
	s.PeerCertificates, s.VerifiedChain = [][]byte{{1}}, nil
	s.PeerCertificates[0] = make([]byte, 1+session.MaxTicketStateLen-len(mustMarshal(*s)))
	require.Len(t, mustMarshal(*s), session.MaxTicketStateLen)

	ticket := seal(t, keys, s)
	assert.LessOrEqual(t, len(ticket), session.MaxTicketLen)
	assert.NotNil(t, keys.Open(ticket, baseTime))

	s.PeerCertificates[0] = append(s.PeerCertificates[0], 0)
	_, err := keys.Seal(s)
	assert.ErrorIs(t, err, session.ErrTicketStateTooLarge)
}

func TestTicketOpenRefuses(t *testing.T) {
	keys := newKeys(t, keyedConfig(testRoot))
	ticket := seal(t, keys, ticketState())

	expiredState := ticketState()
	expiredState.CreatedAt = uint64(baseTime.Unix()) - 200
	expiredState.Lifetime = 100
	renewedState := ticketState()
	renewedState.AuthenticatedAt = uint64(baseTime.Unix()) - 200
	renewedState.Lifetime = 100
	futureState := ticketState()
	futureState.CreatedAt = uint64(baseTime.Unix()) + 3600

	// A crypto/tls session sealed under the same keys is not ours.
	foreign := &tls.Config{Time: func() time.Time { return baseTime }}
	foreign.SetSessionTicketKeys([][32]byte{testRoot})

	tests := []struct {
		name   string
		ticket []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"zeros", make([]byte, 100)},
		{"truncated", ticket[:len(ticket)-1]},
		{"extended", append(bytes.Clone(ticket), 0)},
		{"too long", append(bytes.Clone(ticket), make([]byte, session.MaxTicketLen)...)},
		{"other key", seal(t, newKeys(t, keyedConfig(otherKey())), ticketState())},
		{"expired state", seal(t, keys, expiredState)},
		{"renewed past the session's lifetime", seal(t, keys, renewedState)},
		{"state from the future", seal(t, keys, futureState)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Nil(t, keys.Open(tc.ticket, baseTime))
		})
	}
}

func TestTicketOpenRefusesEveryFlippedByte(t *testing.T) {
	keys := newKeys(t, keyedConfig(testRoot))
	ticket := seal(t, keys, ticketState())
	require.NotNil(t, keys.Open(ticket, baseTime))

	for i := range ticket {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			forged := bytes.Clone(ticket)
			forged[i] ^= mask
			assert.Nil(t, keys.Open(forged, baseTime), "byte %d ^ %#x", i, mask)
		}
	}
}

func TestTicketKeysConcurrentUse(t *testing.T) {
	keys := newKeys(t, &tls.Config{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				ticket, err := keys.Seal(ticketState())
				assert.NoError(t, err)
				assert.NotNil(t, keys.Open(ticket, baseTime))
			}
		})
	}
	wg.Wait()
}
