package crypto

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func layers(t *testing.T, c *Cipher) (client, server *Layer) {
	t.Helper()
	ha1 := SASLHA1(SASLSecret("chris", "elwood.innosoft.com", "secret"), "n", "c", "")
	client, err := NewLayer(ha1, true, c)
	require.NoError(t, err)
	server, err = NewLayer(ha1, false, c)
	require.NoError(t, err)
	return client, server
}

func TestLayerSealRoundTrip(t *testing.T) {
	for _, c := range Ciphers() {
		t.Run(c.Name(), func(t *testing.T) {
			client, server := layers(t, c)
			// Several messages each way, of lengths around the block
			// size, so stream and CBC state must carry across messages.
			for i := 0; i < 20; i++ {
				msg := bytes.Repeat([]byte{byte(i)}, i)
				tok, err := client.Seal(msg)
				require.NoError(t, err)
				assert.Len(t, tok, client.SealedLen(len(msg)))
				assert.LessOrEqual(t, len(tok)-len(msg), MaxSealOverhead)
				if len(msg) > 4 {
					assert.NotContains(t, string(tok), string(msg), "plaintext visible")
				}
				got, err := server.Unseal(tok)
				require.NoError(t, err)
				assert.Equal(t, msg, got)

				tok, err = server.Seal(msg)
				require.NoError(t, err)
				got, err = client.Unseal(tok)
				require.NoError(t, err)
				assert.Equal(t, msg, got)
			}
		})
	}
}

func TestLayerSealHostile(t *testing.T) {
	for _, c := range Ciphers() {
		t.Run(c.Name(), func(t *testing.T) {
			client, server := layers(t, c)
			first, err := client.Seal([]byte("first message"))
			require.NoError(t, err)
			second, err := client.Seal([]byte("second message"))
			require.NoError(t, err)

			_, err = server.Unseal(second)
			assert.ErrorIs(t, err, ErrSequence, "gap")

			flipped := bytes.Clone(first)
			flipped[0] ^= 1
			_, err = server.Unseal(flipped)
			assert.ErrorIs(t, err, ErrAltered, "flipped ciphertext")

			_, err = server.Unseal(first[:5])
			assert.ErrorIs(t, err, ErrAltered, "short token")

			// The failures changed nothing: the right messages still open.
			got, err := server.Unseal(first)
			require.NoError(t, err)
			assert.Equal(t, "first message", string(got))
			_, err = server.Unseal(first)
			assert.ErrorIs(t, err, ErrSequence, "replay")
			got, err = server.Unseal(second)
			require.NoError(t, err)
			assert.Equal(t, "second message", string(got))

			// A client cannot open its own messages: the keys differ by
			// direction.
			third, err := client.Seal([]byte("third"))
			require.NoError(t, err)
			_, err = client.Unseal(third)
			assert.Error(t, err)
		})
	}
}

func TestLayerSignVerify(t *testing.T) {
	client, server := layers(t, nil)
	msgs := [][]byte{[]byte("one"), []byte(""), []byte("three")}
	var trailers [][TrailerLen]byte
	for _, m := range msgs {
		trailers = append(trailers, client.Sign(m))
	}
	assert.Equal(t, []byte{0, 1, 0, 0, 0, 2}, trailers[2][10:], "type 1 and sequence number 2")

	assert.ErrorIs(t, server.Verify(msgs[1], trailers[1][:]), ErrSequence, "gap")
	assert.ErrorIs(t, server.Verify([]byte("One"), trailers[0][:]), ErrAltered, "changed message")
	assert.ErrorIs(t, server.Verify(msgs[0], trailers[0][:15]), ErrAltered, "short trailer")
	require.NoError(t, server.Verify(msgs[0], trailers[0][:]))
	assert.ErrorIs(t, server.Verify(msgs[0], trailers[0][:]), ErrSequence, "replay")
	require.NoError(t, server.Verify(msgs[1], trailers[1][:]))
	require.NoError(t, server.Verify(msgs[2], trailers[2][:]))

	back := server.Sign([]byte("reply"))
	assert.NoError(t, client.Verify([]byte("reply"), back[:]))
}

// TestDESKey checks the 7-to-8 byte key expansion: 56 bits, seven per byte,
// the low bit of each byte free for parity.
func TestDESKey(t *testing.T) {
	assert.Equal(t, []byte{0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe, 0xfe},
		desKey([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}))
	assert.Equal(t, []byte{0x80, 0, 0, 0, 0, 0, 0, 0x02},
		desKey([]byte{0x80, 0, 0, 0, 0, 0, 0x01}))
	assert.Equal(t, []byte{0x00, 0x80, 0, 0, 0, 0, 0, 0},
		desKey([]byte{0x01, 0, 0, 0, 0, 0, 0}))
}

func TestAlgorithms(t *testing.T) {
	for _, a := range Algorithms() {
		got, ok := LookupAlgorithm(a.Name())
		require.True(t, ok)
		assert.Same(t, a, got)
		assert.Len(t, a.H("x"), a.HexLen())
		assert.False(t, a.Base().Sess())
	}
	a, ok := LookupAlgorithm("")
	require.True(t, ok)
	assert.Same(t, MD5, a)
	a, ok = LookupAlgorithm("sha-256-SESS")
	require.True(t, ok)
	assert.Same(t, SHA256Sess, a)
	_, ok = LookupAlgorithm("SHA-1")
	assert.False(t, ok)
	assert.True(t, Equal("ABCD", "abcd"))
	assert.False(t, Equal("abcd", "abce"))
}

func TestLatin1(t *testing.T) {
	assert.Equal(t, "\xe4", Latin1("ä", true))
	assert.Equal(t, "ä", Latin1("ä", false))
	assert.Equal(t, "ä€", Latin1("ä€", true), "€ is outside ISO 8859-1")
}
