package session_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gosspi/schannel/internal/tls/session"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fuzz targets feed arbitrary bytes to the two parsers that see input
// from the network. Neither may panic, and whatever they accept must be
// exactly what this package would have produced: the state encoding is
// canonical, and the only tickets that open are sealed ones. Seeds live in
// testdata/fuzz.

func FuzzStateUnmarshal(f *testing.F) {
	f.Fuzz(func(t *testing.T, encoded []byte) {
		var s session.State
		if err := s.Unmarshal(encoded); err != nil {
			assert.ErrorIs(t, err, session.ErrInvalidState)
			assert.Equal(t, session.State{}, s, "failed Unmarshal changed the state")
			return
		}
		again, err := s.Marshal()
		require.NoError(t, err, "accepted a state Marshal refuses")
		assert.Equal(t, encoded, again, "accepted a non-canonical encoding")
	})
}

// fuzzTicketEpoch is the epoch the FuzzTicketOpen seeds were sealed with,
// under testRoot at baseTime.
const fuzzTicketEpoch = testEpoch

func FuzzTicketOpen(f *testing.F) {
	keys := session.NewTicketKeys(testRoot, fuzzTicketEpoch)
	f.Fuzz(func(t *testing.T, ticket []byte) {
		s := keys.Open(ticket, baseTime)
		if s == nil {
			return
		}
		assert.False(t, s.Expired(baseTime), "opened an expired state")
		// Sealing the state again with the ticket's own nonce, in the epoch
		// its key name belongs to, must give back the very same ticket.
		nonce := ticket[16:28]
		for _, sealedAt := range []time.Time{baseTime, baseTime.Add(-fuzzTicketEpoch)} {
			again, err := keys.Seal(s, sealedAt, bytes.NewReader(nonce))
			require.NoError(t, err)
			if bytes.Equal(again[:16], ticket[:16]) {
				assert.Equal(t, ticket, again, "opened a ticket Seal would not produce")
				return
			}
		}
		t.Errorf("opened a ticket whose key name belongs to neither usable epoch")
	})
}

// TestFuzzTicketSeedsOpen keeps the ticket seeds useful: were the format or
// the key derivation to change, they would silently stop reaching the code
// behind a successful Open, and would have to be regenerated.
func TestFuzzTicketSeedsOpen(t *testing.T) {
	keys := session.NewTicketKeys(testRoot, fuzzTicketEpoch)
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzTicketOpen", "tls*"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			assert.NotNil(t, keys.Open(readFuzzSeed(t, path), baseTime))
		})
	}
}

// readFuzzSeed decodes a one-argument []byte seed file in the
// "go test fuzz v1" format.
func readFuzzSeed(t *testing.T, path string) []byte {
	t.Helper()
	content, err := os.ReadFile(path)
	require.NoError(t, err)
	header, value, found := strings.Cut(strings.TrimSpace(string(content)), "\n")
	require.True(t, found)
	require.Equal(t, "go test fuzz v1", header)
	quoted, found := strings.CutPrefix(value, "[]byte(")
	require.True(t, found)
	unquoted, err := strconv.Unquote(strings.TrimSuffix(quoted, ")"))
	require.NoError(t, err)
	return []byte(unquoted)
}
