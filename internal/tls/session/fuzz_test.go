package session_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

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

func FuzzTicketOpen(f *testing.F) {
	keys, err := session.NewTicketKeys(keyedConfig(testRoot))
	require.NoError(f, err)
	for _, tc := range sampleStates() {
		ticket, err := keys.Seal(&tc.state)
		require.NoError(f, err)
		f.Add(ticket)
	}
	f.Fuzz(func(t *testing.T, ticket []byte) {
		s := keys.Open(ticket, baseTime)
		if s == nil {
			return
		}
		assert.False(t, s.Expired(baseTime), "opened an expired state")
		_, err := s.Marshal()
		assert.NoError(t, err, "opened a state Marshal refuses")
	})
}

// TestFuzzStateSeedsParse keeps the state seeds useful: were the format to
// change, they would silently stop reaching the code behind a successful
// Unmarshal, and would have to be regenerated.
func TestFuzzStateSeedsParse(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzStateUnmarshal", "tls*"))
	require.NoError(t, err)
	require.NotEmpty(t, paths)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var s session.State
			assert.NoError(t, s.Unmarshal(readFuzzSeed(t, path)))
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
