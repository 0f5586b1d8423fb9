package session_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testEpoch = time.Hour

func ticketState() *session.State {
	s := sampleStates()[0].state
	return &s
}

func seal(t testing.TB, k *session.TicketKeys, s *session.State, now time.Time) []byte {
	t.Helper()
	ticket, err := k.Seal(s, now, nil)
	require.NoError(t, err)
	return ticket
}

func TestTicketRoundTrip(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	for _, tc := range sampleStates() {
		t.Run(tc.name, func(t *testing.T) {
			ticket := seal(t, keys, &tc.state, baseTime)
			got := keys.Open(ticket, baseTime)
			require.NotNil(t, got)
			assert.Equal(t, tc.state, *got)
		})
	}
}

func TestTicketSealIsRandomized(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	a := seal(t, keys, ticketState(), baseTime)
	b := seal(t, keys, ticketState(), baseTime)
	assert.NotEqual(t, a, b, "two tickets for one state must not be linkable")
	assert.Equal(t, a[:16], b[:16], "one epoch, one key name")
}

func TestTicketSealUsesGivenRandomness(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	nonce := bytes.Repeat([]byte{0xaa}, 12)

	a, err := keys.Seal(ticketState(), baseTime, bytes.NewReader(nonce))
	require.NoError(t, err)
	b, err := keys.Seal(ticketState(), baseTime, bytes.NewReader(nonce))
	require.NoError(t, err)
	assert.Equal(t, a, b)
	assert.Equal(t, nonce, a[16:28])

	readErr := errors.New("no entropy")
	_, err = keys.Seal(ticketState(), baseTime, iotest.ErrReader(readErr))
	assert.ErrorIs(t, err, readErr)
	_, err = keys.Seal(ticketState(), baseTime, bytes.NewReader(nonce[:11]))
	assert.Error(t, err, "short read")
}

func TestTicketSealRefuses(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)

	invalid := ticketState()
	invalid.Secret = nil
	_, err := keys.Seal(invalid, baseTime, nil)
	assert.ErrorIs(t, err, session.ErrInvalidState)

	huge := ticketState()
	huge.PeerCertificates = repeatCerts(session.MaxCertificates, 2000)
	_, err = keys.Seal(huge, baseTime, nil)
	assert.ErrorIs(t, err, session.ErrTicketStateTooLarge)
}

func TestTicketLargestState(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	s := ticketState()
	s.PeerCertificates = [][]byte{{1}}
	s.PeerCertificates[0] = make([]byte, 1+session.MaxTicketStateLen-len(mustMarshal(*s)))
	require.Len(t, mustMarshal(*s), session.MaxTicketStateLen)

	ticket := seal(t, keys, s, baseTime)
	assert.Len(t, ticket, session.MaxTicketLen)
	assert.NotNil(t, keys.Open(ticket, baseTime))

	s.PeerCertificates[0] = append(s.PeerCertificates[0], 0)
	_, err := keys.Seal(s, baseTime, nil)
	assert.ErrorIs(t, err, session.ErrTicketStateTooLarge)
}

func TestTicketOpenAcrossEpochs(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	sealedAt := baseTime // the first instant of an epoch
	ticket := seal(t, keys, ticketState(), sealedAt)

	tests := []struct {
		name  string
		now   time.Time
		opens bool
	}{
		{"same instant", sealedAt, true},
		{"end of the same epoch", sealedAt.Add(testEpoch - time.Nanosecond), true},
		{"start of the next epoch", sealedAt.Add(testEpoch), true},
		{"end of the next epoch", sealedAt.Add(2*testEpoch - time.Nanosecond), true},
		{"two epochs later", sealedAt.Add(2 * testEpoch), false},
		{"an epoch earlier", sealedAt.Add(-time.Nanosecond), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.opens, keys.Open(ticket, tc.now) != nil)
		})
	}
}

func TestTicketKeyNames(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	name := func(k *session.TicketKeys, now time.Time) []byte { return seal(t, k, ticketState(), now)[:16] }

	first := name(keys, baseTime)
	assert.NotEqual(t, first, name(keys, baseTime.Add(testEpoch)), "next epoch")
	assert.Equal(t, first, name(keys, baseTime.Add(testEpoch-time.Second)), "same epoch")
	assert.NotEqual(t, first, name(session.NewTicketKeys(testRoot, 2*testEpoch), baseTime), "other epoch length")
	otherRoot := testRoot
	otherRoot[0] ^= 1
	assert.NotEqual(t, first, name(session.NewTicketKeys(otherRoot, testEpoch), baseTime), "other root")

	// Epochs are counted down from zero before 1970, not toward it.
	assert.NotEqual(t, name(keys, time.Unix(0, 0)), name(keys, time.Unix(-1, 0)))
}

func TestTicketEpochDefaults(t *testing.T) {
	day := session.NewTicketKeys(testRoot, 24*time.Hour)
	ticket := seal(t, day, ticketState(), baseTime)

	for _, epoch := range []time.Duration{0, -time.Hour} {
		assert.NotNil(t, session.NewTicketKeys(testRoot, epoch).Open(ticket, baseTime), "epoch %v", epoch)
	}
	// Sub-second epochs count as one second.
	assert.NotNil(t, session.NewTicketKeys(testRoot, time.Nanosecond).Open(
		seal(t, session.NewTicketKeys(testRoot, time.Second), ticketState(), baseTime), baseTime))
}

func TestTicketOpenRefuses(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	ticket := seal(t, keys, ticketState(), baseTime)
	otherRoot := testRoot
	otherRoot[31] ^= 0x80

	expiredState := ticketState()
	expiredState.CreatedAt = uint64(baseTime.Unix()) - 200
	expiredState.Lifetime = 100
	futureState := ticketState()
	futureState.CreatedAt = uint64(baseTime.Unix()) + 3600

	tests := []struct {
		name   string
		ticket []byte
	}{
		{"nil", nil},
		{"empty", []byte{}},
		{"one byte short of the smallest", make([]byte, 16+12+16-1)},
		{"zeros", make([]byte, 100)},
		{"key name only", ticket[:16]},
		{"no ciphertext", ticket[:16+12+16]},
		{"truncated", ticket[:len(ticket)-1]},
		{"extended", append(bytes.Clone(ticket), 0)},
		{"too long", append(bytes.Clone(ticket), make([]byte, session.MaxTicketLen)...)},
		{"other root", seal(t, session.NewTicketKeys(otherRoot, testEpoch), ticketState(), baseTime)},
		{"expired state", seal(t, keys, expiredState, baseTime)},
		{"state from the future", seal(t, keys, futureState, baseTime)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			assert.Nil(t, keys.Open(tc.ticket, baseTime))
		})
	}
}

func TestTicketOpenRefusesEveryFlippedByte(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	ticket := seal(t, keys, ticketState(), baseTime)
	require.NotNil(t, keys.Open(ticket, baseTime))

	for i := range ticket {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			forged := bytes.Clone(ticket)
			forged[i] ^= mask
			assert.Nil(t, keys.Open(forged, baseTime), "byte %d ^ %#x", i, mask)
		}
	}
}

func TestRandomTicketKeys(t *testing.T) {
	a, err := session.RandomTicketKeys()
	require.NoError(t, err)
	b, err := session.RandomTicketKeys()
	require.NoError(t, err)

	ticket := seal(t, a, ticketState(), baseTime)
	assert.NotNil(t, a.Open(ticket, baseTime.Add(47*time.Hour)), "24-hour epochs")
	assert.Nil(t, b.Open(ticket, baseTime), "independent roots")
}

func TestTicketKeysConcurrentUse(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, testEpoch)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 20 {
				ticket, err := keys.Seal(ticketState(), baseTime, nil)
				assert.NoError(t, err)
				assert.NotNil(t, keys.Open(ticket, baseTime))
			}
		})
	}
	wg.Wait()
}
